#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The system bus's brokers (issue 38), with the real daemons: a dbus-daemon with Debian's system
configuration, avahi-daemon, cupsd and systemd-resolved (unpacked from its package, a veth pair
of the test's up so that it asks), started by the test in a private root (privroot.py) and a
network namespace of its own with only lo, where the loggers listen (a DNS server on 127.0.0.1:53,
an IPP printer on 127.0.0.1:8631): nothing leaves the machine. A user the table restricts (group
nnlab), under nonet-exec and through a PAM login: each broker reaches the logger with the brokers open; the D-Bus policy
nonet-exec --write-dbus-policy writes closes the bus's names, beside a control with the daemon
stopped (nothing received) and a user the table leaves alone (still answered). The user's own
PulseAudio, started outside, opens a TCP tunnel to a listener for nonet-exec's pactl, and gvfs on
their session bus fetches over HTTP for gio; nothing with --brokers=closed."""

import os
import pwd
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402
import resolvedpkg  # noqa: E402

privroot.reexec_in_namespace()

from loggers import DnsLogger, HttpLogger, IppLogger, TcpLogger  # noqa: E402
from nonettest import (BUILD, IN_CI, Daemon, Programs, Skip, check, check_eq, main, private_network, run,  # noqa: E402
                       test)

private_network()  # where the loggers are the far side

R = privroot.PrivateRoot()
P = Programs()
E = P.nonet_exec
POLICY = "/etc/dbus-1/system.d/nonet.conf"


def remove_policy():
    """The table's D-Bus policy gone, as on a machine where nobody wrote it."""
    if os.path.exists(POLICY):
        os.unlink(POLICY)


for d in ("/etc/dbus-1/system.d", "/var/spool/cups", "/var/cache/cups", "/var/lib/avahi-autoipd"):
    if os.path.isdir(d) and d != "/etc/dbus-1/system.d":
        privroot.sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d)
remove_policy()  # the copy's, if this machine has one: the test writes its own
R.add_user("nnstudent", groups=["nnlab"])
R.add_user("nnother")
R.write("/etc/security/nonet.conf", "@nnlab hard network off\n")
R.write("/etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")


def need(program, package):
    if shutil.which(program):
        return
    if IN_CI:
        raise AssertionError(f"{program} is not installed in CI (tools/install-deps installs {package})")
    raise Skip(f"{program} is not installed (tools/install-deps installs {package})")


def as_login(user, cmd):
    """cmd as user with the groups NSS gives them, as a login has them."""
    return ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--"] + list(cmd)


def pam_login(user, *cmd):
    """A login through libpam with the built pam_nonet.so (account and session), then cmd as user in
    the process the session restricted, as the table says."""
    module = privroot.pam_module(P)
    if not os.path.exists(P.path("pam-session")):
        shutil.copy2(os.path.join(BUILD, "tests", "pam-session"), P.dir)
    R.write(P.path("pam.d/nonet-test"), f"account required {module}\nsession required {module}\n")
    return run([P.path("pam-session"), "nonet-test", user, P.path("pam.d")] + as_login(user, cmd), timeout=60)


DNS = DnsLogger()
MDNS = DnsLogger(mdns=True)


def system_bus():
    os.makedirs("/run/dbus", exist_ok=True)
    return Daemon(["dbus-daemon", "--system", "--nofork", "--nopidfile"],
                  lambda: os.path.exists("/run/dbus/system_bus_socket"))


def denied(user, name):
    """Wait until the bus refuses user's messages to name (up to 10 s): dbus-daemon reads a policy
    written a moment after the rename."""
    for _ in range(100):
        if "AccessDenied" in run(as_login(user, ["dbus-send", "--system", "--print-reply", f"--dest={name}", "/",
                                                 "org.freedesktop.DBus.Peer.Ping"])).stderr:
            return
        time.sleep(0.1)


def bus_names(user):
    r = run(as_login(user, ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus", "/",
                            "org.freedesktop.DBus.ListNames"]))
    return r.returncode, r.stdout


