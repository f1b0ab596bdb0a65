#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pam_nonet through libpam, su, runuser and nonet-exec --user, with users and
tables made in a private root (see privroot.py)."""

import os
import pwd
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import (BUILD, EAFNOSUPPORT, INJECT, KernelLog, Programs, check, check_eq, in_terminal, legacy_tiocsti, main,  # noqa: E402
                       run, test)

R = privroot.PrivateRoot()
P = Programs()
MODULE = privroot.pam_module(P)
shutil.copy2(os.path.join(BUILD, "tests", "pam-session"), P.dir)
PAM_SESSION = P.path("pam-session")
CONFDIR = P.path("pam.d")
TABLE = "/etc/security/nonet.conf"
SETTINGS = "/etc/security/nonet-settings.conf"

R.add_user("nn-off", ["nn-lab"])
R.add_user("nn-free", ["nn-lab", "nn-admin"])
R.add_user("nn-plain")
R.add_user("nn-nl")

GOOD_TABLE = """# network-off users
@nn-lab    hard  network  off
@nn-admin  hard  network  on
nn-nl      -     network  unix,netlink
"""


def set_table(text=GOOD_TABLE, settings=None):
    R.write(TABLE, text)
    if settings is None:
        if os.path.exists(SETTINGS):
            os.unlink(SETTINGS)
    else:
        R.write(SETTINGS, settings)


def stack(args="debug", account=True):
    lines = ["account required pam_permit.so", "session required pam_permit.so",
             f"session required {MODULE} {args}"]
    if account:
        lines.insert(1, f"account required {MODULE} {args}")
    R.write(os.path.join(CONFDIR, "nonet-test"), "\n".join(lines) + "\n")


def session(user, *cmd, fake=()):
    argv = [PAM_SESSION, "nonet-test", user, CONFDIR] + list(cmd)
    if fake:
        argv = [P.fake_kernel] + list(fake) + ["--"] + argv
    return run(argv)


def inet(user, **kw):
    return session(user, P.probe, "socket", "inet", **kw)


@test
def restricted_user_session_has_no_network():
    set_table()
    stack()
    r = inet("nn-off")
    check_eq(r.returncode, EAFNOSUPPORT, "inet in the session: " + r.stdout + r.stderr)
    check("session: Success" in r.stdout, r.stdout)
    check_eq(session("nn-off", P.probe, "unix-local", "path", P.writable("s")).returncode, 0, "unix socket works")
    check("user nn-off: network off (/etc/security/nonet.conf:2)" in R.syslog(), "debug names the rule")


@test
def exempt_and_unlisted_users_are_untouched():
    set_table()
    stack()
    for user in ("nn-free", "nn-plain"):
        r = inet(user)
        check_eq(r.returncode, 0, user + ": " + r.stdout + r.stderr)
    check("user nn-free: network on (/etc/security/nonet.conf:3)" in R.syslog(), "exemption explained")


@test
def family_list_keeps_those_families():
    set_table()
    stack()
    check_eq(session("nn-nl", P.probe, "socket", "netlink").returncode, 0, "netlink kept")
    check_eq(inet("nn-nl").returncode, EAFNOSUPPORT, "inet refused")


@test
def unknown_user_is_refused():
    set_table()
    stack()
    r = inet("nn-no-such-user")
    check_eq(r.returncode, 2, "account fails: " + r.stdout)
    check("account: User not known" in r.stdout, r.stdout)


@test
def module_arguments():
    set_table("nn-plain hard network off\n")
    R.write(P.path("other.conf"), "")
    stack(f"conf={P.path('other.conf')} bogus")
    check_eq(inet("nn-plain").returncode, 0, "conf= replaces the main table")
    check("unknown option: bogus" in R.syslog(), "unknown argument logged")


@test
def bad_lines_are_reported_and_fail_closed():
    set_table(GOOD_TABLE + "nn-plain soft network off\nnn-free hard network of\n")
    stack("")
    check_eq(inet("nn-plain").returncode, EAFNOSUPPORT, "bad line naming nn-plain: closed")
    check_eq(inet("nn-free").returncode, EAFNOSUPPORT, "bad line naming nn-free beats its exemption")
    check_eq(inet("nn-nl").returncode, EAFNOSUPPORT, "other users keep their rules")
    log = R.syslog()
    check("/etc/security/nonet.conf:5: 'soft' network limit" in log, log)
    check("/etc/security/nonet.conf:6: unknown value 'of'" in log, log)


def who_is_off(users=("nn-free", "nn-plain", "daemon", "root")):
    """The session verdict of each user: off or on."""
    return {u: {EAFNOSUPPORT: "off", 0: "on"}.get(inet(u).returncode, "?") for u in users}


CLOSED = {"nn-free": "off", "nn-plain": "off", "daemon": "on", "root": "on"}


@test
def an_untrusted_table_closes_exactly():
    # as if it said '* hard network off': every login account, the exempt one too, is off;
    # root and the machine's own accounts keep their network
    set_table()
    stack("")
    check_eq(who_is_off(), {"nn-free": "on", "nn-plain": "on", "daemon": "on", "root": "on"}, "usable")
    os.chmod(TABLE, 0o666)
    try:
        check_eq(who_is_off(), CLOSED, "world-writable")
        check("writable by group or others (mode 0666): refusing to trust it" in R.syslog(), "said why")
        os.chmod(TABLE, 0o644)
        os.chown(TABLE, 65534, 65534)
        check_eq(who_is_off(), CLOSED, "owned by nobody")
        check("owned by uid 65534, not root" in R.syslog(), "said why")
    finally:
        os.chown(TABLE, 0, 0)
        os.chmod(TABLE, 0o644)
    # a line naming a system account closes it too, whatever the line says
    set_table(GOOD_TABLE + "daemon - network on\n")
    os.chmod(TABLE, 0o664)
    try:
        check_eq(who_is_off(), dict(CLOSED, daemon="off"), "a line names daemon")
    finally:
        os.chmod(TABLE, 0o644)


@test
def every_unusable_table_and_setting_closes_exactly():
    stack("")
    cases = [("a dangling symlink", lambda: (os.unlink(TABLE), os.symlink("/nonexistent-nonet", TABLE)),
              "nonet.conf: cannot open: a symbolic link to nothing"),
             ("a directory", lambda: (os.unlink(TABLE), os.mkdir(TABLE)), "nonet.conf is a directory, not a table"),
             ("a FIFO", lambda: (os.unlink(TABLE), os.mkfifo(TABLE)), "nonet.conf is not a regular file")]
    for why, make, message in cases:
        set_table()
        make()
        try:
            check_eq(who_is_off(), CLOSED, why)
            check(message in R.syslog(), f"{why}: {message}")
        finally:
            if os.path.isdir(TABLE) and not os.path.islink(TABLE):
                os.rmdir(TABLE)
            else:
                os.unlink(TABLE)
    for text, message in (("Errno=eprem\n", "nonet-settings.conf:1: invalid Errno=eprem"),
                          ("[Settings]\nLandlock=require\n", "nonet-settings.conf:1: sections are not used here"),
                          ("Errno\n", "nonet-settings.conf:1: expected Key=Value"),
                          ("Errno=\n", "nonet-settings.conf:1: a key without a value"),
                          ("Unix=listed\n", "nonet-settings.conf:1: invalid Unix=listed")):
        set_table(settings=text)
        check_eq(who_is_off(), CLOSED, text)
        check(message in R.syslog(), f"{text}: {message}")
    set_table(settings="Errno=eperm\n")
    r = inet("nn-off")
    check_eq(r.returncode, 1, "Errno=eperm applies to table users: " + r.stdout + R.syslog()[-2000:])


@test
def account_refuses_when_the_kernel_cannot_enforce():
    set_table()
    stack("")
    r = inet("nn-off", fake=["--no-seccomp"])
    check_eq(r.returncode, 2, "restricted user refused at the account stage: " + r.stdout)
    check("account: Permission denied" in r.stdout and "cannot turn the network off for you" in r.stdout, r.stdout)
    check("refusing user nn-off" in R.syslog() and "CONFIG_SECCOMP_FILTER" in R.syslog(), "logged")
    r = inet("nn-free", fake=["--no-seccomp"])
    check_eq(r.returncode, 0, "exempt user unaffected: " + r.stdout)
    set_table(settings="Landlock=require\n")
    check_eq(inet("nn-off", fake=["--no-landlock"]).returncode, 2, "Landlock required but missing")
    check_eq(inet("nn-off").returncode, EAFNOSUPPORT, "Landlock required and present")


@test
def session_fails_closed_without_account_stage():
    set_table()
    stack("", account=False)
    r = session("nn-off", "touch", P.writable("ran"), fake=["--no-seccomp"])
    check_eq(r.returncode, 3, "session error: " + r.stdout)
    check(not os.path.exists(P.writable("ran")), "the command did not run")
    check("cannot turn the network off for user nn-off" in R.syslog(), "logged at LOG_ERR")


@test
def nonet_exec_user_and_check_config():
    set_table()
    E = P.nonet_exec
    check_eq(run([E, "--user=nn-off", P.probe, "socket", "inet"]).returncode, EAFNOSUPPORT, "--user restricted")
    check_eq(run([E, "-u", "nn-free", P.probe, "socket", "inet"]).returncode, 0, "--user exempt")
    r = run([E, "-v", "--user=nn-nl", P.probe, "socket", "netlink"])
    check(r.returncode == 0 and "user nn-nl: network off (/etc/security/nonet.conf:4)" in r.stderr, r.stderr)
    r = run([E, "--user=nn-nobody", "true"])
    check(r.returncode == 125 and "no such user" in r.stderr, r.stderr)
    r = run([E, "--user=nn-off", "--allow=inet", "true"])
    check(r.returncode == 125 and "cannot be combined" in r.stderr, r.stderr)
    r = run([E, "--check-config"])
    check_eq((r.returncode, r.stderr), (0, ""), "good table")
    set_table(GOOD_TABLE + "* soft network off\n", settings="Landlock=sometimes\nColour=blue\n")
    r = run([E, "--check-config"])
    check_eq(r.returncode, 1, "bad table: " + r.stderr)
    check("/etc/security/nonet.conf:5: 'soft' network limit" in r.stderr, r.stderr)
    check("/etc/security/nonet-settings.conf:1: invalid Landlock=sometimes" in r.stderr, r.stderr)
    check("nonet-settings.conf:2: unknown setting 'Colour'" in r.stderr, r.stderr)
    check("unusable: until it is mended, the network is off for every login account (UID 1000-60000) and for "
          "every account a line names; root and the other system accounts keep theirs" in r.stdout, r.stdout)
    # the settings against this kernel: what they ask must be enforceable here
    set_table(settings="Unix=no-abstract\n")
    r = run([P.fake_kernel, "--no-landlock", "--", E, "--check-config"])
    check(r.returncode == 1 and "every restricted login will be refused on this kernel: refusing abstract unix "
          "sockets outside (unix: no-abstract) needs ABI 6" in r.stderr, r.stderr)
    check_eq(run([E, "--check-config"]).returncode, 0, "the same settings on this kernel")
    # sshd's effective configuration: logins that never meet pam_nonet, and tun forwarding
    key = P.path("ssh_host_ed25519_key")
    os.makedirs("/run/sshd", exist_ok=True)  # the private root's /run: sshd -T asks for it
    if not os.path.exists(key):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
    for config, warning in ((f"HostKey {key}\nUsePAM yes\nPermitTunnel no\n", None),
                            (f"HostKey {key}\nUsePAM no\n", "sshd does not use PAM (UsePAM no)"),
                            (f"HostKey {key}\nUsePAM yes\nPermitTunnel yes\n", "sshd permits tun forwarding")):
        R.write("/etc/ssh/sshd_config", config)
        r = run([E, "--check-config"])
        if warning:
            check(r.returncode == 0 and f"warning: {warning}" in r.stderr, f"{config}: {r.stderr}")
        else:
            check(r.returncode == 0 and "sshd" not in r.stderr, f"{config}: {r.stderr}")


@test
def check_config_catches_the_mistakes_people_make():
    E = P.nonet_exec
    set_table()
    cases = [
        ("nn-lab hard network off\n", 1, "nonet.conf:1: 'nn-lab' is no user but a group: did you mean @nn-lab?"),
        ("@nn-labb hard network off\n", 0, "nonet.conf:1: there is no group 'nn-labb'"),
        ("nn-nosuch hard network off\n", 0, "nonet.conf:1: there is no user 'nn-nosuch'"),
        ("nn-off hard network off\nnn-off - network off\n", 0, "nonet.conf:2: the same line as /etc/security/nonet.conf:1"),
        ("nn-off hard network off\nnn-off hard network on\n", 0,
         "nonet.conf:2: says on where /etc/security/nonet.conf:1 says off for the same domain: the later line wins (on)"),
        ("\ufeffnn-off hard network off\n", 0, "nonet.conf:1: a UTF-8 byte order mark before the first line"),
        ("nn-\x1b[31mred hard network off\n", 0, "there is no user 'nn-\\x1b[31mred'"),
    ]
    for table, code, message in cases:
        set_table(table)
        r = run([E, "--check-config"])
        check(r.returncode == code and message in r.stderr, f"{table!r}: exit {r.returncode}: {r.stderr}")
        check("\x1b" not in r.stderr, "no control character reaches the terminal")
    # the BOM is stripped: the user it hid is restricted again
    set_table("\ufeffnn-off hard network off\n")
    check_eq(inet("nn-off").returncode, EAFNOSUPPORT, "a BOM does not hide the first line")
    # nonet.d as a plain file holding a rule: an error, not silence
    set_table()
    R.write("/etc/security/nonet.d", "nn-free hard network off\n")
    try:
        r = run([E, "--check-config"])
        check(r.returncode == 1 and "nonet.d is not a directory" in r.stderr, r.stderr)
    finally:
        os.unlink("/etc/security/nonet.d")


@test
def check_config_checks_staged_files_and_names_what_it_read():
    E = P.nonet_exec
    set_table()
    os.makedirs("/etc/security/nonet.d", exist_ok=True)
    R.write("/etc/security/nonet.d/50-lab.conf", "nn-plain hard network off\n")
    staged = P.path("staged.conf")
    R.write(staged, "nn-free hard network off\n* soft network off\n")
    settings = P.path("staged-settings.conf")
    R.write(settings, "Errno=eprem\n")
    try:
        r = run([E, "--check-config"])
        reads = [line[5:] for line in r.stdout.splitlines() if line.startswith("read ")]
        check_eq(reads, ["/etc/security/nonet.conf", "/etc/security/nonet.d/50-lab.conf"], "the files read, in order")
        r = run([E, "--check-config", f"--table={staged}", f"--settings={settings}"])
        check(r.returncode == 1 and f"{staged}:2: 'soft' network limit" in r.stderr and
              f"{settings}:1: invalid Errno=eprem" in r.stderr, r.stderr)
        check(f"read {staged}" in r.stdout and f"read {settings}" in r.stdout, r.stdout)
        # pam_nonet's conf=FILE, checked before it is used; and --user with the staged table
        R.write(staged, "nn-free hard network off\n")
        check_eq(run([E, "--check-config", f"--table={staged}"]).returncode, 0, "a good staged table")
        check_eq(run([E, "--user=nn-free", f"--table={staged}", P.probe, "socket", "inet"]).returncode, EAFNOSUPPORT,
                 "--user reads the staged table")
        r = run([E, "--table=/nonexistent-nonet", "--check-config"])
        check(r.returncode == 1 and "/nonexistent-nonet: cannot open" in r.stderr, r.stderr)
    finally:
        os.unlink("/etc/security/nonet.d/50-lab.conf")


@test
def print_filter_follows_the_user():
    set_table()
    E = P.nonet_exec
    r = run([E, "--print-filter", "--user=nn-free"])
    check(r.returncode == 0 and "the table leaves nn-free's network on: no filter" in r.stdout, r.stdout)
    r = run([E, "--print-filter", "--user=nn-nl"])
    check(r.returncode == 0 and "allowed: unix,netlink" in r.stdout, r.stdout[:300])
    r = run([E, "--print-filter", "--user=nn-nosuch"])
    check(r.returncode == 125 and "no such user" in r.stderr, r.stderr)
    # as a container's profile: nn-nl's families kept, and nothing at all for a user left alone
    import json
    r = run([E, "--print-filter=oci", "--user=nn-nl"])
    profile = json.loads(r.stdout)

    def refused(family):
        ops = {"SCMP_CMP_EQ": lambda a: family == a["value"], "SCMP_CMP_GE": lambda a: family >= a["value"],
               "SCMP_CMP_MASKED_EQ": lambda a: family & a["value"] == a["valueTwo"]}
        return any("socket" in rule["names"] and all(ops[a["op"]](a) for a in rule["args"])
                   for rule in profile["syscalls"] if rule.get("args"))
    check(r.returncode == 0 and not refused(16) and not refused(1) and refused(2) and refused(10),
          "nn-nl's profile keeps netlink and unix, refuses inet and inet6: " + r.stdout[:400])
    r = run([E, "--print-filter=oci", "--user=nn-free"])
    check_eq((r.returncode, r.stdout), (1, ""), "no profile for nn-free: " + r.stderr)
    check("the table leaves nn-free's network on: no profile" in r.stderr, r.stderr)


@test
def wildcards_and_ranges_spare_system_accounts():
    # '*' and ranges match login accounts (UID_MIN..UID_MAX); a system account only when named
    stack("")
    rows = (("* hard network off\n", "nn-plain", EAFNOSUPPORT),
            ("* hard network off\n", "daemon", 0),
            ("* hard network off\n", "nobody", 0),
            ("daemon hard network off\n", "daemon", EAFNOSUPPORT),
            (":1 hard network off\n", "daemon", EAFNOSUPPORT),
            ("@daemon hard network off\n", "daemon", EAFNOSUPPORT),
            ("0: hard network off\n", "daemon", 0),
            ("0: hard network off\n", "nn-plain", EAFNOSUPPORT),
            ("@0:65535 hard network off\n", "daemon", 0),
            ("@0:65535 hard network off\n", "nn-plain", EAFNOSUPPORT))
    for table, user, want in rows:
        set_table(table)
        r = inet(user)
        check_eq(r.returncode, want, f"{table.strip()!r} for {user}: {r.stdout}")
    set_table("* hard network off\n")
    check_eq(run([P.nonet_exec, "--user=daemon", P.probe, "socket", "inet"]).returncode, 0, "--user=daemon")
    check_eq(run([P.nonet_exec, "--user=nn-plain", P.probe, "socket", "inet"]).returncode, EAFNOSUPPORT,
             "--user=nn-plain")


@test
def table_log_is_a_dry_run_and_log_logs_refusals():
    stack("")
    log = KernelLog()
    try:
        set_table("nn-plain hard network log\n")
        r = inet("nn-plain")
        check_eq(r.returncode, 0, "a 'log' session keeps its network: " + r.stdout)
        records = log.seccomp_records("probe")
        check(records and "syscall=41" in records[0] and "code=0x7ffc0000" in records[0], str(records))
        set_table("nn-plain hard network off\n", settings="Log=yes\n")
        check_eq(inet("nn-plain").returncode, EAFNOSUPPORT, "Log=yes refuses")
        records = log.seccomp_records("probe")
        check(records and "syscall=41" in records[0] and "code=0x50000" in records[0], str(records))
    finally:
        log.close()


@test
def the_audit_finds_restricted_users_that_still_have_network():
    set_table()
    stack("")
    off = pwd.getpwnam("nn-off")
    # started before the table restricted nn-off (a tmux server, a lingering job), and after
    before = subprocess.Popen(["setpriv", f"--reuid={off.pw_uid}", f"--regid={off.pw_gid}", "--init-groups",
                               "sleep", "60"])
    after = subprocess.Popen([PAM_SESSION, "nonet-test", "nn-off", CONFDIR, "sleep", "60"],
                             stdout=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        r = run([P.nonet_exec, "--status", "--all"])
        lines = {int(line.split()[0]): line for line in r.stdout.splitlines()[1:] if line.split()[0].isdigit()}
        check_eq(r.returncode, 1, "exit 1: " + r.stderr)
        check("nn-off" in lines[before.pid] and " on " in lines[before.pid] and
              "<- has network: the table turns it off (/etc/security/nonet.conf:2)" in lines[before.pid],
              lines[before.pid])
        check(" off " in lines[after.pid] and "<-" not in lines[after.pid], lines[after.pid])
        # the same, as monitoring reads it
        import json
        r = run([P.nonet_exec, "--status", "--all", "--json"])
        audit = {p["pid"]: p for p in json.loads(r.stdout)["processes"]}
        check_eq(r.returncode, 1, "--json: the same exit status")
        check_eq((audit[before.pid]["user"], audit[before.pid]["finding"], audit[before.pid]["source"]),
                 ("nn-off", "has-network", "/etc/security/nonet.conf:2"), "--json finding")
        check_eq((audit[after.pid]["network"], audit[after.pid]["finding"]), ("off", None), "--json: restricted")
        before.kill()
        before.wait()
        r = run([P.nonet_exec, "--status", "--all"])
        check_eq(r.returncode, 0, "none left: " + r.stdout[-800:])
        # an unusable table is read as the logins read it: nn-free, exempt by a usable one, is flagged
        free = pwd.getpwnam("nn-free")
        before = subprocess.Popen(["setpriv", f"--reuid={free.pw_uid}", f"--regid={free.pw_gid}", "--init-groups",
                                   "sleep", "60"])
        time.sleep(0.3)
        r = run([P.nonet_exec, "--status", "--all"])
        check(r.returncode == 0 and "<-" not in r.stdout, "usable: nn-free is exempt: " + r.stdout[-800:])
        os.chmod(TABLE, 0o666)
        try:
            r = run([P.nonet_exec, "--status", "--all"])
        finally:
            os.chmod(TABLE, 0o644)
        lines = {int(line.split()[0]): line for line in r.stdout.splitlines()[1:] if line.split()[0].isdigit()}
        check(r.returncode == 1 and "<- has network" in lines[before.pid] and "cannot be used" in r.stderr,
              f"unusable: flagged: {lines.get(before.pid)} {r.stderr}")
        check(not any("<-" in line and line.split()[1] == "root" for line in lines.values()), "root is not flagged")
    finally:
        for p in (before, after):
            p.kill()
            p.wait()


@test
def two_hundred_logins_at_once():
    set_table()
    stack("")
    users = ["nn-off", "nn-free", "nn-nl", "nn-plain"] * 50
    procs = [subprocess.Popen([PAM_SESSION, "nonet-test", u, CONFDIR, P.probe, "socket", "inet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for u in users]
    got = [p.wait(timeout=120) for p in procs]
    want = [EAFNOSUPPORT if u in ("nn-off", "nn-nl") else 0 for u in users]
    wrong = [(u, g) for u, g, w in zip(users, got, want) if g != w]
    check_eq(wrong, [], "every restricted login restricted, every exempt one not")


@test
def a_user_in_a_thousand_groups():
    R.add_user("nn-many")
    with open("/etc/group", "a") as f:
        for i in range(1000):
            f.write(f"nn-g{i}:x:{30000 + i}:nn-many\n")
    stack("")
    set_table(GOOD_TABLE + "@nn-g999 hard network off\n")
    check_eq(inet("nn-many").returncode, EAFNOSUPPORT, "the 1000th group restricts")
    set_table(GOOD_TABLE + "@:30500 hard network off\n")
    check_eq(inet("nn-many").returncode, EAFNOSUPPORT, "a gid among 1000")
    set_table(GOOD_TABLE + "@nn-g999 hard network off\nnn-many - network on\n")
    check_eq(inet("nn-many").returncode, 0, "the user's own line wins")


def add_to_stack(service):
    with open(f"/etc/pam.d/{service}", "a") as f:
        f.write(f"account required {MODULE}\nsession required {MODULE}\n")


@test
def su_and_runuser():
    set_table()
    add_to_stack("su")
    add_to_stack("runuser-l")
    probe_inet = f"{P.probe} socket inet"
    check_eq(run(["su", "nn-off", "-c", probe_inet]).returncode, EAFNOSUPPORT, "su nn-off")
    check_eq(run(["su", "-", "nn-free", "-c", probe_inet]).returncode, 0, "su - nn-free")
    check_eq(run(["runuser", "-l", "nn-off", "-c", probe_inet]).returncode, EAFNOSUPPORT, "runuser -l nn-off")
    check_eq(run(["runuser", "-l", "nn-plain", "-c", probe_inet]).returncode, 0, "runuser -l nn-plain")
    r = run(["su", "nn-off", "-c", f"{P.nonet_exec} --status"])
    check(r.returncode == 0 and "network: off" in r.stdout, r.stdout)


@test
def a_restricted_session_cannot_type_into_roots_shell():
    # root's shell starts a restricted user's interactive login shell on its own terminal
    # (su -, runuser -l; with -c they start a new session, where the kernel refuses
    # TIOCSTI itself). The user pushes "exit" and a command: their shell exits and root's
    # shell reads the command, which runs as root.
    set_table()
    add_to_stack("su")
    add_to_stack("runuser-l")
    inject = P.path("inject.py")
    with open(inject, "w") as f:
        f.write(INJECT)
    for switch, user, restricted in (("su -", "nn-plain", False), ("su -", "nn-off", True),
                                     ("runuser -l", "nn-off", True)):
        marker = P.writable("as-root")
        if os.path.exists(marker):
            os.unlink(marker)
        steps = [(f"{switch} {user}\n", "$ "),
                 (f"python3 {inject} \"$(printf 'exit\\ntouch {marker}')\"\n", "INJECT-"),
                 ("exit\n", "# "), ("exit\n", None)]
        out = in_terminal(["bash", "--norc", "--noprofile", "-i"], steps, env={"PS1": "# "})
        if restricted:
            check("INJECT-REFUSED errno 1" in out, f"{switch} {user}: TIOCSTI refused: {out}")
            check(not os.path.exists(marker), f"{switch} {user}: nothing ran as root: {out}")
        elif legacy_tiocsti():
            check("INJECT-PUSHED" in out and os.path.exists(marker), f"control {switch} {user}: ran as root: {out}")
            check_eq(os.stat(marker).st_uid, 0, "the injected command ran as root")


if __name__ == "__main__":
    main(P.cleanup, R.cleanup)
