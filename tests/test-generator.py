#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""nonet-generator: unit trees in, drop-ins out, each checked by systemd-analyze
verify. The table for User= lives in a private root (see privroot.py)."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import BUILD, check, check_eq, main, run, test  # noqa: E402

R = privroot.PrivateRoot()
GENERATOR = os.path.join(BUILD, "systemd", "nonet-generator")
READY = os.path.join(BUILD, "systemd", "network-off.conf")
NONET_EXEC = os.path.join(BUILD, "nonet-exec", "nonet-exec")
R.add_user("nn-off", ["nn-lab"])
R.add_user("nn-login")
R.add_user("nn-free", ["nn-lab", "nn-admin"])
R.write("/etc/security/nonet.conf", "@nn-lab hard network off\n@nn-admin hard network on\n")

UNIX_ONLY = """[Service]
NoNewPrivileges=yes
RestrictAddressFamilies=
RestrictAddressFamilies=AF_UNIX
SystemCallArchitectures=native
SystemCallFilter=~io_uring_setup:ENOSYS io_uring_enter:ENOSYS io_uring_register:ENOSYS request_key:EPERM
SystemCallFilter=~ptrace:EPERM process_vm_readv:EPERM process_vm_writev:EPERM pidfd_getfd:EPERM
"""


class Tree:
    """A unit search path of two directories, etc/ (first) and lib/."""

    def __init__(self, files):
        self.dir = tempfile.mkdtemp(prefix="nonet-gen-")
        self.etc, self.lib, self.out = (os.path.join(self.dir, d) for d in ("etc", "lib", "out"))
        for d in (self.etc, self.lib, self.out):
            os.makedirs(d)
        for path, content in files.items():
            full = os.path.join(self.dir, path)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if content.startswith("->"):
                os.symlink(content[2:], full)
            else:
                with open(full, "w") as f:
                    f.write(content)

    def generate(self, env=None):
        e = dict(os.environ, SYSTEMD_UNIT_PATH=f"{self.etc}:{self.lib}")
        e.update(env or {})
        e.pop("SYSTEMD_SCOPE", None) if not env or "SYSTEMD_SCOPE" not in env else None
        self.result = run([GENERATOR, self.out, self.out + ".early", self.out + ".late"], env=e)
        return self.result

    def dropin(self, unit):
        path = os.path.join(self.out, unit + ".d", "90-nonet.conf")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return f.read()

    def generated(self):
        return sorted(os.path.relpath(os.path.join(d, f), self.out)
                      for d, _, fs in os.walk(self.out) for f in fs)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def service(extra="", user=None):
    return "[Unit]\nDescription=test\n[Service]\nExecStart=/bin/true\n" + (f"User={user}\n" if user else "") + extra


def verify(tree, unit):
    """systemd-analyze verify of the unit with its generated drop-in: no complaint at all."""
    vdir = os.path.join(tree.dir, "verify")
    shutil.rmtree(vdir, ignore_errors=True)
    os.makedirs(vdir)
    shutil.copy(os.path.join(tree.lib if os.path.exists(os.path.join(tree.lib, unit)) else tree.etc, unit), vdir)
    shutil.copytree(os.path.join(tree.out, unit + ".d"), os.path.join(vdir, unit + ".d"))
    r = run(["systemd-analyze", "verify", "--man=no", unit], env=dict(os.environ, SYSTEMD_UNIT_PATH=vdir + ":"))
    check_eq(r.stderr, "", f"systemd-analyze verify {unit}")


@test
def x_networkoff_yes_gives_the_contract():
    t = Tree({"lib/a.service": service("X-NetworkOff=yes\n"), "lib/b.service": service(),
              "lib/c.service": service("X-NetworkOff=no\n"), "lib/d.service": service("NetworkOff=true\n")})
    try:
        check_eq(t.generate().returncode, 0, "exit status")
        check_eq(t.generated(), ["a.service.d/90-nonet.conf", "d.service.d/90-nonet.conf"], "drop-ins")
        text = t.dropin("a.service")
        check_eq(text.split("\n", 2)[2], UNIX_ONLY, "golden drop-in: AF_UNIX whole, no PrivateNetwork")
        check(f"X-NetworkOff=yes at {t.lib}/a.service:5" in text, "header names the source: " + text)
        verify(t, "a.service")
        with open(READY) as f:
            check_eq(f.read().split("\n", 2)[2], UNIX_ONLY, "the ready network-off.conf is the same")
    finally:
        t.cleanup()


