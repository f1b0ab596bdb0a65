#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What a desktop or shell user keeps and loses with nonet-exec --brokers=closed, as nonet.conf(5),
BROKERS, lists it (issue 38): a private desktop the test starts for its user (Xvfb, weston's headless
backend, a session dbus-daemon at /run/user/UID/bus with dunst, gnome-keyring and dconf on it, a
system bus with hostnamed, ssh-agent, gpg-agent and dirmngr, PulseAudio, cupsd with a local
file:///dev/null queue, nscd), in a private root (privroot.py) and a network namespace with lo
alone. Each item run as the user without nonet (the control), under --brokers=open and under
--brokers=closed: kept ones work in all three, lost ones fail under closed only, at once (a
refusal, not a hang), and the one leak measured here, dirmngr fetching for gpg --recv-keys,
reaches a keyserver logger on 127.0.0.1 open and not closed."""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import wave

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

import nonettest  # noqa: E402
from nonettest import IN_CI, Programs, Skip, check, check_eq, main, run, test  # noqa: E402

nonettest.private_network()  # lo alone

R = privroot.PrivateRoot()
P = Programs()
E = P.nonet_exec
USER = "nndesk"
R.add_user(USER)
UID = pwd.getpwnam(USER).pw_uid
HOME = f"/home/{USER}"
RUNTIME = f"/run/user/{UID}"
os.makedirs(RUNTIME)
shutil.chown(RUNTIME, USER, USER)
os.chmod(RUNTIME, 0o700)
DISPLAY = next(f":{n}" for n in range(90, 200)
               if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"))
ENV = {"HOME": HOME, "USER": USER, "LOGNAME": USER, "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
       "XDG_RUNTIME_DIR": RUNTIME, "DISPLAY": DISPLAY, "WAYLAND_DISPLAY": "wayland-nonet",
       "DBUS_SESSION_BUS_ADDRESS": f"unix:path={RUNTIME}/bus", "SSH_AUTH_SOCK": f"{RUNTIME}/ssh-agent.sock"}
MODES = {"control": [], "open": [E, "--brokers=open"], "closed": [E, "--brokers=closed"]}
PROGRAMS = {"Xvfb": "xvfb", "weston": "weston", "wayland-info": "wayland-utils", "xdpyinfo": "x11-utils",
            "dbus-daemon": "dbus-daemon", "dunst": "dunst", "notify-send": "libnotify-bin",
            "gnome-keyring-daemon": "gnome-keyring", "secret-tool": "libsecret-tools", "gsettings": "libglib2.0-bin",
            "/usr/libexec/dconf-service": "dconf-service", "gio": "libglib2.0-bin", "xdg-mime": "xdg-utils",
            "gpg": "gnupg", "dirmngr": "dirmngr", "ssh-agent": "openssh-client", "cupsd": "cups-daemon",
            "lp": "cups-client", "nscd": "nscd", "pulseaudio": "pulseaudio", "paplay": "pulseaudio-utils",
            "busctl": "systemd", "tmux": "tmux", "/usr/lib/polkit-1/polkitd": "polkitd", "xdg-dbus-proxy": "xdg-dbus-proxy", "chromium": "chromium", "git": "git",
            "/usr/libexec/gvfsd": "gvfs-daemons"}
UP = []


def need_all():
    missing = [f"{p} ({pkg})" for p, pkg in PROGRAMS.items() if not shutil.which(p) and not os.path.exists(p)]
    if missing:
        said = "not installed: " + ", ".join(missing) + " (tools/install-deps installs them)"
        if IN_CI:
            raise AssertionError(said)
        raise Skip(said)


def desktop():
    """Each test after the first needs its desktop."""
    if not UP:
        raise (AssertionError if IN_CI else Skip)("the desktop did not start (test 1)")


def as_user(cmd):
    return (["setpriv", f"--reuid={UID}", f"--regid={UID}", "--init-groups", "--", "env", "-i"]
            + [f"{k}={v}" for k, v in ENV.items()] + list(cmd))


def shell(script):
    """A setup step as the user, outside nonet; it must work."""
    r = run(as_user(["sh", "-c", script]), cwd=HOME, timeout=60)
    check_eq(r.returncode, 0, f"{script}: {r.stdout} {r.stderr}")
    return r.stdout


class Result:
    def __init__(self, r, seconds):
        self.rc, self.out, self.err, self.seconds = r.returncode, r.stdout, r.stderr, seconds

    def __str__(self):
        return f"exit {self.rc} in {self.seconds:.1f} s: {self.out[-300:]} {self.err[-600:]}"


def under(mode, cmd, limit=30):
    """cmd as the user in their session, without nonet (control) or under nonet-exec --brokers=MODE."""
    cmd = ["sh", "-c", cmd] if isinstance(cmd, str) else cmd
    start = time.monotonic()
    r = run(as_user(MODES[mode] + ["timeout", str(limit)] + cmd), cwd=HOME, timeout=limit + 30)
    return Result(r, time.monotonic() - start)


def works(cmd, expect="", modes=("control", "open", "closed"), limit=30):
    """Kept: cmd succeeds and says expect in each mode."""
    for mode in modes:
        r = under(mode, cmd, limit)
        check(r.rc == 0 and expect in r.out, f"{cmd} {mode}: {r}")


def lost(cmd, said, expect="", rc_closed=None):
    """Lost with closed only: works in the control and open; under closed fails at once, saying said."""
    works(cmd, expect, modes=("control", "open"))
    r = under("closed", cmd)
    check(r.rc != 0 if rc_closed is None else r.rc == rc_closed, f"{cmd} closed fails: {r}")
    check(said in r.err + r.out, f"{cmd} closed says {said!r}: {r}")
    check(r.seconds < 10, f"{cmd} closed: a refusal, not a hang: {r}")
    print(f"# closed: {cmd if isinstance(cmd, str) else ' '.join(cmd)}: exit {r.rc} in {r.seconds:.2f} s", flush=True)
    return r


class Daemon(nonettest.Daemon):
    """nonettest's, as the test user unless user=False, its log in the test's directory."""

    def __init__(self, cmd, ready, user=True, stdin=None):
        super().__init__(as_user(cmd) if user else cmd, ready, log=P.path(os.path.basename(cmd[0]) + ".log"),
                         wait=20, stdin=stdin, cwd="/")


def names(bus):
    r = run(as_user(["dbus-send", f"--{bus}", "--print-reply", "--dest=org.freedesktop.DBus", "/",
                     "org.freedesktop.DBus.ListNames"]))
    return r.stdout


class Keyserver:
    """An HKP keyserver logger on 127.0.0.1:11371 of the test's network namespace: each request
    received is a fetch that left, answered 404."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 11371))
        self.sock.listen(8)
        self.requests = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            c, _ = self.sock.accept()
            self.requests.append(c.recv(4096))
            c.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            c.close()


def start_desktop():
    """The user's desktop, as a display manager and the user manager would start it."""
    need_all()
    os.makedirs("/run/dbus", exist_ok=True)
    Daemon(["dbus-daemon", "--system", "--nofork", "--nopidfile"],
           lambda: os.path.exists("/run/dbus/system_bus_socket"), user=False)
    Daemon(["Xvfb", DISPLAY, "-nolisten", "tcp"], lambda: os.path.exists(f"/tmp/.X11-unix/X{DISPLAY[1:]}"), user=False)
    Daemon(["weston", "--backend=headless-backend.so", "--socket=wayland-nonet", "--idle-time=0"],
           lambda: os.path.exists(f"{RUNTIME}/wayland-nonet"))
    Daemon(["dbus-daemon", "--session", f"--address=unix:path={RUNTIME}/bus", "--nofork", "--nopidfile"],
           lambda: os.path.exists(f"{RUNTIME}/bus"))
    Daemon(["dunst"], lambda: "org.freedesktop.Notifications" in names("session"))
    Daemon(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
           lambda: "org.freedesktop.secrets" in names("session"), stdin=b"desk-password")
    Daemon(["ssh-agent", "-D", "-a", f"{RUNTIME}/ssh-agent.sock"], lambda: os.path.exists(f"{RUNTIME}/ssh-agent.sock"))
    Daemon(["pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "-L", "module-native-protocol-unix",
            "-L", "module-null-sink", "-L", "module-always-sink"], lambda: os.path.exists(f"{RUNTIME}/pulse/native"))
    # cupsd with one local queue, a file device (the device a local USB printer would be)
    for d in ("/var/spool/cups", "/var/cache/cups"):
        privroot.sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d)
    for d in ("/var/spool/cups/tmp", "/var/log/cups", "/run/cups"):
        os.makedirs(d, exist_ok=True)
    with open("/etc/cups/cups-files.conf", "a") as f:
        f.write("FileDevice Yes\n")
    Daemon(["/usr/sbin/cupsd", "-f"], lambda: os.path.exists("/run/cups/cups.sock"), user=False)
    privroot.sh("lpadmin", "-p", "local", "-E", "-v", "file:///dev/null")
    # the user's keys, agents and files
    shell("gpg --batch --passphrase '' --quick-gen-key 'Desk <desk@example.test>' ed25519 sign never 2>/dev/null"
          " && gpgconf --launch dirmngr && mkdir -m 700 .ssh"
          " && ssh-keygen -q -t ed25519 -N '' -C desk-key -f .ssh/id_ed25519 && ssh-add -q"
          " && git config --global user.email desk@example.test && git config --global user.name Desk"
          " && git init -q repo && echo hello > doc.txt"
          " && echo '<html><body><p>desk-page-ok</p></body></html>' > page.html")
    R.write(f"{HOME}/.local/share/applications/mark.desktop", "[Desktop Entry]\nType=Application\nName=Mark\n"
            f"Exec={HOME}/mark %f\nMimeType=text/html;\n")
    R.write(f"{HOME}/mark", "#!/bin/sh\necho \"$1\" >>\"$HOME/opened\"\n", mode=0o755)
    with wave.open(f"{HOME}/beep.wav", "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\1" * 800)
    privroot.sh("chown", "-R", f"{USER}:{USER}", HOME)
    with open("/etc/hosts", "a") as f:
        f.write("10.9.8.7 printer.lab.example\n")