@test
def the_table_gives_the_policy():
    R.write("/etc/security/nonet.conf", "@nnlab hard network off\nbob - network off\n:1234 hard network off\n"
            "carol - network inet\ndave hard network log\n* hard network off\n1000:2000 - network off\n"
            "erin - network netlink\nfrank - network off\nfrank - network on\ngus - network on\n"
            "gus - network off\n@nn\"<lab&co hard network off\n")
    r = run([E, "--write-dbus-policy=-"])
    check_eq(r.returncode, 0, r.stderr)
    policies = re.findall(r'<policy (\w+)="([^"]*)">', r.stdout)
    check_eq(policies, [("group", "nnlab"), ("user", "bob"), ("user", "1234"), ("user", "erin"), ("user", "gus"),
                        ("group", "nn&quot;&lt;lab&amp;co")],
             "a policy for each user and group whose network is off (the later line of two deciding); none for "
             "inet kept, a dry run, '*' or a range")
    for name in ("org.freedesktop.resolve1", "org.freedesktop.Avahi", "org.freedesktop.NetworkManager",
                 "org.freedesktop.PackageKit"):
        check_eq(r.stdout.count(f'<deny send_destination="{name}"/>'), 6, name + " denied in each")
    check("nonet.conf:6: '*' is not in the D-Bus policy" in r.stderr, r.stderr)
    check("nonet.conf:7: a uid range (1000:2000) is not in the D-Bus policy" in r.stderr, r.stderr)
    check("nonet.conf:4: this user keeps the network, but a restricted group's D-Bus policy" in r.stderr, r.stderr)
    # kept true: check-config says it is missing where a system bus runs, then nothing, then that it differs
    R.write("/etc/security/nonet.conf", "@nnlab hard network off\n")
    said = run([E, "--check-config"], timeout=120).stderr
    check("D-Bus policy (" not in said, "no system bus, nothing to close: " + said)
    bus = system_bus()
    try:
        said = run([E, "--check-config"], timeout=120).stderr
    finally:
        bus.stop()
    check(f"warning: broker: no D-Bus policy ({POLICY})" in said and "nonet-exec --write-dbus-policy" in said, said)
    r = run([E, "--write-dbus-policy"])
    check_eq((r.returncode, r.stderr), (0, ""), "written where dbus-daemon reads it")
    check_eq(oct(os.stat(POLICY).st_mode & 0o777), "0o644", "readable by dbus-daemon")
    said = run([E, "--check-config"], timeout=120).stderr
    check("no D-Bus policy" not in said and "not what the table gives" not in said, "as the table gives it: " + said)
    R.write("/etc/security/nonet.conf", "@nnlab hard network off\nnnother hard network off\n")
    said = run([E, "--check-config"], timeout=120).stderr
    check(f"warning: broker: {POLICY} is not what the table gives" in said and "--write-dbus-policy" in said, said)
    R.write("/etc/security/nonet.conf", "@nnlab hard network off\n")
    os.unlink(POLICY)


AVAHI_CONF = "[server]\nuse-ipv6=no\nenable-dbus=yes\n[wide-area]\nenable-wide-area=yes\n" \
             "[publish]\ndisable-publishing=yes\n"


def avahi_resolve(user, name, options=()):
    """avahi-resolve over the system bus under nonet-exec as user: its result."""
    return run(as_login(user, [E, *options, "timeout", "5", "avahi-resolve", "-n", name]), timeout=30)


def avahi_socket(user, name, options=()):
    """avahi's own socket, as nss-mdns asks it, under nonet-exec as user."""
    code = ("import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(4); "
            "s.connect('/run/avahi-daemon/socket'); s.sendall(b'RESOLVE-HOSTNAME-IPV4 ' + sys.argv[1].encode() + "
            "b'\\n'); print(s.recv(256))")
    return run(as_login(user, [E, *options, "timeout", "5", "/usr/bin/python3", "-c", code, name]), timeout=30)


