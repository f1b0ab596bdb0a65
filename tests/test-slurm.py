#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""spank_nonet.so in a real single-node Slurm (Debian's munged, slurmctld and slurmd, see
slurmcluster.py), in a private root with its own users, table and Slurm configuration.
Each job tries a real client (curl) against a listener the test runs on 127.0.0.1."""

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

from nonettest import (BUILD, IN_CI, Daemon, Programs, Skip, check, check_eq, in_terminal,  # noqa: E402
                       main, reply_server, run, test, unix_listener)
import loggers  # noqa: E402
import slurmcluster  # noqa: E402

R = privroot.PrivateRoot()
P = Programs()
MODULE = privroot.pam_module(P)
TABLE = "/etc/security/nonet.conf"
SETTINGS = "/etc/security/nonet-settings.conf"
REPLY = "reply-from-the-listener"
UNIX_REPLY = "reply-over-unix"

R.add_user("nn-lab", ["nn-students"])
R.add_user("nn-free")
GOOD_TABLE = "@nn-students  hard  network  off\n"
R.write(TABLE, GOOD_TABLE)


PORT = reply_server(REPLY)
URL = f"http://127.0.0.1:{PORT}/"
CURL = f"curl -sS --max-time 10 {URL}; echo curl-exit=$?"

UNIX_PATH = P.writable("unix.sock")
UNIX = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
UNIX.bind(UNIX_PATH)
os.chmod(UNIX_PATH, 0o666)
UNIX.listen(16)


def unix_server():
    while True:
        c, _ = UNIX.accept()
        c.sendall(UNIX_REPLY.encode() + b"\n")
        c.close()


threading.Thread(target=unix_server, daemon=True).start()

C = slurmcluster.Cluster(os.path.join(BUILD, "slurm", "spank_nonet.so"), task_scripts=True)


def user_argv(user, *cmd):
    # setpriv execs: a signal sent to it is srun's
    return ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--"] + list(cmd)


def as_user(user, *cmd, **kw):
    kw.setdefault("cwd", "/tmp")
    kw.setdefault("timeout", 60)
    try:
        return run(user_argv(user, *cmd), **kw)
    except subprocess.TimeoutExpired:
        cancel_all()  # a job left running would hold the node for the next test
        raise


def cancel_all():
    subprocess.run(["scancel", "--partition=test"], stderr=subprocess.DEVNULL)


def srun(user, script, *opts, **kw):
    return as_user(user, "srun", "--quiet", *opts, "sh", "-c", script, **kw)


def reached(r):
    return REPLY in r.stdout


@test
def restricted_users_task_cannot_reach_the_listener_but_its_output_reaches_srun():
    r = srun("nn-lab", "echo task-$SLURM_PROCID-ran; " + CURL, "-n2")
    check(not reached(r), "the restricted task reached the listener: " + r.stdout)
    check("task-0-ran" in r.stdout and "task-1-ran" in r.stdout, "both tasks' output reaches srun: " + r.stdout + r.stderr)
    check_eq(r.stdout.count("curl-exit=7"), 2, "curl in each task fails to connect: " + r.stdout + r.stderr)
    check("user nn-lab: network off" in C.log("slurmd") or "network off for user nn-lab" in C.log("slurmd"),
          "slurmd's log names the verdict")


@test
def unrestricted_users_task_reaches_the_listener():
    r = srun("nn-free", CURL)
    check(reached(r), "the control reaches the listener: " + r.stdout + r.stderr)
    check("curl-exit=0" in r.stdout, r.stdout)


@test
def nonet_option_turns_any_users_network_off():
    r = srun("nn-free", CURL, "--nonet")
    check(not reached(r), "--nonet: the task reached the listener: " + r.stdout)
    check("curl-exit=7" in r.stdout, r.stdout + r.stderr)
    h = as_user("nn-free", "srun", "--help")
    check("--nonet" in h.stdout, "srun --help lists --nonet: " + h.stdout[-2000:])


@test
def a_tasks_unix_sockets_work_munge_included():
    script = ("python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('%s'); "
              "print(s.recv(100).decode().strip())\"; munge -n | unmunge | grep '^STATUS'" % UNIX_PATH)
    r = srun("nn-lab", script)
    check(UNIX_REPLY in r.stdout, "the restricted task's unix socket: " + r.stdout + r.stderr)
    check("STATUS:          Success (0)" in r.stdout, "munge through its unix socket: " + r.stdout + r.stderr)


@test
def stdin_and_signals_reach_a_restricted_task():
    r = as_user("nn-lab", "srun", "--quiet", "tr", "a-z", "A-Z", input="through srun's stdin\n")
    check_eq(r.stdout.strip(), "THROUGH SRUN'S STDIN", "stdin forwarded: " + r.stderr)
    task = 'trap "echo got-usr1; exit 3" USR1; echo ready; while :; do sleep 0.1; done'
    p = subprocess.Popen(user_argv("nn-lab", "srun", "--quiet", "sh", "-c", task), cwd="/tmp",
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        check_eq(p.stdout.readline().strip(), "ready", "the task started")
        p.send_signal(signal.SIGUSR1)  # srun passes it to the task
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            cancel_all()
    check("got-usr1" in out, "the signal reached the task: " + out + err)


def sbatch(user, script, *opts):
    out = P.writable("batch-%s-%d.out" % (user, time.monotonic_ns()))
    r = as_user(user, "sbatch", "--wait", "--output=" + out, *opts, input="#!/bin/sh\n" + script + "\n")
    with open(out) as f:
        text = f.read()
    os.unlink(out)
    return r, text


@test
def a_batch_script_is_restricted_and_so_is_every_step():
    # The step started from outside, into the running job: the same verdict.
    script = CURL + "; echo batch-ran; srun --quiet echo inner-step-ran; echo srun-exit=$?; sleep 20"
    out = P.writable("batch-steps.out")
    r = as_user("nn-lab", "sbatch", "--parsable", "--output=" + out, input="#!/bin/sh\n" + script + "\n")
    check_eq(r.returncode, 0, "sbatch: " + r.stderr)
    job = r.stdout.strip().split(";")[0]
    deadline = time.monotonic() + 60
    while "srun-exit=" not in (open(out).read() if os.path.exists(out) else ""):
        if time.monotonic() > deadline:
            subprocess.run(["scancel", job])
            raise AssertionError("the batch script did not get to its srun: " + C.log("slurmd")[-3000:])
        time.sleep(0.2)
    try:
        step = srun("nn-lab", CURL, "--jobid=" + job, "--overlap")
    finally:
        subprocess.run(["scancel", job])
    text = open(out).read()
    check("batch-ran" in text and not reached_text(text), "the batch script is restricted: " + text)
    check("curl-exit=7" in text, text)
    # srun talks to the controller over TCP: inside a restricted job it cannot start a step.
    check("inner-step-ran" not in text and "srun-exit=0" not in text, "an inner step escaped: " + text)
    check(not reached(step), "a step added to the job from outside is restricted too: " + step.stdout)
    check("curl-exit=7" in step.stdout, step.stdout + step.stderr)


def reached_text(text):
    return REPLY in text


@test
def sbatch_nonet_restricts_the_batch_script_of_any_user():
    r, text = sbatch("nn-free", CURL, "--nonet")
    check_eq(r.returncode, 0, "sbatch --wait: " + r.stderr)
    check(not reached_text(text) and "curl-exit=7" in text, "sbatch --nonet: " + text)
    r, text = sbatch("nn-free", CURL)
    check(reached_text(text), "the control, without --nonet: " + text)


@test
def salloc_steps_are_restricted():
    r = as_user("nn-lab", "salloc", "--quiet", "srun", "--quiet", "sh", "-c", CURL)
    check(not reached(r) and "curl-exit=7" in r.stdout, "a restricted user's salloc step: " + r.stdout + r.stderr)
    r = as_user("nn-free", "salloc", "--quiet", "--nonet", "srun", "--quiet", "sh", "-c", CURL)
    check(not reached(r) and "curl-exit=7" in r.stdout, "salloc --nonet's step: " + r.stdout + r.stderr)


@test
def an_unusable_table_turns_every_login_accounts_network_off():
    os.chmod(TABLE, 0o666)
    try:
        r = srun("nn-free", CURL)
    finally:
        os.chmod(TABLE, 0o644)
    check(not reached(r) and "curl-exit=7" in r.stdout, "nn-free under a closed table: " + r.stdout + r.stderr)
    check("writable by others" in C.log("slurmd") or "nonet.conf" in C.log("slurmd"), "slurmd's log says why")


@test
def a_task_that_cannot_be_restricted_does_not_run():
    R.write(SETTINGS, "Landlock=require\n")
    C.restart_slurmd([P.fake_kernel, "--no-landlock", "--"])
    try:
        r = srun("nn-lab", "echo task-ran; " + CURL)
        free = srun("nn-free", CURL)
    finally:
        os.unlink(SETTINGS)
        C.restart_slurmd()
    check("task-ran" not in r.stdout and not reached(r), "the task ran: " + r.stdout)
    check_eq(r.returncode != 0, True, "srun's exit status")
    check("cannot turn the network off for user nn-lab" in r.stderr, "the job's stderr says why: " + r.stderr)
    check("cannot turn the network off for user nn-lab" in C.log("slurmd"), "so does slurmd's log")
    check(reached(free), "an unrestricted user's job still runs: " + free.stdout + free.stderr)


@test
def a_task_is_restricted_where_landlock_polices_no_tcp():
    # slurmstepd's own TCP connection is open in the task until exec (close-on-exec): without
    # Landlock's TCP rules it could be re-aimed, but the program never holds it.
    C.restart_slurmd([P.fake_kernel, "--no-landlock", "--"])
    try:
        r = srun("nn-lab", "echo task-ran; " + CURL)
        held = as_user("nn-lab", "srun", "--quiet", "sh", "-c", "ls -l /proc/self/fd/ | grep -c socket:")
    finally:
        C.restart_slurmd()
    check("task-ran" in r.stdout and not reached(r), "the task ran, restricted: " + r.stdout + r.stderr)
    check("curl-exit=7" in r.stdout, r.stdout)
    check_eq(held.stdout.strip(), "0", "sockets the program holds")


# Programs slurmstepd starts for the job's user besides the task. Each appends what it got from
# the listener to the file $NN_OUT names. The site's TaskProlog and TaskEpilog (slurmcluster.py)
# are bash scripts run with the job's environment: BASH_ENV makes them run the user's HOOK.
HOOK = P.writable("hook.sh")
PROLOG = P.writable("prolog.sh")
EPILOG = P.writable("epilog.sh")
for path, text in ((HOOK, 'echo "hook in $0: $(curl -sS --max-time 10 %s 2>&1)" >> "$NN_OUT"\n' % URL),
                   (PROLOG, '#!/bin/sh\necho "prolog: $(curl -sS --max-time 10 %s 2>&1)" >> "$NN_OUT"\n' % URL),
                   (EPILOG, '#!/bin/sh\necho "epilog: $(curl -sS --max-time 10 %s 2>&1)" >> "$NN_OUT"\n' % URL)):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def steered(user, run_job):
    """run_job(env) as user, with BASH_ENV set; (its result, what the job's programs appended)."""
    out = P.writable("%s-%d.trace" % (user, time.monotonic_ns()))
    env = dict(os.environ, BASH_ENV=HOOK, NN_OUT=out)
    r = run_job(env)
    text = open(out).read() if os.path.exists(out) else ""
    if os.path.exists(out):
        os.unlink(out)
    return r, text


def each_user(run_job):
    """The restricted user's run and the unrestricted control's: ((r, trace), (r, trace))."""
    return steered("nn-lab", lambda env: run_job("nn-lab", env)), steered("nn-free", lambda env: run_job("nn-free", env))


def reached_any(r, trace):
    out = r.stdout if hasattr(r, "stdout") else r
    return REPLY in out or REPLY in trace


@test
def a_task_epilog_a_restricted_user_names_or_steers_does_not_run_open():
    def job(user, env):
        return srun(user, CURL, "--task-epilog=" + EPILOG, env=env)
    (lab, lab_trace), (free, free_trace) = each_user(job)
    check("epilog: " + REPLY in free_trace and "hook in " + slurmcluster.TASK_EPILOG + ": " + REPLY in free_trace,
          "the control's --task-epilog and TaskEpilog reach the listener: " + free_trace + free.stderr)
    check(not reached_any(lab, lab_trace), "a restricted user's task epilog reached the listener: " + lab_trace)
    check("epilog: " not in lab_trace and "hook in " + slurmcluster.TASK_EPILOG not in lab_trace,
          "a restricted user's task epilog ran: " + lab_trace)
    check("nonet: refused the task epilog of user nn-lab" in lab.stderr, "the job's stderr says why: " + lab.stderr)
    check("curl-exit=7" in lab.stdout, "the task itself ran, restricted: " + lab.stdout)
    check_eq(lab.returncode, 0, "srun's exit status, the task's")
    check("nonet: refused the task epilog of user nn-lab" in C.log("slurmd"), "so does slurmd's log")
    # --nonet: the same for any user's step
    opted, opted_trace = steered("nn-free", lambda env: srun("nn-free", CURL, "--nonet", "--task-epilog=" + EPILOG, env=env))
    check(not reached_any(opted, opted_trace) and "epilog: " not in opted_trace, "--nonet's task epilog: " + opted_trace)


@test
def a_task_prolog_runs_restricted():
    # slurmstepd runs both prologs in the task, after slurm_spank_task_init: restricted already.
    def job(user, env):
        return srun(user, CURL, "--task-prolog=" + PROLOG, env=env)
    (lab, lab_trace), (free, free_trace) = each_user(job)
    ours = "prolog: " + REPLY, "hook in " + slurmcluster.TASK_PROLOG + ": " + REPLY
    check(all(line in free_trace for line in ours), "the control's --task-prolog and TaskProlog: " + free_trace)
    check("prolog: " in lab_trace and "hook in " + slurmcluster.TASK_PROLOG in lab_trace,
          "both prologs ran: " + lab_trace + lab.stderr)
    check(not any(line in lab_trace for line in ours), "a restricted user's task prolog reached the listener: " + lab_trace)


def pty_step(user, env):
    # srun --pty needs a terminal: a shell typed into, as a person would
    argv = user_argv(user, "sh", "-c", "cd /tmp && exec srun --pty sh")
    return in_terminal(argv, [(CURL + "; exit\n", "curl-exit=")], env=env)


@test
def a_pty_shell_and_what_follows_it_are_restricted():
    (lab, lab_trace), (free, free_trace) = each_user(pty_step)
    check(REPLY in free and REPLY in free_trace, "the control's shell and its epilog: " + free + free_trace)
    check("curl-exit=7" in lab, "the restricted shell ran: " + lab)
    check(not reached_any(lab, lab_trace), "a restricted --pty step reached the listener: " + lab + lab_trace)


@test
def a_job_arrays_tasks_are_restricted():
    def job(user, env):
        out = P.writable("array-%s-%d-%%a.out" % (user, time.monotonic_ns()))
        as_user(user, "sbatch", "--wait", "--array=0-1", "--output=" + out, env=env,
                input="#!/bin/sh\necho array-$SLURM_ARRAY_TASK_ID; " + CURL + "\n")
        text = ""
        for i in (0, 1):
            path = out.replace("%a", str(i))
            text += open(path).read() if os.path.exists(path) else ""
        return text
    (lab, lab_trace), (free, free_trace) = each_user(job)
    epilog = "hook in " + slurmcluster.TASK_EPILOG + ": " + REPLY
    check(free.count(REPLY) == 2 and free_trace.count(epilog) == 2, "the control's array: " + free + free_trace)
    check("array-0" in lab and "array-1" in lab, "both array tasks ran: " + lab)
    check(not reached_any(lab, lab_trace), "a restricted user's array reached the listener: " + lab + lab_trace)


@test
def a_heterogeneous_jobs_components_are_restricted():
    def job(user, env):
        component = ["--partition=het", "--mem=100M", "-n1", "sh", "-c", "echo het-$SLURM_HET_SIZE; " + CURL]
        return as_user(user, "srun", "--quiet", *component, ":", *component, env=env)
    C.start_het_node()
    try:
        (lab, lab_trace), (free, free_trace) = each_user(job)
    finally:
        C.stop_het_node()
    epilog = "hook in " + slurmcluster.TASK_EPILOG + ": " + REPLY
    check(free.stdout.count(REPLY) == 2 and free_trace.count(epilog) == 2,
          "the control's two components and their epilogs: " + free.stdout + free.stderr + free_trace)
    check(lab.stdout.count("het-2") == 2, "both components ran: " + lab.stdout + lab.stderr)
    check(not reached_any(lab, lab_trace), "a restricted heterogeneous job reached the listener: " + lab.stdout + lab_trace)


@test
def a_batch_scripts_own_srun_task_epilog_does_not_run_open():
    script = "srun --quiet --task-epilog=%s sh -c '%s'; echo srun-exit=$?" % (EPILOG, CURL)

    def job(user, env):
        out = P.writable("batch-epilog-%s-%d.out" % (user, time.monotonic_ns()))
        as_user(user, "sbatch", "--wait", "--output=" + out, env=env, input="#!/bin/sh\n" + script + "\n")
        return open(out).read() if os.path.exists(out) else ""
    (lab, lab_trace), (free, free_trace) = each_user(job)
    check(REPLY in free and "epilog: " + REPLY in free_trace, "the control's step and its epilog: " + free + free_trace)
    check("srun-exit=" in lab, "the restricted batch script ran: " + lab)
    check(not reached_any(lab, lab_trace), "a restricted batch script's step reached the listener: " + lab + lab_trace)


@test
def a_get_user_env_probe_is_restricted_by_pam_nonet_in_su():
    # sbatch --get-user-env (or --export=NONE) makes slurmd run `su - USER -c env` before the job:
    # the user's ~/.profile runs there, before any SPANK hook. su's PAM session is what restricts it.
    trace = P.writable("profile.trace")
    R.write(trace, "", mode=0o666)
    for user in ("nn-lab", "nn-free"):
        R.write(f"/home/{user}/.profile", f'echo "profile of $USER: $(curl -sS --max-time 1 {URL} 2>&1)" >> {trace}\n')

    def probe(user):
        r = as_user(user, "sbatch", "--wait", "--get-user-env", "--output=/dev/null", input="#!/bin/sh\ntrue\n")
        check_eq(r.returncode, 0, "sbatch --get-user-env: " + r.stderr)
        with open(trace) as f:
            return [line for line in f.read().splitlines() if line.startswith(f"profile of {user}:")]

    # the hole, without pam_nonet in su: what the man page tells the administrator to close
    check(any(REPLY in line for line in probe("nn-lab")), "without pam_nonet, the probe reached the listener")
    with open("/etc/pam.d/su") as f:
        su = f.read()
    R.write(trace, "", mode=0o666)
    R.write("/etc/pam.d/su", su + f"session required {MODULE}\n")
    try:
        lab, free = probe("nn-lab"), probe("nn-free")
    finally:
        R.write("/etc/pam.d/su", su)
    check(lab and not any(REPLY in line for line in lab), "a restricted user's probe, under pam_nonet: " + repr(lab))
    check(any(REPLY in line for line in free), "the control's probe reaches the listener: " + repr(free))


@test
def check_config_warns_of_an_optional_plugin():
    C.plugstack("debug", control="optional")
    try:
        r = run([P.nonet_exec, "--check-config"])
    finally:
        C.plugstack("debug")
    check("/etc/slurm/plugstack.conf:1: spank_nonet.so is optional" in r.stderr, "the warning: " + r.stderr)
    r = run([P.nonet_exec, "--check-config"])
    check("plugstack" not in r.stderr, "required: no warning: " + r.stderr)


# The machine's own brokers (nonet.conf(5), BROKERS): the real nscd, Debian's nscd.conf (a hosts
# cache), resolving through a DNS logger on 127.0.0.1, as in test-brokers.py. A task that reaches
# nscd gets a name resolved outside; under Brokers=closed its /run/nscd is masked, and getent's
# own DNS socket is refused.
NSCD = "/run/nscd/socket"
NSCD_CONF = open("/etc/nscd.conf").read() if os.path.exists("/etc/nscd.conf") else None
RESOLVER = [open(path).read() for path in ("/etc/nsswitch.conf", "/etc/resolv.conf")]


def nscd_and_dns():
    """The real nscd and a DNS logger (loggers.py), the private root's resolver pointed at it."""
    if not shutil.which("nscd") or NSCD_CONF is None:
        if IN_CI:
            raise AssertionError("nscd is not installed in CI (tools/install-deps installs it)")
        raise Skip("nscd is not installed (tools/install-deps installs it)")
    R.write("/etc/nscd.conf", NSCD_CONF)
    R.write("/etc/nsswitch.conf", RESOLVER[0].replace("\nhosts:", "\n#hosts:") + "hosts: files dns\n")
    R.write("/etc/resolv.conf", "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    os.makedirs("/run/nscd", exist_ok=True)
    os.makedirs("/var/cache/nscd", exist_ok=True)
    if not os.path.ismount("/var/cache/nscd"):  # its persistent caches: the private root's
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "tmpfs", "/var/cache/nscd"], check=True)
    dns = None
    try:
        dns = loggers.DnsLogger(answer="10.9.8.7")
        return Daemon(["nscd", "-F"], ready=lambda: os.path.exists(NSCD)), dns
    except BaseException:
        resolver_back(None, dns)
        raise


