#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The OCI profile and the entrypoint form under real runtimes: Debian's runc (a bundle from
`runc spec`) and podman (`--rootfs`), offline, with a root filesystem made of the host's own
/usr, in a private root (privroot.py). Containers share the host's network namespace, so
that the control reaches a listener the test runs on 127.0.0.1."""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import ocitest  # noqa: E402
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import (BUILD, EAFNOSUPPORT, EPERM, IN_CI, Programs, Skip, check, check_eq, main,  # noqa: E402
                       reply_server, run, test)
from ocitest import result  # noqa: E402

R = privroot.PrivateRoot()
P = Programs()
REPLY = "reply-from-the-listener"
BASE = "/usr/share/containers/seccomp.json"  # Debian's containers profile (golang-github-containers-common)


PORT = reply_server(REPLY)

# What the container tries: each family, a unix socket and a pair, the socket it was given
# (fd 3), and curl. One JSON line.
PROBE = ocitest.FETCH + r"""
import json, os, socket, subprocess, sys
out = {}
for name, fam, typ in (("inet", 2, 1), ("inet6", 10, 1), ("netlink", 16, 3), ("packet", 17, 3)):
    try:
        socket.socket(fam, typ).close(); out[name] = 0
    except OSError as e:
        out[name] = e.errno
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0nonet-probe"); s.listen(); c = socket.socket(socket.AF_UNIX); c.connect("\0nonet-probe")
a, _ = s.accept(); c.sendall(b"unix-ok"); out["unix"] = a.recv(16).decode()
x, y = socket.socketpair(); x.sendall(b"pair-ok"); out["socketpair"] = y.recv(16).decode()
try:
    out["held"] = fetch(socket.socket(fileno=3))
except OSError as e:
    out["held"] = "errno %d" % e.errno
r = subprocess.run(["curl", "-sS", "--max-time", "10", "http://127.0.0.1:%s/" % sys.argv[1]], capture_output=True, text=True)
out["curl"] = r.stdout.strip() or "exit %d" % r.returncode
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
# personality(ADDR_NO_RANDOMIZE): Debian's containers profile allows five personas, not this one
out["personality"] = ctypes.get_errno() if libc.syscall(135, 0x0040000) < 0 else 0
print(json.dumps(out))
"""

ROOT = tempfile.mkdtemp(prefix="nonet-containers-")
ROOTFS = os.path.join(ROOT, "rootfs")


def make_rootfs():
    """The host's /usr, read-only, and the usual links to it: nothing fetched."""
    ocitest.make_root(ROOTFS, {"nonet/probe.py": PROBE})
    shutil.copy2(os.path.join(BUILD, "nonet-exec", "nonet-exec"), os.path.join(ROOTFS, "nonet"))
    subprocess.run(["mount", "--bind", "-o", "ro", "/usr", os.path.join(ROOTFS, "usr")], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", os.path.join(ROOTFS, "usr")], check=True)


make_rootfs()
# crun refuses a hybrid cgroup tree whose cgroup2 has controllers, as this machine's: the private
# namespace keeps the legacy one (runc and podman's cgroupfs manager use it), and crun runs
# without cgroups (--cgroups=disabled)
if os.path.ismount("/sys/fs/cgroup/unified") and os.path.ismount("/sys/fs/cgroup/memory"):
    subprocess.run(["umount", "-l", "/sys/fs/cgroup/unified"], check=True)


def profile(*args):
    return ocitest.profile(P.nonet_exec, ROOT, *args)


def with_fd3(cmd):
    """cmd with a TCP connection to the listener, made before the container starts, as fd 3."""
    held = socket.create_connection(("127.0.0.1", PORT))
    fd = held.fileno()
    try:
        return run(["sh", "-c", f'exec 3<&{fd} {fd}<&-; exec "$@"', "sh"] + cmd, pass_fds=(fd,), timeout=180)
    finally:
        held.close()


def runc(seccomp=None, argv=None, raw=None, runtime="runc"):
    """raw: a profile's text, given to the runtime as written (Python's json would read it first)."""
    bundle = tempfile.mkdtemp(dir=ROOT, prefix="bundle-")
    subprocess.run(["runc", "spec"], cwd=bundle, check=True)
    with open(os.path.join(bundle, "config.json")) as f:
        config = json.load(f)
    config["root"] = {"path": ROOTFS, "readonly": True}
    config["process"]["terminal"] = False
    config["process"]["args"] = argv or ["python3", "/nonet/probe.py", str(PORT)]
    config["process"]["env"].append("LC_ALL=C.UTF-8")
    # the host's network: the listener is the test's
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "network"]
    if seccomp:
        with open(seccomp) as f:
            config["linux"]["seccomp"] = json.load(f)
    if raw is not None:
        config["linux"]["seccomp"] = "@SECCOMP@"
    with open(os.path.join(bundle, "config.json"), "w") as f:
        f.write(json.dumps(config).replace('"@SECCOMP@"', raw if raw is not None else '"@SECCOMP@"'))
    # crun without cgroups, as under podman (see above)
    extra = ["--cgroup-manager=disabled"] if runtime == "crun" else []
    return with_fd3([runtime] + extra + ["--root", os.path.join(ROOT, runtime + "-state"), "run", "--preserve-fds", "1",
                                         "--bundle", bundle, os.path.basename(bundle)])


