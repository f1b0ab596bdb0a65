#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every row of the behaviour contract under nonet-exec, as an unprivileged user.

Each row runs the same probe twice: unrestricted (the control, which must
work, so the row can fail) and under nonet-exec (which must be refused).
"""

import array
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import http.server

sys.path.insert(0, os.path.dirname(__file__))
import installed  # noqa: E402
from nonettest import (EACCES, EAFNOSUPPORT, EINVAL, ENOSYS, EPERM, INJECT, ROOT, KernelLog, Programs, as_user, check,
                       check_eq, hello_client, hello_server, in_terminal, kernel_facts, legacy_tiocsti, main, require_root,
                       run, test, unix_listener, unprivileged_ids)

P = Programs()


def probe(*args, opts=(), restricted=True, fake=(), pass_fds=()):
    cmd = [P.probe] + [str(a) for a in args]
    if restricted:
        cmd = [P.nonet_exec] + list(opts) + ["--"] + cmd
    if fake:
        cmd = [P.fake_kernel] + list(fake) + ["--"] + cmd
    r = run(as_user(cmd), pass_fds=pass_fds)
    if r.stderr:
        print("# " + r.stderr.strip().replace("\n", "\n# "))
    return r.returncode


def row(args, refused, **kw):
    """The control works; restricted gets `refused`."""
    check_eq(probe(*args, restricted=False, **{k: v for k, v in kw.items() if k == "pass_fds"}), 0,
             f"control {args}")
    check_eq(probe(*args, **kw), refused, f"restricted {args}")


class Outside:
    """A process of the same user outside the restriction, holding an inet socket."""

    def __init__(self):
        code = "import socket,time; s=socket.socket(); print(s.fileno(), flush=True); time.sleep(120)"
        self.proc = subprocess.Popen(as_user(["python3", "-c", code]), stdout=subprocess.PIPE, text=True)
        self.fd = int(self.proc.stdout.readline())
        self.pid = self.proc.pid
        with open(f"/proc/{self.pid}/maps") as f:
            self.address = "0x" + f.readline().split("-")[0]

    def close(self):
        self.proc.kill()
        self.proc.wait()


def tcp_listener():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    return s


@test
def families_not_allowed_are_refused():
    for fam in ("inet", "inet6", "netlink", "packet"):
        check_eq(probe("socket", fam), EAFNOSUPPORT, fam)
    check_eq(probe("socket", "inet", restricted=False), 0, "control inet")
    check_eq(probe("socket", "netlink", restricted=False), 0, "control netlink")
    check_eq(probe("socketpair", "inet"), EAFNOSUPPORT, "socketpair inet")
    # the upper 32 bits of the register do not sneak AF_INET through
    check_eq(probe("socket-raw", "0x100000002"), EAFNOSUPPORT, "socket(0x100000002)")


@test
def errno_eperm_is_selectable():
    check_eq(probe("socket", "inet", opts=["--errno=eperm"]), EPERM, "inet with --errno=eperm")
    # libaudit fails a PAM session on any netlink errno but EAFNOSUPPORT
    check_eq(probe("socket", "netlink", opts=["--errno=eperm"]), EAFNOSUPPORT, "netlink keeps EAFNOSUPPORT")


@test
def allowed_families_work_and_only_them():
    check_eq(probe("socket", "netlink", opts=["--allow=netlink"]), 0, "netlink allowed")
    check_eq(probe("socket", "inet", opts=["-a", "AF_NETLINK"]), EAFNOSUPPORT, "inet still refused")
    check_eq(probe("socket", "inet", opts=["-a", "netlink", "-a", "inet"]), 0, "repeated --allow adds")


@test
def unix_sockets_on_the_filesystem_work():
    check_eq(probe("socketpair", "unix"), 0, "socketpair(AF_UNIX)")
    check_eq(probe("unix-local", "path", os.path.join("/tmp", f"nonet-local-{os.getpid()}")), 0,
             "bind/listen/connect/send on a path")
    path = P.path("server.sock")
    srv = unix_listener(path)
    try:
        row(("unix-connect", path), 0)
    finally:
        srv.close()


class AbstractListeners:
    """A stream and a datagram abstract socket, created outside the restriction."""

    def __init__(self, tag):
        self.name = f"nonet-test-{tag}-{os.getpid()}"
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind("\0" + self.name)
        self.srv.listen(8)
        self.dgram = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.dgram.bind("\0" + self.name + "-dgram")

    def close(self):
        self.srv.close()
        self.dgram.close()


@test
def abstract_sockets_outside_are_reachable_by_default():
    # X11 (libxcb tries the abstract socket first) and D-Bus on unix:abstract= need them
    a = AbstractListeners("all")
    try:
        row(("abstract-connect", a.name), 0)
        row(("abstract-send", a.name + "-dgram"), 0)
        check_eq(probe("abstract-connect", a.name, opts=["--unix=all"]), 0, "--unix=all is the default")
    finally:
        a.close()


def check_fails_closed_without_landlock(option, reason):
    """option on a kernel without Landlock, and on one that has it off at boot (fake-kernel): exit
    125, the reason and what to look at said, the command not run."""
    marker = P.writable("ran" + option)
    for fake, hint in (("--no-landlock", "CONFIG_SECURITY_LANDLOCK"), ("--landlock-disabled", "lsm=")):
        r = run(as_user([P.fake_kernel, fake, "--", P.nonet_exec, option, "touch", marker]))
        check_eq(r.returncode, 125, fake)
        check(reason in r.stderr and hint in r.stderr, r.stderr)
        check(not os.path.exists(marker), "the command did not run")


@test
def unix_no_abstract_refuses_abstract_sockets_outside():
    a = AbstractListeners("noabs")
    opts = ["--unix=no-abstract"]
    try:
        check_eq(probe("abstract-connect", a.name, opts=opts), EPERM, "connect to an abstract socket outside")
        check_eq(probe("abstract-send", a.name + "-dgram", opts=opts), EPERM, "send to an abstract socket outside")
        # the sandbox's own abstract sockets and every filesystem socket still work
        check_eq(probe("unix-local", "abstract", a.name + "-inside", opts=opts), 0, "abstract socket inside")
        check_eq(probe("unix-local", "path", P.writable("noabs.sock"), opts=opts), 0, "filesystem socket")
        check_eq(probe("socket", "inet", opts=opts), EAFNOSUPPORT, "inet still refused")
    finally:
        a.close()
    # asked for and not enforceable: nothing runs (fail closed), with a reason
    check_fails_closed_without_landlock(
        "--unix=no-abstract", "cannot restrict: refusing abstract unix sockets outside (unix: no-abstract) needs ABI 6")
    r = run([P.nonet_exec, "--unix=no-abstract", "--landlock=off", "true"])
    check(r.returncode == 125 and "invalid policy: a unix level but all (no-abstract, listed) needs Landlock"
          in r.stderr, r.stderr)
    r = run([P.nonet_exec, "--unix=some", "true"])
    check(r.returncode == 125 and "use all, no-abstract or listed" in r.stderr, r.stderr)


@test
def unix_listed_needs_landlock_abi_9():
    # only named sockets listed are reachable outside: Landlock ABI 9 (Linux 7.1); the
    # kernel matrix shows it working on 7.2. Below ABI 9 nothing runs.
    if landlock_abi() >= 9:
        socks = [unix_listener(os.path.join(P.writable(d), "sock"), mode=0o777) for d in ("listed", "other")]
        opts = ["--unix=listed", f"--unix-path={P.writable('listed')}"]
        try:
            check_eq(probe("unix-connect", os.path.join(P.writable("listed"), "sock"), opts=opts), 0, "listed")
            check_eq(probe("unix-connect", os.path.join(P.writable("other"), "sock"), opts=opts), EACCES, "unlisted")
        finally:
            for u in socks:
                u.close()
        return
    marker = P.writable("ran-listed")
    r = run(as_user([P.nonet_exec, "--unix=listed", f"--unix-path={P.dir}", "touch", marker]))
    check(r.returncode == 125 and "reaching only the listed unix sockets (unix: listed) needs ABI 9" in r.stderr,
          r.stderr)
    check(not os.path.exists(marker), "the command did not run")
    for args, message in ((["--unix-path=relative/x"], "not an absolute path"),
                          (["--unix=listed", "--unix-path=/nonexistent-nonet"], "No such file or directory"),
                          ([f"--unix-path={P.dir}"], "invalid policy: unix paths are listed, but the unix level"),
                          (["--unix=listed", "--landlock=off"], "invalid policy: a unix level but all")):
        r = run([P.nonet_exec] + args + ["true"])
        check(r.returncode == 125 and message in r.stderr, f"{args}: {r.stderr}")


@test
def sockets_opened_before_keep_working():
    lst = tcp_listener()
    client = socket.create_connection(lst.getsockname())
    conn, _ = lst.accept()
    client.sendall(b"!")  # the reply the probe waits for
    try:
        check_eq(probe("send", conn.fileno(), pass_fds=[conn.fileno()]), 0, "send/recv on an inherited TCP socket")
        check_eq(client.recv(4), b"ping", "data from the restricted process")
        waiting = socket.create_connection(lst.getsockname())
        check_eq(probe("accept", lst.fileno(), pass_fds=[lst.fileno()]), 0, "accept on an inherited listener")
        check_eq(waiting.recv(1), b"x", "the accepted connection works")
    finally:
        for s in (lst, client, conn):
            s.close()


@test
def inherited_unconnected_tcp_fails_closed():
    # Landlock refuses its bind and connect (ABI 4), but listen() binds a port of its own,
    # which no Landlock hook sees: such a socket is a door, so nothing runs
    lst = tcp_listener()
    port = lst.getsockname()[1]
    marker = P.writable("ran-unconnected")
    try:
        s = socket.socket()
        check_eq(probe("connect-fd", s.fileno(), port, restricted=False, pass_fds=[s.fileno()]), 0, "control")
        s.close()
        s = socket.socket()
        r = run(as_user([P.nonet_exec, "touch", marker]), pass_fds=[s.fileno()])
        check(r.returncode == 125 and f"descriptor {s.fileno()} (inet socket, TCP) is not connected: it could "
              "listen()" in r.stderr and "--inherited=accept" in r.stderr, r.stderr)
        check(not os.path.exists(marker), "the command did not run")
        # accepted explicitly: Landlock still refuses bind and connect
        for op, arg in (("connect-fd", port), ("bind-fd", 0)):
            check_eq(probe(op, s.fileno(), arg, opts=["--inherited=accept"], pass_fds=[s.fileno()]), EACCES, op)
        s.close()
    finally:
        lst.close()


def connected_pair(lst):
    client = socket.create_connection(lst.getsockname())
    conn, _ = lst.accept()
    return client, conn


@test
def inherited_connected_tcp_cannot_be_reaimed():
    # the socket keeps working where it is, and Landlock refuses it anywhere else: a
    # re-connect after connect(AF_UNSPEC), and TCP Fast Open's sendto(), which Landlock
    # does not see, refused by the filter where a TCP socket is held
    lst = tcp_listener()
    port = lst.getsockname()[1]
    try:
        for how, refused in (("connect", EACCES), ("fastopen", EPERM)):
            for restricted in (False, True):
                client, conn = connected_pair(lst)
                got = probe("reaim-fd", how, client.fileno(), port, restricted=restricted, pass_fds=[client.fileno()])
                check_eq(got, refused if restricted else 0, f"{how}, restricted={restricted}")
                for x in (client, conn):
                    x.close()
        # the documented residual: disconnected, it can listen() on a port of its own where the
        # kernel lets any socket do so; nonet neither widens nor narrows what the control gets
        got = {}
        for restricted in (False, True):
            client, conn = connected_pair(lst)
            got[restricted] = probe("reaim-fd", "listen", client.fileno(), port, restricted=restricted,
                                    pass_fds=[client.fileno()])
            for x in (client, conn):
                x.close()
        check(got[False] in (0, EINVAL), f"control: listen() after connect(AF_UNSPEC) gave {got[False]}")
        print("# listen() after connect(AF_UNSPEC): " + ("the residual exists on this kernel" if got[False] == 0
              else "this kernel refuses it itself (EINVAL), restricted or not: no residual here"))
        check_eq(got[True], got[False], "restricted as the control: a residual, documented")
    finally:
        lst.close()


IPPROTO_MPTCP = 262


@test
def inherited_sockets_landlock_cannot_police_fail_closed():
    # seccomp cannot see a descriptor's protocol at connect(); Landlock polices TCP (ABI 4)
    # and UDP (ABI 10) only: an unconnected MPTCP socket, or UDP before ABI 10, would get out
    lst = tcp_listener()
    port = lst.getsockname()[1]
    kinds = {"MPTCP": lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP),
             "UDP": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)}
    udp_policed = landlock_abi() >= 10
    try:
        for kind, make in kinds.items():
            s = make()
            r = run(as_user([P.nonet_exec, "true"]), pass_fds=[s.fileno()])
            if kind == "UDP" and udp_policed:
                check_eq(r.returncode, 0, "UDP is policed from Landlock ABI 10")
            else:
                want = (f"descriptor {s.fileno()} (inet socket, MPTCP): no Landlock polices it" if kind == "MPTCP"
                        else f"descriptor {s.fileno()} (inet socket, UDP): this kernel's Landlock cannot stop it")
                check(r.returncode == 125 and want in r.stderr, f"{kind}: {r.stderr}")
            s.close()
        # accepted explicitly: it runs, and the socket does reach out (the risk, measured)
        s = kinds["MPTCP"]()
        check_eq(probe("connect-fd", s.fileno(), port, opts=["--inherited=accept"], pass_fds=[s.fileno()]), 0,
                 "an accepted MPTCP socket connects")
        s.close()
        # connected TCP and listeners are settled where Landlock polices TCP: they keep working
        conn = socket.create_connection(lst.getsockname())
        check_eq(run(as_user([P.nonet_exec, "true"]), pass_fds=[conn.fileno(), lst.fileno()]).returncode, 0,
                 "connected TCP and a listener")
        conn.close()
        # a connected UDP socket sendto()s any address until Landlock polices UDP (ABI 10)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.connect(("127.0.0.1", 9))
        r = run(as_user([P.nonet_exec, "true"]), pass_fds=[udp.fileno()])
        check_eq(r.returncode, 0 if udp_policed else 125, "connected UDP: " + r.stderr)
        udp.close()
        # a family the policy keeps is the caller's business
        s = kinds["MPTCP"]()
        check_eq(run(as_user([P.nonet_exec, "--allow=inet", "true"]), pass_fds=[s.fileno()]).returncode, 0,
                 "--allow=inet")
        s.close()
    finally:
        lst.close()
    r = run([P.nonet_exec, "--inherited=maybe", "true"])
    check(r.returncode == 125 and "use refuse or accept" in r.stderr, r.stderr)


class NetNs:
    """A network namespace of the test's own: a tap device given to the unprivileged user, and a
    macvtap on a veth pair. Frames written there go nowhere but into this namespace."""

    def __init__(self):
        self.name = f"nonet-doors-{os.getpid()}"
        uid = unprivileged_ids()[0]
        for cmd in (["ip", "netns", "add", self.name],
                    ["ip", "-n", self.name, "tuntap", "add", "dev", "nntap0", "mode", "tap", "user", str(uid)],
                    ["ip", "-n", self.name, "link", "set", "nntap0", "up"],
                    ["ip", "-n", self.name, "link", "add", "nnva", "type", "veth", "peer", "name", "nnvb"],
                    ["ip", "-n", self.name, "link", "add", "link", "nnva", "name", "nnmvt0", "type", "macvtap"],
                    ["ip", "-n", self.name, "link", "set", "nnva", "up"],
                    ["ip", "-n", self.name, "link", "set", "nnvb", "up"],
                    ["ip", "-n", self.name, "link", "set", "nnmvt0", "up"]):
            run(cmd, check=True)

    def exec(self, cmd):
        # /dev/net/tun as Debian's udev makes it (0666), in a mount namespace of its own
        tun = 'mount -t tmpfs -o mode=755 nonet /dev/net && mknod -m 666 /dev/net/tun c 10 200 && exec "$@"'
        return ["ip", "netns", "exec", self.name, "unshare", "-m", "sh", "-c", tun, "sh"] + cmd

    def macvtap_node(self):
        r = run(self.exec(["sh", "-c", "cat /sys/class/net/nnmvt0/ifindex"]), check=True)
        return "/dev/tap" + r.stdout.strip()

    def rx_packets(self, dev):
        r = run(self.exec(["cat", f"/sys/class/net/{dev}/statistics/rx_packets"]), check=True)
        return int(r.stdout)

    def close(self):
        run(["ip", "netns", "del", self.name])


@test
def tun_tap_devices_are_doors():
    require_root("a network namespace with a tap device given to the user")
    ns = NetNs()
    try:
        # attaching a tap the administrator gave the user: frames reach its network
        before = ns.rx_packets("nntap0")
        r = run(ns.exec(as_user([P.probe, "tun-attach", "nntap0"])))
        check_eq(r.returncode, 0, "control: TUNSETIFF and a frame written " + r.stderr)
        check(ns.rx_packets("nntap0") > before, "control: the frame arrived on nntap0")
        r = run(ns.exec(as_user([P.nonet_exec, P.probe, "tun-attach", "nntap0"])))
        check_eq(r.returncode, EPERM, "TUNSETIFF refused " + r.stderr)
        # an attached tap descriptor held across nonet-exec: nothing runs
        holder = ("import fcntl,os,struct,sys; fd=os.open('/dev/net/tun', os.O_RDWR);"
                  "fcntl.ioctl(fd, 0x400454ca, struct.pack('16sH', b'nntap0', 0x1002)); os.dup2(fd, 3); os.set_inheritable(3, True);"
                  "os.execvp(sys.argv[1], sys.argv[1:])")
        r = run(ns.exec(as_user(["python3", "-c", holder, P.probe, "frame-write-fd", "3", "0"])))
        check_eq(r.returncode, 0, "control: a frame on the held descriptor " + r.stderr)
        r = run(ns.exec(as_user(["python3", "-c", holder, P.nonet_exec, P.probe, "frame-write-fd", "3", "0"])))
        check(r.returncode == 125 and "descriptor 3 is a tun/tap device" in r.stderr, r.stderr)
        # a macvtap node, opened before: plain write() puts frames on the lower link
        node = ns.macvtap_node()
        opener = ("import os,sys; fd=os.open(sys.argv[1], os.O_RDWR); os.dup2(fd, 3); os.set_inheritable(3, True);"
                  "os.execvp(sys.argv[2], sys.argv[2:])")
        before = ns.rx_packets("nnvb")
        r = run(ns.exec(["python3", "-c", opener, node, P.probe, "frame-write-fd", "3", "10"]))
        check_eq(r.returncode, 0, "control: a frame on macvtap " + r.stderr)
        check(ns.rx_packets("nnvb") > before, "control: the frame crossed the veth pair")
        r = run(ns.exec(["python3", "-c", opener, node, P.nonet_exec, P.probe, "frame-write-fd", "3", "10"]))
        check(r.returncode == 125 and "descriptor 3 is a macvtap or ipvtap device" in r.stderr, r.stderr)
    finally:
        ns.close()


@test
def io_uring_instances_held_are_doors():
    # a ring made before the restriction runs socket/connect/send requests seccomp never sees;
    # with SQPOLL its kernel thread takes them without a system call
    for kind in ("plain", "sqpoll"):
        r = run(as_user([P.probe, "with-ring", kind, "true"]))
        check_eq(r.returncode, 0, f"control: a {kind} ring is made and held across exec")
        r = run(as_user([P.probe, "with-ring", kind, P.nonet_exec, "true"]))
        check(r.returncode == 125 and "is an io_uring instance" in r.stderr, f"{kind}: {r.stderr}")


@test
def keyring_upcalls_are_refused():
    # request_key() makes the kernel run /sbin/request-key as root, outside; its DNS resolver
    # type sends a query for any name. The control reaches the kernel (no such key).
    ENOKEY = 126
    check_eq(probe("request-key", restricted=False), ENOKEY, "control: the kernel looked the key up")
    check_eq(probe("request-key"), EPERM, "request_key refused")


@test
def a_landlock_domain_refused_after_the_plan_fails_closed():
    # 16 stacked domains are the kernel's limit: the 17th nonet-exec's plan counted on
    # Landlock, and the kernel refuses it: nothing runs
    marker = P.writable("ran-17")
    chain = [P.nonet_exec] * 16
    check_eq(run(as_user(chain + ["true"])).returncode, 0, "control: 16 deep")
    r = run(as_user(chain + [P.nonet_exec, "touch", marker]))
    check(r.returncode == 125 and "16 Landlock domains are stacked already" in r.stderr, r.stderr)
    check(not os.path.exists(marker), "the command did not run")


LOOPBACK_ROUND_TRIP = r"""
import http.server, subprocess, sys, threading, urllib.request
class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello from inside")
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/" % srv.server_address[1]
print(urllib.request.urlopen(url, timeout=5).read().decode())
print(subprocess.run(["curl", "-sS", url], capture_output=True, text=True).stdout)
"""


@test
def a_private_loopback_runs_a_build_s_own_servers():
    E = P.nonet_exec
    # a server and its clients on 127.0.0.1, inside; under the default, refused
    r = run(as_user([E, "--private-loopback", "python3", "-c", LOOPBACK_ROUND_TRIP]))
    check_eq((r.returncode, r.stdout.split("\n")[:2]), (0, ["hello from inside", "hello from inside"]),
             "python3 and curl round trips inside: " + r.stderr[-500:])
    r = run(as_user([E, "python3", "-c", LOOPBACK_ROUND_TRIP]))
    check(r.returncode != 0 and "Address family not supported" in r.stderr, "control: refused without it")
    # the host's loopback and every other address stay out of reach
    lst = tcp_listener()
    port = lst.getsockname()[1]
    reach = "import socket,sys\ntry:\n socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)\n " \
            "print('reached')\nexcept OSError as e:\n print(e.errno)"
    try:
        check_eq(run(as_user(["python3", "-c", reach, "127.0.0.1", str(port)])).stdout.strip(), "reached", "control")
        r = run(as_user([E, "--private-loopback", "python3", "-c", reach, "127.0.0.1", str(port)]))
        check_eq(r.stdout.strip(), "111", "the host's 127.0.0.1 is not this one: ECONNREFUSED")
        r = run(as_user([E, "--private-loopback", "python3", "-c", reach, "192.0.2.1", "80"]))
        check_eq(r.stdout.strip(), "101", "no route out: ENETUNREACH, and nothing sent")
        # a held inet socket belongs to the host's namespace: nothing runs
        conn = socket.create_connection(("127.0.0.1", port))
        r = run(as_user([E, "--private-loopback", "true"]), pass_fds=[conn.fileno()])
        check(r.returncode == 125 and f"descriptor {conn.fileno()} (inet socket, TCP)" in r.stderr, r.stderr)
        conn.close()
    finally:
        lst.close()
    # everything else of the contract holds inside, and the command is not root there
    opts = ["--private-loopback"]
    check_eq(probe("socket", "netlink", opts=opts), EAFNOSUPPORT, "netlink still refused")
    check_eq(probe("socket", "packet", opts=opts), EAFNOSUPPORT, "packet still refused")
    check_eq(probe("io_uring", opts=opts), ENOSYS, "io_uring still refused")
    check_eq(probe("no-new-privs", opts=opts), 0, "no_new_privs")
    r = run(as_user([E, "--private-loopback", "sh", "-c", "id -u; cat /proc/self/status | grep ^CapEff"]))
    check(r.stdout.split()[0] == str(unprivileged_ids()[0]) and "0000000000000000" in r.stdout,
          "mapped to itself, no capability: " + r.stdout)
    r = run(as_user([E, "--private-loopback", E, "--status"]))
    check(r.returncode == 0 and "network: loopback" in r.stdout and "restricted by: nonet" in r.stdout, r.stdout)
    # user namespaces off: fails closed, saying what to change
    marker = P.writable("ran-userns")
    r = run(as_user([P.fake_kernel, "--no-userns", "--", E, "--private-loopback", "touch", marker]))
    check(r.returncode == 125 and "needs a user namespace, and user namespaces are off here" in r.stderr
          and "unprivileged_userns_clone" in r.stderr, r.stderr)
    check(not os.path.exists(marker), "nothing ran")
    r = run([E, "--private-loopback", "--dry-run", "true"])
    check(r.returncode == 125 and "cannot be combined with a private loopback" in r.stderr, r.stderr)


@test
def a_real_test_suite_that_needs_localhost_passes_inside():
    # CPython's own test_httpservers (Debian's libpython3.11-testsuite): servers on 127.0.0.1
    suite = ["/usr/bin/python3", "-m", "test", "test_httpservers"]
    check_eq(run(as_user(suite), cwd="/tmp").returncode, 0, "control: passes unrestricted")
    r = run(as_user([P.nonet_exec, "--private-loopback"] + suite), cwd="/tmp")
    check(r.returncode == 0 and "Tests result: SUCCESS" in r.stdout, r.stdout[-800:] + r.stderr[-400:])


MOVE_ACROSS = """import os, sys
d = sys.argv[1]
for sub in ("a", "b"):
    os.makedirs(os.path.join(d, sub), exist_ok=True)
