#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A real systemd as PID 1 in a private PID+mount namespace, with the generator
installed: services with X-NetworkOff=yes get nonet-exec's verdicts, services
of restricted users are restricted, socket activation and sd_notify still work.

systemd boots into an empty target of its own (DefaultDependencies=no), with
its own tmpfs on /run, /tmp and /var/tmp, inside a private root (privroot.py),
so it starts nothing of the host's and touches none of its files."""

import os
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import (BUILD, EAFNOSUPPORT, ENOSYS, EPERM, SOURCE, check, check_eq, main, run, test,  # noqa: E402
                       unix_listener)

R = privroot.PrivateRoot()  # /run is a tmpfs that systemd's namespace shares
PROGS = "/run/nonet-progs"
RESULTS = "/run/nonet-results"
UNITS = "/etc/systemd/system"
os.makedirs(PROGS, mode=0o755)
os.makedirs(RESULTS)
os.chmod(RESULTS, 0o1777)
for rel in ("nonet-exec/nonet-exec", "nonet-exec/nonet-exec-table", "tests/probe", "systemd/nonet-generator"):
    shutil.copy2(os.path.join(BUILD, rel), PROGS)

R.add_user("nn-off", ["nn-lab"])
R.add_user("nn-free", ["nn-lab", "nn-admin"])
R.add_user("nn-plain")
# '*' as an administrator writes it: login accounts only, never the machine's own daemons.
R.write("/etc/security/nonet.conf", "* hard network off\n@nn-admin hard network on\nnn-plain - network on\n")
# The table's users get the stricter unix level; X-NetworkOff=yes units keep AF_UNIX whole.
R.write("/etc/security/nonet-settings.conf", "Unix=no-abstract\n")

# The contract rows, run by a service; "name exit-status" lines.
R.write(f"{PROGS}/rows.sh", f"""#!/bin/sh
P={PROGS}/probe
. {RESULTS}/target.env
out={RESULTS}/$1
: > $out.tmp
row() {{ name=$1; shift; "$P" "$@"; echo "$name $?" >> $out.tmp; }}
row inet socket inet
row inet6 socket inet6
row netlink socket netlink
row packet socket packet
row socketpair socketpair unix
row unix-local unix-local path {RESULTS}/sock-$1
row abstract abstract-connect "$ABSTRACT"
row io_uring io_uring
row int80 int80-socket inet
row x32 x32-socket inet
row ptrace ptrace "$TPID"
row proc-mem proc-mem "$TPID"
row vm-readv process_vm_readv "$TPID" "$TADDR"
row pidfd_getfd pidfd_getfd "$TPID" "$TFD"
row userns userns-socket inet
row nnp no-new-privs
mv $out.tmp $out
""", 0o755)

# A process outside the restriction, of the same user: an inet socket, an abstract socket.
R.write(f"{PROGS}/target.py", f"""import socket, os, time
s = socket.socket()
a = socket.socket(socket.AF_UNIX)
a.bind("\\0nonet-systemd-target")
a.listen(8)
addr = open("/proc/self/maps").readline().split("-")[0]
with open("{RESULTS}/target.env.tmp", "w") as f:
    f.write(f"TPID={{os.getpid()}}\\nTFD={{s.fileno()}}\\nTADDR=0x{{addr}}\\nABSTRACT=nonet-systemd-target\\n")
os.rename("{RESULTS}/target.env.tmp", "{RESULTS}/target.env")
time.sleep(3600)
""")

WEB_PORT = None


def unit(name, text):
    R.write(os.path.join(UNITS, name), "[Unit]\nDefaultDependencies=no\n" + text)


