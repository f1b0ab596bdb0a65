#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The OCI profile under Docker 20.10 and containerd 1.6 (Debian's docker.io and containerd),
offline, as a container user meets them: a dockerd and a containerd the test starts in a
private root (privroot.py: a copy of /etc, a tmpfs on /run), with their data, state and
sockets in the test's directory; an image imported from a few files, the host's /usr mounted
read-only into each container; a listener in a sidecar container's own network namespace,
which each probe container joins. Every case beside the runtime's own default profile."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import ocitest  # noqa: E402
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import (EAFNOSUPPORT, ENOSYS, EPERM, KernelLog, Programs, check, check_eq, main, run,  # noqa: E402
                       stop, test)
from ocitest import result  # noqa: E402

R = privroot.PrivateRoot()
P = Programs()
DOCKER = "/usr/bin/docker"  # by path: another client may come first on PATH
DOCKER_BASE = "/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json"  # Docker 20.10's own
REPLY = "reply-from-the-sidecar"
PORT = 8765  # in the sidecar's own network namespace
AF_UNIX, ENOTTY = 1, 25
ROOT = tempfile.mkdtemp(prefix="nonet-docker-")
os.chmod(ROOT, 0o711)

LISTENER = """
import http.server
class Reply(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"%s\\n")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", %d), Reply).serve_forever()
""" % (REPLY, PORT)

# What the container tries; one JSON line. Each value 0 (worked), an errno, or what was read.
PROBE = ocitest.FETCH + r"""
import ctypes, fcntl, json, os, socket, sys, termios
libc = ctypes.CDLL(None, use_errno=True)
def err(r):
    return ctypes.get_errno() if r < 0 else 0
out = {"families": {}}
for family in range(46):  # AF_MAX on 6.18
    if family != 1:
        fd = libc.socket(family, socket.SOCK_DGRAM, 0)
        out["families"][family] = err(fd)
        if fd >= 0:
            os.close(fd)
try:
    out["listener"] = fetch(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10))
except OSError as e:
    out["listener"] = e.errno
s = socket.socket(socket.AF_UNIX); s.bind("/tmp/probe.sock"); s.listen()
c = socket.socket(socket.AF_UNIX); c.connect("/tmp/probe.sock"); a, _ = s.accept()
c.sendall(b"unix-ok"); out["unix"] = a.recv(16).decode()
x, y = socket.socketpair(); x.sendall(b"pair-ok"); out["socketpair"] = y.recv(16).decode()
with open("/tmp/file", "w") as f:
    f.write("file-ok")
out["file"] = open("/tmp/file").read()
# TIOCSTI on a terminal of its own, made its controlling terminal
master, slave = os.openpty()
pid = os.fork()
if pid == 0:
    os.setsid(); fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
    os._exit(err(libc.ioctl(slave, termios.TIOCSTI, b"x")))
out["tiocsti"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
null = os.open("/dev/null", os.O_RDWR)
out["tunsetiff"] = err(libc.ioctl(null, 0x400454ca, ctypes.create_string_buffer(40)))
out["io_uring"] = err(libc.syscall(425, 1, ctypes.create_string_buffer(120)))  # io_uring_setup
out["userns"] = err(libc.unshare(0x10000000))  # CLONE_NEWUSER
print(json.dumps(out), flush=True)
"""