def podman(security=(), argv=None, runtime="runc"):
    cmd = ["podman", "--root", os.path.join(ROOT, "storage"), "--runroot", os.path.join(ROOT, "runroot"),
           "--cgroup-manager=cgroupfs", "--events-backend=file", "--runtime=" + runtime,
           "run", "--rm", "--network=host", "--ulimit=nofile=1024:1024", "--ulimit=nproc=4096:4096", "--preserve-fds=1", "--env=LC_ALL=C.UTF-8"]
    if runtime == "crun":
        cmd.append("--cgroups=disabled")  # see above: no hybrid tree for crun
    for s in security:
        cmd += ["--security-opt", s]
    cmd += ["--rootfs", ROOTFS] + (argv or ["python3", "/nonet/probe.py", str(PORT)])
    return with_fd3(cmd)


def check_network_off(out, errno, what):
    for family in ("inet", "inet6", "netlink", "packet"):
        want = EAFNOSUPPORT if family == "netlink" else errno
        check_eq(out[family], want, f"{what}: socket({family})")
    check_eq(out["unix"], "unix-ok", what + ": a unix socket")
    check_eq(out["socketpair"], "pair-ok", what + ": socketpair")
    check_eq(out["held"], REPLY, what + ": the socket opened before")
    check(REPLY not in out["curl"], what + ": curl reached the listener: " + out["curl"])


@test
def runc_without_a_profile_reaches_the_listener():
    out = result(runc())
    check_eq(out["curl"], REPLY, "the control's curl")
    check_eq(out["inet"], 0, "the control's socket(inet)")


@test
def runc_with_the_profile_has_no_network_but_unix_and_held_sockets():
    path, _ = profile()
    out = result(runc(path))
    check_network_off(out, EAFNOSUPPORT, "runc")
    path, _ = profile("--errno=eperm")
    check_network_off(result(runc(path)), EPERM, "runc, --errno=eperm")


@test
def podman_without_a_profile_and_with_its_own_reaches_the_listener():
    check_eq(result(podman(["seccomp=unconfined"]))["curl"], REPLY, "podman, no profile")
    out = result(podman())  # Debian's containers profile, podman's default
    check_eq(out["curl"], REPLY, "podman's default profile")
    check_eq(out["personality"], 38, "podman's default profile refuses personality(ADDR_NO_RANDOMIZE)")
    out = result(podman(["seccomp=unconfined"]))
    check_eq(out["personality"], 0, "without a profile, personality(ADDR_NO_RANDOMIZE) works")


@test
def podman_with_the_profile_alone():
    path, _ = profile()
    check_network_off(result(podman(["seccomp=" + path])), EAFNOSUPPORT, "podman, the profile alone")


