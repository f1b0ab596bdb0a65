#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The promise, kept by real clients: the network goes off, local IPC keeps working.

Each server runs outside the restriction, as the user; each client runs as that
user unrestricted (the control), under nonet-exec, and in a pam_nonet session
(su), then at the no-abstract unix level (nonet-exec --unix=no-abstract, and
Unix=no-abstract in the settings). A client has talked when its reply says so:
the X server's vendor string, the bus's id, the key's fingerprint, the message
in the log. In a private root (privroot.py) with a private /tmp."""

import ctypes
import os
import shlex
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

import nonettest  # noqa: E402
from nonettest import Programs, as_user, check, check_eq, main, run, test  # noqa: E402

# A /tmp of our own (X11's sockets live there), before anything is made in it: it goes with the
# namespace. The build tree may be under the /tmp it hides: held open, it is still reached.
nonettest.BUILD = f"/proc/self/fd/{os.open(nonettest.BUILD, os.O_PATH)}"
privroot.sh("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", "/tmp")
R = privroot.PrivateRoot()
P = Programs()
MODULE = privroot.pam_module(P)
SETTINGS = "/etc/security/nonet-settings.conf"

USER = "nn-desk"
R.add_user(USER, ["nn-lab"])
R.write("/etc/security/nonet.conf", "@nn-lab hard network off\n")
with open("/etc/pam.d/su", "a") as f:
    f.write(f"account required {MODULE}\nsession required {MODULE}\n")
UID = int(run(["id", "-u", USER]).stdout)
GID = int(run(["id", "-g", USER]).stdout)
RUNTIME = f"/run/user/{UID}"
os.makedirs(RUNTIME, mode=0o700)
os.chown(RUNTIME, UID, GID)
os.makedirs("/tmp/.X11-unix", mode=0o1777)
os.chmod("/tmp/.X11-unix", 0o1777)

CONTROL, EXEC, PAM = "control", "nonet-exec", "pam session (su)"
EXEC_NOABS, PAM_NOABS = "nonet-exec --unix=no-abstract", "pam session (su), Unix=no-abstract"
# abstract sockets are per network namespace: a private loopback sees none of the host's
LOOPBACK = "nonet-exec --private-loopback"
DEFAULT = (CONTROL, EXEC, PAM)
NOABS = (EXEC_NOABS, PAM_NOABS)


def in_mode(mode, cmd, env):
    """Run cmd as USER in one of the modes; the CompletedProcess."""
    if mode in (PAM, PAM_NOABS):
        if mode == PAM_NOABS:
            R.write(SETTINGS, "Unix=no-abstract\n")
        try:
            line = shlex.join(["env"] + [f"{k}={v}" for k, v in env.items()] + cmd)
            return run(["su", USER, "-s", "/bin/sh", "-c", line])
        finally:
            if os.path.exists(SETTINGS):
                os.unlink(SETTINGS)
    prefix = {CONTROL: [], EXEC: [P.nonet_exec, "--"], EXEC_NOABS: [P.nonet_exec, "--unix=no-abstract", "--"],
              LOOPBACK: [P.nonet_exec, "--private-loopback", "--"]}[mode]
    return run(as_user(prefix + cmd, UID, GID), env=dict(os.environ, **env))


def server(cmd, ready, env=None):
    """A server outside the restriction, as USER, once ready() holds."""
    proc = subprocess.Popen(as_user(cmd, UID, GID), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env=dict(os.environ, **(env or {})), start_new_session=True)
    for _ in range(100):
        if ready():
            return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    stop(proc)
    raise AssertionError(f"{cmd[0]} did not start: {proc.stdout.read().decode(errors='replace')[-2000:]}")


# Daemons that double-fork (tmux) and weston's helpers are reparented to us, and reaped here.
PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def reap():
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def stop(proc):
    """The server and whatever it started (weston starts clients of its own)."""
    os.killpg(proc.pid, 9)
    proc.wait()
    time.sleep(0.1)
    reap()


def abstract_listening(name):
    """Whether an abstract socket of that name listens (/proc/net/unix shows it as @name)."""
    with open("/proc/net/unix") as f:
        return any(line.split()[-1] == "@" + name for line in f if len(line.split()) >= 8)


def talks(modes, cmd, env, reply, what):
    """In each mode the client talks: reply(result) holds."""
    for mode in modes:
        r = in_mode(mode, cmd, env)
        check(reply(r), f"{what}, {mode}: exit {r.returncode}: {r.stdout[-600:]} {r.stderr[-600:]}")


def refused(modes, cmd, env, reply, error, what):
    """In each mode the client cannot talk, and says why."""
    for mode in modes:
        r = in_mode(mode, cmd, env)
        check(not reply(r) and r.returncode != 0, f"{what}, {mode}: talked: {r.stdout[-400:]}")
        check(error in r.stdout + r.stderr, f"{what}, {mode}: expected '{error}' in: {r.stderr[-600:]}")


def display_number():
    n = 90
    while os.path.exists(f"/tmp/.X11-unix/X{n}") or abstract_listening(f"/tmp/.X11-unix/X{n}"):
        n += 1
    return n


def xvfb(*extra):
    n = display_number()
    proc = server(["Xvfb", f":{n}", "-ac", "-nolisten", "tcp"] + list(extra),
                  lambda: os.path.exists(f"/tmp/.X11-unix/X{n}"))
    return proc, f":{n}"


def xdpyinfo_reply(display):
    return lambda r: r.returncode == 0 and f"name of display:    {display}" in r.stdout and \
        "vendor string:    The X.Org Foundation" in r.stdout


@test
def x11_through_libxcb():
    # Xvfb as started by hand or by a display manager: abstract and filesystem sockets both
    proc, display = xvfb()
    try:
        cmd, env = ["xdpyinfo"], {"DISPLAY": display}
        talks(DEFAULT, cmd, env, xdpyinfo_reply(display), "xdpyinfo")
        # a private loopback has no abstract socket of the host's: libxcb falls back to the path
        talks((LOOPBACK,), cmd, env, xdpyinfo_reply(display), "xdpyinfo")
        # libxcb tries the abstract socket first and gives up on EPERM: the documented cost
        refused(NOABS, cmd, env, xdpyinfo_reply(display), "unable to open display", "xdpyinfo")
    finally:
        stop(proc)


@test
def x11_listening_on_its_filesystem_socket_alone():
    # the remedy nonet-exec(1) gives for no-abstract: no abstract socket, libxcb falls back to the path
    proc, display = xvfb("-nolisten", "local")
    try:
        check(not abstract_listening(f"/tmp/.X11-unix/X{display[1:]}"), "no abstract socket")
        talks(DEFAULT + NOABS, ["xdpyinfo"], {"DISPLAY": display}, xdpyinfo_reply(display), "xdpyinfo")
    finally:
        stop(proc)


def xvfb_abstract(*extra):
    """Xvfb ready on its abstract socket (with -nolisten unix, it has no other)."""
    n = display_number()
    proc = server(["Xvfb", f":{n}", "-ac", "-nolisten", "tcp"] + list(extra),
                  lambda: abstract_listening(f"/tmp/.X11-unix/X{n}"))
    return proc, f":{n}"


def display_hint(mode, display):
    """nonet-exec's warnings about DISPLAY, and whether xdpyinfo reached the server."""
    r = in_mode(mode, ["xdpyinfo"], {"DISPLAY": display})
    return [line for line in r.stderr.splitlines() if "warning: DISPLAY=" in line], xdpyinfo_reply(display)(r)