open(os.path.join(d, "a", "f"), "w").close()
out = []
for name, call in (("rename", lambda: os.rename(d + "/a/f", d + "/b/f")),
                   ("link", lambda: os.link(d + "/b/f", d + "/a/g")),
                   ("rename-dir", lambda: os.rename(d + "/b", d + "/a/b"))):
    try:
        call()
        out.append(name + " ok")
    except OSError as e:
        out.append(f"{name} errno {e.errno}")
print(", ".join(out))
"""


@test
def a_file_moves_into_another_directory_in_every_mode():
    # Landlock refuses REFER (rename or link into another directory) in any domain that
    # handles a filesystem right, unless a rule allows it: nothing but the network is cut
    modes = ([], ["--private-loopback"], ["--allow=inet"], ["--unix=no-abstract"], ["--landlock=off"])
    want = "rename ok, link ok, rename-dir ok"
    for n, opts in enumerate((None,) + modes):
        d = P.writable(f"move-{n}")
        cmd = ["python3", "-c", MOVE_ACROSS, d]
        if opts is not None:
            if "--unix=no-abstract" in opts and landlock_abi() < 6:
                continue
            cmd = [P.nonet_exec] + opts + ["--"] + cmd
        r = run(as_user(cmd))
        check_eq(r.stdout.strip(), want, f"{'control' if opts is None else opts}: {r.stderr.strip()}")


def landlock_abi():
    r = run([P.nonet_exec, "--status"])
    for line in r.stdout.splitlines():
        if line.startswith("landlock: kernel ABI "):
            return int(line.split()[-1])
    return 0


@test
def io_uring_is_refused_with_enosys():
    row(("io_uring",), ENOSYS)


@test
def int80_and_x32_entry_points_are_no_way_around():
    if kernel_facts()["ia32"]:
        row(("int80-socket", "inet"), EAFNOSUPPORT)
        row(("int80-socketcall", "inet"), EAFNOSUPPORT)
        # socketcall() hides the family behind a pointer: refused even for AF_UNIX
        check_eq(probe("int80-socketcall", "unix"), EAFNOSUPPORT, "socketcall(SYS_SOCKET, AF_UNIX)")
    else:
        print("# IA-32 emulation is off on this kernel: int 0x80 is no door here (the kernel matrix covers it)")
        # never wider than the control: the entry faults restricted as it does unrestricted
        for args in (("int80-socket", "inet"), ("int80-socketcall", "inet"), ("int80-socketcall", "unix")):
            check_eq(probe(*args, restricted=False), -signal.SIGSEGV, f"control {args}")
            check_eq(probe(*args), -signal.SIGSEGV, f"restricted {args}")
    # this kernel may not run x32 at all (ENOSYS); restricted, the filter refuses it first
    check(probe("x32-socket", "inet", restricted=False) in (0, ENOSYS), "x32 control")
    check_eq(probe("x32-socket", "inet"), EAFNOSUPPORT, "x32 socket(AF_INET)")


@test
def processes_outside_cannot_be_reached():
    out = Outside()
    try:
        row(("ptrace", out.pid), EPERM)
        row(("proc-mem", out.pid), EACCES)
        row(("process_vm_readv", out.pid, out.address), EPERM)
        row(("pidfd_getfd", out.pid, out.fd), EPERM)
    finally:
        out.close()


@test
def a_fresh_user_and_net_namespace_gives_nothing_back():
    row(("userns-socket", "inet"), EAFNOSUPPORT)
    row(("userns-socket", "netlink"), EAFNOSUPPORT)


@test
def setuid_programs_gain_no_privilege():
    require_root("a setuid-root copy of the probe")
    suid = P.path("probe-suid")
    if os.statvfs(P.dir).f_flag & os.ST_NOSUID:
        raise AssertionError(f"{P.dir} is mounted nosuid")
    run(["cp", P.probe, suid], check=True)
    os.chmod(suid, 0o4755)
    check_eq(run(as_user([suid, "euid-root"])).returncode, 0, "control: setuid works")
    check_eq(run(as_user([P.nonet_exec, "--", suid, "euid-root"])).returncode, EPERM, "restricted: no privilege")
    check_eq(probe("no-new-privs"), 0, "no_new_privs is set")


@test
def nesting_only_narrows():
    inner = [P.nonet_exec, "--", P.probe, "socket", "inet"]
    check_eq(run(as_user([P.nonet_exec, "--allow=inet", "--"] + inner)).returncode, EAFNOSUPPORT, "narrower inside")
    wider = [P.nonet_exec, "--allow=inet", "--", P.probe, "socket", "inet"]
    check_eq(run(as_user([P.nonet_exec, "--"] + wider)).returncode, EAFNOSUPPORT, "wider inside cannot widen")


def shell(prefix):
    """An interactive bash on a new terminal, as the user, that runs prefix + the injector."""
    inject = P.path("inject.py")
    with open(inject, "w") as f:
        f.write(INJECT)
    marker = P.writable("injected")
    if os.path.exists(marker):
        os.unlink(marker)
    line = " ".join(prefix + ["python3", inject, f"'touch {marker}'"])
    out = in_terminal(as_user(["bash", "--norc", "--noprofile", "-i"]), [(line + "\n", "INJECT-"), ("exit\n", None)],
                      env={"PS1": "$ "})
    return out, os.path.exists(marker)


@test
def terminal_injection_is_refused():
    out, ran = shell([])
    if legacy_tiocsti():
        check("INJECT-PUSHED" in out and ran, "control: the pushed line runs in the shell after the program: " + out)
    else:
        check("INJECT-REFUSED errno 5" in out and not ran, "control: this kernel refuses TIOCSTI (EIO): " + out)
    out, ran = shell([P.nonet_exec])
    check("INJECT-REFUSED errno 1" in out, "TIOCSTI refused with EPERM: " + out)
    check(not ran, "nothing ran in the shell that started nonet-exec: " + out)
    # the kernel reads the command as an unsigned int: upper bits do not slip past
    for prefix, want in (([], "ioctl-raw 0" if legacy_tiocsti() else "ioctl-raw 5"), ([P.nonet_exec], "ioctl-raw 1")):
        out = in_terminal(as_user(prefix + ["sh", "-c", f"{P.probe} ioctl-raw 0x100005412; echo ioctl-raw $?"]), [])
        check(want in out, f"{prefix}: TIOCSTI with upper bits: {out}")


@test
def interactive_programs_keep_their_terminal():
    text = P.writable("page.txt")
    with open(text, "w") as f:
        f.write("a page for less\n")
    steps = [("stty size; stty -a | grep -o 'speed [0-9]* baud'\n", "baud"),
             ("sleep 0.3 & fg\n", "sleep 0.3"),
             (f"less {text}\n", "a page for less"), ("q", None), ("echo less-done\n", "less-done"),
             ("exit\n", None)]
    out = in_terminal(as_user([P.nonet_exec, "bash", "--norc", "--noprofile", "-i"]), steps,
                      env={"PS1": "$ ", "TERM": "xterm"}, size=(33, 101))
    check("33 101" in out, "stty size (TIOCGWINSZ): " + out)
    check("baud" in out and "less-done" in out and "a page for less" in out, "stty -a, less: " + out)
    check("no job control" not in out and "cannot set terminal process group" not in out, "job control: " + out)


def file_server():
    """An HTTP server on 127.0.0.1 serving this directory quietly, from a thread: it and its URL."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=web.serve_forever, daemon=True).start()
    return web, "http://127.0.0.1:%d/" % web.server_address[1]