@test
def podman_with_the_profile_merged_onto_debians_keeps_both():
    path, r = profile("--base=" + BASE)
    check("leaves out SCMP_ARCH_X86" in r.stderr, "says i386 is left out: " + r.stderr)
    out = result(podman(["seccomp=" + path]))
    check_network_off(out, EAFNOSUPPORT, "podman, merged")
    # the base's own rules stay: that persona is not on its list, so its defaultErrnoRet (ENOSYS)
    check_eq(out["personality"], 38, "the base's refusal of personality(ADDR_NO_RANDOMIZE)")


# Profiles that Go's encoding/json (runc, podman) and a C reader read as two: a key twice (Go
# keeps the last), a member's name but for case (Go takes it for the member).
INET_REFUSED = ('{"action": "SCMP_ACT_ERRNO", "errnoRet": 97, '
                '"args": [{"index": 0, "value": 2, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]')
TWICE = ('{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [{"names": ["socket"], ' + INET_REFUSED[1:] + '}],\n'
         ' "syscalls": []}')
DEFAULT_BUT_FOR_CASE = '{"defaultAction": "SCMP_ACT_ERRNO",\n "DefaultAction": "SCMP_ACT_ALLOW"}'
NAMES_BUT_FOR_CASE = ('{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["getpid"], "Names": ["socket"], '
                      + INET_REFUSED[1:] + '}]}')
X86_BUT_FOR_CASE = '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_x86"]}'


def write(name, text):
    path = os.path.join(ROOT, name)
    with open(path, "w") as f:
        f.write(text)
    return path


@test
def runc_and_podman_read_the_last_of_two_keys_and_a_members_name_but_for_case():
    # what nonet's reader must not read otherwise: the first "syscalls" refuses inet, runc the last
    check_eq(result(runc(raw=TWICE))["inet"], 0, "runc: socket(inet) under the second \"syscalls\"")
    # SCMP_ACT_ERRNO for every call would start nothing
    check_eq(result(runc(raw=DEFAULT_BUT_FOR_CASE))["curl"], REPLY, "runc: \"DefaultAction\" read last")
    check_eq(result(runc(raw=NAMES_BUT_FOR_CASE))["inet"], EAFNOSUPPORT, "runc: \"Names\" read as names")
    out = result(podman(["seccomp=" + write("names-but-for-case.json", NAMES_BUT_FOR_CASE)]))
    check_eq(out["inet"], EAFNOSUPPORT, "podman: \"Names\" read as names")
    out = result(podman(["seccomp=" + write("twice.json", TWICE)]))
    check_eq(out["inet"], 0, "podman: socket(inet) under the second \"syscalls\"")
    # and an architecture spelled otherwise starts nothing under runc
    r = runc(raw=X86_BUT_FOR_CASE)
    check(r.returncode != 0 and "{" not in r.stdout, "runc with SCMP_ARCH_x86: " + r.stdout + r.stderr)
    # crun, a C reader, reads the same text otherwise: the first "syscalls", and "names" alone
    out = result(runc(raw=TWICE, runtime="crun"))
    check_eq(out["inet"], EAFNOSUPPORT, "crun: socket(inet) under the first \"syscalls\"")
    check_eq(result(runc(raw=NAMES_BUT_FOR_CASE, runtime="crun"))["inet"], 0, "crun: \"Names\" not read")


@test
def bases_runc_reads_otherwise_are_refused_and_nothing_is_written():
    with open(BASE) as f:
        debian = f.read()
    end = debian.rindex("]")
    bases = (
        # the A: Debian's profile with a rule whose "Names" runc and podman read
        ("A.json", debian[:end] + ', {"names": ["getpid"], "Names": ["socket", "ioctl"], "action": "SCMP_ACT_ALLOW"}'
         + debian[end:], '"Names": runc reads it as "names", keeping the last of the two'),
        # B: "syscalls" twice
        ("B.json", debian[:end] + '], "syscalls": [{"names": ["socket", "socketpair", "ioctl"], '
         '"action": "SCMP_ACT_ALLOW"}' + debian[end:], '"syscalls" twice: runc reads the last of these'),
        ("C.json", DEFAULT_BUT_FOR_CASE, 'line 2, column 2: "DefaultAction": runc reads it as "defaultAction"'),
        ("X.json", debian.replace('"SCMP_ARCH_X86",', '"SCMP_ARCH_x86",', 1),
         '"SCMP_ARCH_x86": not an architecture as runc names them'),
    )
    for name, text, why in bases:
        path = write(name, text)
        r = run([P.nonet_exec, "--print-filter=oci", "--base=" + path])
        check_eq(r.returncode, 125, name + ": " + r.stderr)
        check(path + ": cannot merge onto it: " in r.stderr and why in r.stderr, name + ": " + r.stderr)
        check_eq(r.stdout, "", name + ": nothing written")