@test
def avahi_on_the_system_bus():
    need("avahi-daemon", "avahi-daemon")
    need("avahi-resolve", "avahi-utils")
    R.write("/etc/avahi/avahi-daemon.conf", AVAHI_CONF)
    dns = DNS
    dns.names.clear()
    bus = system_bus()
    try:
        # the control: avahi stopped, nothing received; the restricted process's own DNS is refused
        avahi_resolve("nnstudent", "control.exfil.test")
        avahi_socket("nnstudent", "control-exfil.local")
        run(as_login("nnstudent", [E, "getent", "ahostsv4", "own.exfil.test"]))
        check_eq(dns.names + MDNS.names, [], "nothing received without avahi")
        avahi = Daemon(["avahi-daemon", "--no-chroot", "--no-rlimits", "-f", "/etc/avahi/avahi-daemon.conf"],
                       lambda: "org.freedesktop.Avahi" in bus_names("root")[1])
        try:
            # open: the bus's broker sends the name as unicast DNS (wide-area) for a restricted user
            avahi_resolve("nnstudent", "open.exfil.test")
            check(dns.got("open.exfil.test"), f"the name left through avahi over D-Bus: {dns.names}")
            # the same for a login the table restricts (pam_nonet, no nonet-exec)
            r = pam_login("nnstudent", "sh", "-c", "timeout 5 avahi-resolve -n login-open.exfil.test; "
                          "getent ahostsv4 login-own.exfil.test")
            check(dns.got("login-open.exfil.test"), f"the name left for a PAM login: {dns.names} {r.stderr}")
            check("login-own.exfil.test" not in dns.names, "while the login's own DNS is refused")
            # --brokers=closed filters the system bus (xdg-dbus-proxy): avahi is closed without the policy
            if shutil.which("xdg-dbus-proxy"):
                avahi_resolve("nnstudent", "masked.exfil.test", ["--brokers=closed"])
                check(not dns.got("masked.exfil.test", wait=2), f"the bus's brokers are filtered: {dns.names}")
            # closed: the table's policy, written where the bus reads it (it reloads on the rename)
            check_eq(run([E, "--write-dbus-policy"]).returncode, 0, "policy written")
            check("Reloaded configuration" in R.syslog() and "Error in file" not in R.syslog(),
                  "dbus-daemon read it: " + R.syslog())
            denied("nnstudent", "org.freedesktop.Avahi")
            r = avahi_resolve("nnstudent", "closed.exfil.test")
            check(r.returncode != 0, "avahi-resolve fails for the restricted user: " + r.stdout + r.stderr)
            check(not dns.got("closed.exfil.test", wait=2), f"nothing left with the policy: {dns.names}")
            pam_login("nnstudent", "timeout", "5", "avahi-resolve", "-n", "login-closed.exfil.test")
            check(not dns.got("login-closed.exfil.test", wait=2), f"nothing for a PAM login: {dns.names}")
            # nor through avahi's unique name, which dbus-daemon judges by the names it owns
            owner = run(as_login("nnstudent", ["dbus-send", "--system", "--print-reply",
                                               "--dest=org.freedesktop.DBus", "/",
                                               "org.freedesktop.DBus.GetNameOwner",
                                               "string:org.freedesktop.Avahi"])).stdout
            unique = re.search(r'string "(:[0-9.]+)"', owner)
            check(unique is not None, "the bus itself still answers the restricted user: " + owner)
            r = run(as_login("nnstudent", ["dbus-send", "--system", "--print-reply", f"--dest={unique.group(1)}",
                                           "/", "org.freedesktop.DBus.Peer.Ping"]))
            check(r.returncode != 0 and "AccessDenied" in r.stderr, "its unique name refused too: " + r.stderr)
            # a user the table leaves alone, under nonet-exec too: avahi still answers them
            avahi_resolve("nnother", "other.exfil.test")
            check(dns.got("other.exfil.test"), f"the policy names only the table's users: {dns.names}")
            code, names = bus_names("nnstudent")
            check(code == 0 and "org.freedesktop.Avahi" in names, "the bus stays for the restricted user")
            # avahi's own socket: no D-Bus policy closes it; --brokers=closed masks it
            avahi_socket("nnstudent", "socket-exfil.local")
            check(MDNS.got("socket-exfil.local"), f"avahi's socket still sends mDNS for the restricted user: "
                                                  f"{MDNS.names}")
            avahi_socket("nnstudent", "masked-exfil.local", ["--brokers=closed"])
            check(not MDNS.got("masked-exfil.local", wait=2), f"nothing with --brokers=closed: {MDNS.names}")
        finally:
            avahi.stop()
            remove_policy()
    finally:
        bus.stop()


