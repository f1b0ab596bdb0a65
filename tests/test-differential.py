#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Nothing but the network: every other call behaves under nonet as it does without it.

tests/differ runs a corpus of calls that are not networking (renames and links between
directories, truncate, fifos, devices, terminal ioctls, signals and /proc reads of a
process of the same user outside, descriptors of every kind, unix sockets, user and mount
namespaces), once unrestricted and once under each mode, as an unprivileged user; the
results are compared line by line. A difference passes only where ALLOWED names the row
of the README that refuses it; any other fails with both results. The kernel matrix runs
the same comparison on 6.1, 6.12 and 7.2 (tests/kernels/guest.py imports this file).
"""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from nonettest import BUILD, ROOT, Skip, as_user, check, main, run, test, unprivileged_ids  # noqa: E402

# The options whose domain has no net rights to handle, so it handles a filesystem right.
FS_DOMAIN_OPTS = ("--private-loopback", "--allow=inet", "--allow=inet6", "--unix=listed")
MOUNTS = ("mountns_private", "mountns_tmpfs", "mountns_bind", "mountns_rename_dirs", "mountns_pivot_root")


class Mode:
    """How the corpus runs: nonet-exec's options (or a pam_nonet session), on a kernel of
    Landlock ABI abi."""

    def __init__(self, name, opts=(), abi=0, pam=False):
        self.name, self.opts, self.abi, self.pam = name, list(opts), abi, pam
        # nonet makes no Landlock domain on ABI 1 (it could not allow REFER there)
        self.landlock = abi >= 2 and "--landlock=off" not in self.opts
        self.fs_domain = self.landlock and (abi <= 3 or any(o in FS_DOMAIN_OPTS for o in self.opts))


# (cases, results under nonet, when, the README row that says so)
ALLOWED = [
    (("proc_environ_outside", "proc_maps_outside", "proc_fd_outside"), ("EACCES",), lambda m: m.landlock,
     'What "network off" means: "ptrace, /proc/PID/mem, process_vm_readv/writev, pidfd_getfd of a process '
     'outside (and the /proc/PID files the kernel guards the same way: environ, maps, fd/) | refused"'),
    (("ptrace_child",), ("EPERM",), lambda m: not m.landlock,
     'Kernels: "seccomp, no Landlock (or --landlock=off) | ...; ptrace, process_vm_*, pidfd_getfd refused for '
     'every target"'),
    (MOUNTS, ("EPERM", "setup-EPERM"), lambda m: m.fs_domain,
     'What "network off" means: "mount(), pivot_root() inside a new user namespace, where the Landlock domain '
     'handles a filesystem right (ABI 2-3; any ABI with --private-loopback, --allow=inet or --unix=listed) | '
     'refused, EPERM"'),
    (("outside_abstract_stream",), ("EPERM",), lambda m: "--unix=no-abstract" in m.opts,
     'What "network off" means: "with --unix=no-abstract: connect/send to an abstract unix socket created '
     'outside | refused (EPERM)"'),
    (("outside_abstract_stream",), ("EPERM",), lambda m: "--unix=listed" in m.opts,
     'What it does not stop: "--unix=no-abstract closes the brokers that listen only on abstract sockets, and '
     '--unix=listed (Landlock ABI 9) all but those listed"'),
    (("rename_into_unix_path", "link_into_unix_path", "exchange_unix_path"), ("EXDEV",),
     lambda m: "--unix=listed" in m.opts,
     'What "network off" means: "with --unix=listed: a file renamed, linked or exchanged into a listed path from '
     'outside it | refused, EXDEV, as between filesystems"'),
    (("outside_abstract_stream",), ("ECONNREFUSED",), lambda m: "--private-loopback" in m.opts,
     'A private loopback: "Abstract unix sockets belong to a network namespace: ... a D-Bus bus on a '
     'unix:abstract= address is out of reach (ECONNREFUSED)"'),
]


def allowed(name, result, mode):
    """The README row that allows result for case name under mode, or None."""
    for cases, results, when, row in ALLOWED:
        if name in cases and result in results and when(mode):
            return row
    return None


def parse(stdout):
    """The corpus' lines as {case: result}, in order; other lines (pam-session's) left out."""
    results = {}
    for line in stdout.splitlines():
        words = line.split(maxsplit=1)
        if len(words) == 2 and not words[0].endswith(":"):
            results[words[0]] = words[1]
    return results


def compare(control, got, mode):
    """The differences between the control and the results under mode: those no row allows
    ([(case, control, result)]), and those each row allows ({row: ["case result"]})."""
    unexpected, expected = [], {}
    for name in list(control) + [n for n in got if n not in control]:
        want, have = control.get(name, "missing"), got.get(name, "missing")
        if want == have:
            continue
        row = allowed(name, have, mode)
        if row:
            expected.setdefault(row, []).append(f"{name} {have}")
        else:
            unexpected.append((name, want, have))
    return unexpected, expected


def landlock_abi(nonet_exec):
    out = subprocess.run([nonet_exec, "--status"], stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        if line.startswith("landlock: kernel ABI "):
            return int(line.split()[-1])
    return 0


class Corpus:
    """tests/differ, copied where the unprivileged user can run it, with its helper outside:
    a process of the same user, started before and never restricted."""

    def __init__(self, differ, nonet_exec):
        self.dir = tempfile.mkdtemp(prefix="nonet-differ-")
        os.chmod(self.dir, 0o755)
        self.differ = os.path.join(self.dir, "differ")
        shutil.copy2(differ, self.differ)
        self.nonet_exec = nonet_exec
        self.abi = landlock_abi(nonet_exec)
        helper_dir = self.scratch("helper")
        self.helper = subprocess.Popen(as_user([self.differ, "--helper", helper_dir]), stdout=subprocess.PIPE,
                                       text=True)
        check(self.helper.stdout.readline().strip() == "ready", "the helper outside listens")
        self.args = [str(self.helper.pid), helper_dir]  # setpriv execs: its pid is the helper's

    def scratch(self, name):
        path = os.path.join(self.dir, name)
        os.mkdir(path)
        if ROOT:
            os.chown(path, *unprivileged_ids())
        return path

    def run(self, name, prefix=(), unprivileged=True):
        """{case: result} of the corpus run under prefix, or a string: why nothing ran."""
        cmd = list(prefix) + [self.differ, self.scratch(name)] + self.args
        r = run(as_user(cmd) if unprivileged else cmd)
        results = parse(r.stdout)
        if r.returncode == 125 and not results:
            return "did not run: " + r.stderr.strip()
        check(r.returncode == 0 and results, f"{name}: exit {r.returncode}: {r.stdout}{r.stderr}")
        return results

    def mode(self, name, opts):
        """Mode name; {helper} in opts is the helper's directory (its sockets: --unix-path)."""
        return Mode(name, [o.format(helper=self.args[1]) for o in opts], self.abi)

    def under(self, mode):
        return self.run(mode.name, [self.nonet_exec] + mode.opts + ["--"])

    def close(self):
        self.helper.kill()
        self.helper.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