@test
def a_logging_profile_needs_a_runtime_that_takes_its_flag():
    # --log's profile carries SECCOMP_FILTER_FLAG_LOG: crun takes it; Debian 12's runc refuses
    # any flag, and the container does not start (nothing runs without the profile)
    path, _ = profile("--log")
    check_network_off(result(podman(["seccomp=" + path], runtime="crun")), EAFNOSUPPORT, "crun, --log")
    r = podman(["seccomp=" + path])
    check(r.returncode != 0 and "seccomp flags are not yet supported" in r.stderr and "{" not in r.stdout,
          "runc 1.1 with a flag: " + r.stdout + r.stderr)


@test
def a_logging_profile_is_written_only_for_a_runtime_that_takes_its_flag():
    # a runtime that would drop its flag (Docker 20.10) or refuse it (runc 1.1, and containerd's runc)
    for runtime, why in (("docker", "Docker 20.10's form has no flags, which it drops without a word"),
                         ("runc", "runc before 1.2 (Debian 12's 1.1) refuses any flags"),
                         ("containerd", "containerd runs runc, which before 1.2 refuses any flags")):
        r = run([P.nonet_exec, "--print-filter=oci", "--log", "--runtime=" + runtime])
        check_eq((r.returncode, r.stdout), (2, ""), "--log --runtime=" + runtime + ": " + r.stderr)
        check(why in r.stderr and "leave out --log" in r.stderr, "the reason and what to do: " + r.stderr)
    # crun takes it: written, and its container refuses; runc, given the same, starts nothing
    path, _ = profile("--log", "--runtime=crun")
    check_network_off(result(runc(path, runtime="crun")), EAFNOSUPPORT, "crun, --log --runtime=crun")
    r = runc(path)
    check(r.returncode != 0 and "{" not in r.stdout, "runc 1.1 with its flag: " + r.stdout + r.stderr)


# Docker 20.10's own profile (golang-github-docker-docker-dev): Docker's form, whose archMap,
# includes and excludes runc, crun and containerd do not read
DOCKER_BASE = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"
# A new user namespace (Docker's profile allows unshare() only to containers with CAP_SYS_ADMIN),
# and socket(AF_INET). One JSON line.
USERNS_PROBE = ["python3", "-c", "import ctypes, json, socket\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                "out = {'unshare': 0 if libc.unshare(0x10000000) == 0 else ctypes.get_errno()}\ntry:\n"
                "    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close(); out['inet'] = 0\n"
                "except OSError as e:\n    out['inet'] = e.errno\nprint(json.dumps(out))"]


def resolved_by_podman(profile):
    """profile as podman resolves it for a container of its own (its capabilities, this machine and
    kernel): the linux.seccomp of the config.json podman gives runc, in the runtime spec's form."""
    podman = ["podman", "--root", os.path.join(ROOT, "storage"), "--runroot", os.path.join(ROOT, "runroot"),
              "--cgroup-manager=cgroupfs", "--events-backend=file", "--runtime=runc"]
    r = run(podman + ["create", "--network=host", "--ulimit=nofile=1024:1024", "--ulimit=nproc=4096:4096",
                      "--security-opt", "seccomp=" + profile, "--rootfs", ROOTFS, "true"], timeout=120)
    check_eq(r.returncode, 0, "podman create: " + r.stderr)
    cid = r.stdout.split()[-1]
    try:
        r = run(podman + ["init", cid], timeout=120)
        check_eq(r.returncode, 0, "podman init: " + r.stderr)
        with open(os.path.join(ROOT, "storage", "overlay-containers", cid, "userdata", "config.json")) as f:
            return write("resolved-by-podman.json", json.dumps(json.load(f)["linux"]["seccomp"]))
    finally:
        run(podman + ["rm", "--force", cid], timeout=120)


