#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pam_nonet under a real OpenSSH server on 127.0.0.1: key login, UsePAM yes,
users and PAM stack in a private root (see privroot.py)."""

import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

import nonettest  # noqa: E402
from nonettest import (EAFNOSUPPORT, Programs, check, check_eq, hello_client, hello_server, main, run,  # noqa: E402
                       test)

R = privroot.PrivateRoot()
P = Programs()
MODULE = privroot.pam_module(P)
KEY = P.path("id")

R.add_user("nn-off", ["nn-lab"])
R.add_user("nn-free", ["nn-lab", "nn-admin"])
R.write("/etc/security/nonet.conf", "@nn-lab hard network off\n@nn-admin hard network on\n")
R.write("/etc/pam.d/sshd", f"""auth required pam_deny.so
account required pam_unix.so
account required {MODULE} debug
session required pam_unix.so
session required {MODULE} debug
""")
subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", KEY], check=True)
subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", P.path("hostkey")], check=True)
os.makedirs(P.path("keys"))
for user in ("nn-off", "nn-free"):
    shutil.copy(KEY + ".pub", P.path(f"keys/{user}"))
os.makedirs("/run/sshd", mode=0o755, exist_ok=True)


def stop(proc):
    """Terminate, and kill what does not go within 10 s: a stuck process fails the test, not the suite's clock."""
    if nonettest.stop(proc):
        raise AssertionError(f"{proc.args[0]} did not exit on SIGTERM")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sshd:
    def __init__(self, wrap=()):
        self.port = free_port()
        conf = P.path(f"sshd_config-{self.port}")
        R.write(conf, f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {P.path("hostkey")}
UsePAM yes
PidFile none
AuthorizedKeysFile {P.path("keys")}/%u
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
""")
        self.log = open(P.path(f"sshd-{self.port}.log"), "w")
        self.proc = subprocess.Popen(list(wrap) + ["/usr/sbin/sshd", "-D", "-e", "-f", conf],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("sshd did not start: " + open(self.log.name).read())

    def ssh(self, user, *args, cmd=None, **kw):
        argv = ["ssh", "-F", "/dev/null", "-i", KEY, "-p", str(self.port), "-o", "BatchMode=yes",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
        argv += list(args) + [f"{user}@127.0.0.1"] + ([cmd] if cmd else [])
        return argv

    def run(self, user, cmd):
        return run(self.ssh(user, cmd=cmd))

    def stop(self):
        stop(self.proc)
        self.log.close()


SERVER = hello_server()
CLIENT = hello_client(SERVER.server_address[1])
SSHD = Sshd()


@test
def restricted_user_remote_command_has_no_network():
    r = SSHD.run("nn-off", f"python3 -c \"{CLIENT}\"")
    check(r.returncode != 0 and "Address family not supported" in r.stderr, f"{r.returncode} {r.stderr}")
    check_eq(SSHD.run("nn-off", f"{P.probe} socket inet").returncode, EAFNOSUPPORT, "probe")
    check_eq(SSHD.run("nn-off", f"{P.probe} socketpair unix").returncode, 0, "unix sockets work")
    check("user nn-off: network off (/etc/security/nonet.conf:1)" in R.syslog(), "logged with file:line")


@test
def exempt_user_reaches_the_server():
    r = SSHD.run("nn-free", f"python3 -c \"{CLIENT}\"")
    check_eq((r.returncode, r.stdout.strip()), (0, "hello"), "exempt user: " + r.stderr)


def through_forward(user):
    """What a connection through `ssh -L` to the test server receives."""
    lport = free_port()
    fwd = subprocess.Popen(SSHD.ssh(user, "-N", "-o", "ExitOnForwardFailure=yes",
                                    "-L", f"127.0.0.1:{lport}:127.0.0.1:{SERVER.server_address[1]}"),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", lport), timeout=5) as c:
                    return c.recv(5)
            except ConnectionRefusedError:
                time.sleep(0.05)
        raise AssertionError("the forward never listened")
    finally:
        stop(fwd)


@test
def port_forwarding_does_not_get_through():
    check_eq(through_forward("nn-free"), b"hello", "exempt user forwards")
    check_eq(through_forward("nn-off"), b"", "restricted user's forward is refused")


@test
def login_refused_when_the_kernel_cannot_enforce():
    sshd = Sshd(wrap=[P.fake_kernel, "--no-seccomp", "--"])
    try:
        r = sshd.run("nn-off", "true")
        check_eq(r.returncode, 255, "restricted user refused: " + r.stderr)
        r = sshd.run("nn-free", f"python3 -c \"{CLIENT}\"")
        check_eq((r.returncode, r.stdout.strip()), (0, "hello"), "exempt user still logs in: " + r.stderr)
        check("refusing user nn-off" in R.syslog() and "CONFIG_SECCOMP_FILTER" in R.syslog(), "logged why")
    finally:
        sshd.stop()


@test
def the_client_connection_sshd_holds_passes_only_where_landlock_polices_tcp():
    # pam_nonet judges the descriptors of sshd's session process: its client's TCP connection
    # passes where Landlock polices TCP (this kernel), and without Landlock it could be re-aimed
    check("descriptor" not in R.syslog(), "on this kernel the session's descriptors pass")
    sshd = Sshd(wrap=[P.fake_kernel, "--no-landlock", "--"])
    try:
        r = sshd.run("nn-off", "true")
        check(r.returncode != 0, "restricted user refused without Landlock: " + r.stderr)
        check("(inet socket, TCP): this kernel's Landlock cannot stop it connecting elsewhere" in R.syslog()
              or "(inet6 socket, TCP): this kernel's Landlock cannot stop it connecting elsewhere" in R.syslog(),
              "logged which descriptor: " + R.syslog()[-1500:])
        r = sshd.run("nn-free", f"python3 -c \"{CLIENT}\"")
        check_eq((r.returncode, r.stdout.strip()), (0, "hello"), "exempt user still logs in: " + r.stderr)
    finally:
        sshd.stop()


if __name__ == "__main__":
    main(SSHD.stop, P.cleanup, R.cleanup)
