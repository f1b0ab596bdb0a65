#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""guest.py BUILD WORK: the contract on the kernel this runs on (inside a VM of the kernel
matrix, as root): every row under nonet-exec as nobody, as the host test expects it of
this kernel's Landlock ABI. Prints "ROW name value" lines; value is an exit status (0,
or the errno the probe got, or 125 when nonet-exec ran nothing)."""

import os
import pty
import socket
import subprocess
import sys
import time

BUILD, WORK = sys.argv[1], sys.argv[2]
E = os.path.join(BUILD, "nonet-exec", "nonet-exec")
PROBE = os.path.join(BUILD, "tests", "probe")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
IPPROTO_MPTCP = 262


def row(name, value):
    print(f"ROW {name} {value}", flush=True)


def status(cmd, fds=()):
    return subprocess.run(cmd, pass_fds=list(fds), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=120).returncode


def as_nobody(*args, fds=(), opts=()):
    return status(NOBODY + [E] + list(opts) + ["--"] + [str(a) for a in args], fds)


def in_terminal(cmd):
    """cmd's exit status, run with a new pseudo-terminal as its controlling terminal."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    while True:
        try:
            if not os.read(fd, 1024):
                break
        except OSError:
            break
    _, st = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(st)


def abi():
    out = subprocess.run([E, "--status"], stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        if line.startswith("landlock: kernel ABI "):
            return int(line.split()[-1])
    return 0


def rdma():
    for cmd in (["ip", "link", "add", "nnra", "type", "veth", "peer", "name", "nnrb"], ["ip", "link", "set", "nnra", "up"],
                ["ip", "link", "set", "nnrb", "up"], ["ip", "addr", "add", "198.51.100.1/24", "dev", "nnra"],
                ["rdma", "link", "add", "nnrxe0", "type", "rxe", "netdev", "nnra"]):
        if subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            break
    for _ in range(50):
        if os.path.exists("/dev/infiniband/uverbs0"):
            break
        time.sleep(0.1)
    holder = ("import os,sys; fd=os.open(sys.argv[1], os.O_RDWR); os.dup2(fd, 3); os.set_inheritable(3, True);"
              "os.execvp(sys.argv[2], sys.argv[2:])")
    for node, name in (("/dev/infiniband/uverbs0", "rdma_verbs"), ("/dev/infiniband/rdma_cm", "rdma_cm")):
        if not os.path.exists(node):
            row(f"{name}_held_control", "unavailable")
            row(f"{name}_held", "unavailable")
            continue
        row(f"{name}_held_control", status(NOBODY + ["python3", "-c", holder, node, "true"]))
        row(f"{name}_held", status(NOBODY + ["python3", "-c", holder, node, E, "true"]))
    verbs = "/dev/infiniband/uverbs0"
    if os.path.exists(verbs):  # the verbs' ioctl: the kernel's own answer, and the filter's EPERM
        control = status(NOBODY + [PROBE, "ioctl-path", verbs, "0xc0181b01"])
        row("rdma_ioctl_control", "kernel" if control not in (1, 200 + 12) else control)
        row("rdma_ioctl", as_nobody(PROBE, "ioctl-path", verbs, "0xc0181b01"))
    else:
        row("rdma_ioctl_control", "unavailable")
        row("rdma_ioctl", "unavailable")


def macvtap():
    ok = all(subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0 for cmd in (
        ["ip", "link", "add", "link", "nnra", "name", "nnmvt", "type", "macvtap"], ["ip", "link", "set", "nnmvt", "up"]))
    node = "/dev/tap" + open("/sys/class/net/nnmvt/ifindex").read().strip() if ok else ""
    for _ in range(50):
        if node and os.path.exists(node):
            break
        time.sleep(0.1)
    if not node or not os.path.exists(node):
        row("macvtap_control", "unavailable")
        row("macvtap_held", "unavailable")
        return
    os.chown(node, 65534, 65534)
    holder = ("import os,sys; fd=os.open(sys.argv[1], os.O_RDWR); os.dup2(fd, 3); os.set_inheritable(3, True);"
              "os.execvp(sys.argv[2], sys.argv[2:])")
    row("macvtap_control", status(NOBODY + ["python3", "-c", holder, node, PROBE, "frame-write-fd", "3", "10"]))
    row("macvtap_held", status(NOBODY + ["python3", "-c", holder, node, E, PROBE, "frame-write-fd", "3", "10"]))


def oci():
    """The OCI profile, compiled as runc compiles it (bench/profile-wrap), on this kernel: alone,
    and merged onto Debian's containers profile, whose own verdict is the control."""
    base = "/usr/share/containers/seccomp.json"
    wrap = os.path.join(BUILD, "bench", "profile-wrap")
    profiles = {"alone": [], "merged": ["--base=" + base]}
    for name, extra in profiles.items():
        path = f"/run/oci-{name}.json"  # the root is read-only here
        with open(path, "w") as f:
            subprocess.run([E, "--print-filter=oci"] + extra, stdout=f, stderr=subprocess.DEVNULL, check=True)
        profiles[name] = path
    profiles["base"] = base
    for name, path in profiles.items():
        row(f"oci_{name}_inet", status(NOBODY + [wrap, path, "--", PROBE, "socket", "inet"]))
        row(f"oci_{name}_unix", status(NOBODY + [wrap, path, "--", PROBE, "socketpair", "unix"]))


def doors():
    """Network devices, rings and the keyring's upcall, each with its control."""
    os.chmod("/dev/net/tun", 0o666)  # as Debian's udev makes it
    nobody = "65534"
    for cmd in (["ip", "tuntap", "add", "dev", "nntap0", "mode", "tap", "user", nobody],
                ["ip", "link", "set", "nntap0", "up"]):
        subprocess.run(cmd, check=True)
    row("tun_control", status(NOBODY + [PROBE, "tun-attach", "nntap0"]))
    row("tun", as_nobody(PROBE, "tun-attach", "nntap0"))
    ring = NOBODY + [PROBE, "with-ring", "sqpoll"]
    row("ring_control", status(ring + ["true"]))
    row("ring_held", status(ring + [E, "true"]))
    row("request_key_control", status(NOBODY + [PROBE, "request-key"]))
    row("request_key", as_nobody(PROBE, "request-key"))
    # RDMA through soft-RoCE on a veth pair of this VM's own: the device nodes are 0666
    rdma()
    # a macvtap node given to nobody (as a udev rule would): plain write() puts frames on the link
    macvtap()
    # the DNS resolver's upcall, against a listener on this VM's own 127.0.0.1
    with open("/run/resolv.conf", "w") as f:
        f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    subprocess.run(["mount", "--bind", "/run/resolv.conf", "/etc/resolv.conf"], check=True)
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 53))
    dns.settimeout(5)
    for opts, name in ((None, "control"), ([], "restricted")):
        label = f"nonet{name}.example"
        cmd = [PROBE, "dns-key", label + "."]
        code = status(NOBODY + cmd) if opts is None else as_nobody(*cmd)
        seen = 0
        try:
            while True:
                data, _ = dns.recvfrom(512)
                seen = seen or int(label.split(".")[0].encode() in data)
                dns.settimeout(1)
        except socket.timeout:
            pass
        row(f"dns_{name}", f"{code},{seen}" if opts is not None else seen)
        dns.settimeout(5)