@test
def a_daemons_group_allow_is_said():
    """avahi-dbus.conf allows group netdev: group policies apply in no set order, so a restricted user
    in netdev can get avahi back; check-config says so (measured below)."""
    need("avahi-daemon", "avahi-daemon")
    if not os.path.exists("/usr/share/dbus-1/system.d/avahi-dbus.conf"):
        raise AssertionError("avahi-daemon without its D-Bus policy")
    subprocess.run(["groupadd", "-f", "netdev"], check=True)
    subprocess.run(["groupadd", "-g", "90", "nnlow"], check=True)
    R.add_user("nnlowuser", groups=["nnlow", "netdev"])
    R.write("/etc/security/nonet.conf", "@nnlab hard network off\n@nnlow hard network off\n")
    run([E, "--write-dbus-policy"])
    said = run([E, "--check-config"], timeout=120).stderr
    check("allows org.freedesktop.Avahi to group netdev: a restricted user in netdev may reach it" in said, said)
    dns = DNS
    dns.names.clear()
    bus = system_bus()
    try:
        avahi = Daemon(["avahi-daemon", "--no-chroot", "--no-rlimits", "-f", "/etc/avahi/avahi-daemon.conf"],
                       lambda: "org.freedesktop.Avahi" in bus_names("root")[1])
        try:
            avahi_resolve("nnlowuser", "netdev.exfil.test")
            check(dns.got("netdev.exfil.test"), f"the residual the warning names, measured: {dns.names}")
        finally:
            avahi.stop()
    finally:
        bus.stop()
        os.unlink(POLICY)
        R.write("/etc/security/nonet.conf", "@nnlab hard network off\n")


def cupsd():
    for d in ("/var/spool/cups/tmp", "/var/log/cups", "/run/cups"):
        os.makedirs(d, exist_ok=True)
    # printers.conf written at once, not within 30 s: check-config reads the queues from it
    with open("/etc/cups/cupsd.conf") as f:
        conf = f.read()
    if "DirtyCleanInterval 0" not in conf:
        R.write("/etc/cups/cupsd.conf", conf + "DirtyCleanInterval 0\n")
    return Daemon(["/usr/sbin/cupsd", "-f"], lambda: os.path.exists("/run/cups/cups.sock"))


def print_under_nonet(user, secret, options=()):
    """lp -d netprn of a file holding secret, under nonet-exec as user: lp's result."""
    doc = P.path(secret + ".txt")
    R.write(doc, secret + "\n")
    return run(as_login(user, [E, *options, "lp", "-d", "netprn", "-o", "raw", doc]), timeout=30)


@test
def cupsd_prints_to_the_network():
    need("cupsd", "cups-daemon")
    need("lp", "cups-client")
    printer = IppLogger()
    try:
        # the control: cupsd stopped, nothing printed; the restricted process's own TCP is refused
        r = print_under_nonet("nnstudent", "CONTROL-STOPPED")
        check(r.returncode != 0, "lp fails without cupsd: " + r.stdout + r.stderr)
        daemon = cupsd()
        try:
            r = run(["lpadmin", "-p", "netprn", "-E", "-v", "ipp://127.0.0.1:8631/ipp/print", "-m", "raw"])
            check_eq(r.returncode, 0, "an administrator's ipp:// queue: " + r.stderr)
            # open: the document's bytes arrive at the printer for a restricted user under nonet-exec
            r = print_under_nonet("nnstudent", "SECRET-OPEN")
            check(r.returncode == 0 and printer.got(b"SECRET-OPEN"), "the bytes left through cupsd: " + r.stderr)
            R.write(P.path("login.txt"), "SECRET-LOGIN\n")
            r = pam_login("nnstudent", "lp", "-d", "netprn", "-o", "raw", P.path("login.txt"))
            check(r.returncode == 0 and printer.got(b"SECRET-LOGIN"), "and for a PAM login: " + r.stderr)
            said = run([E, "--check-config"], timeout=120).stderr
            check("broker: cupsd (/run/cups/cups.sock) sends what a restricted session prints on queue netprn" in said,
                  said)
            # closed: --brokers=closed masks cupsd's socket (and lp's fallback, TCP to localhost:631, is refused)
            r = print_under_nonet("nnstudent", "SECRET-MASKED", ["--brokers=closed"])
            check(r.returncode != 0 and not printer.got(b"SECRET-MASKED", wait=3),
                  "nothing with --brokers=closed: " + r.stdout + r.stderr)
            # closed: the administrator's lever, DenyUser for the table's group
            check_eq(run(["lpadmin", "-p", "netprn", "-u", "deny:@nnlab"]).returncode, 0, "DenyUser @nnlab")
            r = print_under_nonet("nnstudent", "SECRET-DENIED")
            check(r.returncode != 0 and not printer.got(b"SECRET-DENIED", wait=3),
                  "nothing with DenyUser: " + r.stdout + r.stderr)
            R.write(P.path("login.txt"), "SECRET-LOGIN-DENIED\n")
            r = pam_login("nnstudent", "lp", "-d", "netprn", "-o", "raw", P.path("login.txt"))
            check(r.returncode != 0 and not printer.got(b"SECRET-LOGIN-DENIED", wait=3),
                  "nothing with DenyUser for a PAM login: " + r.stdout + r.stderr)
            r = print_under_nonet("nnother", "OTHER-PRINTS")
            check(r.returncode == 0 and printer.got(b"OTHER-PRINTS"), "a user the lever leaves alone prints")
            said = run([E, "--check-config"], timeout=120).stderr
            check("broker: cupsd" not in said, "check-config names no cupsd queue then: " + said)
        finally:
            daemon.stop()
        check(not printer.got(b"CONTROL-STOPPED", wait=0), "nothing from the control")
    finally:
        printer.close()