def resolver_back(nscd, dns):
    """nscd stopped, the logger closed, the private root's resolver as it was."""
    if nscd:
        nscd.stop()
    if dns:
        dns.close()
    for path, text in zip(("/etc/nsswitch.conf", "/etc/resolv.conf"), RESOLVER):
        R.write(path, text)


def connect(path, what):
    """A task's script: connect to a unix socket, print what and connect()'s errno (0: connected;
    2, ENOENT: masked)."""
    return "python3 -c \"import socket; print('%s', socket.socket(socket.AF_UNIX).connect_ex('%s'))\"" % (what, path)


def lookup(name):
    """A task's script: getent resolves name (through nscd where the task reaches it), and nscd's
    socket asked directly."""
    return "echo task-ran; getent hosts %s; echo getent-exit=$?; %s" % (name, connect(NSCD, "nscd-socket"))


def brokers(setting):
    R.write(SETTINGS, "Brokers=%s\n" % setting)


def resolved(dns, name, out):
    """Whether name left through nscd (the logger got it) and its answer came back to the task."""
    return dns.got(name, wait=1.0) and "10.9.8.7" in out


@test
def brokers_closed_keeps_a_restricted_jobs_lookups_from_nscd():
    nscd, dns = nscd_and_dns()
    try:
        brokers("open")  # the control: nscd resolves for the restricted user's task and script
        srun_open = srun("nn-lab", lookup("srun-open.exfil.test"))
        batch_open = sbatch("nn-lab", lookup("batch-open.exfil.test"))[1]
        brokers("closed")
        script = (lookup("srun-closed.exfil.test") + "; python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); "
                  "s.connect('%s'); print(s.recv(100).decode().strip())\"; munge -n | unmunge | grep '^STATUS'; "
                  # the masks stay, and the task's ids are its own (no user namespace): its group is kept
                  "umount /run/nscd; echo umount-exit=$?; %s; t=$(mktemp); chgrp nn-students $t && echo chgrp-ok; rm $t"
                  % (UNIX_PATH, connect(NSCD, "nscd-after-umount")))
        closed = srun("nn-lab", script)
        r, batch_closed = sbatch("nn-lab", lookup("batch-closed.exfil.test"))
        free = srun("nn-free", lookup("free-closed.exfil.test"))
    finally:
        os.unlink(SETTINGS)
        resolver_back(nscd, dns)
    check(resolved(dns, "srun-open.exfil.test", srun_open.stdout) and "nscd-socket 0" in srun_open.stdout,
          "the control, open: the task's name left through nscd: " + srun_open.stdout + srun_open.stderr)
    check(resolved(dns, "batch-open.exfil.test", batch_open), "and the batch script's: " + batch_open)
    check("task-ran" in closed.stdout and "getent-exit=2" in closed.stdout, "closed: the task ran, its lookup "
          "found nothing: " + closed.stdout + closed.stderr)
    check("srun-closed.exfil.test" not in dns.names, "closed: the task's name left: %s" % dns.names)
    check("nscd-socket 2" in closed.stdout, "closed: nscd's socket is not there for the task: " + closed.stdout)
    check(UNIX_REPLY in closed.stdout, "closed: the task's own unix socket still works: " + closed.stdout)
    check("STATUS:          Success (0)" in closed.stdout, "closed: munge still works: " + closed.stdout)
    check("umount-exit=0" not in closed.stdout and "nscd-after-umount 2" in closed.stdout,
          "closed: the task cannot unmount the masks: " + closed.stdout + closed.stderr)
    check("chgrp-ok" in closed.stdout, "closed: the task gives a file its own group: " + closed.stdout + closed.stderr)
    check_eq(r.returncode, 0, "sbatch --wait, closed: " + r.stderr)
    check("task-ran" in batch_closed and "batch-closed.exfil.test" not in dns.names and "nscd-socket 2" in batch_closed,
          "closed: the batch script ran and reached no nscd: %s %s" % (batch_closed, dns.names))
    check(resolved(dns, "free-closed.exfil.test", free.stdout) and "nscd-socket 0" in free.stdout,
          "closed: an unrestricted user's task still reaches nscd: " + free.stdout + free.stderr)