# nonet-exec's modes; the pam_nonet session is added in __main__
MODES = [("plain", []), ("private_loopback", ["--private-loopback"]), ("no_abstract", ["--unix=no-abstract"]),
         ("allow_netlink", ["--allow=netlink"]), ("landlock_require", ["--landlock=require"]),
         ("landlock_off", ["--landlock=off"]), ("unix_listed", ["--unix=listed", "--unix-path={helper}"])]

# what the corpus shows only where it works unrestricted: on every kernel the suite runs on
CONTROL_WORKS = ("rename_dirs", "link_dirs", "rename_exchange_dirs", "kill_usr1_outside", "proc_environ_outside",
                 "outside_abstract_stream", "pair_seqpacket", "rename_into_unix_path", "link_into_unix_path")
C = None
CONTROL = {}


def control():
    if not CONTROL:
        CONTROL.update(C.run("control"))
        for name in CONTROL_WORKS:
            check(CONTROL.get(name) == "ok", f"control {name}: {CONTROL.get(name)}")
    return CONTROL


def verdict(mode, got):
    if isinstance(got, str):
        # a mode this kernel cannot enforce runs nothing and says why: fail closed, nothing to compare
        check("needs ABI" in got and "cannot restrict" in got, f"{mode.name}: {got}")
        print(f"# {mode.name}: {got}: nothing ran, as the contract says")
        return
    unexpected, expected = compare(control(), got, mode)
    for row, names in expected.items():
        print(f"# {mode.name}: {', '.join(names)}: allowed by README, {row}")
    check(not unexpected, f"{mode.name} (Landlock ABI {mode.abi}): differences the README does not name:\n"
          + "\n".join(f"{name}: unrestricted {want}, {mode.name} {have}" for name, want, have in unexpected))


@test
def the_corpus_answers_the_same_twice():
    first, again = control(), C.run("control-again")
    check(first == again, f"{ {k: (v, again.get(k)) for k, v in first.items() if again.get(k) != v} }")


def mode_test(name, opts):
    def differential():
        mode = C.mode(name, opts)
        verdict(mode, C.under(mode))
    differential.__name__ = f"nothing_but_the_network_{name}"
    return differential


for _name, _opts in MODES:
    test(mode_test(_name, _opts))


def pam_session_test():
    """The corpus in a pam_nonet session of nobody, as login programs open one (pam-session),
    in this private mount namespace: the table is a file of its own (conf=), /etc is a copy."""
    module = os.path.join(C.dir, "pam_nonet.so")
    shutil.copy2(os.path.join(BUILD, "pam_nonet", "pam_nonet.so"), module)
    session = os.path.join(C.dir, "pam-session")
    shutil.copy2(os.path.join(BUILD, "tests", "pam-session"), session)
    table, confdir = os.path.join(C.dir, "nonet.conf"), os.path.join(C.dir, "pam.d")
    R.write(table, "nobody hard network off\n")
    R.write(os.path.join(confdir, "nonet-differ"),
            f"account required pam_permit.so\naccount required {module} conf={table}\n"
            f"session required pam_permit.so\nsession required {module} conf={table}\n")
    uid, gid = unprivileged_ids()
    prefix = [session, "nonet-differ", "nobody", confdir, "setpriv", f"--reuid={uid}", f"--regid={gid}",
              "--clear-groups", "--"]

    def pam_nonet_session():
        mode = C.mode("pam_nonet", [])
        verdict(mode, C.run("pam", prefix, unprivileged=False))
    return pam_nonet_session


R = None

if __name__ == "__main__":
    if ROOT:  # the pam_nonet session's stack and /dev are this namespace's own; /etc is a copy
        import privroot
        privroot.reexec_in_namespace()
        R = privroot.PrivateRoot()
    C = Corpus(os.path.join(BUILD, "tests", "differ"), os.path.join(BUILD, "nonet-exec", "nonet-exec"))
    if ROOT:
        test(pam_session_test())
    else:
        @test
        def pam_nonet_session():
            raise Skip("needs root for a private mount namespace")
    main(C.close, lambda: R and R.cleanup())