def package_builds(abi):
    """Issue 36: tests/data/nonet-localhost-demo built with dpkg-buildpackage -b as nobody, beside
    its control: its test talks to a server on 127.0.0.1 and ::1 (under --private-loopback), and
    with nocheck under plain nonet-exec where that domain handles a filesystem right (ABI 2-3).
    A row is "exit,tests|notests,renamed|copied,same|differs": the build's exit status, whether its
    test ran and passed, what mv said of the move into another directory, and the package's
    files and modes against the control's."""
    import concurrent.futures
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "nonet-localhost-demo")

    def build(name, opts, nocheck):
        work = os.path.join("/run", "pkg-" + name)
        tree = os.path.join(work, "nonet-localhost-demo-1.0")
        os.makedirs(work)
        subprocess.run(["cp", "-r", source, tree], check=True)
        subprocess.run(["chown", "-R", "65534:65534", work], check=True)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": work, "TMPDIR": work, "LANG": "C.UTF-8"}
        if nocheck:
            env["DEB_BUILD_OPTIONS"] = "nocheck"
        start = time.monotonic()
        cmd = NOBODY + ([] if opts is None else [E] + opts + ["--"]) + ["dpkg-buildpackage", "-b", "-us", "-uc"]
        r = subprocess.run(cmd, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=600)
        took = time.monotonic() - start
        deb = os.path.join(work, "nonet-localhost-demo_1.0_amd64.deb")
        listing = subprocess.run(["dpkg-deb", "-c", deb], stdout=subprocess.PIPE, text=True).stdout
        files = sorted((line.split()[0], line.split()[-1]) for line in listing.splitlines())
        tests = all(f"NONET-DEMO-ECHO {host} ok" in r.stdout for host in ("127.0.0.1", "::1"))
        moved = "renamed" if "renamed 'debian/stage/" in r.stdout else "copied" if "copied '" in r.stdout else "none"
        if r.returncode != 0:
            print("# " + "\n# ".join(r.stdout.splitlines()[-15:]), flush=True)
        return f"{r.returncode},{'tests' if tests else 'notests'},{moved}", files, took

    builds = [("control", None, False), ("loopback", ["--private-loopback"], False)]
    if abi <= 3:
        builds += [("nocheck_control", None, True), ("nocheck_plain", [], True)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        got = dict(zip([b[0] for b in builds], pool.map(lambda b: build(*b), builds)))
    for name, (verdict, files, took) in got.items():
        control = got["nocheck_control" if name.startswith("nocheck") else "control"][1]
        row(f"pkg_{name}", f"{verdict},{'same' if files and files == control else 'differs'}")
        row(f"pkg_{name}_seconds", round(took))


def in_flight_and_namespaces():
    """Issue 33: a socket sent on a held unix socket and not yet received is held too (as
    nobody); root under --private-loopback gets back to no other network namespace. Each
    beside its control, which reaches a listener on the VM's own 127.0.0.1."""
    import array
    import re
    # the queue walked by peeks: stream, datagram and seqpacket, behind a message longer than a peek
    lib = subprocess.run([os.path.join(BUILD, "tests", "test-lib")], stdout=subprocess.PIPE, text=True, timeout=300)
    row("inflight_walk", "ok" if re.search(r"^ok \d+ - test_in_flight$", lib.stdout, re.M) else "not-ok")
    for kind, stype in (("udp", socket.SOCK_DGRAM), ("tcp", socket.SOCK_STREAM)):
        for restricted in (False, True):
            lst = socket.socket(type=stype)
            lst.bind(("127.0.0.1", 0))
            if kind == "tcp":
                lst.listen(4)
            lst.settimeout(2)
            a, b = socket.socketpair()
            sent = socket.socket(type=stype)
            a.send(b"bytes before")
            a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [sent.fileno()]))])
            sent.close()
            cmd = [PROBE, "recv-fd-reach", str(b.fileno()), str(lst.getsockname()[1])]
            got = status(NOBODY + ([E, "--"] if restricted else []) + cmd, [b.fileno()])
            try:
                reached = (lst.recv(4) if kind == "udp" else lst.accept()[0].recv(4)) == b"x"
            except OSError:
                reached = False
            row(f"inflight_{kind}" + ("" if restricted else "_control"), f"{got},{int(reached)}")
            for s in (lst, a, b):
                s.close()
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    lst.settimeout(2)
    port = str(lst.getsockname()[1])
    out, _ = socket.socketpair()
    ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    loopback = [E, "--private-loopback", "--"]
    for name, args, fds in (("sockns", [PROBE, "sockns-reach", "1", port], ()),
                            ("held", [PROBE, "setns-reach", str(ns), port], (ns,)),
                            ("pidfd", [PROBE, "pidns-reach", str(os.getpid()), port], ())):
        for suffix, prefix in (("_control", ["unshare", "--net"]), ("", loopback),
                               ("_accept", [E, "--private-loopback", "--inherited=accept", "--"]),
                               ("_nolandlock", [E, "--private-loopback", "--landlock=off", "--"])):
            if (suffix == "_accept" and name != "held") or (suffix == "_nolandlock" and name != "pidfd"):
                continue
            got = subprocess.run(prefix + args, stdout=out, stderr=subprocess.DEVNULL, pass_fds=list(fds),
                                 timeout=120).returncode
            try:
                reached = lst.accept()[0].recv(1) == b"x"
            except OSError:
                reached = False
            row(f"netns_{name}{suffix}", f"{got},{int(reached)}")
    os.close(ns)
    lst.close()