@test
def real_clients():
    srv = hello_server()
    web, url = file_server()
    client = hello_client(srv.server_address[1])
    try:
        r = run(as_user(["python3", "-c", client]))
        check_eq((r.returncode, r.stdout.strip()), (0, "hello"), "control python3 client")
        r = run(as_user([P.nonet_exec, "python3", "-c", client]))
        check(r.returncode != 0 and "Address family not supported" in r.stderr, "python3 refused: " + r.stderr)
        check_eq(run(as_user(["curl", "-sS", "-o", "/dev/null", url])).returncode, 0, "control curl")
        r = run(as_user([P.nonet_exec, "curl", "-sS", "-o", "/dev/null", url]))
        check(r.returncode != 0, "curl refused: " + r.stderr)
        # a kept family is kept whole: Landlock's TCP rule must not refuse what --allow lets through
        r = run(as_user([P.nonet_exec, "--allow=inet,inet6", "curl", "-sS", "-o", "/dev/null", url]))
        check_eq((r.returncode, r.stderr), (0, ""), "curl with --allow=inet,inet6")
        r = run(as_user([P.nonet_exec, "getent", "hosts", "localhost"]))
        check(r.returncode == 0 and ("127.0.0.1" in r.stdout or "::1" in r.stdout), "getent: " + r.stdout)
    finally:
        srv.shutdown()
        web.shutdown()


