# SPDX-License-Identifier: LGPL-2.1-or-later
"""A private root for tests that need users, PAM stacks and configs.

The test re-runs itself in a private mount namespace (unshare -m) where /etc
is a bind-mounted copy, /run a tmpfs and /dev a tmpfs holding the usual nodes
and a /dev/log socket the test reads: users, PAM stacks and the table are
made there, and the host's /etc is never touched.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import installed  # now: a test may hide the source tree (a tmpfs on /tmp) before it needs it
from nonettest import IN_CI, ROOT, Skip

MARK = "NONET_PRIVROOT"


def reexec_in_namespace():
    """Outside: run this script again in a private mount namespace and exit with its status."""
    if os.environ.get(MARK):
        return
    if not ROOT:
        if IN_CI:
            print("not ok 1 - needs root in CI")
            sys.exit(1)
        print("1..0 # SKIP needs root for a private mount namespace")
        sys.exit(0)
    env = dict(os.environ, **{MARK: "1"})
    cmd = ["unshare", "--mount", "--propagation", "private", "--", sys.executable] + sys.argv
    sys.exit(subprocess.run(cmd, env=env).returncode)


def pam_module(programs):
    """The built pam_nonet.so, copied where every user can read it; its path."""
    from nonettest import BUILD
    path = programs.path("pam_nonet.so")
    shutil.copy2(os.path.join(BUILD, "pam_nonet", "pam_nonet.so"), path)
    return path


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


class PrivateRoot:
    DEV_NODES = ("null", "zero", "full", "random", "urandom", "tty", "kmsg")

    def __init__(self):
        assert os.environ.get(MARK), "call reexec_in_namespace() first"
        self.dir = tempfile.mkdtemp(prefix="nonet-root-")
        os.chmod(self.dir, 0o755)
        etc = os.path.join(self.dir, "etc")
        sh("cp", "-a", "/etc", etc)
        self._forget_installed(etc)
        sh("mount", "--bind", etc, "/etc")
        # what useradd, su and sshd write besides /etc: homes, lastlog, wtmp, utmp
        for d in ("/run", "/home", "/var/log", "/var/mail"):
            if os.path.isdir(d):
                sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", d)
        self._private_dev()
        self.log = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.log.bind("/dev/log")
        os.chmod("/dev/log", 0o666)
        self.lines = []
        # drained all the time: a full queue would block every program that logs
        threading.Thread(target=self._drain_log, daemon=True).start()

    @staticmethod
    def _forget_installed(etc):
        """nonet's own files, installed on this machine or not, are not in the copy; nor is what
        an install put in the vendor and libexec directories: a test reads what it wrote."""
        hide = [installed.VENDOR_DIR, installed.LIBEXEC_DIR]
        if installed.ETC_DIR.startswith("/etc/"):
            copy = os.path.join(etc, installed.ETC_DIR[len("/etc/"):])
            for name in ("nonet.conf", "nonet-settings.conf", "nonet.d"):
                path = os.path.join(copy, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                elif os.path.lexists(path):
                    os.unlink(path)
        else:
            hide.append(installed.ETC_DIR)
        installed.hide_here([d for d in hide if d])

    def _drain_log(self):
        while True:
            self.lines.append(self.log.recv(65536).decode(errors="replace"))

    def _private_dev(self):
        old = os.path.join(self.dir, "olddev")
        os.mkdir(old)
        sh("mount", "--rbind", "/dev", old)
        sh("mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/dev")
        for node in self.DEV_NODES:
            open(os.path.join("/dev", node), "w").close()
            sh("mount", "--bind", os.path.join(old, node), os.path.join("/dev", node))
        for d in ("pts", "shm"):
            os.mkdir(os.path.join("/dev", d))
        # a devpts of our own: the kernel finds it through the "pts" beside ptmx
        sh("mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666,mode=0620,gid=5", "devpts", "/dev/pts")
        os.symlink("pts/ptmx", "/dev/ptmx")
        sh("mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", "/dev/shm")
        for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                             ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
            os.symlink(target, os.path.join("/dev", name))

    def syslog(self):
        """Every syslog line received so far (after a moment for late ones)."""
        time.sleep(0.1)
        return "\n".join(self.lines)

    def add_user(self, name, groups=()):
        for g in groups:
            subprocess.run(["groupadd", "-f", g], check=True)
        cmd = ["useradd", "--create-home", "--shell", "/bin/sh", "--password", "*"]
        if groups:
            cmd += ["--groups", ",".join(groups)]
        sh(*cmd, name)

    def write(self, path, text, mode=0o644):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def cleanup(self):
        # olddev is the host's /dev: unmount it before anything is removed, and never remove it.
        old = os.path.join(self.dir, "olddev")
        subprocess.run(["umount", "-R", old], check=False)
        if os.path.ismount(old):
            return
        shutil.rmtree(self.dir, ignore_errors=True)