def realwork():
    """Issue 36: files move between directories under nonet as without it (as nobody, on
    /run's tmpfs): mv renames (it copies where rename() is refused), os.rename and os.link work."""
    moves = """import os, subprocess
for d in ("a", "b"):
    os.makedirs(d, exist_ok=True)
for name in ("f", "g", "h"):
    open(os.path.join("a", name), "w").close()
mv = subprocess.run(["mv", "-v", "a/f", "b/f"], stdout=subprocess.PIPE, text=True).stdout.split()
print("mv", (mv or ["none"])[0])
for name, call in (("rename", lambda: os.rename("a/g", "b/g")), ("link", lambda: os.link("a/h", "b/h"))):
    try:
        call()
        print(name, 0)
    except OSError as e:
        print(name, e.errno)
"""
    for suffix, prefix in (("_control", NOBODY), ("", NOBODY + [E, "--"]),
                           ("_loopback", NOBODY + [E, "--private-loopback", "--"])):
        work = os.path.join("/run", "realwork" + suffix)
        os.makedirs(work, mode=0o755)
        os.chown(work, 65534, 65534)
        out = subprocess.run(prefix + ["python3", "-c", moves], cwd=work, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, timeout=120).stdout
        got = dict(line.split() for line in out.splitlines() if len(line.split()) == 2)
        for name in ("mv", "rename", "link"):
            row(f"realwork_{name}{suffix}", got.get(name, "none"))


BROKER_CONNECT = ("import errno, socket, sys\nfor path in sys.argv[1:]:\n    try:\n"
                  "        socket.socket(socket.AF_UNIX).connect(path)\n        print('connected')\n"
                  "    except OSError as e:\n        print(errno.errorcode[e.errno])\n")


def brokers():
    """Issue 38: --brokers=closed, beside --brokers=open, as nobody and as root: the real nscd
    (a private configuration, hosts only, nothing persistent) resolving through a DNS logger on
    the VM's own 127.0.0.1 (resolv.conf as doors() left it); the mask not undone, by root neither
    (the domain handles a filesystem right, which refuses umount); another process's /proc/PID/root
    out of reach (Landlock ABI 2); an X11-like socket elsewhere and /dev/log (logger) still reached;
    then the other brokers (daemon_brokers())."""
    import threading
    began = time.monotonic()
    names = []
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind(("127.0.0.1", 53))

    def serve():
        while True:
            try:
                query, peer = dns.recvfrom(512)
            except OSError:
                return
            if not query:
                return
            labels, i = [], 12
            while i < len(query) and query[i]:
                labels.append(query[i + 1:i + 1 + query[i]].decode(errors="replace"))
                i += 1 + query[i]
            names.append(".".join(labels))
            qtype = int.from_bytes(query[i + 1:i + 3], "big")
            answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x09\x08\x07" if qtype == 1 else b""
            header = query[:2] + b"\x81\x80\x00\x01" + (b"\x00\x01" if answer else b"\x00\x00") + b"\x00" * 4
            dns.sendto(header + query[12:i + 5] + answer, peer)
    logger = threading.Thread(target=serve, daemon=True)
    logger.start()
    with open("/run/nscd.conf", "w") as f:
        f.write("".join(f"enable-cache {db} no\n" for db in ("passwd", "group", "services", "netgroup")) +
                "enable-cache hosts yes\npersistent hosts no\nshared hosts no\nnegative-time-to-live hosts 1\n")
    os.makedirs("/run/nscd", mode=0o755, exist_ok=True)
    start = time.monotonic()
    nscd = subprocess.Popen(["nscd", "-f", "/run/nscd.conf", "-F"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while not os.path.exists("/run/nscd/socket") and nscd.poll() is None and time.monotonic() - start < 20:
        time.sleep(0.1)
    row("brokers_nscd_seconds", round(time.monotonic() - start, 1))
    script = "/run/broker-connect.py"
    with open(script, "w") as f:
        f.write(BROKER_CONNECT)
    # what stays: an X11-like socket elsewhere, and syslog's /dev/log
    os.makedirs("/run/x11-like", mode=0o1777, exist_ok=True)
    x11 = socket.socket(socket.AF_UNIX)
    x11.bind("/run/x11-like/X0")
    os.chmod("/run/x11-like/X0", 0o777)
    x11.listen(8)
    devlog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    devlog.bind("/dev/log")
    os.chmod("/dev/log", 0o666)
    devlog.settimeout(2)

    def out(cmd):
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              timeout=60).stdout.split() or ["none"]  # nothing ran
    for who, wrap in (("", NOBODY), ("_root", [])):
        for brokers in ("open", "closed"):
            under = wrap + [E, f"--brokers={brokers}", "--"]
            name = f"{brokers}{who}.exfil.test"
            r = subprocess.run(under + ["getent", "hosts", name], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, timeout=60)
            time.sleep(0.2)
            # "status,left,answered": getent's exit, the name at the logger, its answer back
            row(f"brokers_nscd_{brokers}{who}",
                f"{r.returncode},{int(name in names)},{int(r.stdout.startswith('10.9.8.7'))}")
            got = out(under + ["python3", script, "/run/nscd/socket", "/run/x11-like/X0"]) + ["none"]
            row(f"brokers_socket_{brokers}{who}", got[0])
            row(f"brokers_x11_{brokers}{who}", got[1])
            heard = f"still-heard-{brokers}{who}"
            subprocess.run(under + ["logger", "-u", "/dev/log", heard], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=60)
            try:
                got = int(heard.encode() in devlog.recv(4096))
            except OSError:
                got = 0
            row(f"brokers_devlog_{brokers}{who}", got)
        # the mask undone: umount, then a nested user namespace's umount, then nscd's socket
        # (unshare's own mount() for propagation left out: the Landlock domain refuses it, before umount)
        undo = ("umount /run/nscd 2>/dev/null && echo ok || echo fail; unshare -Urm --propagation unchanged sh -c "
                f"'umount /run/nscd 2>/dev/null && echo ok || echo fail' || echo unshare-failed; python3 {script} "
                "/run/nscd/socket")
        row(f"brokers_undo{who}", ",".join(out(wrap + [E, "--brokers=closed", "--", "sh", "-c", undo])))
    # another of nobody's processes: its root reaches the masked socket but for Landlock's ptrace scope
    outside = subprocess.Popen(NOBODY + ["sleep", "60"])
    time.sleep(0.2)
    via = f"/proc/{outside.pid}/root/run/nscd/socket"
    for name, opts in (("control", None), ("nolandlock", ["--landlock=off"]), ("closed", ["--brokers=closed"])):
        cmd = NOBODY + ([] if opts is None else [E] + opts + ["--"]) + ["python3", script, via]
        row(f"brokers_proc_root_{name}", ",".join(out(cmd)))
    outside.kill()
    outside.wait()
    nscd.terminate()
    nscd.wait()
    for s in (x11, devlog):
        s.close()
    os.unlink("/dev/log")
    daemon_brokers()
    resolved_brokers(names)  # the same DNS logger behind systemd-resolved
    try:
        dns.shutdown(socket.SHUT_RDWR)  # wakes the logger's recvfrom()
    except OSError:
        pass
    logger.join(5)
    dns.close()
    row("brokers_seconds", round(time.monotonic() - began))


def listener():
    """A TCP logger on the VM's own 127.0.0.1 (loggers.py's, as the host's suites use it): whether
    anything connected, and what it sent first (an HTTP or IPP request, a tunnel's handshake); HTTP
    is answered 404. The far side of a broker."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import loggers

    class Listener(loggers.TcpLogger):
        def handle(self, c):
            try:
                data = c.recv(4096)
                if data.startswith((b"GET ", b"POST ")):
                    c.sendall(b"HTTP/1.0 404 Not Found\r\n\r\n")
            except OSError:
                data = b""
            self.received.append(data or b"(connected)")
    return Listener()


class MdnsLogger:
    """The names asked in mDNS queries on lo (224.0.0.251:5353, beside avahi's own socket)."""

    def __init__(self):
        import threading
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("", 5353))
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                             socket.inet_aton("224.0.0.251") + socket.inet_aton("127.0.0.1"))
        self.names = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                query = self.sock.recv(1500)
            except OSError:
                return
            if not query:
                return
            labels, i = [], 12
            while i < len(query) and query[i] and query[i] < 64:
                labels.append(query[i + 1:i + 1 + query[i]].decode(errors="replace"))
                i += 1 + query[i]
            self.names.append(".".join(labels))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


