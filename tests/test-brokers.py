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
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import IN_CI, Programs, Skip, as_user, check, check_eq, main, run, test  # noqa: E402

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
    return r


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


class DnsLogger:
    """A DNS server on 127.0.0.1:53 that logs each name asked and answers A with 10.9.8.7: the far
    side a broker reaches for a restricted session."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind(("127.0.0.1", 53))
        except OSError as e:
            self.sock.close()
            if IN_CI:
                raise AssertionError(f"127.0.0.1:53 is taken ({e.strerror}): the DNS logger needs it in CI")
            raise Skip(f"127.0.0.1:53 is taken ({e.strerror}): the DNS logger needs it")
        self.names = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                query, peer = self.sock.recvfrom(512)
            except OSError:
                return
            labels, i = [], 12
            while i < len(query) and query[i]:
                labels.append(query[i + 1:i + 1 + query[i]].decode(errors="replace"))
                i += 1 + query[i]
            question = query[12:i + 5]
            self.names.append(".".join(labels))
            qtype = int.from_bytes(query[i + 1:i + 3], "big")
            answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([10, 9, 8, 7]) if qtype == 1 else b""
            header = query[:2] + b"\x81\x80\x00\x01" + (b"\x00\x01" if answer else b"\x00\x00") + b"\x00\x00\x00\x00"
            self.sock.sendto(header + question + answer, peer)

    def close(self):
        self.sock.close()


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


def cleanup():
    for s in _listening.values():
        s.close()


main(cleanup, P.cleanup, R.cleanup)
