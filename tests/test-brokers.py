#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The machine's own brokers (issue 38): nonet-exec --check-config names each daemon a restricted
session can have use the network for it, with the administrator's lever, from files and sockets
made in a private root (see privroot.py); a tree without them, or with the levers pulled, is the
control. The sockets are the test's own, listening: check-config must never connect to one (but
nscd's, which glibc asks for the names it looks up). Then the real nscd, Debian's configuration:
under nonet-exec, getent hosts gets its answer from a DNS logger on 127.0.0.1 through it; with
nscd stopped, or its hosts cache off, nothing reaches the logger."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import loggers  # noqa: E402
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import (BUILD, IN_CI, Programs, Skip, as_user, check, check_eq, main, run, test,  # noqa: E402
                       unprivileged_ids)

R = privroot.PrivateRoot()
P = Programs()
E = P.nonet_exec

R.write("/etc/security/nonet.conf", "* hard network off\n")

NSCD = "/run/nscd/socket"
RESOLVED = "/run/systemd/resolve/io.systemd.Resolve"
AVAHI = "/run/avahi-daemon/socket"
CUPS = "/run/cups/cups.sock"
USER_DIR = "/run/user/1000"

_listening = {}


def listen(path):
    """A unix socket at path, listening, as the daemon's would be."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)
    if path == NSCD:
        # glibc asks nscd for every name check-config looks up: hang up at once, as a daemon that
        # does not know the name would, rather than let each lookup wait for its timeout
        threading.Thread(target=hang_up, args=(s,), daemon=True).start()
    else:
        s.setblocking(False)
    _listening[path] = s


def hang_up(s):
    try:
        while True:
            s.accept()[0].close()
    except OSError:
        pass  # closed by forget()


def forget(path):
    _listening.pop(path).close()
    os.unlink(path)


def connected():
    """The sockets something connected to since they were made; not nscd's, which glibc itself asks
    for the names check-config looks up, as it would ask the real nscd."""
    hit = []
    for path, s in _listening.items():
        if path == NSCD:
            continue
        try:
            s.accept()[0].close()
            hit.append(path)
        except BlockingIOError:
            pass
    return hit


def remove(*paths):
    for path in paths:
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.lexists(path):
            os.unlink(path)


PRINTERS = """# Printer configuration file for CUPS
<DefaultPrinter office>
Info Office
DeviceURI ipp://secret:pw@printer.example/ipp/print
State Idle
</DefaultPrinter>
<Printer local>
DeviceURI usb://Brother/HL-L2350DW
</Printer>
<Printer limited>
DeviceURI socket://10.0.0.9:9100
DenyUser @nn-lab
</Printer>
"""


def machine_with_brokers():
    remove("/etc/nscd.conf", "/etc/avahi", "/etc/cups", "/run/user")
    R.write("/etc/nscd.conf", "#\tenable-cache\thosts\tno\n\tenable-cache\t\tpasswd\t\tyes\n"
            "\tenable-cache\t\thosts\t\tyes\n\tpositive-time-to-live\thosts\t3600\n")
    R.write("/etc/nsswitch.conf", "passwd: files\ngroup: files\n"
            "hosts: files mdns4_minimal [NOTFOUND=return] resolve [!UNAVAIL=return] dns\n")
    R.write("/etc/avahi/avahi-daemon.conf", "[server]\nuse-ipv6=yes\n\n[wide-area]\nenable-wide-area=yes\n")
    R.write("/etc/cups/printers.conf", PRINTERS, mode=0o600)
    R.write("/etc/pam.d/systemd-user", "account include common-account\n@include common-session-noninteractive\n")
    R.write("/etc/pam.d/common-session-noninteractive", "session required pam_unix.so\n")
    for path in (NSCD, RESOLVED, AVAHI, CUPS, USER_DIR + "/bus", USER_DIR + "/gnupg/S.dirmngr"):
        listen(path)


def check_config():
    r = run([E, "--check-config"], timeout=120)
    check_eq(connected(), [], "check-config connected to none of the daemons' sockets")
    # live ssh/tmux/screen servers are the machine's processes, not this root's files: a
    # developer's own tmux is left out of what the test judges, the test's own are kept
    r.stderr = "".join(line for line in r.stderr.splitlines(keepends=True)
                       if " listens at " not in line or any(f"(pid {pid}," in line for pid in OUR_SERVERS))
    return r


OUR_SERVERS = []


@test
def check_config_names_each_broker_with_its_lever():
    machine_with_brokers()
    r = check_config()
    check_eq(r.returncode, 0, "brokers are warnings, not errors: " + r.stderr)
    for said in ("warning: broker: nscd (/run/nscd/socket) caches hosts (/etc/nscd.conf:3: enable-cache hosts yes)",
                 "to close it: enable-cache hosts no",
                 f"warning: broker: systemd-resolved ({RESOLVED}) resolves any name",
                 "D-Bus (org.freedesktop.resolve1), and every name lookup through it (/etc/nsswitch.conf:3: resolve)",
                 "a D-Bus policy denying org.freedesktop.resolve1 to the restricted users' group",
                 f"warning: broker: avahi-daemon ({AVAHI}) sends mDNS queries to the local link",
                 "unicast DNS queries for any name (/etc/avahi/avahi-daemon.conf:5: enable-wide-area=yes)",
                 "to the local link for a restricted session (every .local lookup: /etc/nsswitch.conf:3), and "
                 "unicast DNS",
                 "(/etc/avahi/avahi-daemon.conf:5: enable-wide-area=yes), over this socket and D-Bus "
                 "(org.freedesktop.Avahi)",
                 "to close it: enable-wide-area=no; enable-dbus=no or a D-Bus policy denying org.freedesktop.Avahi",
                 f"warning: broker: cupsd ({CUPS}) sends what a restricted session prints on queue office over the "
                 "network (/etc/cups/printers.conf:4: DeviceURI ipp://...)",
                 "lpadmin -p office -u deny:@GROUP",
                 "warning: broker: /run/user/1000 holds sockets of per-user daemons started outside a restricted "
                 "session (gnupg/S.dirmngr, bus:",
                 "where it runs pam_nonet (it does not: pam-auth-update --enable nonet adds it)",
                 "nonet-exec --unix=listed (Landlock ABI 9) closes its socket"):
        check(said in r.stderr, f"{said!r} in: {r.stderr}")
    check("secret" not in r.stderr and "printer.example" not in r.stderr, "a DeviceURI's password and host unsaid")
    check("queue local" not in r.stderr and "queue limited" not in r.stderr,
          "a usb queue and one with DenyUser are not brokers: " + r.stderr)
    check_eq(r.stderr.count("broker: "), 5, "one line each: " + r.stderr)
    # avahi with wide-area and D-Bus off still answers .local names on its socket: said, without those levers
    R.write("/etc/avahi/avahi-daemon.conf", "[server]\nenable-dbus=no\n[wide-area]\nenable-wide-area=no\n")
    r = check_config()
    check(f"broker: avahi-daemon ({AVAHI}) sends mDNS queries to the local link for a restricted session (every "
          ".local lookup: /etc/nsswitch.conf:3), over this socket; to close it: nonet-exec --unix=listed" in r.stderr,
          r.stderr)


@test
def the_user_manager_restricted_is_said():
    R.write("/etc/pam.d/common-session-noninteractive",
            "session required pam_unix.so\nsession [success=ok default=die] pam_nonet.so\n")
    r = check_config()
    check("where it runs pam_nonet (it does)" in r.stderr, r.stderr)
    # "session include", as other distributions write it, and only the session stage counts
    R.write("/etc/pam.d/systemd-user", "account required pam_nonet.so\nsession include nonet-only\n")
    R.write("/etc/pam.d/nonet-only", "session optional pam_permit.so\n")
    check("where it runs pam_nonet (it does not: " in check_config().stderr, "an account line is no session")
    R.write("/etc/pam.d/nonet-only", "-session optional pam_nonet.so\n")
    check("where it runs pam_nonet (it does)" in check_config().stderr, "through session include")


@test
def not_root_cannot_read_the_queues():
    os.chmod(P.dir, 0o755)
    r = run(as_user([E, "--check-config"]), timeout=120)
    check(f"warning: cupsd is running ({CUPS}), but /etc/cups/printers.conf cannot be read (Permission denied): "
          "whether it acts for a restricted session is not judged; run --check-config as root" in r.stderr, r.stderr)
    check("queue office" not in r.stderr, r.stderr)
    check_eq(connected(), [], "no connection")


@test
def control_no_broker_named():
    # the levers pulled: hosts cache off, resolve and mdns out of NSS, a local queue and a limited one
    R.write("/etc/nscd.conf", "\tenable-cache\t\thosts\t\tyes\n\tenable-cache\t\thosts\t\tno\n")
    R.write("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n")
    R.write("/etc/cups/printers.conf", PRINTERS.replace("ipp://secret:pw@printer.example/ipp/print", "usb://x"),
            mode=0o600)
    # the daemons not running: resolved, avahi, no user's runtime directory
    for path in (RESOLVED, AVAHI, USER_DIR + "/bus", USER_DIR + "/gnupg/S.dirmngr"):
        forget(path)
    r = check_config()
    check_eq((r.returncode, r.stderr), (0, ""), "nothing to say")
    # nscd's socket and a hosts cache, but no daemon behind a configuration: nothing either
    forget(NSCD)
    R.write("/etc/nscd.conf", "enable-cache hosts yes\n")
    forget(CUPS)
    R.write("/etc/cups/printers.conf", PRINTERS, mode=0o600)
    r = check_config()
    check_eq((r.returncode, r.stderr), (0, ""), "configured but not running")


class DnsLogger(loggers.DnsLogger):
    """A DNS server on 127.0.0.1:53 that logs each name asked and answers A with 10.9.8.7: the far
    side a broker reaches for a restricted session (loggers.py)."""

    def __init__(self):
        super().__init__(answer="10.9.8.7")


# Debian's own nscd.conf, as the package installs it (read before the tests above replace it)
DEBIAN_NSCD_CONF = open("/etc/nscd.conf").read() if os.path.exists("/etc/nscd.conf") else None


class Nscd:
    """The real nscd in this private root: its /run/nscd, a tmpfs on /var/cache/nscd (its persistent
    caches), killed with the test however it ends."""

    def __init__(self, conf):
        R.write("/etc/nscd.conf", conf)
        os.makedirs("/run/nscd", exist_ok=True)
        os.makedirs("/var/cache/nscd", exist_ok=True)
        if not os.path.ismount("/var/cache/nscd"):
            privroot.sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/var/cache/nscd")
        self.proc = subprocess.Popen(["nscd", "-F"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=die_with_parent)
        for _ in range(100):
            if os.path.exists(NSCD) or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        check(self.proc.poll() is None and os.path.exists(NSCD), "nscd is up")

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for name in ("socket", "nscd.pid"):
            remove(os.path.join("/run/nscd", name))


def die_with_parent():
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def lookup_under_nonet(name):
    """getent hosts NAME under nonet-exec as an unprivileged user: its output."""
    r = run(as_user([E, "getent", "hosts", name]), timeout=30)
    return r.stdout.strip()


@test
def the_real_nscd_resolves_for_a_restricted_process():
    if not shutil.which("nscd") or DEBIAN_NSCD_CONF is None:
        if IN_CI:
            raise AssertionError("nscd is not installed in CI (tools/install-deps installs it)")
        raise Skip("nscd is not installed (tools/install-deps installs it)")
    remove(USER_DIR)
    R.write("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n")
    R.write("/etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    dns = DnsLogger()
    try:
        # the control: nscd stopped, the restricted process's own DNS socket is refused
        check_eq(lookup_under_nonet("control-stopped.exfil.test"), "", "no answer without nscd")
        check_eq(dns.names, [], "nothing received without nscd")
        nscd = Nscd(DEBIAN_NSCD_CONF)
        try:
            out = lookup_under_nonet("secret-1.exfil.test")
            check("secret-1.exfil.test" in dns.names, f"the name left through nscd: {dns.names}")
            check(out.startswith("10.9.8.7") and "secret-1.exfil.test" in out, "and its answer came back: " + out)
            r = check_config()
            check("warning: broker: nscd (/run/nscd/socket) caches hosts (/etc/nscd.conf:" in r.stderr, r.stderr)
        finally:
            nscd.stop()
        # the lever: the same nscd with its hosts cache off answers nothing for hosts
        nscd = Nscd(DEBIAN_NSCD_CONF.replace("enable-cache\t\thosts\t\tyes", "enable-cache\t\thosts\t\tno"))
        try:
            check_eq(lookup_under_nonet("secret-2.exfil.test"), "", "no answer with the hosts cache off")
            check("secret-2.exfil.test" not in dns.names, f"nothing left with the hosts cache off: {dns.names}")
            check("broker: nscd" not in check_config().stderr, "and check-config names no nscd")
        finally:
            nscd.stop()
    finally:
        dns.close()


# Brokers closed (issue 38, "close it"): the same real nscd, and real buses, X server and syslog,
# each beside the control that shows it reachable.

NOBODY = unprivileged_ids()
PYTHON = "/usr/bin/python3"  # the system's, which every user can run
NOBODY_DIR = f"/run/user/{NOBODY[0]}"


def need(program, package):
    if not shutil.which(program) and not os.access(program, os.X_OK):
        if IN_CI:
            raise AssertionError(f"{program} is not installed in CI (tools/install-deps installs {package})")
        raise Skip(f"{program} is not installed ({package})")


def need_nscd():
    if not shutil.which("nscd") or DEBIAN_NSCD_CONF is None:
        need("nscd-missing", "nscd")


def resolving_through_nscd():
    """The real nscd with Debian's configuration, a DNS logger behind it: (nscd, logger)."""
    need_nscd()
    R.write("/etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n")
    R.write("/etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    dns = DnsLogger()
    try:
        return Nscd(DEBIAN_NSCD_CONF), dns
    except BaseException:
        dns.close()
        raise


CONNECT_PY = P.writable("connect.py")
with open(CONNECT_PY, "w") as f:
    f.write("import socket, sys\ntry:\n    socket.socket(socket.AF_UNIX).connect(sys.argv[1])\n    print('connected')\n"
            "except OSError as e:\n    print(e.strerror)\n")
os.chmod(CONNECT_PY, 0o644)


def connect_under(wrap, brokers, path):
    """What a restricted process sees connecting to path: "connected" or the error's text."""
    r = run(wrap([E, f"--brokers={brokers}", PYTHON, CONNECT_PY, path]), timeout=30)
    check_eq(r.returncode, 0, "ran: " + r.stderr)
    return r.stdout.strip()


def root(cmd):
    return list(cmd)


@test
def brokers_closed_nscd_reaches_nothing_for_a_user_and_for_root():
    nscd, dns = resolving_through_nscd()
    try:
        for who, wrap in (("user", as_user), ("root", root)):
            # the control: open, as today, the name leaves through nscd and the answer comes back
            r = run(wrap([E, "--brokers=open", "getent", "hosts", f"open-{who}.exfil.test"]), timeout=30)
            check(f"open-{who}.exfil.test" in dns.names, f"{who}, open: the name left through nscd: {dns.names}")
            check(r.stdout.startswith("10.9.8.7"), f"{who}, open: its answer came back: {r.stdout}")
            # closed: nothing leaves, and the user sees a plain failure (getent: not found)
            r = run(wrap([E, "--brokers=closed", "getent", "hosts", f"closed-{who}.exfil.test"]), timeout=30)
            check_eq((r.returncode, r.stdout), (2, ""), f"{who}, closed: no answer ({r.stderr})")
            check(f"closed-{who}.exfil.test" not in dns.names, f"{who}, closed: nothing received: {dns.names}")
            check_eq(connect_under(wrap, "open", NSCD), "connected", f"{who}, open: nscd's socket")
            check_eq(connect_under(wrap, "closed", NSCD), "No such file or directory", f"{who}, closed")
        # /etc/hosts is glibc's own: it stays
        R.write("/etc/hosts", "127.0.0.1 localhost\n10.1.2.3 printer.lan\n")
        r = run(as_user([E, "--brokers=closed", "getent", "hosts", "printer.lan"]), timeout=30)
        check(r.stdout.startswith("10.1.2.3"), "/etc/hosts answers under closed: " + r.stdout + r.stderr)
    finally:
        nscd.stop()
        dns.close()


@test
def brokers_closed_cannot_be_undone_by_the_user():
    need_nscd()
    os.makedirs("/run/nscd", exist_ok=True)
    listen(NSCD)
    os.chmod(NSCD, 0o666)  # as nscd's own
    outside = subprocess.Popen(as_user(["sleep", "60"]), preexec_fn=die_with_parent)
    try:
        via_proc = f"/proc/{outside.pid}/root{NSCD}"
        # the controls: the mask is there, and outside it the same user reaches the socket both ways
        r = run(as_user([PYTHON, CONNECT_PY, via_proc]))
        check_eq(r.stdout.strip(), "connected", "unrestricted: through another process's root")
        # why closed needs Landlock: without its ptrace scoping, that way is open under nonet
        r = run(as_user([E, "--landlock=off", PYTHON, CONNECT_PY, via_proc]))
        check_eq(r.stdout.strip(), "connected", "--landlock=off: through another process's root: " + r.stderr)
        r = run(as_user([E, "--brokers=closed", "grep", " /run/nscd ", "/proc/self/mountinfo"]))
        check(" - tmpfs nonet-brokers ro" in r.stdout, "the mask: " + r.stdout + r.stderr)
        # closed: no way around it
        check_eq(connect_under(as_user, "closed", via_proc), "Permission denied",
                 "closed: another process's root is out of reach (Landlock's ptrace scoping)")
        r = run(as_user([E, "--brokers=closed", "sh", "-c", "umount /run/nscd; echo $?; "
                         "unshare -Urm --propagation unchanged sh -c 'echo nested; umount /run/nscd; echo $?'; "
                         f"{PYTHON} {CONNECT_PY} {NSCD}"]))
        lines = r.stdout.split()
        check(lines[:2] != ["0"] and "nested" in r.stdout, "umount fails, a nested user namespace is made: " +
              r.stdout + r.stderr)
        check(lines[0] != "0" and lines[lines.index("nested") + 1] != "0", "umount fails both ways: " + r.stdout)
        check("No such file or directory" in r.stdout, "still masked after: " + r.stdout)
        # root too: the domain handles a filesystem right, so Landlock refuses umount() (and mount())
        r = run([E, "--brokers=closed", "sh", "-c", f"umount /run/nscd; echo $?; {PYTHON} {CONNECT_PY} {NSCD}"])
        check(r.stdout.split()[0] != "0" and "No such file or directory" in r.stdout, "root: " + r.stdout + r.stderr)
        mnt = "unshare -m --propagation unchanged sh -c 'mount -t tmpfs t /mnt && umount /mnt && echo ok'"
        check_eq(run([E, "--brokers=open", "sh", "-c", mnt]).stdout.strip(), "ok", "the control: root mounts under open")
        check_eq(run([E, "--brokers=closed", "sh", "-c", mnt]).stdout.strip(), "", "closed: root mounts nothing")
        # a directory held from outside would walk the host's mounts beneath it: refused, as a held
        # socket that reaches the network is; accepted, the way through is there
        held = os.open("/run/nscd", os.O_RDONLY | os.O_DIRECTORY)
        try:
            cmd = [PYTHON, CONNECT_PY, f"/proc/self/fd/{held}/socket"]
            r = run(as_user([E, "--brokers=closed"] + cmd), pass_fds=[held])
            check(r.returncode == 125 and f"descriptor {held} is a directory" in r.stderr and "close it first" in
                  r.stderr, r.stderr)
            r = run(as_user([E, "--brokers=closed", "--inherited=accept"] + cmd), pass_fds=[held])
            check_eq(r.stdout.strip(), "connected", "accepted, the held directory reaches the socket: " + r.stderr)
        finally:
            os.close(held)
    finally:
        outside.kill()
        outside.wait()
        forget(NSCD)


@test
def status_shows_the_brokers_row():
    os.makedirs("/run/nscd", exist_ok=True)
    masked = f"brokers: closed ({len([d for d in ('nscd', 'avahi-daemon', 'cups') if os.path.isdir('/run/' + d)])} " \
        "of their sockets and directories masked)"
    for brokers, said in (("open", "brokers: open"), ("closed", masked)):
        r = run(as_user([E, f"--brokers={brokers}", E, "--status"]))
        check(said in r.stdout.splitlines(), f"{brokers}: " + r.stdout + r.stderr)
        r = run(as_user([E, f"--brokers={brokers}", E, "--status", "--json"]))
        check(f'"brokers": "{brokers}",' in r.stdout, r.stdout)
    # beside a private loopback, whose user namespace makes the mount namespace too
    r = run(as_user([E, "--private-loopback", "--brokers=closed", E, "--status"]))
    check("network: loopback" in r.stdout.splitlines() and masked in r.stdout.splitlines(), r.stdout + r.stderr)
    # another process, from outside: root reads its mount table
    proc = subprocess.Popen(as_user([E, "--brokers=closed", "sleep", "30"]), preexec_fn=die_with_parent)
    try:
        for _ in range(100):
            if " nonet-brokers " in open(f"/proc/{proc.pid}/mountinfo").read():
                break
            time.sleep(0.05)
        r = run([E, "--status", f"--pid={proc.pid}"])
        check(masked in r.stdout.splitlines(), r.stdout + r.stderr)
    finally:
        proc.kill()
        proc.wait()


class HttpLogger(loggers.HttpLogger):
    """An HTTP server on 127.0.0.1 that logs each request line and answers 404 (loggers.py)."""


@test
def brokers_closed_the_users_dirmngr_fetches_nothing():
    for program in ("gpg", "gpgconf", "dirmngr"):
        need(program, "gnupg, dirmngr")
    os.makedirs(NOBODY_DIR, exist_ok=True)
    os.chown(NOBODY_DIR, *NOBODY)
    os.chmod(NOBODY_DIR, 0o700)
    # a GNUPGHOME of its own: the sockets in /run/user/UID/gnupg/d.HASH/
    home = P.writable("gnupg")
    os.makedirs(home, exist_ok=True)
    os.chown(home, *NOBODY)
    os.chmod(home, 0o700)
    env = dict(os.environ, GNUPGHOME=home, HOME=home)
    http = HttpLogger()
    try:
        # the user's dirmngr, started outside (as a desktop session's agent would be)
        check_eq(run(as_user(["gpgconf", "--launch", "dirmngr"]), env=env).returncode, 0, "dirmngr started")
        for brokers, leaves in (("open", True), ("closed", False)):
            url = f"http://127.0.0.1:{http.port}/{brokers}.asc"
            r = run(as_user([E, f"--brokers={brokers}", "gpg", "--batch", "--fetch-keys", url]), env=env)
            check_eq(f"GET /{brokers}.asc HTTP/1.0" in http.requests, leaves,
                     f"{brokers}: the URL fetched by the dirmngr outside: {http.requests} {r.stderr}")
        check("No dirmngr" in r.stderr, "closed: gpg says it has no dirmngr: " + r.stderr)
    finally:
        for pid in ours(home):
            os.kill(pid, signal.SIGKILL)
        http.close()


def ours(gnupghome):
    """The pids of the dirmngr started for this GNUPGHOME (it daemonizes: found by its environment)."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            env = open(f"/proc/{pid}/environ", "rb").read().split(b"\0")
            if os.readlink(f"/proc/{pid}/exe") == shutil.which("dirmngr") and \
                    f"GNUPGHOME={gnupghome}".encode() in env:
                pids.append(int(pid))
        except OSError:
            pass
    return pids


@test
def brokers_closed_the_users_pulseaudio_connects_nowhere():
    need("pulseaudio", "pulseaudio")
    need("pactl", "pulseaudio-utils")
    os.makedirs(NOBODY_DIR, exist_ok=True)
    os.chown(NOBODY_DIR, *NOBODY)
    os.chmod(NOBODY_DIR, 0o700)
    home = P.writable("pulse-home")
    os.makedirs(home, exist_ok=True)
    os.chown(home, *NOBODY)
    env = dict(os.environ, XDG_RUNTIME_DIR=NOBODY_DIR, HOME=home)
    far = socket.socket()
    far.bind(("127.0.0.1", 0))
    far.listen(8)
    far.settimeout(3)
    # the user's PulseAudio, started outside (as a desktop session's would be)
    pulse = subprocess.Popen(as_user(["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
                                      "--load=module-native-protocol-unix", "--load=module-null-sink"]),
                             env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    try:
        for _ in range(100):
            if os.path.exists(NOBODY_DIR + "/pulse/native") or pulse.poll() is not None:
                break
            time.sleep(0.1)
        check(os.path.exists(NOBODY_DIR + "/pulse/native"), "pulseaudio is up")
        for brokers, leaves in (("open", True), ("closed", False)):
            r = run(as_user([E, f"--brokers={brokers}", "pactl", "load-module", "module-tunnel-sink",
                             f"server=tcp:127.0.0.1:{far.getsockname()[1]}", f"sink_name=tunnel_{brokers}"]), env=env)
            check_eq(r.returncode == 0, leaves, f"{brokers}: pactl: {r.stdout} {r.stderr}")
            try:
                far.accept()[0].close()
                connected = True
            except socket.timeout:
                connected = False
            check_eq(connected, leaves, f"{brokers}: PulseAudio connected to 127.0.0.1 for the restricted user")
        check("Connection refused" in r.stderr, "closed: pactl says so: " + r.stderr)
    finally:
        pulse.kill()
        pulse.wait()
        far.close()


CUPSD_CONF = """Listen /run/cups/cups.sock
WebInterface no
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""


@test
def brokers_closed_cupsd_prints_nothing_to_the_network():
    for program in ("cupsd", "lpadmin", "lp"):
        need(program, "cups-daemon, cups-client")
    need("/usr/lib/cups/backend/ipp", "cups-daemon")
    state = P.writable("cups")
    for d in ("/run/cups", state + "/spool/tmp", state + "/cache"):
        os.makedirs(d, exist_ok=True)
    R.write("/etc/cups/cupsd.conf", CUPSD_CONF)
    R.write("/etc/cups/cups-files.conf", f"SystemGroup root\nRequestRoot {state}/spool\nTempDir {state}/spool/tmp\n"
            f"CacheDir {state}/cache\nStateDir /run/cups\nErrorLog {state}/error_log\nAccessLog {state}/access_log\n"
            f"PageLog {state}/page_log\n")
    R.write("/etc/cups/printers.conf", "", mode=0o600)
    document = P.writable("document.txt")
    with open(document, "w") as f:
        f.write("a secret document\n")
    os.chmod(document, 0o644)
    http = HttpLogger()
    cupsd = daemon(["cupsd", "-f"], lambda: os.path.exists(CUPS))
    try:
        # an administrator's queue whose device is on the network (a logger on 127.0.0.1)
        r = run(["lpadmin", "-p", "netprn", "-E", "-v", f"ipp://127.0.0.1:{http.port}/ipp/print", "-m", "raw",
                 "-o", "printer-error-policy=abort-job"])
        check_eq(r.returncode, 0, "the queue: " + r.stderr)
        for brokers, leaves in (("open", True), ("closed", False)):
            r = run(as_user([E, f"--brokers={brokers}", "lp", "-d", "netprn", document]))
            check_eq(r.returncode == 0, leaves, f"{brokers}: lp: {r.stdout} {r.stderr}")
            for _ in range(100 if leaves else 30):
                if http.requests:
                    break
                time.sleep(0.1)
            check_eq(bool(http.requests), leaves, f"{brokers}: the job left through cupsd: {http.requests}")
            http.requests.clear()
        check("lp: Error" in r.stderr, "closed: lp says so: " + r.stderr)
    finally:
        cupsd.kill()
        cupsd.wait()
        http.close()
        remove("/run/cups", "/etc/cups/printers.conf")


SYSTEM_BUS_CONF = """<busconfig>
  <type>system</type>
  <listen>unix:path=/run/dbus/system_bus_socket</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/>
  </policy>
</busconfig>
"""


def daemon(cmd, ready, user=False):
    proc = subprocess.Popen(as_user(cmd) if user else cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=die_with_parent)
    for _ in range(200):
        if ready() or proc.poll() is not None:
            break
        time.sleep(0.05)
    check(proc.poll() is None and ready(), f"{cmd[0]} is up")
    return proc


def get_id(bus):
    return ["dbus-send", f"--bus={bus}", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetId"]


@test
def brokers_closed_keeps_x11_syslog_and_the_system_bus():
    for program, package in (("Xvfb", "xvfb"), ("xdpyinfo", "x11-utils"), ("dbus-daemon", "dbus-daemon"),
                             ("logger", "bsdutils")):
        need(program, package)
    os.makedirs("/run/dbus", exist_ok=True)
    R.write(P.writable("system.conf"), SYSTEM_BUS_CONF)
    os.makedirs(NOBODY_DIR, exist_ok=True)
    os.chown(NOBODY_DIR, *NOBODY)
    os.chmod(NOBODY_DIR, 0o700)
    session = NOBODY_DIR + "/bus"
    n = 90
    while os.path.exists(f"/tmp/.X11-unix/X{n}"):
        n += 1
    procs = []
    try:
        procs.append(daemon(["dbus-daemon", "--nofork", "--config-file=" + P.writable("system.conf")],
                            lambda: os.path.exists("/run/dbus/system_bus_socket")))
        procs.append(daemon(["dbus-daemon", "--session", "--nofork", "--address=unix:path=" + session],
                            lambda: os.path.exists(session), user=True))
        procs.append(daemon(["Xvfb", f":{n}", "-ac", "-nolisten", "tcp"],
                            lambda: os.path.exists(f"/tmp/.X11-unix/X{n}")))
        # the control beside: the session bus, a broker, is reachable open and refused closed
        for brokers, works in (("open", True), ("closed", False)):
            r = run(as_user([E, f"--brokers={brokers}"] + get_id("unix:path=" + session)))
            check_eq(r.returncode == 0, works, f"{brokers}: the session bus: {r.stderr}")
        check("Connection refused" in r.stderr, "closed: a plain refusal: " + r.stderr)
        # what stays under closed: the system bus (logind, polkit), X11, syslog
        r = run(as_user([E, "--brokers=closed", "dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus",
                         "/org/freedesktop/DBus", "org.freedesktop.DBus.GetId"]))
        check(r.returncode == 0 and 'string "' in r.stdout, "closed: the system bus answers: " + r.stderr)
        r = run(as_user([E, "--brokers=closed", "xdpyinfo"]), env=dict(os.environ, DISPLAY=f":{n}"))
        check(r.returncode == 0 and "vendor string:    The X.Org Foundation" in r.stdout, "closed: X11: " + r.stderr)
        run(as_user([E, "--brokers=closed", "logger", "-t", "nonet-brokers", "still-heard"]))
        check("nonet-brokers" in R.syslog() and "still-heard" in R.syslog(), "closed: /dev/log")
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()
        remove(session, "/run/dbus")


@test
def brokers_closed_fails_closed_where_it_cannot_be_made():
    r = run(as_user([P.fake_kernel, "--no-userns", "--", E, "--brokers=closed", "true"]))
    check_eq(r.returncode, 125, "nothing runs: " + r.stderr)
    check("closing the brokers needs a mount namespace" in r.stderr and "user namespaces are off" in r.stderr,
          r.stderr)
    r = run(as_user([P.fake_kernel, "--no-userns", "--", E, "true"]))
    check_eq((r.returncode, r.stderr), (0, ""), "the control: open needs no namespace")
    # a kernel without Landlock: /proc/PID/root would reach past the masks, so nothing runs
    r = run(as_user([P.fake_kernel, "--no-landlock", "--", E, "--brokers=closed", "true"]))
    check(r.returncode == 125 and "brokers closed need Landlock's ptrace scoping" in r.stderr and
          "this kernel does not have Landlock" in r.stderr, r.stderr)
    r = run(as_user([P.fake_kernel, "--no-landlock", "--", E, "true"]))
    check_eq(r.returncode, 0, "the control: open runs there, on seccomp alone: " + r.stderr)
    r = run(as_user([E, "--brokers=closed", "--landlock=off", "true"]))
    check(r.returncode == 125 and "brokers closed need Landlock's ptrace scoping" in r.stderr, r.stderr)
    r = run([E, "--print-filter=oci", "--brokers=closed"])
    check(r.returncode == 125 and "nor --brokers=closed" in r.stderr and r.stdout == "", r.stderr)


PAM_STACK = None


def pam_login(user, *cmd, service="nonet-test", fake=()):
    """A login through libpam with the built pam_nonet.so (account and session; the session alone
    for service nonet-session), then cmd as user in the process the session restricted."""
    global PAM_STACK
    if PAM_STACK is None:
        module = privroot.pam_module(P)
        shutil.copy2(os.path.join(BUILD, "tests", "pam-session"), P.dir)
        PAM_STACK = P.path("pam.d")
        R.write(os.path.join(PAM_STACK, "nonet-test"), f"account required {module} debug\n"
                f"session required pam_permit.so\nsession required {module} debug\n")
        R.write(os.path.join(PAM_STACK, "nonet-session"), "account required pam_permit.so\n"
                f"session required {module} debug\n")
    pw = pwd.getpwnam(user)
    argv = [P.path("pam-session"), service, user, PAM_STACK, "setpriv", f"--reuid={pw.pw_uid}",
            f"--regid={pw.pw_gid}", "--init-groups", "--"] + list(cmd)
    return run(([P.fake_kernel] + list(fake) + ["--"] if fake else []) + argv, timeout=60)


@test
def brokers_closed_through_a_pam_login():
    nscd, dns = resolving_through_nscd()
    if not os.path.exists("/home/nn-brk"):
        R.add_user("nn-brk")
    pw = pwd.getpwnam("nn-brk")
    # the user's session bus, a per-user broker: theirs, not root's (the session opens as root)
    run_dir = f"/run/user/{pw.pw_uid}"
    os.makedirs(run_dir, exist_ok=True)
    os.chown(run_dir, pw.pw_uid, pw.pw_gid)
    listen(run_dir + "/bus")
    os.chmod(run_dir + "/bus", 0o666)
    try:
        for brokers, reached in (("open", True), ("closed", False)):
            R.write("/etc/security/nonet-settings.conf", f"Brokers={brokers}\n")
            name = f"login-{brokers}.exfil.test"
            r = pam_login("nn-brk", "getent", "hosts", name)
            check("account: Success" in r.stdout and "session: Success" in r.stdout, r.stdout + r.stderr)
            check_eq(name in dns.names, reached, f"Brokers={brokers}: the name left through nscd: {dns.names}")
            check_eq(r.stdout.count("10.9.8.7"), 1 if reached else 0, f"Brokers={brokers}: the answer: {r.stdout}")
            r = pam_login("nn-brk", PYTHON, CONNECT_PY, NSCD)
            check_eq(r.stdout.split("\n")[2], "connected" if reached else "No such file or directory",
                     f"Brokers={brokers}: nscd's socket: " + r.stdout)
            r = pam_login("nn-brk", PYTHON, CONNECT_PY, run_dir + "/bus")
            check_eq(r.stdout.split("\n")[2], "connected" if reached else "Connection refused",
                     f"Brokers={brokers}: the user's session bus: " + r.stdout)
        # the user's shell cannot undo them: umount, and in a nested user namespace, both fail
        r = pam_login("nn-brk", "sh", "-c", "umount /run/nscd 2>/dev/null; echo $?; unshare -Urm --propagation unchanged sh -c "
                      "'umount /run/nscd 2>/dev/null; echo nested $?'; " + f"{PYTHON} {CONNECT_PY} {NSCD}")
        lines = r.stdout.splitlines()[2:]
        check(len(lines) == 3 and lines[0] != "0" and lines[1].startswith("nested ") and lines[1] != "nested 0" and
              lines[2] == "No such file or directory", "the masks hold: " + r.stdout + r.stderr)
        # where no mount namespace can be made (a container that refuses them), closed fails closed:
        # the account stage refuses the login, the session stage the session, each logged
        r = pam_login("nn-brk", "true", fake=("--no-mountns", "--no-userns"))
        check("account: Permission denied" in r.stdout and "Login refused" in r.stdout, r.stdout + r.stderr)
        r = pam_login("nn-brk", "true", service="nonet-session", fake=("--no-mountns", "--no-userns"))
        check_eq(r.returncode, 3, "the session refused: " + r.stdout + r.stderr)
        check("cannot turn the network off for user nn-brk" in R.syslog() and
              "closing the brokers needs a mount namespace" in R.syslog(), R.syslog()[-600:])
        # a screen locker asks the account stage as the user: not refused for what root would make
        # at session open; a session opened as the user fails closed all the same
        argv = as_user([P.fake_kernel, "--no-mountns", "--no-userns", "--", P.path("pam-session"), "nonet-test",
                        "nn-brk", PAM_STACK, "true"], pw.pw_uid, pw.pw_gid)
        r = run(argv)
        check("account: Success" in r.stdout and r.returncode == 3, "as the user: " + r.stdout + r.stderr)
        # the control: open needs no namespace, and logs in there
        R.write("/etc/security/nonet-settings.conf", "Brokers=open\n")
        r = pam_login("nn-brk", "true", fake=("--no-mountns", "--no-userns"))
        check_eq(r.returncode, 0, "open: " + r.stdout + r.stderr)
        R.write("/etc/security/nonet-settings.conf", "Brokers=closed\n")
        # check-config says what closed masks, beside open, which says nothing of it
        r = run([E, "--check-config"], timeout=120)
        check("Brokers=closed: each restricted session's mount namespace masks /run/nscd/," in r.stderr and
              "and the user's own where present: /run/user/UID/gnupg/S.dirmngr" in r.stderr, r.stderr)
        R.write("/etc/security/nonet-settings.conf", "Brokers=open\n")
        check("Brokers=closed" not in run([E, "--check-config"], timeout=120).stderr, "open: nothing masked")
        # Landlock=off cannot keep the masks whole: the settings say so, and the login is closed as ever
        R.write("/etc/security/nonet-settings.conf", "Brokers=closed\nLandlock=off\n")
        r = run([E, "--check-config"], timeout=120)
        check(r.returncode == 1 and "Brokers=closed with Landlock=off" in r.stderr, r.stderr)
    finally:
        os.unlink("/etc/security/nonet-settings.conf")
        forget(run_dir + "/bus")
        nscd.stop()
        dns.close()


@test
def brokers_closed_login_needs_the_tables_dbus_policy():
    """Closed for a login is the system bus's brokers too: the table's D-Bus policy written, and the
    same as the table gives; where it is not, with a system bus running, the login is refused and the
    log says what to run. Beside Brokers=open and beside no system bus, which log in."""
    if not os.path.exists("/home/nn-dbp"):
        R.add_user("nn-dbp")
    table = open("/etc/security/nonet.conf").read()
    policy = "/etc/dbus-1/system.d/nonet.conf"
    bus = "/run/dbus/system_bus_socket"
    listen(bus)  # a system bus running, as far as a socket tells
    try:
        R.write("/etc/security/nonet.conf", "nn-dbp hard network off\n")
        R.write("/etc/security/nonet-settings.conf", "Brokers=closed\n")
        if os.path.exists(policy):
            os.unlink(policy)
        r = pam_login("nn-dbp", "true")
        check("account: Permission denied" in r.stdout, "no policy written: refused: " + r.stdout + r.stderr)
        check(f"Brokers=closed, but {policy} is not written: run nonet-exec --write-dbus-policy" in R.syslog(),
              R.syslog()[-600:])
        check_eq(run([E, "--write-dbus-policy"]).returncode, 0, "written")
        check('<policy user="nn-dbp">' in open(policy).read(), open(policy).read())
        r = pam_login("nn-dbp", "true")
        check("account: Success" in r.stdout and "session: Success" in r.stdout and r.returncode == 0,
              "the table's policy: logs in: " + r.stdout + r.stderr)
        # the table changed since: another policy than it gives
        R.write("/etc/security/nonet.conf", "nn-dbp hard network off\nnn-brk hard network off\n")
        r = pam_login("nn-dbp", "true")
        check("account: Permission denied" in r.stdout and "is not what the table gives" in R.syslog(),
              "stale: refused: " + r.stdout + R.syslog()[-400:])
        # check-config says it as an error under closed (a warning under open, below)
        r = run([E, "--check-config"], timeout=120)
        check(r.returncode == 1 and f"nonet-exec: broker: {policy} is not what the table gives" in r.stderr and
              "with Brokers=closed its users' logins are refused" in r.stderr, r.stderr)
        # the controls: open does not ask for it; no system bus, nothing to close
        R.write("/etc/security/nonet-settings.conf", "Brokers=open\n")
        check_eq(pam_login("nn-dbp", "true").returncode, 0, "open logs in")
        r = run([E, "--check-config"], timeout=120)
        check(f"warning: broker: {policy} is not what the table gives" in r.stderr and "logins are refused" not in
              r.stderr, r.stderr)
        R.write("/etc/security/nonet-settings.conf", "Brokers=closed\n")
        forget(bus)
        check_eq(pam_login("nn-dbp", "true").returncode, 0, "no system bus: logs in")
    finally:
        if bus in _listening:
            forget(bus)
        for path in (policy, "/etc/security/nonet-settings.conf"):
            if os.path.exists(path):
                os.unlink(path)
        R.write("/etc/security/nonet.conf", table)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_cm(cmd):
    pw = pwd.getpwnam("nn-cm")
    return as_user(cmd, pw.pw_uid, pw.pw_gid)


@test
def brokers_closed_the_users_controlmaster_and_tmux_run_nothing():
    """Row 8: an ssh ControlMaster opened before, at a path of the user's choosing (a real sshd on
    127.0.0.1, the master as the user outside), and a tmux server the same way: under open, ssh -S
    and tmux -S run a command outside, as without nonet; under closed, nothing runs. Through
    nonet-exec and through a table-restricted login. And the user manager's private socket
    (systemd-run --user) masked."""
    if not os.path.exists("/home/nn-cm"):
        R.add_user("nn-cm")
    pw = pwd.getpwnam("nn-cm")
    work = os.path.join(pw.pw_dir, "cm")  # a path the user chose
    os.makedirs(work, exist_ok=True)
    key = os.path.join(work, "id")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", P.path("cm-hostkey")], check=True)
    shutil.copy(key + ".pub", P.path("cm-authorized"))
    os.chmod(P.path("cm-authorized"), 0o644)
    subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", work], check=True)
    R.write("/etc/pam.d/sshd", "auth required pam_deny.so\naccount required pam_permit.so\n"
            "session required pam_permit.so\n")
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    port = free_port()
    R.write(P.path("cm-sshd_config"), f"Port {port}\nListenAddress 127.0.0.1\nHostKey {P.path('cm-hostkey')}\n"
            f"UsePAM yes\nPidFile none\nAuthorizedKeysFile {P.path('cm-authorized')}\nStrictModes no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\n")
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", P.path("cm-sshd_config")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    ctl, tsock = os.path.join(work, "ctl"), os.path.join(work, "tmux")
    ssh = ["ssh", "-F", "/dev/null", "-i", key, "-p", str(port), "-o", "BatchMode=yes", "-o",
           "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-S", ctl]
    private = f"/run/user/{pw.pw_uid}/systemd/private"
    masters = []
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        r = run(as_cm(ssh + ["-M", "-f", "-N", "nn-cm@127.0.0.1"]), timeout=30)
        check_eq(r.returncode, 0, "the master, outside: " + r.stderr)
        r = run(as_cm(ssh + ["-O", "check", "x"]))
        masters.append(int(r.stderr.split("pid=")[1].split(")")[0]))
        r = run(as_cm(["tmux", "-S", tsock, "new-session", "-d", "sleep 600"]))
        check_eq(r.returncode, 0, "tmux, outside: " + r.stderr)
        masters.append(int(run(as_cm(["tmux", "-S", tsock, "display-message", "-p", "#{pid}"])).stdout))
        OUR_SERVERS.extend(masters)
        os.makedirs(os.path.dirname(private), exist_ok=True)
        listen(private)
        os.chmod(private, 0o666)
        # check-config names both, with the lever, and the user manager's socket
        said = check_config().stderr
        check(f"broker: /run/user/{pw.pw_uid} holds sockets of per-user daemons" in said and "systemd/private" in said
              and "the user manager runs any command: systemd-run --user" in said, said)
        check(f"broker: an ssh ControlMaster (pid {masters[0]}, uid {pw.pw_uid}) listens at {ctl}: it runs commands "
              "on its remote host" in said and f"broker: a tmux server (pid {masters[1]}, uid {pw.pw_uid}) listens "
              f"at {tsock}" in said and "--brokers=closed masks it" in said, said)

        def asked(wrap, how):
            """Whether the remote shell and the tmux server ran a command each: "yes,yes"."""
            got = []
            for tool, cmd in (("ssh", ssh + ["x"]), ("tmux", ["tmux", "-S", tsock, "run-shell"])):
                marker = os.path.join(work, f"{tool}-{how}")
                r = run(wrap(cmd + [f"echo {how} > {marker}"]), timeout=30)
                got.append("yes" if os.path.exists(marker) else "no")
                if got[-1] == "no":
                    check(r.returncode != 0, f"{tool}, {how}: a failure the user sees: {r.stdout}{r.stderr}")
            return ",".join(got)

        # the controls: without nonet, and under open, both run a command outside
        check_eq(asked(as_cm, "control"), "yes,yes", "without nonet")
        check_eq(asked(lambda c: as_cm([E, "--brokers=open"] + c), "open"), "yes,yes", "open: the leak")
        check_eq(asked(lambda c: as_cm([E, "--brokers=closed"] + c), "closed"), "no,no", "closed")
        check_eq(run(as_cm([E, "--brokers=open", PYTHON, CONNECT_PY, private])).stdout.strip(), "connected", "open")
        check_eq(run(as_cm([E, "--brokers=closed", PYTHON, CONNECT_PY, private])).stdout.strip(),
                 "Connection refused", "closed: the user manager's private socket")
        # a table-restricted login (every user restricted: "*"), as the table would be
        for brokers, want in (("open", "yes,yes"), ("closed", "no,no")):
            R.write("/etc/security/nonet-settings.conf", f"Brokers={brokers}\n")
            check_eq(asked(lambda c: login_argv("nn-cm", *c), f"login-{brokers}"), want, f"a login, Brokers={brokers}")
        # the master still serves its user outside: nothing changed for them
        check_eq(asked(as_cm, "after"), "yes,yes", "outside, after")
    finally:
        if os.path.exists("/etc/security/nonet-settings.conf"):
            os.unlink("/etc/security/nonet-settings.conf")
        if private in _listening:
            forget(private)
        OUR_SERVERS.clear()
        for pid in masters:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        sshd.terminate()
        sshd.wait()


SERVER_PY = """import ctypes, os, socket, sys, time
libc = ctypes.CDLL(None)
libc.prctl(15, b"ssh", 0, 0, 0)  # PR_SET_NAME: an ssh, as far as a name tells
if sys.argv[2] == "hidden":
    libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: its descriptors are its own
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
print("up", flush=True)
time.sleep(60)
"""


@test
def brokers_closed_runs_nothing_beside_a_server_it_cannot_see_into():
    """An ssh of the user's that is not dumpable: whether it serves a socket cannot be told, so
    closed runs nothing, and says why; the same server readable is masked, and the command runs."""
    path = P.writable("server.py")
    with open(path, "w") as f:
        f.write(SERVER_PY)
    for how, want in (("readable", 0), ("hidden", 125)):
        sock = P.writable(f"server-{how}")
        server = subprocess.Popen(as_user([PYTHON, path, sock, how]), stdout=subprocess.PIPE, text=True,
                                  preexec_fn=die_with_parent)
        try:
            check_eq(server.stdout.readline().strip(), "up", "the server listens")
            r = run(as_user([E, "--brokers=closed", PYTHON, CONNECT_PY, sock]))
            check_eq(r.returncode, want, how + ": " + r.stdout + r.stderr)
            if want:
                check("an ssh, tmux or screen process of the user's hides its descriptors" in r.stderr, r.stderr)
            else:
                check_eq(r.stdout.strip(), "Connection refused", "readable: masked")
            check_eq(run(as_user([E, "--brokers=open", PYTHON, CONNECT_PY, sock])).stdout.strip(), "connected",
                     how + ", open: the control")
        finally:
            server.kill()
            server.wait()


def login_argv(user, *cmd):
    """cmd through a table-restricted login of user (pam_nonet's account and session)."""
    pam_login(user, "true")  # makes the stack once
    pw = pwd.getpwnam(user)
    return [P.path("pam-session"), "nonet-test", user, PAM_STACK, "setpriv", f"--reuid={pw.pw_uid}",
            f"--regid={pw.pw_gid}", "--init-groups", "--"] + list(cmd)


def cleanup():
    for s in _listening.values():
        s.close()


main(cleanup, P.cleanup, R.cleanup)