@test
def a_desktop_of_the_users():
    start_desktop()
    UP.append(True)


@test
def kept_display_and_log():
    """X11, Wayland and /dev/log stay with closed: their sockets are no broker's."""
    desktop()
    works(["xdpyinfo"], "screen #0")
    works(["wayland-info"], "wl_compositor")
    for mode in MODES:
        r = under(mode, ["logger", "-t", "nonet-desk", f"logged-{mode}"])
        check(r.rc == 0 and f"logged-{mode}" in R.syslog(), f"logger {mode}: {r}")


@test
def kept_local_work():
    """Files, the user's agents, git, a venv, a browser on a local page, /etc/hosts names."""
    desktop()
    works("gpg --batch -u desk@example.test --detach-sign -o - doc.txt | wc -c", "1")
    works(["ssh-add", "-l"], "desk-key")
    works("date +%N >> repo/f && git -C repo add f && git -C repo commit -qm desk && git -C repo log --oneline | wc -l")
    works(["gio", "info", "-a", "standard::size", "doc.txt"], "standard::size: 6")
    works("cp doc.txt t.txt && gio trash t.txt && ls .local/share/Trash/files", "t")
    works(["xdg-mime", "query", "filetype", "doc.txt"], "text/plain")
    works("xdg-mime default mark.desktop text/html && rm -f opened && gio open page.html"
          " && for i in 1 2 3 4 5 6 7 8 9; do [ -s opened ] && break; sleep 0.2; done; cat opened", "page.html")
    works(["getent", "hosts", "printer.lab.example"], "10.9.8.7")
    works("rm -rf venv && python3 -m venv venv && venv/bin/python -m pip --version", "pip ",
          modes=("control", "closed"), limit=90)
    works(["chromium", "--headless", "--disable-gpu", "--dump-dom", f"file://{HOME}/page.html"], "desk-page-ok",
          modes=("control", "closed"), limit=90)