BROKER_RUN = "/run/user/65534"  # nobody's runtime directory: its dirmngr's and PulseAudio's sockets
BROKER_HOME = "/run/brokers-home"
BROKER_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "HOME": BROKER_HOME,
              "XDG_RUNTIME_DIR": BROKER_RUN, "GNUPGHOME": BROKER_HOME + "/gnupg",
              "DBUS_SESSION_BUS_ADDRESS": f"unix:path={BROKER_RUN}/bus", "GIO_USE_VOLUME_MONITOR": "unix"}
CUPS_DIR = "/run/brokers-cups"  # cupsd's ServerRoot
AVAHI_CONF = "/run/brokers-avahi-daemon.conf"
SSH_DIR = "/run/brokers-sshd"
SSH_CLIENT = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile=/dev/null",
              "-o", "StrictHostKeyChecking=no", "-o", "LogLevel=ERROR"]
# a table-restricted login: pam_nonet through libpam (the guest's own pam.d, nobody in its table),
# Brokers= in a nonet-settings.conf that a private mount namespace puts at /etc/security
LOGIN_SETTINGS = ('mount -t tmpfs -o mode=0755 nonet-settings /etc/security && '
                  'echo "Brokers=$0" > /etc/security/nonet-settings.conf && exec "$@"')
AVAHI_ASK = ("import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.settimeout(1)\n"
             "s.connect('/run/avahi-daemon/socket')\n"
             "s.sendall(b'RESOLVE-HOSTNAME-IPV4 ' + sys.argv[1].encode() + b'\\n')\ntry:\n    s.recv(256)\n"
             "except OSError:\n    pass\n")