@test
def syslog_to_a_unix_socket_works():
    path = P.path("log")
    log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    log.bind(path)
    os.chmod(path, 0o666)
    log.settimeout(10)
    try:
        r = run(as_user([P.nonet_exec, "logger", "-u", path, "-d", "nonet syslog probe"]))
        check_eq(r.returncode, 0, "logger: " + r.stderr)
        check("nonet syslog probe" in log.recv(4096).decode(), "message received")
    finally:
        log.close()


@test
def without_seccomp_nothing_runs():
    marker = P.writable("ran")
    r = run(as_user([P.fake_kernel, "--no-seccomp", "--", P.nonet_exec, "touch", marker]))
    check_eq(r.returncode, 125, "exit status")
    check("cannot restrict: seccomp is not available in this kernel (CONFIG_SECCOMP_FILTER)" in r.stderr, r.stderr)
    check(not os.path.exists(marker), "the command did not run")
    check_eq(run(as_user([P.fake_kernel, "--no-seccomp", "--", "touch", marker])).returncode, 0, "control")


@test
def without_landlock_seccomp_alone():
    nl = ["--no-landlock"]
    check_eq(probe("socket", "inet", fake=nl), EAFNOSUPPORT, "inet still refused")
    check_eq(probe("io_uring", fake=nl), ENOSYS, "io_uring still refused")
    out = Outside()
    try:
        for case in (("ptrace", out.pid), ("process_vm_readv", out.pid, out.address), ("pidfd_getfd", out.pid, out.fd)):
            check_eq(probe(*case, fake=nl), EPERM, f"{case[0]} refused by seccomp")
        # documented weakening: /proc/PID/mem is only as protected as without nonet
        check_eq(probe("proc-mem", out.pid, fake=nl), probe("proc-mem", out.pid, restricted=False),
                 "proc-mem as unrestricted")
    finally:
        out.close()
    # documented weakening: abstract sockets and inherited TCP sockets
    name = f"nonet-test-nl-{os.getpid()}"
    srv = socket.socket(socket.AF_UNIX)
    srv.bind("\0" + name)
    srv.listen(8)
    lst = tcp_listener()
    s = socket.socket()
    try:
        check_eq(probe("abstract-connect", name, fake=nl), 0, "abstract reachable without Landlock")
        # an inherited unconnected TCP socket, which Landlock would police: closed without it
        r = run(as_user([P.fake_kernel, "--no-landlock", "--", P.nonet_exec, "true"]), pass_fds=[s.fileno()])
        check(r.returncode == 125 and f"descriptor {s.fileno()} (inet socket, TCP): this kernel's Landlock cannot "
              "stop it connecting elsewhere" in r.stderr and "--inherited=accept" in r.stderr, r.stderr)
        check_eq(probe("connect-fd", s.fileno(), lst.getsockname()[1], fake=nl, opts=["--inherited=accept"],
                       pass_fds=[s.fileno()]), 0, "accepted: the documented weakening")
    finally:
        for x in (srv, lst, s):
            x.close()
    r = run(as_user([P.fake_kernel, "--no-landlock", "--", P.nonet_exec, "-v", "true"]))
    check(r.returncode == 0 and "no Landlock" in r.stderr, "-v says what is missing: " + r.stderr)