@test
def dropins_last_assignment_wins_and_etc_masks_vendor():
    t = Tree({"lib/a.service": service(),
              "lib/a.service.d/10-off.conf": "[Service]\nX-NetworkOff=yes\n",
              "etc/a.service.d/20-on.conf": "[Service]\nX-NetworkOff=no\n",
              "lib/b.service": service("X-NetworkOff=yes\n"),
              "lib/b.service.d/50-x.conf": "[Service]\nX-NetworkOff=no\n",
              "etc/b.service.d/50-x.conf": "[Service]\n# masks the vendor one\n",
              "lib/c.service": service("X-NetworkOff=yes\n"),
              "etc/c.service.d/reset.conf": "[Service]\nX-NetworkOff=\n",
              "lib/d.service": service(),
              "etc/service.d/all.conf": "",
              "lib/app-web.service": service(),
              "etc/app-.service.d/nonet.conf": "[Service]\nX-NetworkOff=yes\n"})
    try:
        t.generate()
        check(t.dropin("a.service") is None, "a: later drop-in says no")
        check("etc/b.service.d" not in (t.dropin("b.service") or "") and t.dropin("b.service"), "b: vendor masked")
        check(t.dropin("c.service") is None, "c: empty assignment resets")
        check(t.dropin("app-web.service") is not None, "app-web: prefix drop-in")
        check(t.dropin("d.service") is None, "d untouched")
    finally:
        t.cleanup()


@test
def family_lists_keep_those_families():
    t = Tree({"lib/a.service": service("X-NetworkOff=netlink,AF_INET6\n"),
              "lib/b.service": service("X-NetworkOff=bogus\n")})
    try:
        r = t.generate()
        check_eq(r.returncode, 0, "a bad value never fails the boot")
        text = t.dropin("a.service")
        check("RestrictAddressFamilies=AF_UNIX AF_INET6 AF_NETLINK\n" in text, text)
        check("PrivateNetwork" not in text, "a kept family is for the host's network")
        verify(t, "a.service")
        check(t.dropin("b.service") is not None and "RestrictAddressFamilies=AF_UNIX\n" in t.dropin("b.service"),
              "a bad value is network off")
        check("b.service:5: invalid X-NetworkOff=bogus" in r.stderr, r.stderr)
    finally:
        t.cleanup()


@test
def services_of_restricted_users_follow_the_table():
    t = Tree({"lib/off.service": service(user="nn-off"), "lib/free.service": service(user="nn-free"),
              "lib/optout.service": service("X-NetworkOff=no\n", user="nn-off"),
              "lib/root.service": service(user="root"),
              "lib/ghost.service": service(user="nn-ghost")})
    try:
        r = t.generate()
        text = t.dropin("off.service")
        check(text and "User=nn-off, whose network is off by /etc/security/nonet.conf:1" in text, str(text))
        check_eq(t.generated(), ["off.service.d/90-nonet.conf"], "only nn-off's service")
        check("cannot look up User=nn-ghost" in r.stderr, r.stderr)
        # Unix=no-abstract for the table's users: systemd's way is a private network namespace
        R.write("/etc/security/nonet-settings.conf", "Unix=no-abstract\n")
        shutil.rmtree(t.out)
        os.makedirs(t.out)
        t.generate()
        check(t.dropin("off.service").endswith("pidfd_getfd:EPERM\nPrivateNetwork=yes\n"), t.dropin("off.service"))
        verify(t, "off.service")
        R.write("/etc/security/nonet-settings.conf", "Services=no\n")
        shutil.rmtree(t.out)
        os.makedirs(t.out)
        t.generate()
        check_eq(t.generated(), [], "Services=no")
    finally:
        os.unlink("/etc/security/nonet-settings.conf")
        t.cleanup()