def as_session(user, cmd):
    """cmd as user in their session's environment (XDG_RUNTIME_DIR), not restricted."""
    runtime = f"/run/user/{pwd.getpwnam(user).pw_uid}"
    if not os.path.isdir(runtime):
        os.makedirs(runtime)
        shutil.chown(runtime, user, user)
        os.chmod(runtime, 0o700)
    return as_login(user, ["env", f"XDG_RUNTIME_DIR={runtime}", f"HOME=/home/{user}"] + list(cmd))


@test
def pulseaudio_started_outside_opens_a_tunnel():
    need("pulseaudio", "pulseaudio")
    need("pactl", "pulseaudio-utils")
    far = TcpLogger(4713)
    tunnel = ["pactl", "load-module", "module-tunnel-sink", "server=tcp:127.0.0.1:4713"]
    try:
        # the control: the user's PulseAudio stopped, nothing connects
        r = run(as_session("nnstudent", [E] + tunnel))
        check(r.returncode != 0 and not far.got_any(wait=2), "nothing without PulseAudio: " + r.stderr)
        pulse = Daemon(as_session("nnstudent", ["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1",
                                                "--use-pid-file=no", "--load=module-native-protocol-unix",
                                                "--load=module-null-sink"]),
                       lambda: os.path.exists(f"/run/user/{pwd.getpwnam('nnstudent').pw_uid}/pulse/native"))
        try:
            # open: the user's own PulseAudio, started outside, connects out for nonet-exec's pactl
            r = run(as_session("nnstudent", [E] + tunnel))
            check(r.returncode == 0 and far.got_any(), "a TCP connection left through PulseAudio: " + r.stderr)
            far.received.clear()
            # closed: --brokers=closed masks the user's pulse/ directory
            r = run(as_session("nnstudent", [E, "--brokers=closed"] + tunnel + ["sink_name=masked"]))
            check(r.returncode != 0 and not far.got_any(wait=3),
                  "nothing with --brokers=closed: " + r.stdout + r.stderr)
        finally:
            pulse.stop()
    finally:
        far.close()


@test
def gvfs_on_a_session_bus_started_outside():
    need("gio", "libglib2.0-bin")
    if not os.path.exists("/usr/share/dbus-1/services/org.gtk.vfs.Daemon.service"):
        if IN_CI:
            raise AssertionError("gvfs is not installed in CI (tools/install-deps installs gvfs-backends)")
        raise Skip("gvfs is not installed (tools/install-deps installs gvfs-backends)")
    uid = pwd.getpwnam("nnstudent").pw_uid
    address = f"unix:path=/run/user/{uid}/bus"
    web = HttpLogger(8088, answer=b"answer-from-outside\n")

    def gio_cat(path, options=()):
        return run(as_session("nnstudent", ["env", f"DBUS_SESSION_BUS_ADDRESS={address}", E, *options, "timeout",
                                            "15", "gio", "cat", f"http://127.0.0.1:8088/{path}"]), timeout=30)
    try:
        # the control: no session bus, no gvfs: gio has no http and nothing is asked
        r = gio_cat("control")
        check(r.returncode != 0 and not web.got("/control", wait=1), "nothing without the bus: " + r.stderr)
        # the user's session bus, started outside (as the user manager starts it): gvfsd by activation
        bus = Daemon(as_session("nnstudent", ["dbus-daemon", "--session", f"--address={address}", "--nofork",
                                              "--nopidfile"]), lambda: os.path.exists(f"/run/user/{uid}/bus"))
        try:
            r = gio_cat("secret-open")
            check(web.got("/secret-open") and "answer-from-outside" in r.stdout,
                  f"HTTP both ways through gvfs for nonet-exec's gio: {r.stdout} {r.stderr}")
            r = gio_cat("secret-closed", ["--brokers=closed"])
            check(r.returncode != 0 and not web.got("/secret-closed", wait=2),
                  "nothing with --brokers=closed (the session bus refused): " + r.stderr)
        finally:
            bus.stop()  # gvfsd and its backends leave with their bus
    finally:
        web.close()