@test
def landlock_required_but_missing_is_fatal():
    check_fails_closed_without_landlock(
        "--landlock=require", "cannot restrict: Landlock is required: TCP rules on inherited sockets need ABI 4")
    # present here: require runs, with the TCP row in force and unix sockets whole
    lst = tcp_listener()
    s = socket.socket()
    a = AbstractListeners("req")
    try:
        check_eq(probe("connect-fd", s.fileno(), lst.getsockname()[1], opts=["--landlock=require", "--inherited=accept"],
                       pass_fds=[s.fileno()]), EACCES, "require: inherited TCP refused")
        check_eq(probe("abstract-connect", a.name, opts=["--landlock=require"]), 0, "require keeps abstract sockets")
    finally:
        for x in (lst, s):
            x.close()
        a.close()


@test
def landlock_off_keeps_seccomp():
    check_eq(probe("socket", "inet", opts=["--landlock=off"]), EAFNOSUPPORT, "inet refused")
    out = Outside()
    try:
        check_eq(probe("ptrace", out.pid, opts=["--landlock=off"]), EPERM, "ptrace refused by seccomp")
    finally:
        out.close()


@test
def exit_status_and_errors():
    E = P.nonet_exec
    check_eq(run([E, "sh", "-c", "exit 42"]).returncode, 42, "the command's own status")
    r = run([E, "no-such-command-nonet"])
    check_eq(r.returncode, 127, "not found")
    check("nonet-exec: failed to execute no-such-command-nonet: No such file or directory" in r.stderr, r.stderr)
    check_eq(run([E, "/etc/passwd"]).returncode, 126, "not executable")
    r = run([E, "--allow=inet,bogus", "true"])
    check(r.returncode == 125 and "unknown address family 'bogus'" in r.stderr, r.stderr)
    r = run([E, "--errno=enoent", "true"])
    check(r.returncode == 125 and "eafnosupport or eperm" in r.stderr, r.stderr)
    r = run([E, "--landlock=maybe", "true"])
    check(r.returncode == 125 and "auto, require or off" in r.stderr, r.stderr)
    r = run([E])
    check(r.returncode == 125 and "no command" in r.stderr, r.stderr)
    r = run([E, "--bogus-option", "true"])
    check_eq((r.returncode, r.stderr), (125, "nonet-exec: unrecognized option '--bogus-option'\n"
                                             "Try 'nonet-exec --help' for more information.\n"), "unknown option")
    # every combination that would leave one half unread is refused, before anything runs
    marker = P.writable("ran-combination")
    for args, message in ((["--user=", "touch", marker], "--user needs a user name"),
                          (["--all"], "--pid, --all and --json go with --status"),
                          (["--json", "true"], "--pid, --all and --json go with --status"),
                          (["--status", "--check-config"], "each a command of their own"),
                          (["--status", "--print-filter"], "each a command of their own"),
                          (["--status", "--user=root"], "--status reads what is in force"),
                          (["--status", "--allow=inet"], "--status reads what is in force"),
                          (["--check-config", "--allow=inet"], "--check-config checks the table"),
                          (["--table=/x", "touch", marker], "--table and --settings go with"),
                          (["--allow"], "option '--allow' needs an argument"),
                          (["--print-filter=json"], "invalid --print-filter 'json': use pfc or oci"),
                          (["--print-filter", "--base=/x"], "--base goes with --print-filter=oci"),
                          (["--base=/x", "touch", marker], "--base goes with --print-filter=oci"),
                          (["--print-filter=oci", "--trace"], "it takes no --trace or --verbose"),
                          (["--print-filter=oci", "--base="], "--base needs a file")):
        r = run([E] + args)
        check(r.returncode == 125 and message in r.stderr and r.stderr.endswith("for more information.\n"),
              f"{args}: {r.returncode} {r.stderr}")
        check(not os.path.exists(marker), f"{args}: nothing ran")
    # a script whose interpreter is missing is named as such, not as a missing file
    script = P.writable("no-interpreter.sh")
    with open(script, "w") as f:
        f.write("#!/nonexistent/interpreter\n")
    os.chmod(script, 0o755)
    r = run([E, script])
    check(r.returncode == 126 and "bad interpreter" in r.stderr, r.stderr)
    # what is printed must reach its reader
    with open("/dev/full", "w") as full:
        r = subprocess.run([E, "--help"], stdout=full, stderr=subprocess.PIPE, text=True)
    check(r.returncode == 125 and "write error" in r.stderr, f"--help >/dev/full: {r.returncode} {r.stderr}")
    # options end at the command: -v belongs to it
    r = run([E, "sh", "-c", 'echo "$0"', "-v"])
    check_eq((r.returncode, r.stdout.strip(), r.stderr), (0, "-v", ""), "options after COMMAND are its own")