class Daemons:
    """A containerd with its own root, state and socket (no CRI plugin), and a dockerd that
    uses it, both stopped by pid."""

    def __init__(self):
        self.pids = {}
        self.ctrd = os.path.join(ROOT, "containerd")
        self.csock = os.path.join(self.ctrd, "containerd.sock")
        self.dsock = os.path.join(ROOT, "docker", "docker.sock")

    def start_both(self):
        os.makedirs(self.ctrd)
        config = os.path.join(self.ctrd, "config.toml")
        with open(config, "w") as f:
            f.write(f'version = 2\nroot = "{self.ctrd}/root"\nstate = "{self.ctrd}/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    f'[grpc]\n  address = "{self.csock}"\n[ttrpc]\n  address = "{self.csock}.ttrpc"\n')
        self.start("containerd", ["containerd", "--config", config], self.csock)
        d = os.path.join(ROOT, "docker")
        os.makedirs(d)
        with open(os.path.join(d, "daemon.json"), "w") as f:  # else it writes /etc/docker/key.json
            json.dump({"deprecated-key-path": os.path.join(d, "key.json")}, f)
        self.start("dockerd", ["/usr/sbin/dockerd", "--config-file", os.path.join(d, "daemon.json"),
                               "--data-root", os.path.join(d, "data"), "--exec-root", os.path.join(d, "exec"),
                               "--pidfile", os.path.join(d, "docker.pid"), "-H", "unix://" + self.dsock,
                               "--containerd", self.csock, "--iptables=false", "--ip6tables=false",
                               "--bridge=none", "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false"],
                   self.dsock)

    def start(self, name, cmd, sock):
        log = open(os.path.join(ROOT, name + ".log"), "w")
        self.pids[name] = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not os.path.exists(sock):
            check(self.pids[name].poll() is None and time.monotonic() < deadline,
                  name + " did not start: " + open(log.name).read()[-3000:])
            time.sleep(0.2)

    def shims(self):
        """The shims our containerd started: what is left of a container once it is gone."""
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmdline = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
            except OSError:
                continue
            if cmdline[0].endswith(b"containerd-shim-runc-v2") and self.csock.encode() in cmdline:
                found.append(int(pid))
        return found

    def stop(self):
        """SIGTERM to each by pid, then SIGKILL; returns what needed SIGKILL."""
        killed = []
        for name in ("dockerd", "containerd"):
            p = self.pids.get(name)
            if p and p.poll() is None and stop(p, 30):
                killed.append(name)
        for pid in self.shims():
            os.kill(pid, 9)
            killed.append("shim %d" % pid)
        return killed


D = Daemons()


def docker(*args, timeout=120):
    return run([DOCKER, "-H", "unix://" + D.dsock] + list(args), timeout=timeout)


def ctr(*args, timeout=120):
    return run(["ctr", "--address", D.csock, "--namespace", "nonet-test"] + list(args), timeout=timeout)


def ok(r, what):
    check_eq(r.returncode, 0, what + ": " + r.stdout + r.stderr)
    return r


def setup_images():
    tar = os.path.join(ROOT, "image.tar")
    with open(tar, "wb") as f:
        f.write(ocitest.image_tar({"nonet/probe.py": PROBE, "nonet/listener.py": LISTENER}))
    ok(docker("import", tar, "nonet-probe:1"), "docker import")
    archive = os.path.join(ROOT, "image-archive.tar")  # a docker-archive, as containerd imports it
    ok(docker("save", "-o", archive, "nonet-probe:1"), "docker save")
    ok(ctr("images", "import", archive), "ctr images import")
    # the listener, in the sidecar's own network namespace (--network none: a loopback alone)
    ok(docker("run", "-d", "--name", "sidecar", "--network", "none", "-v", "/usr:/usr:ro", "nonet-probe:1",
              "python3", "/nonet/listener.py"), "the sidecar")
    pid = ok(docker("inspect", "-f", "{{.State.Pid}}", "sidecar"), "docker inspect").stdout.strip()
    return "/proc/%s/ns/net" % pid


def profile(*args):
    return ocitest.profile(P.nonet_exec, ROOT, *args)


def docker_run(seccomp=None, argv=None):
    opts = ["--security-opt", "seccomp=" + seccomp] if seccomp else []
    return docker("run", "--rm", "--network", "container:sidecar", "-v", "/usr:/usr:ro", "--env=LC_ALL=C.UTF-8",
                  *opts, "nonet-probe:1", *(argv or ["python3", "/nonet/probe.py", str(PORT)]))


def docker_exec(seccomp=None):
    """The probe run by docker exec in a container started with the profile."""
    name = "exec-%d" % time.monotonic_ns()
    opts = ["--security-opt", "seccomp=" + seccomp] if seccomp else []
    ok(docker("run", "-d", "--name", name, "--network", "container:sidecar", "-v", "/usr:/usr:ro", *opts,
              "nonet-probe:1", "sleep", "300"), "docker run -d")
    try:
        return docker("exec", name, "python3", "/nonet/probe.py", str(PORT))
    finally:
        docker("rm", "-f", name)


def ctr_run(seccomp=None, argv=None, keep=False):
    """ctr run with containerd's default profile (--seccomp) or the file seccomp, joining the
    sidecar's network; keep: detached, its id returned."""
    name = "probe-%d" % time.monotonic_ns()
    cmd = ["run", "--rm", "--mount", "type=bind,src=/usr,dst=/usr,options=rbind:ro",
           "--with-ns", "network:" + SIDECAR_NET, "--env", "LC_ALL=C.UTF-8", "--seccomp"]
    if seccomp:
        cmd += ["--seccomp-profile", seccomp]
    if keep:
        cmd = ["run", "-d"] + cmd[2:]
    r = ctr(*cmd, "docker.io/library/nonet-probe:1", name, *(argv or ["python3", "/nonet/probe.py", str(PORT)]))
    return (name, r) if keep else r


def containerd_default():
    """containerd's default profile as the runtime writes it: linux.seccomp of the bundle of a
    `ctr run --seccomp` container, saved as an OCI-format base."""
    name, r = ctr_run(argv=["sleep", "300"], keep=True)
    ok(r, "ctr run -d --seccomp")
    try:
        with open(os.path.join(D.ctrd, "state", "io.containerd.runtime.v2.task", "nonet-test", name,
                               "config.json")) as f:
            seccomp = json.load(f)["linux"]["seccomp"]
    finally:
        ctr("tasks", "kill", "-s", "KILL", name)
        for _ in range(50):
            if ctr("tasks", "delete", name).returncode == 0:
                break
            time.sleep(0.1)
        ctr("containers", "delete", name)
    path = os.path.join(ROOT, "containerd-default.json")
    with open(path, "w") as f:
        json.dump(seccomp, f)
    return path


def check_control(out, what):
    check_eq(out["listener"], REPLY, what + ": the listener reached")
    check_eq(out["families"]["2"], 0, what + ": socket(AF_INET)")
    check(out["tiocsti"] != EPERM, what + ": TIOCSTI not refused by a filter: %r" % out["tiocsti"])
    check_eq(out["tunsetiff"], ENOTTY, what + ": TUNSETIFF reaches /dev/null, which knows no such ioctl")
    check_eq(out["io_uring"], 0, what + ": io_uring_setup")
    check_eq(out["unix"], "unix-ok", what + ": a unix socket")
    check_eq(out["file"], "file-ok", what + ": file I/O")


def check_network_off(out, what):
    for family, errno in out["families"].items():
        check_eq(errno, EAFNOSUPPORT, what + ": socket(%s)" % family)
    check(out["listener"] != REPLY, what + ": the listener reached")
    check_eq(out["tiocsti"], EPERM, what + ": TIOCSTI")
    check_eq(out["tunsetiff"], EPERM, what + ": TUNSETIFF")
    check_eq(out["io_uring"], ENOSYS, what + ": io_uring_setup")
    check_eq(out["unix"], "unix-ok", what + ": a unix socket")
    check_eq(out["socketpair"], "pair-ok", what + ": socketpair")
    check_eq(out["file"], "file-ok", what + ": file I/O")


def check_merged(runtime, base, runner, what):
    """The probe run by runner under the profile merged onto base for runtime: the network off, and
    the base's own refusal of a new user namespace kept. The profile's path."""
    path, _ = profile("--base=" + base, "--runtime=" + runtime)
    out = result(ok(runner(path), what))
    check_network_off(out, what)
    check_eq(out["userns"], EPERM, what + ": the base's refusal of unshare(CLONE_NEWUSER)")
    return path


@test
def docker_with_its_own_default_reaches_the_listener():
    out = result(ok(docker_run(), "docker run, Docker's default profile"))
    check_control(out, "Docker's default")
    check_eq(out["userns"], EPERM, "Docker's default refuses unshare(CLONE_NEWUSER)")
    check_control(result(ok(docker_exec(), "docker exec")), "docker exec, Docker's default")
    out = result(ok(docker_run(DOCKER_BASE), "docker run, its default.json"))
    check_control(out, "Docker's default.json given by hand")


@test
def docker_with_the_profile_alone():
    path, _ = profile("--runtime=docker")
    check_network_off(result(ok(docker_run(path), "docker run")), "docker, the profile alone")
    check_network_off(result(ok(docker_exec(path), "docker exec")), "docker exec, the profile alone")


@test
def docker_with_the_profile_merged_onto_its_default():
    path = check_merged("docker", DOCKER_BASE, docker_run, "docker, merged onto default.json")
    check_network_off(result(ok(docker_exec(path), "docker exec")), "docker exec, merged onto default.json")


@test
def containerd_with_its_own_default_reaches_the_listener():
    out = result(ok(ctr_run(), "ctr run --seccomp"))
    check_control(out, "containerd's default")
    check_eq(out["userns"], EPERM, "containerd's default refuses unshare(CLONE_NEWUSER)")
    out = result(ok(ctr_run(CONTAINERD_BASE), "ctr run --seccomp-profile, its default"))
    check_control(out, "containerd's default given by hand")
    check_eq(out["userns"], EPERM, "containerd's default given by hand refuses unshare(CLONE_NEWUSER)")


@test
def containerd_with_the_profile_alone():
    path, _ = profile("--runtime=containerd")
    check_network_off(result(ok(ctr_run(path), "ctr run")), "ctr, the profile alone")


@test
def containerd_with_the_profile_merged_onto_its_default():
    check_merged("containerd", CONTAINERD_BASE, ctr_run, "ctr, merged onto containerd's default")


@test
def merged_onto_dockers_base_not_written_for_containerd_which_would_run_it_weaker():
    # ctr reads a profile as the runtime spec's linux.seccomp: a Docker-format profile's archMap
    # and includes are dropped without a word, and unshare(CLONE_NEWUSER), which containerd's
    # own default refuses, works
    path, _ = profile("--base=" + DOCKER_BASE, "--runtime=docker")
    out = result(ok(ctr_run(path), "ctr run, Docker's form"))
    check_network_off(out, "ctr, merged onto Docker's default.json")
    check_eq(out["userns"], 0, "ctr, Docker's form: unshare(CLONE_NEWUSER) (containerd's default: EPERM)")
    # so nonet writes nothing for containerd from such a base, and says what to give instead
    r = run([P.nonet_exec, "--print-filter=oci", "--base=" + DOCKER_BASE, "--runtime=containerd"])
    check_eq((r.returncode, r.stdout), (2, ""), "--runtime=containerd onto Docker's form: " + r.stderr)
    check('no "archMap"' in r.stderr and "linux.seccomp" in r.stderr, "says why and what to give: " + r.stderr)
    # what it says instead: containerd's default as the runtime wrote it, merged (as above), not weaker
    check_merged("containerd", CONTAINERD_BASE, ctr_run, "ctr, merged onto containerd's default for containerd")


@test
def no_log_profile_for_docker_which_drops_its_flag_nor_containerd_which_refuses_it():
    # what Docker 20.10 does with SECCOMP_FILTER_FLAG_LOG: the container runs, the socket is
    # refused, and the kernel logs nothing; beside it, the same refusal with the flag logged
    path, _ = profile()
    with open(path) as f:
        flagged = json.load(f)
    flagged["flags"] = ["SECCOMP_FILTER_FLAG_LOG"]
    path = os.path.join(ROOT, "flagged.json")
    with open(path, "w") as f:
        json.dump(flagged, f)
    log = KernelLog()
    r = ok(docker_run(path, argv=["python3", "-c", SOCKET_INET]), "docker run, a profile with flags")
    check_eq(r.stdout.strip(), "inet-errno %d" % EAFNOSUPPORT, "Docker, the flagged profile: socket(AF_INET)")
    check_eq(log.seccomp_records("python3"), [], "Docker: the kernel logged the refusal")
    log.close()
    log = KernelLog()
    r = run([P.nonet_exec, "--log", "--", "python3", "-c", SOCKET_INET])
    check_eq(r.stdout.strip(), "inet-errno %d" % EAFNOSUPPORT, "nonet-exec --log: socket(AF_INET)")
    check(log.seccomp_records("python3"), "nonet-exec --log: the kernel logs the refusal")
    log.close()
    # runc 1.1, which containerd runs, refuses any flag: no container starts
    r = ctr_run(path, argv=["python3", "-c", SOCKET_INET])
    check(r.returncode != 0 and "inet-" not in r.stdout, "ctr, a profile with flags: " + r.stdout + r.stderr)
    # so nonet writes no --log profile for either, and says why; crun takes the flag
    for runtime in ("docker", "containerd"):
        r = run([P.nonet_exec, "--print-filter=oci", "--runtime=" + runtime, "--log"])
        check_eq((r.returncode, r.stdout), (2, ""), "--runtime=%s --log: %s" % (runtime, r.stderr))
        check("flags" in r.stderr, "--runtime=%s --log says why: %s" % (runtime, r.stderr))
    _, r = profile("--runtime=crun", "--log")
    check_eq(json.loads(r.stdout).get("flags"), ["SECCOMP_FILTER_FLAG_LOG"], "--runtime=crun --log's flags")


SOCKET_INET = ("import socket\ntry:\n    socket.socket()\n    print('inet-open')\n"
               "except OSError as e:\n    print('inet-errno', e.errno)")


# Where a dockerd or containerd left to itself writes, outside this namespace's /run and /etc copy
OUTSIDE = ("/var/lib/docker", "/var/lib/containerd")
OUTSIDE_BEFORE = [p for p in OUTSIDE if os.path.lexists(p)]


def mounts_under_root():
    return [line.split()[4] for line in open("/proc/self/mountinfo") if line.split()[4].startswith(ROOT + "/")]


@test
def the_daemons_stop_by_pid_and_leave_nothing_outside_the_test():
    ok(docker("rm", "-f", "sidecar"), "docker rm -f sidecar")
    check_eq(D.stop(), [], "what did not stop on SIGTERM within 30 s")
    check_eq(os.path.exists("/etc/docker/key.json"), False, "dockerd wrote /etc/docker/key.json (the test's copy)")
    check_eq([p for p in OUTSIDE if os.path.lexists(p)], OUTSIDE_BEFORE, "what the daemons made outside")
    # what they mounted in this namespace (overlays, their network namespaces, shm)
    for m in sorted(mounts_under_root(), key=len, reverse=True):
        subprocess.run(["umount", m], check=False)
    check_eq(mounts_under_root(), [], "mounts left under " + ROOT)


def cleanup():
    docker("rm", "-f", "sidecar")
    D.stop()
    for m in sorted(mounts_under_root(), key=len, reverse=True):
        subprocess.run(["umount", "-l", m], check=False)
    shutil.rmtree(ROOT, ignore_errors=True)


try:
    D.start_both()
    SIDECAR_NET = setup_images()
    CONTAINERD_BASE = containerd_default()
except BaseException:
    cleanup(), P.cleanup(), R.cleanup()
    raise
main(cleanup, P.cleanup, R.cleanup)
