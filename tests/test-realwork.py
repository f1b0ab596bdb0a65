#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Real work under nonet, each beside its control: a Debian package build whose tests use
localhost, a venv with a local wheel, git, tar, rsync and mv between directories.

Each case runs as the unprivileged user in a scratch directory of its own (HOME there too),
once without nonet (the control, which must succeed) and once under each mode, and the
facts it prints (lines `FACT ...`) must be the same. Nothing reaches a network: pip always
runs with --no-index. Issue 36: a Landlock ruleset that handled a filesystem right refused
every rename and link into another directory (EXDEV), so dh_python3 failed and mv copied.
"""

import concurrent.futures
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from nonettest import (ROOT, SOURCE, Programs, as_user, check, check_eq, main, run, test,  # noqa: E402
                       unprivileged_ids)

P = Programs()
DEMO = os.path.join(SOURCE, "tests", "data", "nonet-pybuild-demo")
MODES = {"plain": [], "private-loopback": ["--private-loopback"]}


class Scratch:
    """A directory of the unprivileged user's own, with its HOME and TMPDIR inside."""

    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix=f"nonet-realwork-{name}-")
        for sub in ("home", "tmp"):
            os.mkdir(os.path.join(self.dir, sub))
        self.give()

    def give(self):
        """Hand everything beneath to the unprivileged user (after the test copied files in)."""
        if not ROOT:
            return
        uid, gid = unprivileged_ids()
        for top, dirs, files in os.walk(self.dir):
            for name in [top] + [os.path.join(top, n) for n in dirs + files]:
                os.lchown(name, uid, gid)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def run(self, argv, mode=None, cwd=None, env=None, timeout=240):
        """argv as the unprivileged user, unrestricted when mode is None."""
        if mode is not None:
            argv = [P.nonet_exec] + MODES[mode] + ["--"] + list(argv)
        clean = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.path("home"), "LANG": "C.UTF-8",
                 "TMPDIR": self.path("tmp")}
        clean.update(env or {})
        return run(as_user(argv), cwd=cwd or self.dir, env=clean, timeout=timeout)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def show(what, r, lines=40):
    """The end of a failed step's output, as TAP comments."""
    out = (r.stdout + r.stderr).strip().splitlines()[-lines:]
    print(f"# {what}: exit {r.returncode}\n# " + "\n# ".join(out), flush=True)


def side_by_side(fn, args):
    """fn on each argument at once (the control beside the restricted run); the results in order."""
    with concurrent.futures.ThreadPoolExecutor(len(args)) as pool:
        return list(pool.map(fn, args))


def facts(r):
    return [line for line in r.stdout.splitlines() if line.startswith("FACT ")]


def same_as_control(script, modes, name, env=None):
    """Run the shell script unrestricted, then under each mode, each in a fresh directory;
    every run must exit 0 and print the control's facts. Returns the control's facts."""
    def one(mode):
        s = Scratch(name)
        try:
            return s.run(["sh", "-euc", script], mode=mode, env=env)
        finally:
            s.cleanup()

    got = {}
    for mode, r in zip([None] + list(modes), side_by_side(one, [None] + list(modes))):
        if r.returncode != 0:
            show(f"{name} under {mode or 'the control'}", r)
        check_eq(r.returncode, 0, f"{name} under {mode or 'the control'}: exit")
        got[mode] = facts(r)
    check(got[None], f"{name}: the control printed no facts")
    for mode in modes:
        check_eq(got[mode], got[None], f"{name} under {mode}: facts against the control's")
    return got[None]


# --- A Debian source package, built with dpkg-buildpackage ------------------------------------

def build_demo(mode, nocheck):
    """Build the demo package in a copy; returns (exit code, build log, deb contents). With
    nocheck, under fakeroot as well (the package says it needs no root, see debian/control)."""
    s = Scratch("deb")
    try:
        tree = s.path("work", "nonet-pybuild-demo-1.0")
        shutil.copytree(DEMO, tree)
        s.give()
        env = {"DEB_BUILD_OPTIONS": "nocheck"} if nocheck else {}
        fakeroot = ["--rules-requires-root"] if nocheck else []
        r = s.run(["dpkg-buildpackage", "-b", "-us", "-uc"] + fakeroot, mode=mode, cwd=tree, env=env)
        log = r.stdout + r.stderr
        if r.returncode != 0:
            show(f"dpkg-buildpackage under {mode or 'the control'}", r)
            return r.returncode, log, None
        deb = s.path("work", "python3-nonet-pybuild-demo_1.0_all.deb")
        listing = run(["dpkg-deb", "--contents", deb])
        check_eq(listing.returncode, 0, f"dpkg-deb --contents {deb}")
        return 0, log, sorted(line.split()[-1] for line in listing.stdout.splitlines())
    finally:
        s.cleanup()


MARKERS = ("NONET-DEMO-ECHO 127.0.0.1 ok", "NONET-DEMO-ECHO ::1 ok")