@test
def the_table_side_is_handed_over():
    # nonet-exec loads no library; --user and --check-config run nonet-exec-table beside it
    linked = run(["ldd", P.nonet_exec]).stdout
    # statically, but for the sanitizers' build, whose runtimes cannot be linked statically
    check("statically linked" in linked or "libasan" in linked, "nonet-exec is linked statically: " + linked)
    # an installed nonet (its table, its helper) is hidden: what runs is the copy beside it, or none
    r = run(installed.hidden([P.nonet_exec, "--check-config"]))
    check("rules" in r.stdout or "nonet.conf" in r.stderr, "handed over: " + r.stdout + r.stderr)
    alone = P.path("alone")
    os.makedirs(alone)
    run(["cp", P.nonet_exec, alone], check=True)
    r = run(installed.hidden([os.path.join(alone, "nonet-exec"), "--user=root", "true"]))
    check(r.returncode == 125 and "cannot run" in r.stderr and "nonet-exec-table" in r.stderr,
          "without its helper: " + r.stderr)


def status_of(pid, privileged=True):
    cmd = [P.nonet_exec, "--status", f"--pid={pid}"]
    r = run(cmd if privileged else as_user(cmd))
    return r.returncode, dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line), r.stderr


class Running:
    """A sleep of the unprivileged user, under the given wrapper."""

    def __init__(self, *wrapper):
        self.proc = subprocess.Popen(as_user(list(wrapper) + ["sleep", "60"]))
        time.sleep(0.3)  # past the wrapper's exec

    def close(self):
        self.proc.kill()
        self.proc.wait()


@test
def status_of_another_process():
    require_root("reading another process's seccomp filters needs CAP_SYS_ADMIN")
    cases = ((Running(P.nonet_exec), 0, "off", "nonet"),
             (Running(), 1, "on", "nothing"),
             (Running(P.fake_kernel, "--no-landlock", "--"), 1, "on", "another seccomp filter"),
             (Running(P.nonet_exec, "--dry-run"), 1, "dry-run", "nonet"),
             (Running(P.nonet_exec, "--allow=inet"), 1, "on", "nonet"))
    try:
        for proc, status, network, by in cases:
            code, keys, err = status_of(proc.proc.pid)
            check_eq((code, keys.get("network"), keys.get("restricted by")), (status, network, by),
                     f"{proc.proc.args}: {keys} {err}")
            check_eq(proc.proc.poll(), None, "still running after its filters were read")
        code, keys, _ = status_of(cases[0][0].proc.pid)
        check_eq((keys.get("allowed"), keys.get("no_new_privs")), ("unix", "yes"), "the families of nonet's filter")
        # without privilege: what /proc says, and that the rest cannot be told
        code, keys, _ = status_of(cases[0][0].proc.pid, privileged=False)
        check_eq((code, keys.get("network"), keys.get("seccomp filters")), (2, "unknown", "1"), "unprivileged")
        check("CAP_SYS_ADMIN" in keys.get("why", ""), str(keys))
        code, keys, _ = status_of(cases[1][0].proc.pid, privileged=False)
        check_eq((code, keys.get("network")), (1, "on"), "no filter at all: on, even unprivileged")
    finally:
        for proc, *_ in cases:
            proc.close()
    r = run([P.nonet_exec, "--status", "--pid=999999999"])
    check(r.returncode == 2 and "cannot read the status" in r.stderr, r.stderr)
    r = run([P.nonet_exec, "--pid=1", "true"])
    check(r.returncode == 125 and "go with --status" in r.stderr, r.stderr)


@test
def status_speaks_json_and_self_agrees_with_pid():
    import json
    E = P.nonet_exec
    for opts, network, by, allowed in (([], "off", "nonet", ["unix"]), (["--allow=inet"], "on", "nonet", None)):
        r = run(as_user([E] + opts + [E, "--status", "--json"]))
        me = json.loads(r.stdout)
        check_eq((me["network"], me["restricted_by"], me["held"]), (network, by, None), f"{opts}: self {me}")
        if allowed:
            check_eq(me["allowed"], allowed, "allowed families")
        if ROOT:
            proc = Running(E, *opts)
            try:
                r = run([E, "--status", f"--pid={proc.proc.pid}", "--json"])
                other = json.loads(r.stdout)
            finally:
                proc.close()
            for key in ("network", "restricted_by", "refused", "allowed", "no_new_privs", "seccomp_filters"):
                check_eq(other[key], me[key], f"{opts}: --pid and the self view agree on {key}")
    # a held descriptor that reaches the network, where the self view can see it
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
    fd = s.fileno()
    r = run(as_user([E, "--inherited=accept", E, "--status"]), pass_fds=[fd])
    s.close()
    check(f"held: descriptor {fd} (inet socket, MPTCP): no Landlock polices it" in r.stdout, r.stdout)


@test
def trace_tells_the_user_who_hit_a_refusal():
    # no root, no kernel log: nonet-exec stays outside as the command's supervisor
    web, url = file_server()
    try:
        r = run(as_user([P.nonet_exec, "--trace", "curl", "-sS", "-o", "/dev/null", url]))
        check(r.returncode == 7 and re.search(r"nonet-exec: refused socket\(AF_INET6?, SOCK_STREAM\) by curl\[\d+\]: "
                                              "Address family not supported by protocol", r.stderr), r.stderr)
    finally:
        web.shutdown()
    # the answers are the refusals nonet-exec gives without --trace
    for args, want in ((("socket", "netlink"), EAFNOSUPPORT), (("io_uring",), ENOSYS), (("socket", "inet"), EAFNOSUPPORT),
                       (("request-key",), EPERM)):
        check_eq(probe(*args, opts=["--trace"]), want, f"{args} under --trace")
    r = run(as_user([P.nonet_exec, "--trace", P.probe, "socket", "inet6"]))
    check("refused socket(AF_INET6, SOCK_DGRAM) by probe[" in r.stderr, r.stderr)
    # the supervisor gone, the calls stay refused (the kernel's ENOSYS for an unanswered one)
    script = f"kill -9 $PPID; sleep 0.3; {P.probe} socket inet; echo $?"
    r = run(as_user([P.nonet_exec, "--trace", "sh", "-c", script]))
    check_eq(r.stdout.strip(), str(ENOSYS), "refused after the supervisor died")
    r = run([P.nonet_exec, "--trace", "--log", "true"])
    check(r.returncode == 125 and "give one" in r.stderr, r.stderr)