# The machine's own unit tree: Debian's units with User= of a system account
# (systemd-networkd, timesyncd, man-db, e2scrub_fail@...).
REAL_UNITS = [d for d in ("/lib/systemd/system", "/usr/lib/systemd/system") if os.path.isdir(d)]


def set_table(text):
    R.write("/etc/security/nonet.conf", text)


@test
def a_wildcard_line_never_cuts_the_machines_own_daemons():
    system_users = [u for u in ("systemd-network", "systemd-timesync", "man")
                    if run(["getent", "passwd", u]).returncode == 0]
    check("systemd-network" in system_users, "this machine has networkd's user: " + str(system_users))
    t = Tree({"etc/login-job.service": service(user="nn-login"), "etc/daemon-job.service": service(user="daemon")})
    env = {"SYSTEMD_UNIT_PATH": ":".join([t.etc] + REAL_UNITS)}
    try:
        set_table("* hard network off\n")
        check_eq(t.generate(env).returncode, 0, "exit status")
        check_eq(t.generated(), ["login-job.service.d/90-nonet.conf"], "only the login account's service")
        # naming a system account restricts it: the administrator asked
        set_table("* hard network off\nsystemd-network hard network off\n")
        shutil.rmtree(t.out)
        os.makedirs(t.out)
        t.generate(env)
        check_eq(t.generated(), ["login-job.service.d/90-nonet.conf", "systemd-networkd.service.d/90-nonet.conf"],
                 "networkd named by its user")
        check("User=systemd-network, whose network is off by /etc/security/nonet.conf:2"
              in t.dropin("systemd-networkd.service"), t.dropin("systemd-networkd.service"))
    finally:
        set_table("@nn-lab hard network off\n@nn-admin hard network on\n")
        t.cleanup()


@test
def check_config_previews_the_services_a_table_restricts():
    t = Tree({"etc/login-job.service": service(user="nn-login"),
              "etc/own.service": service("X-NetworkOff=yes\n", user="daemon")})
    env = dict(os.environ, SYSTEMD_UNIT_PATH=":".join([t.etc] + REAL_UNITS))
    try:
        set_table("* hard network off\n")
        r = run([NONET_EXEC, "--check-config"], env=env)
        check_eq(r.returncode, 0, "a good table: " + r.stderr)
        check("login-job.service: network off (User=nn-login, whose network is off by /etc/security/nonet.conf:1)"
              in r.stdout, r.stdout)
        check("systemd-networkd" not in r.stdout and "own.service" not in r.stdout, "only the table's doing: " + r.stdout)
        set_table("* hard network off\n@systemd-network - network off\n")
        r = run([NONET_EXEC, "--check-config"], env=env)
        check("systemd-networkd.service: network off (User=systemd-network, whose network is off by "
              "/etc/security/nonet.conf:2)" in r.stdout, r.stdout)
        check("warning: systemd-networkd.service brings up this machine's network" in r.stderr, r.stderr)
        check_eq(r.returncode, 0, "a warning alone exits 0")
    finally:
        set_table("@nn-lab hard network off\n@nn-admin hard network on\n")
        t.cleanup()


@test
def x_networkoff_loopback_is_systemd_s_private_network():
    t = Tree({"lib/build.service": service("X-NetworkOff=loopback\n")})
    try:
        r = t.generate()
        text = t.dropin("build.service") or ""
        check_eq(r.returncode, 0, r.stderr)
        check("RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n" in text and "PrivateNetwork=yes\n" in text and
              "request_key:EPERM" in text, text)
    finally:
        t.cleanup()