def write_units():
    global WEB_PORT
    unit("nonet-test.target", "Description=nonet test target\n")
    unit("target.service", f"[Service]\nUser=nn-plain\nExecStart=/usr/bin/python3 {PROGS}/target.py\n")
    rows = "[Service]\nType=oneshot\nUser=nn-plain\nExecStart={} {}/rows.sh {}\n"
    unit("rows-unit.service", rows.format("", PROGS, "unit") + "X-NetworkOff=yes\n")
    unit("rows-exec.service", rows.format(f"{PROGS}/nonet-exec", PROGS, "exec"))
    unit("rows-plain.service", rows.format("", PROGS, "plain"))
    unit("rows-user.service", rows.format("", PROGS, "user").replace("User=nn-plain", "User=nn-off"))
    for user in ("nn-off", "nn-free", "daemon"):
        unit(f"user-{user}.service", f"[Service]\nType=oneshot\nUser={user}\n"
             f"ExecStart=/bin/sh -c '{PROGS}/probe socket inet; echo $? > {RESULTS}/{user}'\n")
    unit("optout.service", f"[Service]\nType=oneshot\nUser=nn-off\nX-NetworkOff=no\n"
         f"ExecStart=/bin/sh -c '{PROGS}/probe socket inet; echo $? > {RESULTS}/optout'\n")
    # socket activation: the passed TCP socket works, a new outbound one does not
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        WEB_PORT = s.getsockname()[1]
    unit("web.socket", f"[Socket]\nListenStream=127.0.0.1:{WEB_PORT}\n")
    R.write(f"{PROGS}/web.py", f"""import socket
srv = socket.socket(fileno=3)
while True:
    c, _ = srv.accept()
    try:
        socket.create_connection(("127.0.0.1", {WEB_PORT}), timeout=2)
        out = "outbound: connected"
    except OSError as e:
        out = "outbound: " + str(e)
    c.sendall(("accepted; " + out).encode())
    c.close()
""")
    unit("web.service", f"[Service]\nX-NetworkOff=yes\nExecStart=/usr/bin/python3 {PROGS}/web.py\n")
    # Type=notify: READY=1 reaches $NOTIFY_SOCKET from inside the restriction
    R.write(f"{PROGS}/notify.py", """import os, socket, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
path = os.environ["NOTIFY_SOCKET"]
s.sendto(b"READY=1", "\\0" + path[1:] if path.startswith("@") else path)
time.sleep(3600)
""")
    unit("notify.service", f"[Service]\nType=notify\nX-NetworkOff=yes\nTimeoutStartSec=20\n"
         f"ExecStart=/usr/bin/python3 {PROGS}/notify.py\n")
    # X-NetworkOff=loopback: a server and client of its own on 127.0.0.1; the host's loopback out of reach
    global HOST_LISTENER
    HOST_LISTENER = socket.socket()
    HOST_LISTENER.bind(("127.0.0.1", 0))
    HOST_LISTENER.listen(8)
    R.write(f"{PROGS}/loopback.py", f"""import socket, sys
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen(1)
c = socket.create_connection(srv.getsockname(), timeout=5)
a, _ = srv.accept()
a.sendall(b"ping")
out = ["own " + c.recv(4).decode()]
for name, addr in (("host", ("127.0.0.1", {HOST_LISTENER.getsockname()[1]})), ("netlink", None)):
    try:
        if addr:
            socket.create_connection(addr, timeout=3)
        else:
            socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)
        out.append(name + " 0")
    except OSError as e:
        out.append(name + " " + str(e.errno))
open(sys.argv[1], "w").write("\\n".join(out) + "\\n")
""")
    for name, off in (("loopback", "X-NetworkOff=loopback\n"), ("loopback-control", "")):
        unit(f"{name}.service", f"[Service]\nType=oneshot\nUser=nn-plain\n{off}"
             f"ExecStart=/usr/bin/python3 {PROGS}/loopback.py {RESULTS}/{name}\n")