def tagged(tag):
    """The processes whose environment carries NONET_TEST_TAG=tag: all a test started, however far
    they went."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if b"NONET_TEST_TAG=" + tag.encode() in f.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:
            pass
    return found


def none_left(tag, what):
    # none seen twice in a row: a process in the middle of execve() shows no environment for a moment
    deadline = time.monotonic() + 30
    while (tagged(tag) or (time.sleep(0.1) or tagged(tag))) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = []
    for pid in tagged(tag):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")[:200]
            with open(f"/proc/{pid}/wchan") as f:
                wchan = f.read()
            left.append(stat[:stat.rindex(")") + 3] + f" [{cmd}] in {wchan or '-'}")  # "pid (name) state"
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    check_eq(left, [], f"{what}: nothing left running")


def leaving_behind(script, opts, flag, tag, before_flag=lambda: None):
    """sh -c script (under nonet-exec with opts, unless None): it leaves a process behind that
    waits for flag before its refused call. (the foreground's status, its stderr to the end)."""
    if os.path.exists(flag):
        os.unlink(flag)
    cmd = ([] if opts is None else [P.nonet_exec] + opts + ["--"]) + ["sh", "-c", script]
    proc = subprocess.Popen(as_user(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env=dict(os.environ, NONET_TEST_TAG=tag))
    try:
        # it returns before the call it left behind is made: that one waits for the flag
        status = proc.wait(timeout=30)
        before_flag()
        open(flag, "w").close()
        return status, proc.communicate(timeout=30)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
        none_left(tag, f"{opts} {script}")


@test
def trace_follows_a_background_job_that_outlives_the_command():
    # the shell exits at once; its background job's socket() comes later: the status is the
    # shell's, at once, and the job's refusal is the configured one, and said
    flag, tag = P.writable("flag-bg"), "bg-%d" % time.monotonic_ns()
    script = f"(while [ ! -e {flag} ]; do sleep 0.05; done; {P.probe} socket inet; echo left $? >&2) & exit 3"
    for opts, want in ((None, 0), ([], EAFNOSUPPORT), (["--trace"], EAFNOSUPPORT),
                       (["--trace", "--errno=eperm"], EPERM)):
        status, err = leaving_behind(script, opts, flag, tag)
        check_eq(status, 3, f"{opts}: the shell's status when the shell exits")
        check(f"left {want}\n" in err, f"{opts}: the job's socket() got {want}: {err}")
        traced = re.search(r"nonet-exec: refused socket\(AF_INET, SOCK_DGRAM\) by probe\[\d+\]", err)
        check(bool(traced) == bool(opts and "--trace" in opts), f"{opts}: the refusal said: {err}")


@test
def trace_follows_a_daemon_and_a_killed_supervisor_still_refuses():
    # a daemon: double fork, setsid, its stdio on /dev/null; its refusal still said on
    # nonet-exec's standard error, by the supervisor's copy, which leaves when the daemon does
    flag, out = P.writable("flag-daemon"), P.writable("daemon-errno")
    tag = "daemon-%d" % time.monotonic_ns()
    daemon = f"while [ ! -e {flag} ]; do sleep 0.05; done; {P.probe} socket inet; echo $? > {out}"
    script = f"(setsid sh -c '{daemon}' </dev/null >/dev/null 2>&1 &); exit 3"

    def supervisor_killed():
        copies = [pid for pid in tagged(tag) if open(f"/proc/{pid}/comm").read().strip() == "nonet-exec"]
        check_eq(len(copies), 1, "one supervisor's copy while the daemon runs")
        for pid in copies:
            os.kill(pid, signal.SIGKILL)

    for opts, want, before in ((None, 0, None), ([], EAFNOSUPPORT, None), (["--trace"], EAFNOSUPPORT, None),
                               (["--trace"], ENOSYS, supervisor_killed)):
        if os.path.exists(out):
            os.unlink(out)
        status, err = leaving_behind(script, opts, flag, tag, before or (lambda: None))
        check_eq(status, 3, f"{opts}: the command's status when it exits")
        got = open(out).read().strip() if os.path.exists(out) else "nothing"
        check_eq(got, str(want), f"{opts}{' supervisor killed' if before else ''}: the daemon's socket()")
        traced = "nonet-exec: refused socket(AF_INET, SOCK_DGRAM) by probe[" in err
        check_eq(traced, opts == ["--trace"] and not before, f"{opts}: the daemon's refusal said: {err}")


@test
def trace_names_every_short_lived_program():
    # the name is read while the call is held: a process that exits right after its refused
    # call is still named (read after the answer, 35-59 of 1,000 were "?")
    loop = f"i=0; while [ $i -lt 1000 ]; do {P.probe} socket inet; i=$((i+1)); done"
    r = run(as_user([P.nonet_exec, "--trace", "sh", "-c", loop]), timeout=240)
    lines = [line for line in r.stderr.splitlines() if line.startswith("nonet-exec: refused ")]
    unnamed = [line for line in lines if " by probe[" not in line]
    check_eq((len(lines), len(unnamed)), (1000, 0), f"lines, and those without the name: {unnamed[:5]}")


@test
def reading_a_process_loses_none_of_its_signals():
    # --status --pid stops the target a moment to read its filters: a signal caught in that
    # stop is given back on detach. 1,000 queued real-time signals, each read of the target
    # racing them: all 1,000 arrive.
    require_root("reading another process's filters needs CAP_SYS_ADMIN")
    import signal
    target = subprocess.Popen(as_user([P.nonet_exec, P.probe, "count-rt-signals", "6"]), stdout=subprocess.PIPE,
                              text=True)
    check_eq(target.stdout.readline().strip(), "ready", "the target counts")
    reader = subprocess.Popen([P.probe, "read-status", str(target.pid), "4"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.2)
    for i in range(1000):
        os.kill(target.pid, signal.SIGRTMIN)
        time.sleep(0.003)
    reads = reader.communicate(timeout=60)[0].strip()
    check(reader.returncode == 0 and int(reads) > 1000, f"{reads} reads while the signals came, each whole")
    out, _ = target.communicate(timeout=30)
    check_eq(out.strip(), "1000", "every signal delivered")


@test
def the_unprivileged_audit_lists_no_kernel_threads():
    r = run(as_user([P.nonet_exec, "--status", "--all"]))
    commands = [line.split()[-1] for line in r.stdout.splitlines()[1:] if line.split()]
    check(commands and not any(c in ("kthreadd", "ksoftirqd/0") or c.startswith("kworker") for c in commands),
          "kernel threads: " + r.stdout[:600])
    if ROOT:
        check("only what /proc shows can be judged" in r.stderr, r.stderr)


@test
def a_dry_run_refuses_nothing_and_the_kernel_logs_it():
    require_root("/dev/kmsg")
    log = KernelLog()
    try:
        check_eq(probe("socket", "inet", opts=["--dry-run"]), 0, "socket(AF_INET) works in a dry run")
        records = log.seccomp_records("probe")
        check(records and "syscall=41" in records[0] and "code=0x7ffc0000" in records[0],
              "a SECCOMP_RET_LOG record for socket(): " + str(records))
        check_eq(probe("socket", "inet", opts=["--log"]), EAFNOSUPPORT, "--log refuses")
        records = log.seccomp_records("probe")
        check(records and "syscall=41" in records[0] and "code=0x50000" in records[0],
              "a record of the refusal: " + str(records))
        check_eq(probe("socket", "unix", opts=["--log"]), 0, "AF_UNIX is not logged, nor refused")
        check_eq(log.seccomp_records("probe", wait=1.0), [], "nothing logged for AF_UNIX")
    finally:
        log.close()
    r = run([P.nonet_exec, "--dry-run", "--unix=no-abstract", "true"])
    check(r.returncode == 125 and "a dry run applies no Landlock" in r.stderr, r.stderr)
    r = run(as_user([P.nonet_exec, "-v", "--dry-run", "true"]))
    check("refusals: logged only (dry run)" in r.stderr, r.stderr)


@test
def help_version_status_and_filter():
    E = P.nonet_exec
    r = run([E, "--help"])
    check(r.returncode == 0 and "--allow=FAMILY" in r.stdout and "127" in r.stdout, "help")
    r = run([E, "--version"])
    check(r.returncode == 0 and r.stdout.startswith("nonet-exec "), "version")
    r = run(as_user([E, "--status"]))
    check(r.returncode == 1 and "network: on" in r.stdout, "status outside: " + r.stdout)
    r = run(as_user([E, E, "--status"]))
    check(r.returncode == 0 and "network: off" in r.stdout and "no_new_privs: yes" in r.stdout, "inside: " + r.stdout)
    r = run(as_user([E, "-a", "inet6", E, "--status"]))
    check(r.returncode == 1 and "\nallowed: unix,inet6\n" in r.stdout, "inet6 allowed: " + r.stdout)
    r = run(as_user([E, E, "--status"]))
    check("\nallowed: unix\n" in r.stdout and "\nrestricted by: nonet\n" in r.stdout, "every family probed: " + r.stdout)
    r = run([E, "--print-filter"])
    check(r.returncode == 0 and 'syscall "socket"' in r.stdout and "io_uring_setup" in r.stdout, "filter")
    check("# nonet policy: allowed: unix; errno: eafnosupport; landlock: auto; unix: all (filesystem and abstract"
          in r.stdout, r.stdout[:400])
    r = run([E, "--print-filter", "--unix=no-abstract"])
    check(r.returncode == 0 and "unix: no-abstract (filesystem sockets; abstract ones created outside refused)"
          in r.stdout and "the policy needs 6" in r.stdout, r.stdout[:400])
    r = run(as_user([E, "-v", "--unix=no-abstract", "true"]))
    check(r.returncode == 0 and "network off (seccomp, Landlock ABI" in r.stderr and "unix: no-abstract" in r.stderr,
          r.stderr)
    r = run(as_user([E, "-v", "true"]))
    check("unix: all (filesystem and abstract sockets)" in r.stderr, r.stderr)
    r = run(as_user([E, "--status"]))
    check("unix levels this kernel enforces: all,no-abstract" in r.stdout, r.stdout)
    check("landlock rows this kernel gives: ptrace,tcp,no-abstract\n" in r.stdout
          or "landlock rows this kernel gives: ptrace,tcp,udp,threads,no-abstract,listed\n" in r.stdout, r.stdout)
    r = run(as_user([E, "-v", "true"]))
    check("Landlock ABI" in r.stderr and ": ptrace,tcp" in r.stderr and "no-abstract" not in r.stderr.split(";")[0],
          "-v: the rows in force: " + r.stderr)
    r = run(as_user([E, "-v", "--allow=inet", "true"]))
    check(": ptrace, no_new_privs" in r.stderr or ": ptrace,threads, no_new_privs" in r.stderr,
          "no TCP rule when inet is kept: " + r.stderr)
    check_eq(run([E, "--status", "true"]).returncode, 125, "--status takes no command")
    # what a profile cannot carry, and bases that are not profiles, each said
    text = P.writable("not-a-profile")
    with open(text, "w") as f:
        f.write("{\n  \"defaultAction\": SCMP_ACT_ALLOW\n}\n")
    for args, message in ((["--private-loopback"], "a profile cannot carry --trace or --private-loopback"),
                          (["--base=/nonexistent"], "/nonexistent: cannot read it: No such file or directory"),
                          (["--base=" + text], text + ": cannot merge onto it: line 2, column 20: not JSON")):
        r = run([E, "--print-filter=oci"] + args)
        check(r.returncode == 125 and message in r.stderr and r.stdout == "", f"{args}: {r.returncode} {r.stderr}")


# What a held unix socket carries, and root's way back from a private loopback (issue 33).

def queue_with(kind, sock_type=socket.SOCK_STREAM, nested=False):
    """A unix socketpair's receiving end with, queued on it between plain messages, a socket of
    `kind` sent and not yet received (or a socketpair's end carrying it, when nested); the listener
    it could reach, and the socket sent, kept here to know it again."""
    lst = socket.socket(type=socket.SOCK_DGRAM) if kind == "udp" else socket.socket()
    lst.bind(("127.0.0.1", 0))
    if kind == "tcp":
        lst.listen(8)
    lst.settimeout(2)
    sent = socket.socket(type=socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    a, b = socket.socketpair(socket.AF_UNIX, sock_type)
    carried = sent
    if nested:
        c, d = socket.socketpair(socket.AF_UNIX, sock_type)
        c.sendmsg([b"i"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [sent.fileno()]))])
        carried = d
    a.send(b"plain bytes before")
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [carried.fileno()]))])
    a.send(b"and after")
    if nested:
        c.close()
        d.close()
    a.close()
    return lst, b, sent