def unpack_resolved():
    """systemd-resolved unpacked from the package tools/install-deps keeps (resolvedpkg), its D-Bus
    policy where the private bus reads it; its root."""
    root = resolvedpkg.unpack(P.path("resolved"))
    shutil.copy2(os.path.join(root, "usr/share/dbus-1/system.d/org.freedesktop.resolve1.conf"),
                 "/etc/dbus-1/system.d/")
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "systemd-resolve"],
                   check=False, stderr=subprocess.DEVNULL)
    R.write("/etc/systemd/resolved.conf", "[Resolve]\nDNS=127.0.0.1\nLLMNR=no\nMulticastDNS=no\n"
            "DNSStubListener=no\n")
    # resolved asks nothing while no link but lo is up: a veth pair of the test's, a route through it
    if subprocess.run(["ip", "link", "show", "nnv0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode:
        for cmd in (["link", "add", "nnv0", "type", "veth", "peer", "name", "nnv1"],
                    ["addr", "add", "10.1.1.1/24", "dev", "nnv0"], ["link", "set", "nnv0", "up"],
                    ["link", "set", "nnv1", "up"], ["route", "add", "default", "via", "10.1.1.2"]):
            subprocess.run(["ip"] + cmd, check=True)
    return root


VARLINK = "/run/systemd/resolve/io.systemd.Resolve"


def resolve_varlink(user, name, options=()):
    """resolved's varlink socket, as nss-resolve asks it, under nonet-exec as user."""
    code = ("import json,socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(4); s.connect(sys.argv[1]); "
            "s.sendall(json.dumps({'method': 'io.systemd.Resolve.ResolveHostname', "
            "'parameters': {'name': sys.argv[2]}}).encode() + b'\\0'); print(s.recv(4096))")
    return run(as_login(user, [E, *options, "timeout", "5", "/usr/bin/python3", "-c", code, VARLINK, name]),
               timeout=30)


@test
def resolved_on_the_system_bus_and_its_socket():
    root = unpack_resolved()
    resolvectl = [os.path.join(root, "usr/bin/resolvectl"), "query"]
    dns = DNS
    dns.names.clear()
    os.makedirs("/run/systemd/resolve", exist_ok=True)
    shutil.chown("/run/systemd/resolve", "systemd-resolve", "systemd-resolve")
    bus = system_bus()
    try:
        # the control: resolved stopped, nothing received
        run(as_login("nnstudent", [E, "timeout", "5"] + resolvectl + ["control.exfil.test"]), timeout=30)
        check_eq(dns.names, [], "nothing received without resolved")
        resolved = Daemon([os.path.join(root, "lib/systemd/systemd-resolved")],
                          lambda: os.path.exists(VARLINK) and "org.freedesktop.resolve1" in bus_names("root")[1])
        try:
            # open: resolvectl over D-Bus, and the varlink socket, send any name for a restricted user
            run(as_login("nnstudent", [E, "timeout", "5"] + resolvectl + ["open.exfil.test"]), timeout=30)
            check(dns.got("open.exfil.test"), f"the name left through resolved over D-Bus: {dns.names}")
            pam_login("nnstudent", "timeout", "5", *resolvectl, "login-open.exfil.test")
            check(dns.got("login-open.exfil.test"), f"and for a PAM login: {dns.names}")
            resolve_varlink("nnstudent", "varlink.exfil.test")
            check(dns.got("varlink.exfil.test"), f"and through its varlink socket: {dns.names}")
            # closed: the table's D-Bus policy for the bus, --brokers=closed for the socket
            check_eq(run([E, "--write-dbus-policy"]).returncode, 0, "policy written")
            denied("nnstudent", "org.freedesktop.resolve1")
            r = run(as_login("nnstudent", [E, "timeout", "5"] + resolvectl + ["closed.exfil.test"]), timeout=30)
            check(r.returncode != 0 and not dns.got("closed.exfil.test", wait=2),
                  f"nothing over D-Bus with the policy: {r.stderr} {dns.names}")
            pam_login("nnstudent", "timeout", "5", *resolvectl, "login-closed.exfil.test")
            check(not dns.got("login-closed.exfil.test", wait=2), f"nor for a PAM login: {dns.names}")
            run(as_login("nnother", [E, "timeout", "5"] + resolvectl + ["other.exfil.test"]), timeout=30)
            check(dns.got("other.exfil.test"), f"a user the table leaves alone is still answered: {dns.names}")
            resolve_varlink("nnstudent", "varlink-open.exfil.test")
            check(dns.got("varlink-open.exfil.test"), f"the varlink socket is not the policy's: {dns.names}")
            r = resolve_varlink("nnstudent", "varlink-masked.exfil.test", ["--brokers=closed"])
            check(not dns.got("varlink-masked.exfil.test", wait=2), f"nothing with --brokers=closed: {dns.names}")
        finally:
            resolved.stop()
            remove_policy()
    finally:
        bus.stop()


def proxies():
    """The xdg-dbus-proxy processes running now (the test's pid namespace is the machine's). Not the
    exited ones: a proxy is reparented to PID 1, whose reaping lags under load (here, defunct proxies
    outlived gone()'s 5 s)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                head, _, tail = f.read().rpartition(")")
        except OSError:
            continue
        if head.partition("(")[2] == "xdg-dbus-proxy" and tail.split()[0] != "Z":
            found.append(int(pid))
    return found


def gone(before, wait=5.0):
    """Whether every proxy started since before has exited."""
    end = time.monotonic() + wait
    while time.monotonic() < end and set(proxies()) - set(before):
        time.sleep(0.05)
    return not set(proxies()) - set(before)


@test
def brokers_closed_filters_the_system_bus():
    """--brokers=closed for a user no D-Bus policy names: the command's system bus is xdg-dbus-proxy's,
    which lets through the names the policy leaves open (hostnamed, a real one) and no other."""
    need("xdg-dbus-proxy", "xdg-dbus-proxy")
    need("avahi-daemon", "avahi-daemon")
    need("avahi-resolve", "avahi-utils")
    root = unpack_resolved()
    resolvectl = [os.path.join(root, "usr/bin/resolvectl"), "query"]
    # libdbus's dbus-send, beside sd-bus's resolvectl: xdg-dbus-proxy 0.1.4 (Debian 12) drops sd-bus's
    # connections (its pipelined handshake, flatpak/xdg-dbus-proxy#21), so only a libdbus client shows the filter
    hostname = ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.hostname1",
                "/org/freedesktop/hostname1", "org.freedesktop.DBus.Properties.Get", "string:org.freedesktop.hostname1", "string:StaticHostname"]

    def resolve_send(name, options=()):
        return run(as_login("nnother", [E, *options, "timeout", "5", "dbus-send", "--system", "--print-reply",
                                        "--dest=org.freedesktop.resolve1", "/org/freedesktop/resolve1",
                                        "org.freedesktop.resolve1.Manager.ResolveHostname", "int32:0",
                                        f"string:{name}", "int32:2", "uint64:0"]), timeout=30)
    list_names = ["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.DBus", "/",
                  "org.freedesktop.DBus.ListNames"]
    R.write("/etc/avahi/avahi-daemon.conf", AVAHI_CONF)
    R.write("/etc/hostname", "nonet-proxy-test\n")
    dns = DNS
    dns.names.clear()
    os.makedirs("/run/systemd/resolve", exist_ok=True)
    shutil.chown("/run/systemd/resolve", "systemd-resolve", "systemd-resolve")
    before = proxies()
    # no system bus: nothing to filter, the command runs
    r = run(as_login("nnother", [E, "--brokers=closed", "true"]))
    check_eq((r.returncode, r.stderr), (0, ""), "no system bus: runs")
    bus = system_bus()
    daemons = []
    try:
        # fail closed: the proxy cannot be started, nothing runs (exit 125, the reason)
        r = run(as_login("nnother", ["env", "PATH=/nonexistent", E, "--brokers=closed", "/bin/true"]))
        check_eq(r.returncode, 125, "no xdg-dbus-proxy on PATH: " + r.stderr)
        check("xdg-dbus-proxy, which is not installed" in r.stderr, r.stderr)
        daemons.append(Daemon([os.path.join(root, "lib/systemd/systemd-resolved")],
                              lambda: "org.freedesktop.resolve1" in bus_names("root")[1]))
        daemons.append(Daemon(["avahi-daemon", "--no-chroot", "--no-rlimits", "-f", "/etc/avahi/avahi-daemon.conf"],
                              lambda: "org.freedesktop.Avahi" in bus_names("root")[1]))
        daemons.append(Daemon(["/lib/systemd/systemd-hostnamed"],
                              lambda: "org.freedesktop.hostname1" in bus_names("root")[1]))
        # open: resolved and avahi send any name over D-Bus for a command of nonet-exec
        run(as_login("nnother", [E, "timeout", "5"] + resolvectl + ["proxy-open.exfil.test"]), timeout=30)
        check(dns.got("proxy-open.exfil.test"), f"the name left through resolved over D-Bus: {dns.names}")
        resolve_send("send-open.exfil.test")
        check(dns.got("send-open.exfil.test"), f"and for dbus-send: {dns.names}")
        avahi_resolve("nnother", "avahi-proxy-open.exfil.test")
        check(dns.got("avahi-proxy-open.exfil.test"), f"and through avahi over D-Bus: {dns.names}")
        r = run(as_login("nnother", [E] + hostname))
        check(r.returncode == 0 and "nonet-proxy-test" in r.stdout, "hostnamed answers: " + r.stdout + r.stderr)
        # closed: neither reaches anything; the bus itself and hostnamed still answer
        r = run(as_login("nnother", [E, "--brokers=closed", "timeout", "5"] + resolvectl + ["proxy-closed.exfil.test"]),
                timeout=30)
        check(r.returncode != 0 and not dns.got("proxy-closed.exfil.test", wait=2),
              f"nothing through resolved: {r.stderr} {dns.names}")
        r = resolve_send("send-closed.exfil.test", ["--brokers=closed"])
        check(r.returncode != 0 and not dns.got("send-closed.exfil.test", wait=2),
              f"nothing for dbus-send, refused by the proxy: {r.stderr} {dns.names}")
        check("org.freedesktop.DBus.Error.ServiceUnknown" in r.stderr,
              "as if resolved were not there: " + r.stderr)
        r = avahi_resolve("nnother", "avahi-proxy-closed.exfil.test", ["--brokers=closed"])
        check(r.returncode != 0 and not dns.got("avahi-proxy-closed.exfil.test", wait=2),
              f"nothing through avahi: {r.stderr} {dns.names}")
        r = run(as_login("nnother", [E, "--brokers=closed"] + hostname))
        check(r.returncode == 0 and "nonet-proxy-test" in r.stdout,
              "hostnamed, a kept name, answers through the proxy: " + r.stdout + r.stderr)
        r = run(as_login("nnother", [E, "--brokers=closed"] + list_names))
        check(r.returncode == 0 and "org.freedesktop.hostname1" in r.stdout, "the bus answers: " + r.stdout + r.stderr)
        check("org.freedesktop.resolve1" not in r.stdout and "org.freedesktop.Avahi" not in r.stdout,
              "the brokers' names are not even seen: " + r.stdout)
        version = run(["xdg-dbus-proxy", "--version"]).stdout.split()
        if version[-1:] == ["0.1.4"]:
            r = run(as_login("nnother", [E, "--brokers=closed", "busctl", "--system", "list"]))
            check(r.returncode != 0 and "Transport endpoint is not connected" in r.stderr,
                  "sd-bus clients find the bus closed with 0.1.4, as nonet-exec(1) says: " + r.stdout + r.stderr)
        # the proxy lives as long as the command and whatever inherits its descriptor, no longer
        check(gone(before), f"no proxy left after the commands: {proxies()}")
        leftovers = [d for d in os.listdir("/tmp") if d.startswith("nonet-bus-")]
        check_eq(leftovers, [], "no proxy socket left in /tmp")
        r = run(as_login("nnother", [E, "--brokers=closed", "sh", "-c", "sleep 0.5; echo done"]))
        check_eq(r.stdout, "done\n", "a command's output is its own: " + r.stderr)
        check(gone(before), f"no proxy left: {proxies()}")
    finally:
        for d in reversed(daemons):
            d.stop()
        bus.stop()


main(Daemon.stop_all, P.cleanup, R.cleanup)