@test
def brokers_closed_needs_no_user_namespace_and_without_a_mount_namespace_runs_nothing():
    # cupsd's directory is masked whole: a listener there (glibc never asks it, as it asks nscd's);
    # and the job user's own brokers, though root makes the masks: its session bus under its uid's
    # /run/user, its dirmngr in its home (masked sockets: ECONNREFUSED, 111)
    import pwd
    users = {name: pwd.getpwnam(name) for name in ("nn-lab", "nn-free")}  # homes in /home ($HOME is srun's)
    listeners = [unix_listener("/run/cups/cups.sock")]
    for u in users.values():
        listeners += [unix_listener("/run/user/%d/bus" % u.pw_uid), unix_listener(u.pw_dir + "/.gnupg/S.dirmngr")]
    probe = "echo task-ran; %s; %s; %s" % (connect("/run/cups/cups.sock", "cups-socket"),
                                           connect("/run/user/$(id -u)/bus", "bus-socket"),
                                           connect("/home/$(id -un)/.gnupg/S.dirmngr", "dirmngr-socket"))
    brokers("closed")
    try:
        # the masks are made as root, before the task becomes the user: no user namespace
        C.restart_slurmd([P.fake_kernel, "--no-userns", "--"])
        lab, free = srun("nn-lab", probe), srun("nn-free", probe)
        C.restart_slurmd([P.fake_kernel, "--no-mountns", "--"])
        refused, free_refused = srun("nn-lab", probe + "; " + CURL), srun("nn-free", CURL)
    finally:
        os.unlink(SETTINGS)
        C.restart_slurmd()
        for sock in listeners:
            sock.close()
        for u in users.values():
            shutil.rmtree(u.pw_dir + "/.gnupg")
        shutil.rmtree("/run/cups")
        shutil.rmtree("/run/user")
    check("task-ran" in lab.stdout and "cups-socket 2" in lab.stdout,
          "no user namespaces: the restricted task ran, cupsd's socket masked: " + lab.stdout + lab.stderr)
    check("bus-socket 111" in lab.stdout and "dirmngr-socket 111" in lab.stdout,
          "and its user's session bus and dirmngr: " + lab.stdout + lab.stderr)
    check("cups-socket 0" in free.stdout and "bus-socket 0" in free.stdout and "dirmngr-socket 0" in free.stdout,
          "the unrestricted user's task reaches them: " + free.stdout + free.stderr)
    check("task-ran" not in refused.stdout and not reached(refused), "no mount namespace: the task ran: " + refused.stdout)
    check(refused.returncode != 0, "srun's exit status")
    why = "cannot turn the network off for user nn-lab (/etc/security/nonet.conf:1): closing the brokers needs a mount namespace"
    check(why in refused.stderr, "the job's stderr says why: " + refused.stderr)
    check(why in C.log("slurmd"), "so does slurmd's log")
    check(reached(free_refused), "an unrestricted user's job still runs: " + free_refused.stdout + free_refused.stderr)