def reached(lst, kind):
    try:
        return (lst.recv(4) if kind == "udp" else lst.accept()[0].recv(4)) == b"x"
    except OSError:
        return False


@test
def a_socket_sent_on_a_held_unix_socket_and_not_yet_received_is_held_too():
    for kind in ("udp", "tcp"):
        for name, sock_type in (("stream", socket.SOCK_STREAM), ("datagram", socket.SOCK_DGRAM),
                                ("seqpacket", socket.SOCK_SEQPACKET)):
            what = f"{kind} on a {name} pair"
            lst, b, sent = queue_with(kind, sock_type)
            check_eq(probe("recv-fd-reach", b.fileno(), lst.getsockname()[1], restricted=False,
                           pass_fds=[b.fileno()]), 0, "control: the command receives it, " + what)
            check(reached(lst, kind), "control: and reaches the listener, " + what)
            lst, b, sent = queue_with(kind, sock_type)
            r = run(as_user([P.nonet_exec, "--", P.probe, "recv-fd-reach", str(b.fileno()),
                             str(lst.getsockname()[1])]), pass_fds=[b.fileno()])
            check(r.returncode == 125 and f"a descriptor sent on unix socket {b.fileno()} and not yet received "
                  f"(inet socket, {kind.upper()})" in r.stderr, what + ": " + r.stderr)
            check(not reached(lst, kind), "nothing reached the listener, " + what)
            # observing changed nothing: the bytes and the socket are still there, in order
            data, fds = b"", array.array("i")
            b.setblocking(False)
            while len(data) < len(b"plain bytes beforexand after"):
                chunk, anc, _, _ = b.recvmsg(64, 64)
                data += chunk
                fds.extend(array.array("i", anc[0][2]) if anc else [])
            check(data == b"plain bytes beforexand after" and len(fds) == 1 and
                  os.fstat(fds[0]).st_ino == os.fstat(sent.fileno()).st_ino, f"{what}: {data!r} {fds}")
            for f in fds:
                os.close(f)
            for s in (lst, b, sent):
                s.close()
    lst, b, sent = queue_with("udp", nested=True)
    r = run(as_user([P.nonet_exec, "true"]), pass_fds=[b.fileno()])
    check(r.returncode == 125 and f"unix socket {b.fileno()}" in r.stderr, "nested: " + r.stderr)


@test
def what_a_unix_socket_carries_harmlessly_runs():
    # a session's sockets (journald, D-Bus) hold bytes, and at times a pipe or a file: all run
    a, b = socket.socketpair()
    r_end, w_end = os.pipe()
    a.send(b"only bytes")
    check_eq(run(as_user([P.nonet_exec, "true"]), pass_fds=[b.fileno()]).returncode, 0, "bytes alone")
    a.sendmsg([b"p"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [r_end, w_end]))])
    r = run(as_user([P.nonet_exec, "true"]), pass_fds=[b.fileno()])
    check_eq(r.returncode, 0, "a pipe in flight: " + r.stderr)
    check_eq(b.recv(64), b"only bytesp", "nothing taken")
    for f in (r_end, w_end):
        os.close(f)
    a.close()
    b.close()


def outside_listener():
    lst = tcp_listener()
    lst.settimeout(2)
    return lst, str(lst.getsockname()[1])


def reached_tcp(lst):
    try:
        return lst.accept()[0].recv(1) == b"x"
    except OSError:
        return False


@test
def root_under_a_private_loopback_gets_back_to_no_other_network():
    require_root("root's capabilities over the host's network namespace")
    # stdout a unix socket, as a service's is to the journal: SIOCGSKNS gives its namespace
    a, b = socket.socketpair()
    lst, port = outside_listener()
    r = run(["unshare", "--net", P.probe, "sockns-reach", "1", port], stdout=b)
    check(r.returncode == 0 and reached_tcp(lst), f"control: SIOCGSKNS and setns() reach the host ({r.returncode})")
    r = run([P.nonet_exec, "--private-loopback", "--", P.probe, "sockns-reach", "1", port], stdout=b)
    check_eq(r.returncode, EPERM, "SIOCGSKNS refused: " + r.stderr)
    check(not reached_tcp(lst), "nothing reached the host's listener")
    # a held descriptor of the namespace: judged; accepted anyway, setns(fd, 0) is refused
    ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    r = run(["unshare", "--net", P.probe, "setns-reach", str(ns), port], pass_fds=[ns])
    check(r.returncode == 0 and reached_tcp(lst), f"control: setns() on a held namespace ({r.returncode})")
    r = run([P.nonet_exec, "--private-loopback", "--", P.probe, "setns-reach", str(ns), port], pass_fds=[ns])
    check(r.returncode == 125 and f"descriptor {ns} is a network namespace's file" in r.stderr, r.stderr)
    r = run(as_user([P.nonet_exec, "--private-loopback", "true"]), pass_fds=[ns])
    check_eq(r.returncode, 125, "judged for an unprivileged user too: " + r.stderr)
    r = run([P.nonet_exec, "--private-loopback", "--inherited=accept", "--", P.probe, "setns-reach", str(ns), port],
            pass_fds=[ns])
    check_eq(r.returncode, EPERM, "setns(fd, 0) refused: " + r.stderr)
    # a process's namespace through its pidfd
    r = run(["unshare", "--net", P.probe, "pidns-reach", str(os.getpid()), port])
    check(r.returncode == 0 and reached_tcp(lst), f"control: setns(pidfd, CLONE_NEWNET) ({r.returncode})")
    r = run([P.nonet_exec, "--private-loopback", "--", P.probe, "pidns-reach", str(os.getpid()), port])
    check_eq(r.returncode, EPERM, "setns(pidfd, CLONE_NEWNET) refused: " + r.stderr)
    check(not reached_tcp(lst), "nothing reached the host's listener")
    # Landlock's ptrace scope refuses that one too (a process outside); without Landlock, seccomp
    r = run([P.nonet_exec, "--private-loopback", "--landlock=off", "--", P.probe, "pidns-reach", str(os.getpid()),
             port])
    check_eq(r.returncode, EPERM, "setns(pidfd, CLONE_NEWNET) refused without Landlock: " + r.stderr)
    check(not reached_tcp(lst), "nothing reached the host's listener")
    # without a private loopback none of it is refused: root's network is the host's anyway
    check_eq(run([P.nonet_exec, "true"], pass_fds=[ns]).returncode, 0, "a namespace held without one")
    os.close(ns)
    for s in (a, b, lst):
        s.close()


if __name__ == "__main__":
    main(P.cleanup)