@test
def a_pybuild_package_with_localhost_tests_builds_under_private_loopback():
    # dh_python3 moves the files from python3.11/dist-packages to python3/dist-packages:
    # the rename that came back EXDEV (issue 36)
    (code, log, control), (code_r, log_r, restricted) = side_by_side(
        lambda mode: build_demo(mode, nocheck=False), [None, "private-loopback"])
    check_eq(code, 0, "the control's build")
    for marker in MARKERS:
        check(marker in log, f"the control's build log has no {marker!r}: its tests did not run")
    code, log = code_r, log_r
    check("Invalid cross-device link" not in log, "under --private-loopback a rename came back EXDEV")
    check_eq(code, 0, "the build under --private-loopback")
    for marker in MARKERS:
        check(marker in log, f"the build log under --private-loopback has no {marker!r}: its tests did not run")
    check("/usr/lib/python3/dist-packages/nonet_pybuild_demo/__init__.py" in " ".join(control),
          "the control's package has no module in python3/dist-packages")
    check_eq(restricted, control, "the package's contents against the control's")


@test
def a_package_build_without_localhost_tests_builds_under_plain_nonet():
    (code, log, control), (code_r, log_r, restricted) = side_by_side(
        lambda mode: build_demo(mode, nocheck=True), [None, "plain"])
    check_eq(code, 0, "the control's build with nocheck")
    code, log = code_r, log_r
    check("Invalid cross-device link" not in log, "under nonet-exec a rename came back EXDEV")
    check_eq(code, 0, "the build under nonet-exec with nocheck")
    check(MARKERS[0] not in log, "nocheck ran the localhost tests anyway")
    check(" fakeroot debian/rules binary" in log, "the build did not run under fakeroot")
    check_eq(restricted, control, "the package's contents against the control's")


# --- A venv with a wheel built here ----------------------------------------------------------

VENV = """
cp -r "$DEMO" src
python3 -m pip wheel --quiet --no-index --no-deps --no-build-isolation --wheel-dir wheels ./src
echo "FACT wheels: $(ls wheels)"
python3 -m venv venv
venv/bin/pip install --quiet --no-index --find-links wheels nonet-pybuild-demo
echo "FACT installed: $(venv/bin/pip list --no-index --format=freeze | grep -i nonet)"
echo "FACT entry point: $(venv/bin/nonet-pybuild-demo)"
echo "FACT imported from the venv: $(venv/bin/python -c \
    'import sys, nonet_pybuild_demo as m; print(m.__file__.startswith(sys.prefix))')"
"""


@test
def a_venv_installs_a_local_wheel():
    f = same_as_control(VENV, ["plain"], "venv", env={"DEMO": DEMO, "PIP_NO_INDEX": "1",
                                                  "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    check("FACT entry point: nonet-pybuild-demo 1.0" in f, f"the control's facts: {f}")


# --- git: a repository, its clone, gc and repack ---------------------------------------------

GIT = """
git="git -c gc.autoDetach=false"
$git init -q -b main origin
for i in 1 2 3; do echo "line $i" >origin/f$i; $git -C origin add f$i; $git -C origin commit -q -m "commit $i"; done
$git clone -q origin clone
# a local clone hardlinks the objects (link() into another directory); git copies where it cannot
echo "FACT hardlinked objects: $(find clone/.git/objects -type f -links +1 | wc -l)"
echo changed >clone/f1
$git -C clone commit -q -a -m "in the clone"
$git -C clone gc --quiet
$git -C clone repack -adq
$git -C clone fsck --strict --no-progress
echo "FACT head: $($git -C clone rev-parse HEAD)"
echo "FACT commits: $($git -C clone rev-list --count HEAD)"
echo "FACT packs: $(ls clone/.git/objects/pack/*.pack | wc -l)"
echo "FACT loose: $($git -C clone count-objects | cut -d' ' -f1)"
"""

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "nonet", "GIT_AUTHOR_EMAIL": "nonet@localhost",
           "GIT_COMMITTER_NAME": "nonet", "GIT_COMMITTER_EMAIL": "nonet@localhost",
           "GIT_AUTHOR_DATE": "2026-12-06T12:00:00Z", "GIT_COMMITTER_DATE": "2026-12-06T12:00:00Z"}


@test
def git_clones_commits_and_repacks_a_local_repository():
    f = same_as_control(GIT, MODES, "git", env=GIT_ENV)
    check("FACT hardlinked objects: 0" not in f, f"the control's clone hardlinked nothing: {f}")


# --- tar, rsync, mv and ln between directories -----------------------------------------------

FILES = """
mkdir -p src/sub a b
echo one >src/one; echo two >src/sub/two; ln -s one src/link; chmod 640 src/sub/two
find src -exec touch -h -d 2026-01-02T03:04:05Z {} +
tar -cf t.tar -C src .
mkdir untarred; tar -xf t.tar -C untarred
diff -r src untarred && echo "FACT tar: same tree"
rsync -a src/ copied/
diff -r src copied && echo "FACT rsync: same tree, $(stat -c '%a %Y' copied/sub/two copied/one | tr '\\n' ' ')"
echo f >a/f; echo g >a/g; echo h >a/h
echo "FACT mv: $(mv -v a/f b/f | cut -d' ' -f1)"
ln a/g b/g && echo "FACT ln: $(stat -c %h b/g) links"
python3 -c 'import os; os.rename("a/h", "b/h")' && echo "FACT os.rename: ok"
"""


@test
def tar_rsync_mv_and_ln_between_directories():
    f = same_as_control(FILES, MODES, "files")
    # mv hides a refused rename by copying: it says "copied" and "removed" where it said "renamed"
    check("FACT mv: renamed" in f, f"the control's mv did not rename: {f}")


if __name__ == "__main__":
    main(P.cleanup)