def nobodys(path, mode=0o700):
    os.makedirs(path, mode=mode, exist_ok=True)
    os.chown(path, 65534, 65534)
    os.chmod(path, mode)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def broker_daemons(listeners, sshd_port):
    """The brokers, started outside as a session's would be: cupsd (root, a private ServerRoot, a
    raw queue to a listener for each row), avahi-daemon (enable-dbus=no), sshd (root's key for
    nobody's client), nobody's own session bus and PulseAudio; then nobody's dirmngr and
    ControlMaster. Returns the processes to stop, by pid; "name_seconds" rows say how long each
    took to be ready."""
    nobodys(BROKER_RUN)
    nobodys(BROKER_HOME)
    nobodys(BROKER_ENV["GNUPGHOME"])
    os.makedirs(CUPS_DIR + "/spool/tmp", exist_ok=True)
    os.makedirs(CUPS_DIR + "/cache", exist_ok=True)
    os.makedirs("/run/cups", mode=0o755, exist_ok=True)
    with open(CUPS_DIR + "/cupsd.conf", "w") as f:
        f.write("Listen /run/cups/cups.sock\nWebInterface no\nBrowsing No\n<Location />\n  Order allow,deny\n"
                "  Allow all\n</Location>\n<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n"
                "</Policy>\n")
    with open(CUPS_DIR + "/cups-files.conf", "w") as f:
        f.write(f"SystemGroup root\nServerRoot {CUPS_DIR}\nRequestRoot {CUPS_DIR}/spool\nTempDir {CUPS_DIR}/spool/tmp\n"
                f"CacheDir {CUPS_DIR}/cache\nStateDir /run/cups\nErrorLog {CUPS_DIR}/error_log\n"
                f"AccessLog {CUPS_DIR}/access_log\nPageLog {CUPS_DIR}/page_log\n")
    with open(CUPS_DIR + "/printers.conf", "w") as f:
        for name, lst in listeners.items():
            if name.startswith("cups_"):
                f.write(f"<Printer {name}>\nDeviceURI ipp://127.0.0.1:{lst.port}/{name}\nState Idle\n"
                        "Accepting Yes\nErrorPolicy abort-job\n</Printer>\n")
    os.chmod(CUPS_DIR + "/printers.conf", 0o600)
    with open(AVAHI_CONF, "w") as f:
        f.write("[server]\nuse-ipv6=no\nenable-dbus=no\n[publish]\ndisable-publishing=yes\n")
    os.makedirs(SSH_DIR, mode=0o755, exist_ok=True)
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege separation
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", SSH_DIR + "/host"], check=True)
    subprocess.run(NOBODY + ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", BROKER_HOME + "/id"], check=True,
                   env=BROKER_ENV)
    with open(SSH_DIR + "/authorized_keys", "w") as f:
        f.write(open(BROKER_HOME + "/id.pub").read())
    with open(SSH_DIR + "/sshd_config", "w") as f:
        f.write(f"ListenAddress 127.0.0.1\nPort {sshd_port}\nHostKey {SSH_DIR}/host\n"
                f"AuthorizedKeysFile {SSH_DIR}/authorized_keys\nPermitRootLogin prohibit-password\n"
                "StrictModes no\nUsePAM no\nPidFile none\n")
    started = time.monotonic()
    daemons = {
        "cupsd": (["cupsd", "-f", "-c", CUPS_DIR + "/cupsd.conf", "-s", CUPS_DIR + "/cups-files.conf"],
                  lambda: os.path.exists("/run/cups/cups.sock")),
        "avahi": (["avahi-daemon", "--no-chroot", "--no-rlimits", "-f", AVAHI_CONF],
                  lambda: os.path.exists("/run/avahi-daemon/socket")),
        # root's shell, bash, would read this machine's /root/.bashrc for each command: not here
        "sshd": (["unshare", "-m", "--propagation", "private", "sh", "-c", "mount -t tmpfs -o mode=0700 root /root && "
                  "exec /usr/sbin/sshd -D -e -f $0", SSH_DIR + "/sshd_config"],
                 lambda: socket.socket().connect_ex(("127.0.0.1", sshd_port)) == 0),
        # nobody's session bus, as the user manager starts it: gvfsd on it by activation
        "bus": (NOBODY + ["dbus-daemon", "--session", "--address=" + BROKER_ENV["DBUS_SESSION_BUS_ADDRESS"],
                          "--nofork", "--nopidfile"], lambda: os.path.exists(BROKER_RUN + "/bus")),
        "pulse": (NOBODY + ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
                            "--load=module-native-protocol-unix", "--load=module-null-sink"],
                  lambda: os.path.exists(BROKER_RUN + "/pulse/native")),
    }
    procs = {name: subprocess.Popen(cmd, env=BROKER_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for name, (cmd, _) in daemons.items()}
    waiting = dict(daemons)
    while waiting and time.monotonic() - started < 30:
        for name, (_, ready) in list(waiting.items()):
            if ready() or procs[name].poll() is not None:
                row(f"brokers_{name}_seconds", round(time.monotonic() - started, 1))
                del waiting[name]
        time.sleep(0.1)
    for name in waiting:
        row(f"brokers_{name}_seconds", "timeout")
    # nobody's own, started outside: dirmngr (it daemonizes) and an ssh ControlMaster to root@
    start = time.monotonic()
    subprocess.run(NOBODY + ["gpgconf", "--launch", "dirmngr"], env=BROKER_ENV, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=60)
    row("brokers_dirmngr_seconds", round(time.monotonic() - start, 1))
    start = time.monotonic()
    subprocess.run(NOBODY + SSH_CLIENT + ["-i", BROKER_HOME + "/id", "-p", str(sshd_port), "-M", "-S",
                                          BROKER_HOME + "/ctl", "-o", "ControlPersist=yes", "-f", "-N",
                                          "root@127.0.0.1"],
                   env=BROKER_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)
    row("brokers_sshcm_seconds", round(time.monotonic() - start, 1))
    return procs


def nobodys_daemons():
    """The pids of nobody's dirmngr and ssh ControlMaster (both went to the background), and of
    gvfs's daemons (activated by the session bus)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            # status, not the directory's owner: ssh and dirmngr make themselves undumpable (root's)
            if "Uid:\t65534\t" in open(f"/proc/{pid}/status").read() and \
                    open(f"/proc/{pid}/comm").read().strip().startswith(("dirmngr", "ssh", "gvfs")):
                pids.append(int(pid))
        except OSError:
            pass
    return pids


def daemon_brokers():
    """Issue 38, the rows but nscd's: each real broker asked by nobody under nonet-exec and through
    a table-restricted login, --brokers=open (the leak reaches the VM's own logger: the control)
    beside closed (nothing reaches it). "reached" or "nothing"; "none" where nothing ran (nonet-exec's
    125, the session refused)."""
    import concurrent.futures
    import shutil
    began = time.monotonic()
    ways = [(f"{login}{brokers}", brokers, login) for login in ("", "login_") for brokers in ("open", "closed")]
    listeners = {f"{b}_{way}": listener() for b in ("dirmngr", "cups", "pulse", "gvfs") for way, _, _ in ways}
    mdns = MdnsLogger()
    sshd_port = free_port()
    procs = broker_daemons(listeners, sshd_port)
    document = "/run/brokers-document.txt"
    with open(document, "w") as f:
        f.write("a secret document\n")
    os.chmod(document, 0o644)
    ask = "/run/brokers-avahi.py"
    with open(ask, "w") as f:
        f.write(AVAHI_ASK)
    asked = []
    for way, brokers, login in ways:
        under = (["unshare", "-m", "--propagation", "private", "sh", "-c", LOGIN_SETTINGS, brokers,
                  os.path.join(BUILD, "tests", "pam-session"), "nonet-test", "nobody", os.path.join(WORK, "pam.d")]
                 + NOBODY) if login else NOBODY + [E, f"--brokers={brokers}", "--"]
        asks = {
            "dirmngr": ["gpg", "--batch", "--fetch-keys",
                        f"http://127.0.0.1:{listeners['dirmngr_' + way].port}/{way}.asc"],
            "cups": ["lp", "-d", f"cups_{way}", document],
            "pulse": ["pactl", "load-module", "module-tunnel-sink",
                      f"server=tcp:127.0.0.1:{listeners['pulse_' + way].port}", f"sink_name=tunnel_{way}"],
            "avahi": ["python3", ask, f"{way.replace('_', '-')}-exfil.local"],
            "gvfs": ["timeout", "30", "gio", "cat", f"http://127.0.0.1:{listeners['gvfs_' + way].port}/{way}"],
            "sshcm": SSH_CLIENT + ["-o", "ControlMaster=no", "-S", BROKER_HOME + "/ctl", "x",
                                   f"echo pwned > /run/cm-marker-{way}"],
        }
        asked += [(f"{broker}_{way}", under + cmd, brokers, login) for broker, cmd in asks.items()]

    def ask_one(name, cmd, brokers, login):
        r = subprocess.run(cmd, env=BROKER_ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        ran = b"session: Success" in r.stdout if login else r.returncode not in (125, 126, 127)  # 127: not found
        if not ran and brokers == "open":  # nonet-exec's or pam-session's account of it
            print("# " + r.stdout.decode(errors="replace").replace("\n", "\n# "), flush=True)
        return name, ran
    # each row independent of the others (a logger, a name or a marker of its own): four at a time
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = dict(pool.map(lambda a: ask_one(*a), asked))

    def reached(name):
        broker, way = name.split("_", 1)
        if broker == "avahi":
            return f"{way.replace('_', '-')}-exfil.local" in mdns.names
        if broker == "sshcm":
            return os.path.exists(f"/run/cm-marker-{way}")
        return bool(listeners[name].received)
    # what the controls take to arrive (a print job's backend is slowest), closed rows given as long
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline and not all(reached(n) for n in statuses if "open" in n):
        time.sleep(0.2)
    time.sleep(2)
    for name, ran in statuses.items():
        row(f"brokers_{name}", "reached" if reached(name) else "nothing" if ran else "none")
    # stopped by pid: nobody's ControlMaster, dirmngr and gvfs's daemons, then the others
    for pid in nobodys_daemons():
        os.kill(pid, 9)
    for proc in procs.values():
        proc.terminate()
    for proc in procs.values():
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for lst in listeners.values():
        lst.close()
    mdns.close()
    for path in (BROKER_RUN, BROKER_HOME, CUPS_DIR, SSH_DIR, "/run/cups", "/run/avahi-daemon"):
        shutil.rmtree(path, ignore_errors=True)
    row("brokers_daemons_seconds", round(time.monotonic() - began))


RESOLVED = "/run/nonet-resolved"  # the unpacked package, passwd and group with its user, the bus's system.d
RESOLVED_VARLINK = "/run/systemd/resolve/io.systemd.Resolve"
RESOLVED_ASK = ("import json, socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.settimeout(5)\n"
                f"s.connect('{RESOLVED_VARLINK}')\n"
                "s.sendall(json.dumps({'method': 'io.systemd.Resolve.ResolveHostname',"
                " 'parameters': {'name': sys.argv[1]}}).encode() + b'\\0')\ns.recv(4096)\n")
# a mount namespace of the resolved rows': systemd-resolve in passwd and group (resolved drops to it, the
# bus's policy names it), the bus's system.d; the guest's /etc is this machine's, read-only
RESOLVED_NS = ('mount --bind $0/passwd /etc/passwd && mount --bind $0/group /etc/group && '
               'mount --bind $0/system.d /etc/dbus-1/system.d && touch $0/ready && exec sleep 600')
# a /tmp for nonet-exec's xdg-dbus-proxy socket (the guest's is this machine's, read-only), a command's own:
# the logins' pam.d is in this machine's. The build tree ($0) stays where it is when it is under /tmp (CI's
# clean clone is /tmp/ci): the host's /tmp is bound aside first, and the tree bound back from there.
OWN_TMP = ["unshare", "-m", "--propagation", "private", "sh", "-c",
           'mkdir -p /run/outer-tmp && mount --bind /tmp /run/outer-tmp && mount -t tmpfs -o mode=1777 tmp /tmp && '
           'case "$0" in /tmp/*) mkdir -p "$0" && mount --bind "/run/outer-tmp/${0#/tmp/}" "$0";; esac && exec "$@"',
           BUILD]


def resolved_setup():
    """systemd-resolved 252 unpacked from Debian's package (resolvedpkg: the host fetched it), the
    files of RESOLVED_NS, resolved's configuration (the DNS logger on 127.0.0.1) and a veth pair with
    a default route (resolved asks nothing while only lo is up). Its root, or None without the package."""
    import pwd
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import resolvedpkg
    os.makedirs(RESOLVED + "/root")
    try:
        root = resolvedpkg.unpack(RESOLVED + "/root")
    except Exception as e:  # the host says whether that may be
        print(f"# no systemd-resolved: {e}", flush=True)
        return None
    uid = next(u for u in range(999, 100, -1) if not any(p.pw_uid == u or p.pw_gid == u for p in pwd.getpwall()))
    with open(RESOLVED + "/passwd", "w") as f:
        f.write(open("/etc/passwd").read() + f"systemd-resolve:x:{uid}:{uid}::/run/systemd/resolve:/usr/sbin/nologin\n")
    with open(RESOLVED + "/group", "w") as f:
        f.write(open("/etc/group").read() + f"systemd-resolve:x:{uid}:\n")
    os.makedirs(RESOLVED + "/system.d", mode=0o755)
    subprocess.run(["cp", root + "/usr/share/dbus-1/system.d/org.freedesktop.resolve1.conf", RESOLVED + "/system.d/"],
                   check=True)
    os.makedirs("/run/systemd/resolved.conf.d", exist_ok=True)
    with open("/run/systemd/resolved.conf.d/nonet.conf", "w") as f:
        f.write("[Resolve]\nDNS=127.0.0.1\nLLMNR=no\nMulticastDNS=no\nDNSStubListener=no\n")
    os.makedirs("/run/systemd/resolve", exist_ok=True)
    os.chown("/run/systemd/resolve", uid, uid)
    os.makedirs("/run/dbus", exist_ok=True)
    for cmd in (["link", "add", "nnrv0", "type", "veth", "peer", "name", "nnrv1"],
                ["addr", "add", "10.1.1.1/24", "dev", "nnrv0"], ["link", "set", "nnrv0", "up"],
                ["link", "set", "nnrv1", "up"], ["route", "add", "default", "via", "10.1.1.2"]):
        subprocess.run(["ip"] + cmd, check=True)
    return root


def resolved_brokers(names):
    """Issue 38, systemd-resolved's row: the real resolved 252 (unpacked, not installed) on a system
    bus of its own, asked by nobody through its varlink socket (as nss-resolve asks), and over D-Bus
    by resolvectl query and dbus-send, under nonet-exec and through a table-restricted login; names is the DNS
    logger's. "reached", "nothing" or "none" (nothing ran): --brokers=open beside closed (the socket
    masked, the bus filtered by xdg-dbus-proxy or closed by the table's D-Bus policy); a closed login
    where no policy is written is refused, "login_policy" is one with it."""
    import concurrent.futures
    import shutil
    began = time.monotonic()
    kinds = ("varlink", "resolvectl", "dbussend")
    ways = ("open", "closed", "login_open", "login_closed", "login_policy")
    root = resolved_setup()
    if not root:
        for kind in kinds:
            for way in ways:
                row(f"brokers_resolved_{kind}_{way}", "unavailable")
        return
    ask = RESOLVED + "/ask.py"
    with open(ask, "w") as f:
        f.write(RESOLVED_ASK)
    holder = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", RESOLVED_NS, RESOLVED])
    while not os.path.exists(RESOLVED + "/ready") and holder.poll() is None:
        time.sleep(0.05)
    inside = ["nsenter", "-t", str(holder.pid), "-m", "--"]
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    bus = subprocess.Popen(inside + ["dbus-daemon", "--system", "--nofork", "--nopidfile"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not os.path.exists("/run/dbus/system_bus_socket") and bus.poll() is None:
        time.sleep(0.05)
    resolved = subprocess.Popen(inside + [root + "/lib/systemd/systemd-resolved"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    owner = inside + ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus", "/",
                      "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.resolve1"]
    while time.monotonic() - began < 60 and resolved.poll() is None and not (
            os.path.exists(RESOLVED_VARLINK) and "true" in subprocess.run(owner, stdout=subprocess.PIPE,
                                                                          text=True).stdout):
        time.sleep(0.1)
    row("brokers_resolved_ready_seconds", round(time.monotonic() - began, 1))

    def asked(kind, way):
        name = f"resolved-{kind}-{way.replace('_', '-')}.exfil.test"
        login = way.startswith("login_")
        brokers = "open" if way.endswith("open") else "closed"
        under = (["unshare", "-m", "--propagation", "private", "sh", "-c", LOGIN_SETTINGS, brokers,
                  os.path.join(BUILD, "tests", "pam-session"), "nonet-test", "nobody", os.path.join(WORK, "pam.d")]
                 + NOBODY) if login else OWN_TMP + NOBODY + [E, f"--brokers={brokers}", "--"]
        cmd = {"varlink": ["python3", ask, name],
               "resolvectl": ["timeout", "10", root + "/usr/bin/resolvectl", "query", name],
               # libdbus's, beside sd-bus's resolvectl: xdg-dbus-proxy 0.1.4 (Debian 12) drops sd-bus's
               # connections (flatpak/xdg-dbus-proxy#21), so only a libdbus client shows the filter
               "dbussend": ["timeout", "10", "dbus-send", "--system", "--print-reply",
                            "--dest=org.freedesktop.resolve1", "/org/freedesktop/resolve1",
                            "org.freedesktop.resolve1.Manager.ResolveHostname", "int32:0", f"string:{name}",
                            "int32:2", "uint64:0"]}[kind]
        return f"{kind}_{way}", name, inside + under + cmd, login

    def ask_one(name, host, cmd, login):
        r = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        ran = b"session: Success" in r.stdout if login else r.returncode not in (125, 126, 127)  # 127: not found
        if not ran and "login_closed" not in name:  # nonet-exec's or pam-session's account of it
            print(f"# {name}: " + r.stdout.decode(errors="replace").replace("\n", "\n# "), flush=True)
        return name, host, ran

    def ask_all(rows):
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda a: ask_one(*a), rows))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(host in names for name, host, _ in got if "open" in name):
            time.sleep(0.1)
        time.sleep(1)
        for name, host, ran in got:
            row(f"brokers_resolved_{name}", "reached" if host in names else "nothing" if ran else "none")
    # the table's D-Bus policy written after the rows that go without it
    ask_all([asked(kind, way) for way in ways[:-1] for kind in kinds])
    subprocess.run([E, "--write-dbus-policy=" + RESOLVED + "/system.d/nonet.conf",
                    "--table=" + os.path.join(WORK, "nonet.conf")], stdout=subprocess.DEVNULL, check=True)
    subprocess.run(inside + ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus", "/",
                             "org.freedesktop.DBus.ReloadConfig"], stdout=subprocess.DEVNULL, check=True)
    ask_all([asked(kind, "login_policy") for kind in kinds])
    # stopped by pid, the holder last; nothing of theirs left for the suites after
    for proc in (resolved, bus, holder):
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    subprocess.run(["ip", "link", "del", "nnrv0"], check=True)  # its peer and the default route with it
    for path in (RESOLVED, "/run/systemd/resolve", "/run/systemd/resolved.conf.d", "/run/dbus"):
        shutil.rmtree(path, ignore_errors=True)
    row("brokers_resolved_seconds", round(time.monotonic() - began))


def differential():
    """Nothing but the network (tests/test-differential.py): the corpus unrestricted and under
    each mode, one row each: the differences no README row allows (case=result), or none."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "differential", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test-differential.py"))
    d = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(d)
    os.makedirs("/dev/shm", exist_ok=True)  # devtmpfs has none: the corpus renames across it
    os.chmod("/dev/shm", 0o1777)
    corpus = d.Corpus(os.path.join(BUILD, "tests", "differ"), E)
    try:
        control = corpus.run("control")
        row("diff_control", ",".join(f"{case}={control.get(case)}" for case in d.CONTROL_WORKS
                                     if control.get(case) != "ok") or "ok")
        for name, opts in (("plain", []), ("private_loopback", ["--private-loopback"]),
                           ("no_abstract", ["--unix=no-abstract"]),
                           ("unix_listed", ["--unix=listed", "--unix-path={helper}"])):
            if "--private-loopback" in opts and control.get("userns") != "ok":
                row(f"diff_{name}", "no-userns")  # as the control's unshare(CLONE_NEWUSER) says
                continue
            mode = corpus.mode(name, opts)
            got = corpus.under(mode)
            if isinstance(got, str):  # 125: this kernel cannot give the mode (user namespaces, ABI 6)
                row(f"diff_{name}", "unavailable")
                row(f"diff_{name}_why", " ".join(got.split())[:300])
                continue
            unexpected, allowed = d.compare(control, got, mode)
            row(f"diff_{name}", ",".join(f"{case}={have}" for case, _, have in unexpected) or "none")
            # what the README's rows allow here, for the log
            row(f"diff_{name}_allowed", ",".join(c.replace(" ", "=") for cases in allowed.values() for c in cases)
                or "none")
    finally:
        corpus.close()