@test
def nonet_exec_says_why_x_is_out_of_reach():
    # the X server on its abstract socket alone, and on both (as Xorg and Xvfb start)
    for extra, loopback_reaches in ((["-nolisten", "unix"], False), ([], True)):
        proc, display = xvfb_abstract(*extra)
        try:
            what = f"Xvfb {' '.join(extra) or 'on both sockets'}"
            check_eq(display_hint(EXEC, display), ([], True), f"{what}, {EXEC}: no warning, talks")
            warned, talked = display_hint(EXEC_NOABS, display)
            check(not talked and len(warned) == 1 and f"@/tmp/.X11-unix/X{display[1:]}" in warned[0]
                  and "-nolisten local" in warned[0], f"{what}, {EXEC_NOABS}: {warned}")
            warned, talked = display_hint(LOOPBACK, display)
            check(talked == loopback_reaches and len(warned) == (0 if talked else 1),
                  f"{what}, {LOOPBACK}: talked {talked}, {warned}")
        finally:
            stop(proc)
    # the remedy: on its filesystem socket alone, nothing to say
    proc, display = xvfb("-nolisten", "local")
    try:
        for mode in (EXEC_NOABS, LOOPBACK):
            check_eq(display_hint(mode, display), ([], True), f"Xvfb -nolisten local, {mode}: no warning, talks")
    finally:
        stop(proc)