@test
def socket_activated_inet_units_are_named():
    # the sockets systemd passes keep working and a drop-in cannot police them: said, not hidden
    t = Tree({"lib/web.service": service("X-NetworkOff=yes\n"),
              "lib/web.socket": "[Socket]\nListenStream=/run/web.sock\nListenStream=8080\n",
              "lib/echo@.service": service("X-NetworkOff=yes\n"),
              "lib/echo.socket": "[Socket]\nListenStream=[::1]:7\nAccept=yes\n",
              "lib/local.service": service("X-NetworkOff=yes\n"),
              "lib/local.socket": "[Socket]\nListenStream=/run/local.sock\nListenDatagram=@local\n"})
    try:
        r = t.generate()
        check_eq(r.returncode, 0, r.stderr)
        check("web.service: the inet socket systemd passes it (web.socket: ListenStream=8080) keeps working"
              in r.stderr, r.stderr)
        check("echo@.service: the inet socket systemd passes it (echo.socket: ListenStream=[::1]:7)" in r.stderr,
              r.stderr)
        check("local.service" not in r.stderr, "unix sockets are no door: " + r.stderr)
        check(t.dropin("web.service") is not None, "the drop-in is written all the same")
        env = dict(os.environ, SYSTEMD_UNIT_PATH=f"{t.etc}:{t.lib}")
        r = run([NONET_EXEC, "--check-config"], env=env)
        check("warning: web.service: the inet socket systemd passes it (web.socket: ListenStream=8080)" in r.stderr
              and "local.service" not in r.stderr, r.stderr)
    finally:
        t.cleanup()


@test
def user_specifiers_follow_the_instance():
    t = Tree({"lib/as@.service": service(user="%i"),
              "etc/multi-user.target.wants/as@nn-off.service": "->../../lib/as@.service",
              "etc/multi-user.target.wants/as@nn-free.service": "->../../lib/as@.service",
              "lib/odd.service": service(user="%u")})
    try:
        r = t.generate()
        check_eq(t.generated(), ["as@nn-off.service.d/90-nonet.conf"], "User=%i of each instance")
        check("User=nn-off" in t.dropin("as@nn-off.service"), t.dropin("as@nn-off.service"))
        check("%" not in r.stderr, "no specifier looked up literally: " + r.stderr)
    finally:
        t.cleanup()


@test
def an_unusable_table_closes_exactly():
    # the login account's service is off; the machine's own daemons and root keep their network
    units = {"lib/free.service": service(user="nn-free"), "lib/plain.service": service(),
             "lib/daemon.service": service(user="daemon"), "lib/rooted.service": service(user="root"),
             "lib/systemd-networkd.service": service(user="systemd-network")}
    for why, setup, undo in (
            ("a world-writable table", lambda: os.chmod("/etc/security/nonet.conf", 0o666),
             lambda: os.chmod("/etc/security/nonet.conf", 0o644)),
            ("a typo in the settings", lambda: R.write("/etc/security/nonet-settings.conf", "Errno=eprem\n"),
             lambda: os.unlink("/etc/security/nonet-settings.conf"))):
        for broken in (True, False):
            t = Tree(units)
            if broken:
                setup()
            try:
                r = t.generate()
                if broken:
                    check_eq(r.returncode, 1, f"{why}: the generator says so by its exit status")
                    check_eq(t.generated(), ["free.service.d/90-nonet.conf"], f"{why}: only the login account's")
                else:
                    check_eq((r.returncode, t.generated()), (0, []), f"{why}, mended: nn-free is exempt again")
            finally:
                if broken:
                    undo()
                t.cleanup()


@test
def templates_instances_aliases_masks():
    t = Tree({"lib/tpl@.service": service("X-NetworkOff=yes\n"),
              "lib/inst@.service": service(),
              "etc/inst@on.service.d/x.conf": "[Service]\nX-NetworkOff=yes\n",
              "etc/multi-user.target.wants/inst@wanted.service": "->../../lib/inst@.service",
              "etc/tpl@lifted.service.d/x.conf": "[Service]\nX-NetworkOff=no\n",
              "lib/real.service": service(),
              "etc/alias.service": "->../lib/real.service",
              "etc/alias.service.d/x.conf": "[Service]\nX-NetworkOff=yes\n",
              "lib/masked.service": service("X-NetworkOff=yes\n"),
              "etc/masked.service": "->/dev/null",
              "lib/empty.service": ""})
    try:
        r = t.generate()
        check_eq(t.generated(), ["inst@on.service.d/90-nonet.conf", "real.service.d/90-nonet.conf",
                                 "tpl@.service.d/90-nonet.conf"], "drop-ins")
        check("tpl@lifted.service: cannot turn on what tpl@.service turns off" in r.stderr, r.stderr)
        verify(t, "real.service")
    finally:
        t.cleanup()