@test
def kept_hosts_names_through_nscd():
    """With nscd running, an /etc/hosts name still resolves under closed: glibc reads the file itself."""
    desktop()
    os.makedirs("/run/nscd", exist_ok=True)
    os.makedirs("/var/cache/nscd", exist_ok=True)
    privroot.sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/var/cache/nscd")
    nscd = Daemon(["nscd", "-F"], lambda: os.path.exists("/run/nscd/socket"), user=False)
    try:
        works(["getent", "hosts", "printer.lab.example"], "10.9.8.7")
        works(["id", "-un"], USER)
    finally:
        nscd.stop()


@test
def the_system_bus():
    """libdbus and GDBus clients reach kept names (polkit, hostnamed) through the proxy; sd-bus's busctl does
    not with xdg-dbus-proxy 0.1.4, Debian 12's."""
    desktop()
    R.write("/etc/hostname", "nonet-desk\n")
    hostnamed = Daemon(["/lib/systemd/systemd-hostnamed"], lambda: "org.freedesktop.hostname1" in names("system"),
                       user=False)
    polkitd = Daemon(["/usr/lib/polkit-1/polkitd", "--no-debug"],
                     lambda: "org.freedesktop.PolicyKit1" in names("system"), user=False)
    try:
        works(["pkaction", "--action-id", "org.freedesktop.hostname1.set-hostname"], "set-hostname")
        works(["dbus-send", "--system", "--print-reply", "--dest=org.freedesktop.hostname1",
               "/org/freedesktop/hostname1", "org.freedesktop.DBus.Properties.Get", "string:org.freedesktop.hostname1",
               "string:StaticHostname"], "nonet-desk")
        works(["gdbus", "call", "--system", "--dest", "org.freedesktop.hostname1", "--object-path",
               "/org/freedesktop/hostname1", "--method", "org.freedesktop.DBus.Properties.Get",
               "org.freedesktop.hostname1", "StaticHostname"], "nonet-desk")
        if run(["xdg-dbus-proxy", "--version"]).stdout.split()[-1:] == ["0.1.4"]:
            lost(["busctl", "--system", "get-property", "org.freedesktop.hostname1", "/org/freedesktop/hostname1",
                  "org.freedesktop.hostname1", "StaticHostname"], "Transport endpoint is not connected", "nonet-desk")
    finally:
        polkitd.stop()
        hostnamed.stop()