def dbus_bus(address):
    out = P.writable(f"dbus-{len(os.listdir(os.path.dirname(P.writable('x'))))}.addr")
    proc = server(["sh", "-c", f"exec dbus-daemon --session --nofork --address={shlex.quote(address)} "
                   f"--print-address > {out}"], lambda: os.path.exists(out) and os.path.getsize(out) > 0)
    with open(out) as f:
        return proc, f.readline().strip()


def get_id(address):
    return ["dbus-send", f"--bus={address}", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetId"]


def bus_id_reply(bus_id):
    return lambda r: r.returncode == 0 and f'string "{bus_id}"' in r.stdout


def bus_id(address):
    r = run(as_user(get_id(address), UID, GID))
    check(r.returncode == 0 and 'string "' in r.stdout, "the bus answers the control: " + r.stderr)
    return r.stdout.split('string "')[1].split('"')[0]


@test
def dbus_on_a_path_address():
    proc, address = dbus_bus(f"unix:path={P.writable('bus')}")
    try:
        talks(DEFAULT + NOABS + (LOOPBACK,), get_id(address), {}, bus_id_reply(bus_id(address)), "dbus-send on a path")
    finally:
        stop(proc)


@test
def dbus_on_an_abstract_address():
    proc, address = dbus_bus(f"unix:abstract=/tmp/nonet-test-bus-{os.getpid()}")
    try:
        check("unix:abstract=" in address, address)
        reply = bus_id_reply(bus_id(address))
        talks(DEFAULT, get_id(address), {}, reply, "dbus-send on an abstract address")
        refused(NOABS, get_id(address), {}, reply, "Operation not permitted", "dbus-send on an abstract address")
        # out of reach in a private loopback: another network namespace's abstract names
        refused((LOOPBACK,), get_id(address), {}, reply, "Connection refused", "dbus-send on an abstract address")
    finally:
        stop(proc)


@test
def syslog_to_dev_log():
    for mode in DEFAULT + NOABS:
        message = f"nonet client syslog probe, {mode}, {time.monotonic_ns()}"
        r = in_mode(mode, ["logger", "-t", "nonet-clients", message], {})
        check_eq(r.returncode, 0, f"logger, {mode}: {r.stderr}")
        check(message in R.syslog(), f"logger, {mode}: the message reached /dev/log")


class NotifySocket:
    """$NOTIFY_SOCKET as systemd serves it: datagrams in, passed descriptors closed (the barrier)."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        if not address.startswith("\0"):
            os.chmod(address, 0o666)
        self.messages = []
        self.env = {"NOTIFY_SOCKET": address if not address.startswith("\0") else "@" + address[1:]}
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            msg, fds, _, _ = socket.recv_fds(self.sock, 4096, 8)
            for fd in fds:
                os.close(fd)
            self.messages.append(msg.decode())


def notify_reply(n):
    def reply(r):
        time.sleep(0.1)
        return r.returncode == 0 and any("READY=1" in m and reply.status in m for m in n.messages)
    return reply


@test
def systemd_notify_ready():
    for address, abstract in ((P.writable("notify"), False), (f"\0nonet-test-notify-{os.getpid()}", True)):
        n = NotifySocket(address)
        for mode in DEFAULT + NOABS:
            reply = notify_reply(n)
            reply.status = f"nonet {mode} {time.monotonic_ns()}"
            cmd = ["systemd-notify", "--ready", f"--status={reply.status}"]
            if abstract and mode in NOABS:
                r = in_mode(mode, cmd, n.env)
                check(r.returncode != 0 and not reply(r), f"abstract NOTIFY_SOCKET, {mode}: refused")
            else:
                talks((mode,), cmd, n.env, reply, f"systemd-notify to {n.env['NOTIFY_SOCKET']}")
        n.sock.close()


@test
def ssh_agent_lists_its_key():
    d = P.writable("agent")
    os.makedirs(d)
    os.chown(d, UID, GID)
    key, sock = os.path.join(d, "key"), os.path.join(d, "sock")
    check_eq(run(as_user(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "nonet-test-key", "-f", key],
                         UID, GID)).returncode, 0, "ssh-keygen")
    proc = server(["ssh-agent", "-D", "-a", sock], lambda: os.path.exists(sock))
    try:
        env = {"SSH_AUTH_SOCK": sock}
        check_eq(run(as_user(["ssh-add", key], UID, GID), env=dict(os.environ, **env)).returncode, 0, "ssh-add")
        fingerprint = run(["ssh-keygen", "-l", "-f", key + ".pub"]).stdout.split()[1]
        talks(DEFAULT + NOABS, ["ssh-add", "-l"], env,
              lambda r: r.returncode == 0 and fingerprint in r.stdout and "nonet-test-key" in r.stdout, "ssh-add -l")
    finally:
        stop(proc)


@test
def tmux_client_attaches_to_a_server_started_inside():
    # a socket of each run's own ($$): the server the run before killed may still be going away
    sock = P.writable("tmux") + ".$$"
    script = (f"tmux -S {sock} new-session -d -s nonet 'sleep 60' && "
              f"tmux -S {sock} list-sessions -F '#{{session_name}} #{{session_windows}} #{{session_attached}}'; "
              f"s=$?; tmux -S {sock} kill-server; exit $s")
    talks(DEFAULT + NOABS, ["sh", "-c", script], {"HOME": "/tmp"},
          lambda r: r.returncode == 0 and r.stdout.strip() == "nonet 1 0", "tmux")
    time.sleep(0.1)
    reap()


@test
def wayland_round_trip():
    name = "wayland-nonet"
    env = {"XDG_RUNTIME_DIR": RUNTIME}
    proc = server(["weston", "--backend=headless-backend.so", f"--socket={name}", "--idle-time=0", "--no-config"],
                  lambda: os.path.exists(os.path.join(RUNTIME, name)), env=env)
    try:
        talks(DEFAULT + NOABS, ["wayland-info"], dict(env, WAYLAND_DISPLAY=name),
              lambda r: r.returncode == 0 and "'wl_compositor'" in r.stdout and "'wl_shm'" in r.stdout,
              "wayland-info")
    finally:
        stop(proc)


@test
def the_network_is_off_in_every_restricted_mode():
    # the same sessions that reach X and D-Bus have no network: what makes the rows above mean anything
    code = "import socket; socket.socket(socket.AF_INET, socket.SOCK_STREAM)"
    check_eq(in_mode(CONTROL, ["python3", "-c", code], {}).returncode, 0, "control")
    for mode in (EXEC, PAM) + NOABS:
        r = in_mode(mode, ["python3", "-c", code], {})
        check(r.returncode != 0 and "Address family not supported" in r.stderr, f"{mode}: {r.stderr}")


if __name__ == "__main__":
    main(P.cleanup, R.cleanup)