@test
def brokers_closed_needs_the_tables_dbus_policy_where_a_system_bus_runs():
    # closed is the system bus's brokers too (resolve1, Avahi...), as for a login: without the
    # table's D-Bus policy a restricted task does not run. Beside open, an unrestricted user, no bus.
    policy, bus = "/etc/dbus-1/system.d/nonet.conf", unix_listener("/run/dbus/system_bus_socket")
    if os.path.exists(policy):
        os.unlink(policy)
    try:
        brokers("open")
        opened = srun("nn-lab", "echo task-ran")
        brokers("closed")
        refused, free = srun("nn-lab", "echo task-ran"), srun("nn-free", "echo task-ran")
        written = run([P.nonet_exec, "--write-dbus-policy"])
        ran = srun("nn-lab", "echo task-ran; " + CURL)
        os.unlink(policy)
        bus.close()
        os.unlink("/run/dbus/system_bus_socket")
        no_bus = srun("nn-lab", "echo task-ran")
    finally:
        os.unlink(SETTINGS)
        bus.close()
        shutil.rmtree("/run/dbus", ignore_errors=True)
        if os.path.exists(policy):
            os.unlink(policy)
    check("task-ran" in opened.stdout, "open: the task runs without the policy: " + opened.stdout + opened.stderr)
    why = f"cannot turn the network off for user nn-lab (/etc/security/nonet.conf:1): Brokers=closed, but {policy} " \
          "is not written: run nonet-exec --write-dbus-policy"
    check("task-ran" not in refused.stdout and why in refused.stderr, "closed, no policy: " + refused.stdout + refused.stderr)
    check(why in C.log("slurmd"), "slurmd's log says why")
    check("task-ran" in free.stdout, "an unrestricted user's task runs: " + free.stdout + free.stderr)
    check_eq(written.returncode, 0, "nonet-exec --write-dbus-policy: " + written.stderr)
    check("task-ran" in ran.stdout and "curl-exit=7" in ran.stdout, "the table's policy: runs, restricted: " + ran.stdout +
          ran.stderr)
    check("task-ran" in no_bus.stdout, "no system bus, no policy: runs: " + no_bus.stdout + no_bus.stderr)


main(Daemon.stop_all, C.cleanup, P.cleanup, R.cleanup)