@test
def lost_printing_to_a_local_queue():
    desktop()
    r = lost("lp -d local doc.txt", "The printer or class does not exist", "request id is local-")
    check_eq(r.rc, 1, "lp's exit status")
    lost(["lpstat", "-p"], "Scheduler is not running", "printer local")


@test
def lost_sound():
    desktop()
    lost(["pactl", "info"], "Connection refused", "Default Sink: null")
    lost(["paplay", "beep.wav"], "Connection refused")


@test
def lost_the_session_bus():
    desktop()
    lost(["notify-send", "nonet", "a notification"], "Could not connect: Connection refused")
    lost("printf s3cret | secret-tool store --label=desk app desk && secret-tool lookup app desk",
         "Could not connect: Connection refused", "s3cret")
    lost(["gio", "list", "trash:///"], "Operation not supported")
    # settings: gsettings set exits 0 (dconf may warn "failed to commit changes"), and the value is not kept
    key = ["org.gnome.desktop.interface", "clock-format"]
    for mode in ("control", "open", "closed"):
        value = "12h" if mode != "closed" else "24h"
        shell("gsettings reset " + " ".join(key))
        r = under(mode, ["gsettings", "set"] + key + ["12h"])
        check_eq(r.rc, 0, f"gsettings set {mode}: {r}")
        time.sleep(0.3)
        got = shell("gsettings get " + " ".join(key)).strip()
        check_eq(got, f"'{value}'", f"the setting after gsettings set under {mode} ({r})")
    shell("gsettings reset " + " ".join(key))


@test
def lost_a_tmux_server_started_outside():
    """A shell in the user's tmux: its tmux commands reach the server outside, which nonet-exec masks."""
    desktop()
    tmux = ["tmux", "-S", f"{RUNTIME}/tmux-desk"]
    shell(" ".join(tmux) + " new-session -d -s desk")
    try:
        lost(tmux + ["display-message", "-p", "#{session_name}"], "no server running", "desk")
    finally:
        run(as_user(tmux + ["kill-server"]))


@test
def dirmngr_fetches_when_open():
    """The leak closed stops: dirmngr, started outside, fetches for gpg --recv-keys under nonet-exec."""
    desktop()
    keyserver = Keyserver()
    fetch = "gpg --batch --keyserver hkp://127.0.0.1:11371 --recv-keys 0x1234567890ABCDEF1234567890ABCDEF12345678"
    for mode in ("control", "open", "closed"):
        keyserver.requests.clear()
        r = under(mode, fetch)
        time.sleep(0.3)
        if mode == "closed":
            check(not keyserver.requests and "No dirmngr" in r.err and r.seconds < 10, f"nothing fetched closed: {r}")
        else:
            check(any(b"GET /pks/lookup" in q for q in keyserver.requests), f"fetched {mode}: {r}")


def left_running():
    """The test user's processes still running in the test's network namespace (bus-activated
    dconf-service and gvfsd, the daemonized gpg-agent): the machine's own are in another."""
    ours, found = os.stat("/proc/self/ns/net").st_ino, []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == UID and os.stat(f"/proc/{pid}/ns/net").st_ino == ours:
                found.append(int(pid))
        except OSError:
            pass
    return found


def cleanup():
    if shutil.which("gpgconf"):
        run(as_user(["gpgconf", "--kill", "all"]))
    for d in reversed(list(Daemon.running)):
        d.stop()
    end = time.monotonic() + 5
    while left_running() and time.monotonic() < end:
        time.sleep(0.1)
    for pid in left_running():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


main(cleanup, P.cleanup, R.cleanup)
