# SPDX-License-Identifier: LGPL-2.1-or-later
"""A single-node Slurm of Debian's own daemons (munged, slurmctld, slurmd), for the Slurm
suite and its benchmark. It is made inside a private root (privroot.py): its own
/etc/slurm, /etc/munge and /run/munge, state in a temporary directory, the controller
and the node on 127.0.0.1. The daemons run in the foreground and are stopped by pid."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


TASK_PROLOG = "/etc/slurm/task-prolog"
TASK_EPILOG = "/etc/slurm/task-epilog"
HET_NODE = "het2"
HET_CONF = "/etc/slurm/slurm-het2.conf"


def _hostname():
    return socket.gethostname().split(".")[0]


class Cluster:
    def __init__(self, plugin, plugin_args="debug", task_scripts=False):
        """task_scripts: a site's TaskProlog= and TaskEpilog=, bash scripts that do nothing,
        run by slurmstepd as the job's user with the job's environment. The partition "het"
        has a second node, HET_NODE, whose slurmd start_het_node() starts: a heterogeneous
        job's components each need a node of their own."""
        self.task_scripts = task_scripts
        self.dir = tempfile.mkdtemp(prefix="nonet-slurm-")
        os.chmod(self.dir, 0o755)
        self.plugin = os.path.join(self.dir, "spank_nonet.so")
        shutil.copy2(plugin, self.plugin)
        self.procs = {}
        # meson's timeout is a SIGTERM: exit through the cleanups, which stop the daemons
        signal.signal(signal.SIGTERM, lambda signo, frame: sys.exit(128 + signo))
        try:
            self._munge()
            self._config()
            self.plugstack(plugin_args)
            self.start("slurmctld", ["slurmctld", "-D"])
            self.start_slurmd()
        except BaseException:
            self.cleanup()
            raise

    def _munge(self):
        d = os.path.join(self.dir, "munge")
        os.mkdir(d, 0o700)
        shutil.chown(d, "munge", "munge")
        os.makedirs("/run/munge", exist_ok=True)
        shutil.chown("/run/munge", "munge", "munge")
        os.makedirs("/etc/munge", exist_ok=True)
        key = "/etc/munge/munge.key"
        with open(key, "wb") as f:
            f.write(os.urandom(128))
        os.chmod(key, 0o600)
        shutil.chown(key, "munge", "munge")
        self.start("munged", ["setpriv", "--reuid=munge", "--regid=munge", "--init-groups", "--", "munged", "--foreground",
                              "--log-file=" + os.path.join(d, "log"), "--seed-file=" + os.path.join(d, "seed"),
                              "--pid-file=" + os.path.join(d, "pid")])
        self._wait(lambda: os.path.exists("/run/munge/munge.socket.2"), "munged's socket")

    def _config(self):
        scripts = ""
        if self.task_scripts:
            os.makedirs("/etc/slurm", exist_ok=True)
            for path in (TASK_PROLOG, TASK_EPILOG):
                with open(path, "w") as f:
                    f.write("#!/bin/bash\nexit 0\n")
                os.chmod(path, 0o755)
            scripts = f"TaskProlog={TASK_PROLOG}\nTaskEpilog={TASK_EPILOG}\n"
        node = subprocess.run(["slurmd", "-C"], check=True, stdout=subprocess.PIPE, text=True).stdout.splitlines()[0]
        self.node = node.split()[0].split("=")[1]
        os.makedirs("/etc/slurm", exist_ok=True)
        # the second node's slurmd reads its own copy: its spool, pid and log files are its own
        for path, s in (("/etc/slurm/slurm.conf", self.dir), (HET_CONF, os.path.join(self.dir, HET_NODE))):
            with open(path, "w") as f:
                f.write(self._conf(node, s, scripts))

    def _conf(self, node, s, scripts):
        return (f"""ClusterName=nonet
SlurmctldHost={_hostname()}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
MpiDefault=none
ReturnToService=2
StateSaveLocation={s}/ctld
SlurmdSpoolDir={s}/slurmd
SlurmctldPidFile={s}/slurmctld.pid
SlurmdPidFile={s}/slurmd.pid
SlurmctldLogFile={s}/slurmctld.log
SlurmdLogFile={s}/slurmd.log
SlurmdDebug=debug
SchedulerParameters=bf_interval=1
{scripts}{node} NodeAddr=127.0.0.1 State=UNKNOWN
NodeName={HET_NODE} NodeHostname={HET_NODE} NodeAddr=127.0.0.1 Port=6819 CPUs=1 RealMemory=1000 State=UNKNOWN
PartitionName=test Nodes={self.node} Default=YES MaxTime=INFINITE State=UP
PartitionName=het Nodes=ALL MaxTime=INFINITE State=UP
""")

    def plugstack(self, args, control="required"):
        """Load the plugin as plugstack.conf's line says (args None: not at all)."""
        with open("/etc/slurm/plugstack.conf", "w") as f:
            if args is not None:
                f.write(f"{control} {self.plugin} {args}\n")

    def start(self, name, argv):
        log = open(os.path.join(self.dir, name + ".out"), "w")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def start_slurmd(self, wrapper=()):
        self.start("slurmd", list(wrapper) + ["slurmd", "-D"])
        self._wait(self._node_idle, "the node to be idle")

    def stop(self, name):
        p = self.procs.pop(name, None)
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    def restart_slurmd(self, wrapper=()):
        self.stop("slurmd")
        self.start_slurmd(wrapper)

    def _node_idle(self, partition="test"):
        r = subprocess.run(["sinfo", "-h", "-p", partition, "-o", "%t"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        return r.stdout.strip() == "idle"

    def start_het_node(self):
        os.makedirs(os.path.join(self.dir, HET_NODE), exist_ok=True)
        self.start("slurmd-" + HET_NODE, ["slurmd", "-D", "-N", HET_NODE, "-f", HET_CONF])
        self._wait(lambda: self._node_idle("het"), "both nodes of the het partition to be idle")

    def stop_het_node(self):
        self.stop("slurmd-" + HET_NODE)

    def _wait(self, cond, what, seconds=30):
        deadline = time.monotonic() + seconds
        while not cond():
            for name, p in self.procs.items():
                if p.poll() is not None:
                    raise AssertionError(f"{name} exited ({p.returncode}) waiting for {what}:\n" + self.log(name))
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for " + what)
            time.sleep(0.1)

    def log(self, name):
        """A daemon's log so far: slurmd's and slurmctld's own files, else its output."""
        for path in (os.path.join(self.dir, name + ".log"), os.path.join(self.dir, name + ".out")):
            if os.path.exists(path):
                with open(path, errors="replace") as f:
                    return f.read()
        return ""

    def cleanup(self):
        subprocess.run(["scancel", "--partition=test"], stderr=subprocess.DEVNULL)
        subprocess.run(["scancel", "--partition=het"], stderr=subprocess.DEVNULL)
        for name in ("slurmd-" + HET_NODE, "slurmd", "slurmctld", "munged"):
            self.stop(name)
        shutil.rmtree(self.dir, ignore_errors=True)
