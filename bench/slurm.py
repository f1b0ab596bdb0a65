# SPDX-License-Identifier: LGPL-2.1-or-later
"""slurm.py BUILD N: a job's launch time (`srun true`) with and without spank_nonet, on a
single-node Slurm of Debian's daemons in a private root (tests/slurmcluster.py). Interleaved:
each round runs without the plugin, with it for a user the table leaves alone, and with it
for a user it restricts. Prints one JSON line of rows."""

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import privroot  # noqa: E402

privroot.reexec_in_namespace()
import slurmcluster  # noqa: E402

R = privroot.PrivateRoot()
build, n = sys.argv[1], int(sys.argv[2])
R.add_user("nn-bench-off")
R.add_user("nn-bench-on")
R.write("/etc/security/nonet.conf", "nn-bench-off hard network off\n")
C = slurmcluster.Cluster(os.path.join(build, "slurm", "spank_nonet.so"), plugin_args="")


def launch(user):
    argv = ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups", "--", "srun", "--quiet", "true"]
    t0 = time.monotonic()
    subprocess.run(argv, check=True, cwd="/tmp", timeout=60)
    return (time.monotonic() - t0) * 1000


try:
    cases = [("without the plugin", None, "nn-bench-off"), ("plugin, user not restricted", "", "nn-bench-on"),
             ("plugin, user restricted", "", "nn-bench-off")]
    times = {c[0]: [] for c in cases}
    for _ in range(n):
        for name, args, user in cases:
            C.plugstack(args)
            times[name].append(launch(user))
    base = statistics.median(times[cases[0][0]])
    rows = [{"group": "srun true", "case": name, "median_ms": round(statistics.median(t), 1),
             "ratio": round(statistics.median(t) / base, 3)} for name, t in times.items()]
    print(json.dumps(rows))
finally:
    C.cleanup()
    R.cleanup()