@test
def odd_files_never_fail_the_generator():
    t = Tree({"lib/cont.service": "[Service]\nExecStart=/bin/true\nX-NetworkOff=\\\n  yes\n; X-NetworkOff=no\n",
              "lib/crlf.service": "[Service]\r\nX-NetworkOff=yes\r\n",
              "lib/other.service": "[Install]\nX-NetworkOff=yes\n",
              "lib/junk.service": "\x00\xff\xfe[Service\n=\n[Service]\nX-NetworkOff",
              "lib/long.service": "[Service]\nX-NetworkOff=" + "inet," * 100000 + "\n",
              "lib/dir.service.d/sub.conf/x": "",
              "lib/loop.service": "->loop.service",
              "lib/zero.service": "->/dev/zero",
              "lib/we ird@x y.service": service("X-NetworkOff=yes\n")})
    os.mkfifo(os.path.join(t.lib, "fifo.service"))
    try:
        r = t.generate()  # a device or a FIFO read as a unit would hang the boot
        check("zero.service: not a regular file, ignoring" in r.stderr, r.stderr)
        check("fifo.service: not a regular file, ignoring" in r.stderr, r.stderr)
        check_eq(r.returncode, 0, "exit status: " + r.stderr)
        g = t.generated()
        check("cont.service.d/90-nonet.conf" in g and "crlf.service.d/90-nonet.conf" in g, str(g))
        check("other.service.d/90-nonet.conf" not in g, "not in [Service]")
        check("we ird@x y.service.d/90-nonet.conf" in g, str(g))
        check("long.service.d/90-nonet.conf" not in g and "value too long" in r.stderr, r.stderr)
    finally:
        t.cleanup()


@test
def arguments_and_output_directory():
    r = run([GENERATOR])
    check(r.returncode != 0 and "one or three output directories" in r.stderr, r.stderr)
    r = run([GENERATOR, "/nonexistent/nonet-out"])
    check(r.returncode != 0 and "cannot open /nonexistent/nonet-out" in r.stderr, r.stderr)
    t = Tree({"lib/a.service": service("X-NetworkOff=yes\n")})
    try:
        os.chmod(t.dir, 0o755)
        os.chmod(t.out, 0o555)
        r = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", GENERATOR, t.out],
                env=dict(os.environ, SYSTEMD_UNIT_PATH=f"{t.lib}"))
        check(r.returncode != 0 and "cannot create a.service.d" in r.stderr, r.stderr)
    finally:
        t.cleanup()


@test
def user_scope_units():
    t = Tree({"lib/a.service": service("X-NetworkOff=yes\n"), "lib/b.service": service(user="nn-off")})
    try:
        t.generate({"SYSTEMD_SCOPE": "user"})
        check_eq(t.generated(), ["a.service.d/90-nonet.conf"], "User= means nothing to a user manager")
        check("PrivateNetwork" not in t.dropin("a.service"), "no PrivateNetwork for user units")
    finally:
        t.cleanup()


@test
def a_clean_run_says_nothing():
    # at each boot and daemon-reload: warnings reach the journal, the files read do not
    settings = "/etc/security/nonet-settings.conf"
    R.write(settings, "Errno=eperm\n")
    t = Tree({"lib/a.service": service("X-NetworkOff=yes\n"), "lib/b.service": service(user="nn-off")})
    try:
        r = t.generate()
        check_eq((r.returncode, r.stderr), (0, ""), "exit status and standard error")
        check_eq(t.generated(), ["a.service.d/90-nonet.conf", "b.service.d/90-nonet.conf"], "drop-ins")
        r = t.generate({"SYSTEMD_LOG_LEVEL": "debug"})
        check(f"nonet-generator: read {settings}\n" in r.stderr and
              "nonet-generator: read /etc/security/nonet.conf\n" in r.stderr, "at debug level: " + r.stderr)
    finally:
        os.unlink(settings)
        t.cleanup()