@test
def a_base_in_dockers_form_is_not_written_for_runc_which_would_drop_its_conditions():
    if not os.path.exists(DOCKER_BASE):
        if IN_CI:
            raise AssertionError("no " + DOCKER_BASE + " in CI (golang-github-docker-docker-dev)")
        raise Skip("no " + DOCKER_BASE)
    # what ctr run --seccomp-profile gives runc: merged onto Docker's profile, in Docker's form; runc
    # drops archMap, includes and excludes and runs every rule, so a new user namespace is made
    path, r = profile("--base=" + DOCKER_BASE)
    check("not read as written by containerd, runc, crun: the runtime spec's form has no \"archMap\"" in r.stderr,
          "who would read it otherwise is said: " + r.stderr)
    out = result(runc(path, argv=USERNS_PROBE))
    check_eq(out, {"unshare": 0, "inet": EAFNOSUPPORT}, "runc given Docker's form")
    # so for runc nothing is written
    r = run([P.nonet_exec, "--print-filter=oci", "--runtime=runc", "--base=" + DOCKER_BASE])
    check_eq((r.returncode, r.stdout), (2, ""), "--runtime=runc onto Docker's form: " + r.stderr)
    check("not for --runtime=runc: the runtime spec's form has no \"archMap\"" in r.stderr
          and "ctr containers info" in r.stderr, "the reason and what to give: " + r.stderr)
    # what it says to give: the base resolved for a container, here by podman; alone (the control)
    # it refuses the user namespace and keeps the network, merged both are refused
    resolved = resolved_by_podman(DOCKER_BASE)
    check_eq(result(runc(resolved, argv=USERNS_PROBE)), {"unshare": EPERM, "inet": 0}, "runc, the base resolved")
    _, r = profile("--base=" + resolved)
    check("not read as written" not in r.stderr, "read as written by every runtime: " + r.stderr)
    path, _ = profile("--runtime=runc", "--base=" + resolved)
    check_eq(result(runc(path, argv=USERNS_PROBE)), {"unshare": EPERM, "inet": EAFNOSUPPORT},
             "runc, merged onto the base resolved")


@test
def the_entrypoint_form_gives_the_whole_contract():
    # nonet-exec inside podman's own profile: the seccomp rows, and Landlock, and the audit
    argv = ["/nonet/nonet-exec", "--", "python3", "/nonet/probe.py", str(PORT)]
    out = result(podman(argv=argv))
    check_network_off(out, EAFNOSUPPORT, "entrypoint")
    r = podman(argv=["/nonet/nonet-exec", "--", "/nonet/nonet-exec", "--status"])
    check("network: off" in r.stdout and "landlock" in r.stdout.lower(), "--status inside: " + r.stdout + r.stderr)
    # what no profile gives: the held TCP socket cannot be re-aimed (Landlock's TCP rules)
    r = podman(argv=["/nonet/nonet-exec", "--", "python3", "-c",
                     "import socket, errno\ns = socket.socket(fileno=3)\ntry:\n    s.connect(('127.0.0.1', %d))\n"
                     "    print('reconnect-ok')\nexcept OSError as e:\n    print('reconnect-errno', e.errno)" % PORT])
    check("reconnect-errno" in r.stdout and "reconnect-ok" not in r.stdout,
          "re-aiming the held socket: " + r.stdout + r.stderr)


def cleanup():
    subprocess.run(["umount", "-R", os.path.join(ROOTFS, "usr")], check=False)
    if not os.path.ismount(os.path.join(ROOTFS, "usr")):
        shutil.rmtree(ROOT, ignore_errors=True)


main(cleanup, P.cleanup, R.cleanup)
