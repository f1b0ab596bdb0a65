#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Groups kept in a directory (issue 37): Debian's slapd and nslcd (libnss-ldapd) as the NSS
source of users and groups, started here in a private mount and network namespace (see
privroot.py; nsswitch.conf and nslcd.conf are the private root's copies), with the directory
up, stopped and hung (SIGSTOP). Logins through libpam with the built pam_nonet.so, su,
nonet-exec --user, --status --all, --check-config and the generator, each restricted case beside
a control login that reaches a listener on the namespace's loopback."""

import atexit
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import (BUILD, EAFNOSUPPORT, IN_CI, Programs, check, check_eq, main, reply_server,  # noqa: E402
                       private_network, require_root, run, stop, test)

MISSING = [p for p in ("/usr/sbin/slapd", "/usr/sbin/slapadd", "/usr/bin/ldapsearch", "/usr/sbin/nslcd")
           if not os.path.exists(p)]
if MISSING or not any(os.path.exists(os.path.join(d, "libnss_ldap.so.2"))
                      for d in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib")):
    why = f"needs slapd, ldap-utils, nslcd and libnss-ldapd (tools/install-deps): {' '.join(MISSING) or 'libnss_ldap'}"
    print(f"not ok 1 - {why}\n1..1" if IN_CI else f"1..0 # SKIP {why}")
    sys.exit(1 if IN_CI else 0)

try:
    private_network()  # before any thread: the whole process's
except OSError as e:
    print("not ok 1 - unshare(CLONE_NEWNET): " + os.strerror(e.errno))
    sys.exit(1)

R = privroot.PrivateRoot()
P = Programs()
MODULE = privroot.pam_module(P)
shutil.copy2(os.path.join(BUILD, "tests", "pam-session"), P.dir)
PAM_SESSION = P.path("pam-session")
CONFDIR = P.path("pam.d")
TABLE = "/etc/security/nonet.conf"
BASE = "dc=nonet,dc=test"
PORT = 3890
LOOKUP_TIMEOUT = 2  # nslcd's bind_timelimit and timelimit: what a hung directory costs each lookup

# nn-alice lives in the directory; nn-bob, nn-carol, nn-dave and nn-erin in /etc/passwd;
# nn-students in the directory alone, with alice, bob and erin as members. nslcd does not look up
# erin's groups (nss_initgroups_ignoreusers, which sites set to spare local logins the directory):
# getgrouplist() leaves nn-students out while getent group lists erin, as sssd does for a local
# user
LDIF = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
o: nonet
dc: nonet

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE}
objectClass: organizationalUnit
ou: groups

dn: uid=nn-alice,ou=people,{BASE}
objectClass: account
objectClass: posixAccount
uid: nn-alice
cn: nn-alice
uidNumber: 5001
gidNumber: 5001
homeDirectory: /tmp
loginShell: /bin/sh

dn: cn=nn-alice,ou=groups,{BASE}
objectClass: posixGroup
cn: nn-alice
gidNumber: 5001

dn: cn=nn-students,ou=groups,{BASE}
objectClass: posixGroup
cn: nn-students
gidNumber: 5100
memberUid: nn-alice
memberUid: nn-bob
memberUid: nn-erin
"""

TABLE_TEXT = """@nn-students  hard  network  off
nn-carol      hard  network  on
"""

CLIENT = """import socket, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
    reply = b""
    while chunk := s.recv(4096):
        reply += chunk
    print(reply.decode().split("\\r\\n\\r\\n", 1)[-1].strip())
except OSError as e:
    print("errno", e.errno)
    sys.exit(e.errno or 1)
"""


class Directory:
    """slapd on 127.0.0.1:3890 of this namespace and nslcd asking it; each stopped by its pid."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nonet-ldap-")
        self.conf = os.path.join(self.dir, "slapd.conf")
        db = os.path.join(self.dir, "db")
        os.mkdir(db)
        schemas = "".join(f"include /etc/ldap/schema/{s}.schema\n" for s in ("core", "cosine", "nis", "inetorgperson"))
        R.write(self.conf, f"""{schemas}modulepath /usr/lib/ldap
moduleload back_mdb
pidfile {self.dir}/slapd.pid
database mdb
maxsize 10485760
suffix "{BASE}"
rootdn "cn=admin,{BASE}"
rootpw secret
directory {db}
access to * by * read
""")
        ldif = os.path.join(self.dir, "data.ldif")
        R.write(ldif, LDIF)
        subprocess.run(["slapadd", "-q", "-f", self.conf, "-l", ldif], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
        R.write("/etc/nsswitch.conf", "passwd: files ldap\ngroup: files ldap\nshadow: files\n")
        R.write("/etc/nslcd.conf", f"""uid nslcd
gid nslcd
uri ldap://127.0.0.1:{PORT}/
base {BASE}
bind_timelimit {LOOKUP_TIMEOUT}
timelimit {LOOKUP_TIMEOUT}
reconnect_sleeptime 1
reconnect_retrytime 1
nss_initgroups_ignoreusers nn-erin
""", mode=0o640)
        os.makedirs("/run/nslcd", exist_ok=True)
        shutil.chown("/run/nslcd", "nslcd", "nslcd")
        self.slapd = self.nslcd = None
        self.log = os.path.join(self.dir, "nslcd.log")
        # nothing left running, however the test ends (meson's timeout sends SIGTERM)
        atexit.register(self.cleanup)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
        self.start()
        self.start_nslcd()
        self.wait_for(lambda: answers("nn-alice"), "nslcd answering for nn-alice")

    def start_nslcd(self):
        """In the foreground, saying each request it gets (-d) in self.log."""
        with open(self.log, "ab") as log:
            self.nslcd = subprocess.Popen(["nslcd", "-d"], stdout=subprocess.DEVNULL, stderr=log)

    def requests(self, fn):
        """fn's result, and the requests nslcd got meanwhile: ["group=nn-students", ...]."""
        start = os.path.getsize(self.log)
        result = fn()
        time.sleep(0.2)
        with open(self.log, errors="replace") as f:
            f.seek(start)
            text = f.read()
        asked = {}
        for m in re.finditer(r'\[(\w+)\] <([\w/]+)="([^"]*)">', text):
            asked.setdefault(m.group(1), f"{m.group(2)}={m.group(3)}")
        return result, list(asked.values())

    def start(self):
        self.slapd = subprocess.Popen(["slapd", "-d", "0", "-f", self.conf, "-h", f"ldap://127.0.0.1:{PORT}/"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.wait_for(lambda: run(["ldapsearch", "-x", "-H", f"ldap://127.0.0.1:{PORT}/", "-b", BASE, "-s", "base"],
                                  timeout=5).returncode == 0, "slapd listening")

    @staticmethod
    def wait_for(cond, what, seconds=20):
        for _ in range(seconds * 10):
            if cond():
                return
            time.sleep(0.1)
        raise AssertionError("timed out waiting for " + what)

    def up(self):
        if self.slapd.poll() is not None:
            self.start()
        os.kill(self.slapd.pid, signal.SIGCONT)
        self.wait_for(lambda: answers("nn-alice"), "the directory back")

    def stopped(self):
        self.up()
        self.slapd.terminate()
        self.slapd.wait(timeout=20)

    def hung(self):
        self.up()
        os.kill(self.slapd.pid, signal.SIGSTOP)

    def cleanup(self):
        for p in (self.nslcd, self.slapd):
            if p and p.poll() is None:  # nslcd's last incarnation: every earlier one was waited for
                os.kill(p.pid, signal.SIGCONT)
                stop(p)
        shutil.rmtree(self.dir, ignore_errors=True)


def answers(user):
    return run(["getent", "passwd", user], timeout=30).returncode == 0


R.add_user("nn-bob")
R.add_user("nn-carol")
R.add_user("nn-dave")
R.add_user("nn-erin")
D = Directory()
LISTENER = reply_server("reached")
R.write(P.path("client.py"), CLIENT)
R.write(os.path.join(CONFDIR, "nonet-test"), f"""account required pam_permit.so
account required {MODULE}
session required pam_permit.so
session required {MODULE} debug
""")
R.write(TABLE, TABLE_TEXT)
with open("/etc/pam.d/su", "a") as f:
    f.write(f"account required {MODULE}\nsession required {MODULE}\n")
CLIENT_ARGS = ["/usr/bin/python3", P.path("client.py"), str(LISTENER)]


def login(user):
    """A login through libpam (account and session), then the client: its result, its time."""
    start = time.monotonic()
    r = run([PAM_SESSION, "nonet-test", user, CONFDIR] + CLIENT_ARGS, timeout=300)
    return r, time.monotonic() - start


def reaches(r):
    return r.returncode == 0 and r.stdout.rstrip().endswith("reached")


def refused(r):
    return r.returncode == EAFNOSUPPORT and f"errno {EAFNOSUPPORT}" in r.stdout


def logins_follow_the_table(state):
    """nn-alice and nn-bob (in nn-students) off, nn-carol (exempt by name) reaching the listener."""
    control, _ = login("nn-carol")
    check(reaches(control), f"{state}: control nn-carol reaches the listener: {control.stdout} {control.stderr}")
    bob, _ = login("nn-bob")
    check(refused(bob), f"{state}: nn-bob, in nn-students in the directory only: {bob.stdout} {bob.stderr}")
    alice, _ = login("nn-alice")  # without the directory: not known, and closed
    check(refused(alice), f"{state}: nn-alice: {alice.stdout} {alice.stderr}")


@test
def directory_up():
    require_root("slapd and nslcd in a namespace")
    D.up()
    logins_follow_the_table("up")
    dave, _ = login("nn-dave")
    check(reaches(dave), f"up: nn-dave, in no group a line names, reaches the listener: {dave.stdout}")
    check_eq(run(["id", "-Gn", "nn-erin"]).stdout.split(), ["nn-erin"], "getgrouplist() leaves nn-students out")
    erin, _ = login("nn-erin")
    check(refused(erin), f"up: nn-erin, whom nn-students lists: {erin.stdout} {erin.stderr}")


@test
def directory_stopped():
    require_root("slapd and nslcd in a namespace")
    D.stopped()
    try:
        logins_follow_the_table("stopped")
        check("NSS cannot say whether user nn-bob is in group 'nn-students'" in R.syslog(), "logged: " + R.syslog()[-2000:])
    finally:
        D.up()


@test
def directory_hung_costs_a_login_one_wait():
    require_root("slapd and nslcd in a namespace")
    D.hung()
    try:
        (control, _), asked = D.requests(lambda: login("nn-carol"))
        check(reaches(control), f"hung: control nn-carol: {control.stdout} {control.stderr}")
        check_eq(asked, [], "nn-carol's own line decides: the directory is not asked")
        (bob, seconds), asked = D.requests(lambda: login("nn-bob"))
        check(refused(bob), f"hung: nn-bob: {bob.stdout} {bob.stderr}")
        print(f"# hung directory: nn-bob's login took {seconds:.1f} s (a lookup waits {LOOKUP_TIMEOUT} s or more)")
        check("user nn-bob: the account stage's verdict" in R.syslog(), "the session stage asked NSS again")
        # the group's own entry, once: not getgrouplist() besides, nor again in the session stage
        check_eq(asked, ["group=nn-students"], "what a login asks the hung directory")
    finally:
        D.up()


@test
def a_group_that_keeps_families_does_not_widen_star_while_unanswered():
    require_root("slapd and nslcd in a namespace")
    R.write(TABLE, "*  hard  network  off\n@nn-students  hard  network  unix,inet,inet6\nnn-carol  hard  network  on\n")
    try:
        D.up()
        bob, _ = login("nn-bob")
        check(reaches(bob), f"up: nn-bob keeps inet as nn-students: {bob.stdout}")
        erin, _ = login("nn-erin")
        check(reaches(erin), f"up: nn-erin, whom nn-students lists, keeps inet: {erin.stdout}")
        for state in ("stopped", "hung"):
            getattr(D, state)()
            control, _ = login("nn-carol")
            check(reaches(control), f"{state}: control nn-carol: {control.stdout}")
            bob, _ = login("nn-bob")
            check(refused(bob), f"{state}: nn-bob is off, as '*' says: {bob.stdout}")
            D.up()
    finally:
        R.write(TABLE, TABLE_TEXT)
        D.up()


@test
def su_follows_the_table():
    require_root("slapd and nslcd in a namespace")
    client = " ".join(CLIENT_ARGS)
    for state in ("up", "stopped", "hung"):
        getattr(D, state)()
        try:
            r = run(["su", "nn-carol", "-c", client], timeout=300)
            check(reaches(r), f"{state}: su nn-carol: {r.stdout} {r.stderr}")
            r = run(["su", "nn-bob", "-c", client], timeout=300)
            check(refused(r), f"{state}: su nn-bob: {r.stdout} {r.stderr}")
        finally:
            D.up()


@test
def nonet_exec_user_follows_the_table():
    require_root("slapd and nslcd in a namespace")
    for state in ("up", "stopped", "hung"):
        getattr(D, state)()
        try:
            r = run([P.nonet_exec, "--user=nn-carol", "--"] + CLIENT_ARGS, timeout=300)
            check(reaches(r), f"{state}: --user=nn-carol: {r.stdout} {r.stderr}")
            r = run([P.nonet_exec, "--user=nn-bob", "--"] + CLIENT_ARGS, timeout=300)
            check(refused(r), f"{state}: --user=nn-bob: {r.stdout} {r.stderr}")
            if state != "up":
                check("NSS cannot say whether user nn-bob is in group 'nn-students'" in r.stderr, r.stderr)
        finally:
            D.up()


@test
def status_all_flags_what_it_cannot_decide():
    require_root("slapd and nslcd in a namespace")
    bob = pwd.getpwnam("nn-bob")
    # started outside any login (a lingering job): the audit must say the table turns it off
    before = subprocess.Popen(["setpriv", f"--reuid={bob.pw_uid}", f"--regid={bob.pw_gid}", "--clear-groups",
                               "sleep", "300"])
    try:
        Directory.wait_for(lambda: open(f"/proc/{before.pid}/comm").read().strip() == "sleep", "setpriv's exec")
        D.up()
        r = run([P.nonet_exec, "--status", "--all"], timeout=120)
        line = next(x for x in r.stdout.splitlines() if x.split()[0] == str(before.pid))
        check(r.returncode == 1 and "<- has network" in line and "undecided" not in line, f"up: {r.returncode} {line}")
        D.stopped()
        r = run([P.nonet_exec, "--status", "--all"], timeout=120)
        line = next(x for x in r.stdout.splitlines() if x.split()[0] == str(before.pid))
        check(r.returncode == 1 and "<- has network" in line and "<- undecided" in line, f"stopped: {r.returncode} {line}")
        check("could not decide" in r.stderr, r.stderr)
        r = run([P.nonet_exec, "--status", "--all", "--json"], timeout=120)
        audit = json.loads(r.stdout)
        proc = next(p for p in audit["processes"] if p["pid"] == before.pid)
        check_eq((r.returncode, proc["finding"], proc["undecided"]["group"]), (1, "has-network", "nn-students"),
                 "--json: " + json.dumps(proc))
        check(audit["undecided"] >= 1, "--json counts it")
    finally:
        before.kill()
        before.wait()
        D.up()


@test
def check_config_tells_no_group_from_no_answer():
    require_root("slapd and nslcd in a namespace")
    D.up()
    staged = P.path("staged.conf")
    R.write(staged, TABLE_TEXT + "@nn-nosuch hard network off\n")
    r = run([P.nonet_exec, "--check-config", f"--table={staged}"], timeout=120)
    check(r.returncode == 0 and "there is no group 'nn-nosuch'" in r.stderr and "nn-students" not in r.stderr,
          f"up: {r.returncode} {r.stderr}")
    D.stopped()
    try:
        r = run([P.nonet_exec, "--check-config", f"--table={staged}"], timeout=120)
        # the first name it cannot answer for is said; the rest would each wait as long
        check(r.returncode == 1 and re.search(r"NSS cannot answer for group 'nn-(students|nosuch)' now", r.stderr) and
              "there is no group" not in r.stderr and "were not looked up" in r.stderr,
              f"stopped: {r.returncode} {r.stderr}")
    finally:
        D.up()


@test
def generator_at_boot_before_the_directory():
    require_root("slapd and nslcd in a namespace")
    tree = tempfile.mkdtemp(prefix="nonet-gen-")
    units = os.path.join(tree, "units")
    os.makedirs(units)
    for user in ("nn-alice", "nn-bob", "nn-carol", "daemon"):
        R.write(os.path.join(units, f"{user}.service"), f"[Service]\nExecStart=/bin/true\nUser={user}\n")
    generator = os.path.join(BUILD, "systemd", "nonet-generator")
    env = dict(os.environ, SYSTEMD_UNIT_PATH=units)

    def dropins(state):
        out = os.path.join(tree, state)
        os.makedirs(out)
        r = run([generator, out, out + ".early", out + ".late"], env=env, timeout=300)
        check_eq(r.returncode, 0, f"{state}: the generator never fails the boot: {r.stderr}")
        dropins.stderr = r.stderr
        return {u for u in ("nn-alice", "nn-bob", "nn-carol", "daemon")
                if os.path.exists(os.path.join(out, f"{u}.service.d", "90-nonet.conf"))}

    try:
        D.up()
        check_eq(dropins("up"), {"nn-alice", "nn-bob"}, "directory up")
        # at boot nslcd is not running yet: its socket is missing
        D.nslcd.terminate()
        D.nslcd.wait(timeout=20)
        check_eq(dropins("boot"), {"nn-alice", "nn-bob"}, "before nslcd starts: closed for both")
        check("cannot look up user nn-alice" in dropins.stderr and
              "NSS cannot say whether user nn-bob is in group 'nn-students'" in dropins.stderr, dropins.stderr)
    finally:
        if D.nslcd.poll() is not None:
            D.start_nslcd()
        D.up()
        shutil.rmtree(tree, ignore_errors=True)


main(D.cleanup, P.cleanup, R.cleanup)