def brokers_lines(uid, home):
    """The InaccessiblePaths= a drop-in gets with Brokers=closed: mask.c's endpoints, the glob left out."""
    system = ["/run/nscd", "/run/systemd/resolve/io.systemd.Resolve", "/run/systemd/resolve/io.systemd.Resolve.Monitor",
              "/run/avahi-daemon", "/run/cups"]
    user = [f"/run/user/{uid}/gnupg/S.dirmngr", f"{home}/.gnupg/S.dirmngr", f"/run/user/{uid}/pulse",
            f"/run/user/{uid}/pipewire-0", f"/run/user/{uid}/pipewire-0-manager", f"/run/user/{uid}/bus",
            f"/run/user/{uid}/systemd/private"]
    return "".join(f"InaccessiblePaths=-{p}\n" for p in system + user)


@test
def brokers_closed_masks_the_brokers_for_the_services_it_restricts():
    # both routes (X-NetworkOff=, and a User= the table restricts) follow the site's Brokers=
    import pwd
    settings = "/etc/security/nonet-settings.conf"
    off = pwd.getpwnam("nn-off")
    t = Tree({"lib/a.service": service("X-NetworkOff=yes\n"), "lib/b.service": service(user="nn-off"),
              "lib/c.service": service(), "lib/free.service": service(user="nn-free"),
              "lib/typo.service": service("X-NetworkOf=yes\n"),
              "lib/num.service": service(user=str(off.pw_uid))})
    try:
        for value in ("", "Brokers=open\n", "Brokers=closed\n"):
            R.write(settings, value)
            shutil.rmtree(t.out)
            os.makedirs(t.out)
            r = t.generate()
            check_eq(r.returncode, 0, value + "exit status")
            check_eq(r.stderr, f"nonet-generator: warning: {t.lib}/typo.service:5: X-NetworkOf= is not X-NetworkOff=, "
                               "ignoring, as systemd does: the service's network stays on\n", value + "the typo alone")
            check_eq(t.generated(), ["a.service.d/90-nonet.conf", "b.service.d/90-nonet.conf",
                                     "num.service.d/90-nonet.conf"], value + "drop-ins")
            a, b = t.dropin("a.service"), t.dropin("b.service")
            if value != "Brokers=closed\n":
                check_eq(a.split("\n", 2)[2], UNIX_ONLY, value + "a: the contract alone")
                check("InaccessiblePaths" not in b, value + "b: " + b)
                out = run([NONET_EXEC, "--check-config"], env=dict(os.environ, SYSTEMD_UNIT_PATH=t.lib)).stdout
                check("  b.service: network off (User=nn-off, " in out, out)
                continue
            check_eq(a.split("\n", 2)[2], UNIX_ONLY + brokers_lines(0, "/root"), "a: root's and the system's brokers")
            check(b.endswith("pidfd_getfd:EPERM\n" + brokers_lines(off.pw_uid, off.pw_dir)), "b: nn-off's: " + b)
            # and --check-config, which reads the same units, says it
            out = run([NONET_EXEC, "--check-config"], env=dict(os.environ, SYSTEMD_UNIT_PATH=t.lib)).stdout
            check(f"  b.service: network off, brokers closed (User=nn-off, " in out, out)
            num = t.dropin("num.service")
            check(num.endswith("pidfd_getfd:EPERM\n" + brokers_lines(off.pw_uid, off.pw_dir)), "User=UID: " + num)
            verify(t, "a.service")
            verify(t, "b.service")
    finally:
        os.unlink(settings)
        t.cleanup()


@test
def x_networkoff_loopback_keeps_the_service_out_of_other_network_namespaces():
    # root's way back (setns into the namespace of its journal socket): systemd's RestrictNamespaces
    t = Tree({"lib/build.service": service("X-NetworkOff=loopback\n"), "lib/off.service": service("X-NetworkOff=yes\n")})
    try:
        check_eq(t.generate().returncode, 0, "generated")
        check("PrivateNetwork=yes\nRestrictNamespaces=~net\n" in (t.dropin("build.service") or ""),
              str(t.dropin("build.service")))
        check("RestrictNamespaces" not in (t.dropin("off.service") or ""), "only with a private loopback")
    finally:
        t.cleanup()