class Systemd:
    def __init__(self):
        self.cgroups_before = self._cgroups()
        inner = ("mount -t tmpfs tmpfs /tmp && mount -t tmpfs tmpfs /var/tmp && "
                 "exec env container=nonet-test /lib/systemd/systemd --unit=nonet-test.target "
                 "--log-target=console --log-level=notice")
        self.log = open(os.path.join(R.dir, "systemd.log"), "w")
        self.proc = subprocess.Popen(["unshare", "--pid", "--mount", "--fork", "--mount-proc", "sh", "-c", inner],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = None
        for _ in range(200):
            r = subprocess.run(["pgrep", "-P", str(self.proc.pid)], stdout=subprocess.PIPE, text=True)
            if r.stdout.strip():
                self.pid = int(r.stdout.split()[0])
                if self.ctl("is-system-running").stdout.strip() in ("running", "degraded"):
                    return
            time.sleep(0.1)
        raise AssertionError("systemd did not come up: " + open(self.log.name).read())

    @staticmethod
    def _cgroups():
        found = set()
        for h in os.listdir("/sys/fs/cgroup"):
            for name in ("init.scope", "system.slice", "user.slice"):
                found.add(os.path.join("/sys/fs/cgroup", h, name)) if os.path.isdir(
                    os.path.join("/sys/fs/cgroup", h, name)) else None
        return found

    def ctl(self, *args):
        return run(["nsenter", "-t", str(self.pid), "-m", "-p", "systemctl", "--no-pager"] + list(args))

    def stop(self):
        if self.pid:
            self.ctl("poweroff")
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        # the cgroup directories systemd made in the shared hierarchies
        for d in sorted(self._cgroups() - self.cgroups_before):
            subprocess.run(["find", d, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"], check=False)


def results(name):
    path = os.path.join(RESULTS, name)
    for _ in range(100):
        if os.path.exists(path):
            return dict(line.split() for line in open(path).read().splitlines())
        time.sleep(0.1)
    raise AssertionError("no results in " + path)


def wait_file(path):
    # 60 s: a python service starting at load 5 on 2 cores once took over 10
    for _ in range(600):
        if os.path.exists(path):
            return open(path).read().strip()
        time.sleep(0.1)
    raise AssertionError("missing " + path)


SD = None


def boot():
    """Boot, then install the generator and reload, as an administrator would."""
    global SD
    write_units()
    os.makedirs("/etc/systemd/system-generators", exist_ok=True)
    SD = Systemd()
    shutil.copy2(f"{PROGS}/nonet-generator", "/etc/systemd/system-generators/nonet-generator")
    check_eq(SD.ctl("daemon-reload").returncode, 0, "daemon-reload")
    check_eq(SD.ctl("start", "target.service").returncode, 0, "target")
    wait_file(f"{RESULTS}/target.env")

# Rows where a unit's verdict differs from nonet-exec's, and why (README, nonet-generator(8)).
DIFFERENT = {
    "int80": "SystemCallArchitectures=native kills the process instead of refusing",
    "x32": "SystemCallArchitectures=native kills the process instead of refusing",
    "proc-mem": "systemd has no directive for Landlock's ptrace scope over /proc/PID/mem",
}


@test
def x_networkoff_unit_gets_nonet_exec_verdicts():
    for name in ("rows-plain", "rows-exec", "rows-unit"):
        r = SD.ctl("start", name + ".service")
        check_eq(r.returncode, 0, f"{name}: {r.stderr}")
    plain, exe, unit_ = results("plain"), results("exec"), results("unit")
    print(f"# plain {plain}\n# exec  {exe}\n# unit  {unit_}")
    check_eq(plain["inet"], "0", "the control has network")
    for row, verdict in exe.items():
        if row in DIFFERENT:
            continue
        check_eq(unit_[row], verdict, f"row {row}")
    check_eq(unit_["inet"], str(EAFNOSUPPORT), "inet")
    check_eq(unit_["io_uring"], str(ENOSYS), "io_uring")
    check_eq((unit_["ptrace"], unit_["pidfd_getfd"], unit_["vm-readv"]), (str(EPERM),) * 3, "ptrace family")
    check_eq((exe["abstract"], unit_["abstract"]), ("0", "0"), "AF_UNIX kept whole: an abstract socket outside")
    # int 0x80 where the kernel runs it; where IA-32 emulation is off it faults (SIGSEGV, 139)
    # before any filter sees it, in the control too: never wider than the control
    if plain["int80"] == "139":
        print("# IA-32 emulation is off on this kernel: int 0x80 is no door here (the kernel matrix covers it)")
        check_eq(unit_["int80"], "139", "int80 faults as in the control")
    else:
        check_eq((plain["int80"], unit_["int80"]), ("0", "159"), "int80: the control works, the unit is killed by SIGSYS")
    check_eq(unit_["x32"], "159", "x32 killed by SIGSYS")
    check_eq(unit_["proc-mem"], "0", "proc-mem: " + DIFFERENT["proc-mem"])
    check("90-nonet.conf" in SD.ctl("cat", "rows-unit.service").stdout, "the generated drop-in is loaded")


@test
def unix_no_abstract_for_the_table_users_services():
    check_eq(SD.ctl("start", "rows-user.service").returncode, 0, "rows-user")
    user = results("user")
    print(f"# user  {user}")
    check_eq(user["abstract"], "111", "an abstract socket outside: refused by the private network namespace")
    check_eq((user["unix-local"], user["socketpair"]), ("0", "0"), "filesystem sockets and socketpair work")
    check_eq(user["inet"], str(EAFNOSUPPORT), "inet refused")


@test
def services_of_restricted_users_are_restricted():
    for name in ("user-nn-off", "user-nn-free", "user-daemon", "optout"):
        check_eq(SD.ctl("start", name + ".service").returncode, 0, name)
    check_eq(wait_file(f"{RESULTS}/nn-off"), str(EAFNOSUPPORT), "User=nn-off, a login account: '*'")
    check_eq(wait_file(f"{RESULTS}/daemon"), "0", "User=daemon, a system account: not '*'")
    check_eq(wait_file(f"{RESULTS}/nn-free"), "0", "User=nn-free (exempt)")
    check_eq(wait_file(f"{RESULTS}/optout"), "0", "X-NetworkOff=no wins over User=")


@test
def socket_activation_accepts_but_cannot_connect_out():
    check_eq(SD.ctl("start", "web.socket").returncode, 0, "web.socket")
    with socket.create_connection(("127.0.0.1", WEB_PORT), timeout=10) as c:
        reply = c.recv(200).decode()
    check(reply.startswith("accepted; outbound: [Errno 97]"), reply)


@test
def x_networkoff_loopback_gives_a_private_loopback():
    for name in ("loopback-control", "loopback"):
        check_eq(SD.ctl("start", name + ".service").returncode, 0, name)
    control, inside = results("loopback-control"), results("loopback")
    check_eq((control["own"], control["host"], control["netlink"]), ("ping", "0", "0"), "control")
    check_eq((inside["own"], inside["host"], inside["netlink"]), ("ping", "111", str(EAFNOSUPPORT)),
             "its own 127.0.0.1 works; the host's is refused; netlink still refused")


@test
def type_notify_reaches_the_notify_socket():
    r = SD.ctl("start", "notify.service")
    check_eq(r.returncode, 0, "READY=1 arrived: " + r.stderr)
    check_eq(SD.ctl("is-active", "notify.service").stdout.strip(), "active", "active")


@test
def x_networkoff_loopback_keeps_a_root_service_out_of_the_host_s_namespace():
    # a socket systemd passes a root service (here a socket-activated one; stdout to the journal
    # is another) is the host's: SIOCGSKNS gives its namespace, and setns() reaches the host's
    # 127.0.0.1 under PrivateNetwork= alone (the control); RestrictNamespaces=~net refuses setns()
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(8)
    lst.settimeout(5)
    for name, off in (("rootns-control", "PrivateNetwork=yes\n"), ("rootns", "X-NetworkOff=loopback\n")):
        unit(f"{name}.socket", f"[Socket]\nListenStream={RESULTS}/{name}.sock\n")
        unit(f"{name}.service", f"[Service]\nType=oneshot\n{off}ExecStart=/bin/sh -c "
             f"'{PROGS}/probe sockns-reach 3 {lst.getsockname()[1]}; echo $? > {RESULTS}/{name}'\n")
    check_eq(SD.ctl("daemon-reload").returncode, 0, "daemon-reload")
    got = {}
    for name in ("rootns-control", "rootns"):
        check_eq(SD.ctl("start", f"{name}.socket").returncode, 0, name + ".socket")
        SD.ctl("start", f"{name}.service")
        got[name] = wait_file(f"{RESULTS}/{name}")
        try:
            got[name] += ",reached" if lst.accept()[0].recv(1) == b"x" else ""
        except OSError:
            pass
    lst.close()
    check_eq((got["rootns-control"], got["rootns"]), ("0,reached", str(EPERM)),
             "the control reaches the host through its socket's namespace; X-NetworkOff=loopback does not")


# Brokers=closed: listeners the test makes at two brokers' paths (a directory mask.c masks whole,
# and a socket it masks alone), reached from services by a connect() each. Not nscd's: glibc would
# ask a listener that never answers for every user systemd and the generator look up.
BROKER_PATHS = {"cups": "/run/cups/cups.sock", "resolve": "/run/systemd/resolve/io.systemd.Resolve"}


@test
def brokers_closed_masks_the_brokers_sockets_for_restricted_services():
    listeners = [unix_listener(path, backlog=64) for path in BROKER_PATHS.values()]
    # and the limit nonet-generator(8) states: cups's socket through /proc/PID/root of a process
    # outside, nn-plain's (target.service), which its own services and root's reach past the masks
    tpid = dict(line.split("=", 1) for line in wait_file(f"{RESULTS}/target.env").split())["TPID"]
    paths = dict(BROKER_PATHS, via=f"/proc/{tpid}/root/run/cups/cups.sock")
    R.write(f"{PROGS}/brokers.py", f"""import socket, sys
out = []
for name, path in {paths!r}.items():
    try:
        socket.socket(socket.AF_UNIX).connect(path)
        out.append(name + " 0")
    except OSError as e:
        out.append(name + " " + str(e.errno))
open(sys.argv[1] + ".tmp", "w").write("\\n".join(out) + "\\n")
__import__("os").rename(sys.argv[1] + ".tmp", sys.argv[1])
""")
    # X-NetworkOff=yes, a User= the table restricts ('*'), and a service nonet leaves alone
    kinds = {"brokers-unit": "User=nn-plain\nX-NetworkOff=yes\n", "brokers-user": "User=nn-off\n",
             "brokers-root": "X-NetworkOff=yes\n", "brokers-plain": "User=nn-plain\n"}
    got = {}
    try:
        for brokers in ("open", "closed"):
            R.write("/etc/security/nonet-settings.conf", f"Unix=no-abstract\nBrokers={brokers}\n")
            for name, extra in kinds.items():
                unit(f"{name}.service", f"[Service]\nType=oneshot\n{extra}"
                     f"ExecStart=/usr/bin/python3 {PROGS}/brokers.py {RESULTS}/{name}-{brokers}\n")
            check_eq(SD.ctl("daemon-reload").returncode, 0, "daemon-reload")
            for name in kinds:
                check_eq(SD.ctl("start", f"{name}.service").returncode, 0, name)
                got[name, brokers] = results(f"{name}-{brokers}")
        print(f"# {got}")
        reached = {"cups": "0", "resolve": "0", "via": "0"}
        for name in kinds:
            # nn-off may not look into nn-plain's process (ptrace's access check), open or closed
            check_eq(got[name, "open"], dict(reached, via="13") if name == "brokers-user" else reached,
                     f"{name}, Brokers=open: both reached")
        check_eq(got["brokers-plain", "closed"], reached, "the control, Brokers=closed: reached")
        # an inaccessible directory or socket, mode 0000; root passes the mode: an empty directory
        # (ENOENT), a socket nobody listens on (ECONNREFUSED)
        check_eq(got["brokers-unit", "closed"], {"cups": "13", "resolve": "13", "via": "0"},
                 "X-NetworkOff=yes, Brokers=closed: masked, but for the documented /proc/PID/root")
        check_eq(got["brokers-user", "closed"], {"cups": "13", "resolve": "13", "via": "13"}, "User=nn-off, closed")
        check_eq(got["brokers-root", "closed"], {"cups": "2", "resolve": "111", "via": "0"},
                 "root, Brokers=closed: masked, but for the documented /proc/PID/root")
        check("InaccessiblePaths=-/run/cups\n" in SD.ctl("cat", "brokers-unit.service").stdout, "the drop-in says it")
    finally:
        R.write("/etc/security/nonet-settings.conf", "Unix=no-abstract\n")  # for a suite that reloads after
        for s in listeners:
            s.close()
        for path in BROKER_PATHS.values():
            os.unlink(path)


@test
def the_dbus_policy_path_unit_keeps_the_drop_in_true_to_the_table():
    """nonet-dbus-policy.path, enabled as nonet.conf(5) says: each edit of the table rewrites the
    D-Bus policy (pam_nonet refuses Brokers=closed logins while it is stale), and nothing before."""
    policy = "/etc/dbus-1/system.d/nonet.conf"
    table = open("/etc/security/nonet.conf").read()
    service = open(os.path.join(BUILD, "conf", "nonet-dbus-policy.service")).read()
    exec_line = [line for line in service.splitlines() if line.startswith("ExecStart=")][0]
    R.write(os.path.join(UNITS, "nonet-dbus-policy.service"),
            service.replace(exec_line, f"ExecStart={PROGS}/nonet-exec --write-dbus-policy"))
    shutil.copy2(os.path.join(SOURCE, "conf", "nonet-dbus-policy.path"), UNITS)
    os.makedirs(os.path.dirname(policy), exist_ok=True)
    if os.path.exists(policy):
        os.unlink(policy)

    def policy_says(text, present=True):
        for _ in range(100):
            if os.path.exists(policy) and (text in open(policy).read()) == present:
                return True
            time.sleep(0.1)
        return False
    try:
        check_eq(SD.ctl("daemon-reload").returncode, 0, "daemon-reload")
        # the control: not enabled, an edit writes nothing
        R.write("/etc/security/nonet.conf", table + "@nn-lab hard network off\n")
        time.sleep(1)
        check(not os.path.exists(policy), "not enabled: nothing written")
        r = SD.ctl("enable", "--now", "nonet-dbus-policy.path", "nonet-dbus-policy.service")
        check_eq(r.returncode, 0, "enable --now: " + r.stderr + SD.ctl("status", "nonet-dbus-policy.service").stdout +
                 run(["nsenter", "-t", str(SD.pid), "-m", "-p", "journalctl", "--no-pager", "-n", "20",
                      "-u", "nonet-dbus-policy.service"]).stdout)
        check(policy_says('<policy group="nn-lab">'), "written at start, as the table gives")
        R.write("/etc/security/nonet.conf", table + "@nn-lab hard network off\nnn-plain hard network off\n")
        check(policy_says('<policy user="nn-plain">'), "an edit of the table: rewritten")
        os.makedirs("/etc/security/nonet.d", exist_ok=True)
        R.write("/etc/security/nonet.d/50-more.conf", "nn-free hard network off\n")
        check(policy_says('<policy user="nn-free">'), "a file in nonet.d: rewritten")
        os.unlink("/etc/security/nonet.d/50-more.conf")
        check(policy_says('<policy user="nn-free">', present=False), "removed from nonet.d: rewritten")
        r = run([f"{PROGS}/nonet-exec", "--check-config"], timeout=120)
        check("is not what the table gives" not in r.stderr and "no D-Bus policy" not in r.stderr, r.stderr)
    finally:
        SD.ctl("disable", "--now", "nonet-dbus-policy.path", "nonet-dbus-policy.service")
        R.write("/etc/security/nonet.conf", table)
        for path in (policy, "/etc/security/nonet.d/50-more.conf"):
            if os.path.exists(path):
                os.unlink(path)

if __name__ == "__main__":
    try:
        boot()
        main()
    finally:
        if SD:
            SD.stop()
        R.cleanup()