def main():
    kernel_abi = abi()
    row("abi", kernel_abi)
    out = subprocess.run([E, "--status"], stdout=subprocess.PIPE, text=True).stdout
    row("rows", next((line.split(": ")[1] for line in out.splitlines() if line.startswith("landlock rows")), "?"))
    legacy = "/proc/sys/dev/tty/legacy_tiocsti"
    row("legacy_tiocsti", open(legacy).read().strip() if os.path.exists(legacy) else "none")
    row("inet", as_nobody(PROBE, "socket", "inet"))
    row("off_inet", as_nobody(PROBE, "socket", "inet", opts=["--landlock=off"]))
    row("require", as_nobody("true", opts=["--landlock=require"]))
    row("io_uring", as_nobody(PROBE, "io_uring"))
    # the 32-bit entry: whether the kernel runs it (ia32_emulation=off faults: -11), and its control
    row("ia32", status(NOBODY + [PROBE, "int80-getpid"]))
    row("int80_control", status(NOBODY + [PROBE, "int80-socket", "inet"]))
    row("int80", as_nobody(PROBE, "int80-socket", "inet"))

    # inherited sockets: TCP (Landlock ABI 4), UDP (ABI 10), MPTCP (never)
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(64)
    port = lst.getsockname()[1]
    udp_srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp_srv.bind(("127.0.0.1", 0))
    udp_port = udp_srv.getsockname()[1]
    for opts, suffix in (([], ""), (["--inherited=accept"], "_accept")):
        s = socket.socket()
        row("tcp_inherited" + suffix, as_nobody(PROBE, "connect-fd", s.fileno(), port, fds=[s.fileno()], opts=opts))
        s.close()
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        row("udp_inherited" + suffix, as_nobody(PROBE, "sendto-fd", s.fileno(), udp_port, fds=[s.fileno()],
                                                opts=opts))
        s.close()
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, IPPROTO_MPTCP)
        row("mptcp_inherited", as_nobody("true", fds=[s.fileno()]))
        s.close()
    except OSError:
        row("mptcp_inherited", "unavailable")
    # a thread running before the process restricts itself (Landlock's TSYNC, ABI 8)
    s = socket.socket()
    row("thread_before", status(NOBODY + [PROBE, "thread-connect-fd", str(s.fileno()), str(port)], [s.fileno()]))
    s.close()
    # held sockets that could be re-aimed: connected TCP (re-connect, Fast Open), connected UDP
    # and listen() after the disconnect: the residual, where this kernel's control has it
    for how in ("connect", "fastopen", "listen"):
        for opts, suffix in ((None, "_control"), ([], "")):
            c = socket.create_connection(("127.0.0.1", port))
            args = [PROBE, "reaim-fd", how, c.fileno(), port]
            row(f"reaim_{how}{suffix}", status(NOBODY + [str(a) for a in args], [c.fileno()]) if opts is None
                else as_nobody(*args, fds=[c.fileno()]))
            c.close()
    # a launcher's own connection, open until exec (slurmstepd's, in spank_nonet's task): closed
    # on exec, it never reaches the program and is not judged; kept, it is (its control)
    for mode in ("cloexec", "kept"):
        c = socket.create_connection(("127.0.0.1", port))
        cmd = [PROBE, "restrict-exec", mode, str(c.fileno()), PROBE, "socket", "inet"]
        row(f"exec_held_{mode}", status(NOBODY + cmd, [c.fileno()]))
        c.close()
    oci()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect(("127.0.0.1", udp_port))
    row("udp_connected", as_nobody("true", fds=[u.fileno()]))
    u.close()
    # --log: Landlock's own records of the command's refusals too (ABI 7), with audit on (audit=1)
    for opts, name in ((["--inherited=accept"], "landlock_nolog"), (["--inherited=accept", "--log"], "landlock_log")):
        kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(kmsg, 0, os.SEEK_END)
        s = socket.socket()
        as_nobody(PROBE, "connect-fd", s.fileno(), port, fds=[s.fileno()], opts=opts)
        s.close()
        time.sleep(0.5)
        text = b""
        while True:
            try:
                text += os.read(kmsg, 65536)
            except BlockingIOError:
                break
        os.close(kmsg)
        row(name, int(b"type=1423" in text and b'comm="probe"' in text))
    doors()

    # unix: whole by default, no-abstract by choice
    name = f"nonet-kernel-{os.getpid()}"
    a = socket.socket(socket.AF_UNIX)
    a.bind("\0" + name)
    a.listen(8)
    row("abstract", as_nobody(PROBE, "abstract-connect", name))
    row("noabs_abstract", as_nobody(PROBE, "abstract-connect", name, opts=["--unix=no-abstract"]))

    # listed (ABI 9): named sockets outside only beneath the listed paths
    listeners = []
    for d in ("listed", "other", "inside"):
        os.makedirs(f"/run/{d}", mode=0o1777, exist_ok=True)
        os.chmod(f"/run/{d}", 0o1777)
    for d in ("listed", "other"):
        u = socket.socket(socket.AF_UNIX)
        u.bind(f"/run/{d}/sock")
        os.chmod(f"/run/{d}/sock", 0o777)
        u.listen(8)
        listeners.append(u)
    listed = ["--unix=listed", "--unix-path=/run/listed"]
    row("listed_listed", as_nobody(PROBE, "unix-connect", "/run/listed/sock", opts=listed))
    row("listed_unlisted", as_nobody(PROBE, "unix-connect", "/run/other/sock", opts=listed))
    row("listed_inside", as_nobody(PROBE, "unix-local", "path", "/run/inside/sock", opts=listed))
    row("listed_abstract", as_nobody(PROBE, "abstract-connect", name, opts=listed))

    # a process outside, as nobody
    outside = subprocess.Popen(NOBODY + ["sleep", "60"])
    time.sleep(0.2)
    row("ptrace", as_nobody(PROBE, "ptrace", outside.pid))
    outside.kill()

    # typing into the terminal: refused under nonet-exec whatever the kernel allows
    row("tiocsti_control", in_terminal(NOBODY + [PROBE, "ioctl-raw", "0x5412"]))
    row("tiocsti", in_terminal(NOBODY + [E, PROBE, "ioctl-raw", "0x5412"]))

    # pam_nonet through libpam, with a table naming nobody
    row("pam_inet", status([os.path.join(BUILD, "tests", "pam-session"), "nonet-test", "nobody",
                            os.path.join(WORK, "pam.d"), PROBE, "socket", "inet"]))
    realwork()
    if "ia32_emulation=off" not in open("/proc/cmdline").read():  # a kernel booted again: built once
        package_builds(kernel_abi)
    in_flight_and_namespaces()
    brokers()
    differential()
    row("done", 0)


if __name__ == "__main__":
    main()