@test
def a_misspelled_or_misplaced_network_off_is_said():
    # systemd ignores both; without a word the service would keep its network
    t = Tree({"lib/typo.service": service("X-NetworkOf=yes\n"),
              "lib/case.service": service("x-networkoff=yes\n"),
              "lib/unit.service": "[Unit]\nX-NetworkOff=yes\n[Service]\nExecStart=/bin/true\n",
              "lib/other.service": service("X-Other=yes\nNetworkNamespacePath=/run/netns/x\n")})
    try:
        r = t.generate()
        check_eq(r.returncode, 0, "never fails the boot: " + r.stderr)
        check("typo.service:5: X-NetworkOf= is not X-NetworkOff=, ignoring, as systemd does" in r.stderr, r.stderr)
        check("case.service:5: x-networkoff= is not X-NetworkOff=" in r.stderr, r.stderr)
        check("unit.service:2: X-NetworkOff= is read in [Service] only, ignoring" in r.stderr, r.stderr)
        check("other.service" not in r.stderr, "other keys are no typo: " + r.stderr)
        check_eq(t.generated(), [], "no drop-in: as systemd reads them, none asks for one")
        # and --check-config, which reads the same units, says it too
        env = dict(os.environ, SYSTEMD_UNIT_PATH=t.lib)
        r = run([NONET_EXEC, "--check-config"], env=env)
        check("typo.service:5: X-NetworkOf= is not X-NetworkOff=" in r.stderr, r.stderr)
    finally:
        t.cleanup()


@test
def check_config_counts_the_files_rules():
    env = dict(os.environ, SYSTEMD_UNIT_PATH="/nonexistent-nonet-units")
    try:
        set_table("nn-off hard network off\n")
        r = run([NONET_EXEC, "--check-config"], env=env)
        check("\n1 rule\n" in "\n" + r.stdout, "one rule: " + r.stdout)
        # a bad line is an error, and a rule read as off
        set_table("nn-off hard network offf\n")
        r = run([NONET_EXEC, "--check-config"], env=env)
        check(r.returncode == 1 and "\n1 rule\n" in "\n" + r.stdout and "nonet.conf:1: unknown value 'offf'" in r.stderr,
              r.stdout + r.stderr)
        set_table("nn-off hard network off\nnn-login hard network off\n")
        check("\n2 rules\n" in "\n" + run([NONET_EXEC, "--check-config"], env=env).stdout, "two rules")
    finally:
        set_table("@nn-lab hard network off\n@nn-admin hard network on\n")


@test
def check_config_warns_in_the_files_order():
    env = dict(os.environ, SYSTEMD_UNIT_PATH="/nonexistent-nonet-units")
    try:
        set_table("@nn-nogroup-b hard network off\nnn-nouser hard network off\n@nn-nogroup-a hard network off\n"
                  "nn-nouser hard network on\n:70000 hard network off\n:70000 hard network off\n")
        r = run([NONET_EXEC, "--check-config"], env=env)
        lines = [int(m) for m in re.findall(r"/etc/security/nonet.conf:(\d+):", r.stderr)]
        check_eq(lines, [1, 2, 3, 4, 6], "the warnings' lines: " + r.stderr)
        check("nonet.conf:4: says on where /etc/security/nonet.conf:2 says off" in r.stderr, r.stderr)
        check("nonet.conf:6: the same line as /etc/security/nonet.conf:5" in r.stderr, r.stderr)
    finally:
        set_table("@nn-lab hard network off\n@nn-admin hard network on\n")


@test
def a_misspelled_family_gets_the_hint_allow_gives():
    env = dict(os.environ, SYSTEMD_UNIT_PATH="/nonexistent-nonet-units")
    try:
        set_table("nn-off hard network inett\nnn-login hard network unix,inett\n")
        r = run([NONET_EXEC, "--check-config"], env=env)
        hint = "(try inet, inet6, netlink or a number)"
        check(f"nonet.conf:1: unknown value 'inett': not off, on or log, nor an address family to keep {hint}"
              in r.stderr, r.stderr)
        check(f"nonet.conf:2: unknown address family 'inett' in 'unix,inett' {hint}" in r.stderr, r.stderr)
        r = run([NONET_EXEC, "--allow=inett", "true"])
        check(f"unknown address family 'inett' in --allow {hint}" in r.stderr, "--allow's own: " + r.stderr)
    finally:
        set_table("@nn-lab hard network off\n@nn-admin hard network on\n")


if __name__ == "__main__":
    main(R.cleanup)
