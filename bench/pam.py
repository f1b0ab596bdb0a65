# SPDX-License-Identifier: LGPL-2.1-or-later
"""pam.py BUILD N: pam_open_session() for a user in 50 groups whose line is the
last of a 10,000-line table, in a private root; prints one JSON line of rows."""

import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import privroot  # noqa: E402

privroot.reexec_in_namespace()
R = privroot.PrivateRoot()
build, n = sys.argv[1], sys.argv[2]
try:
    groups = [f"nn-bg{i}" for i in range(50)]
    R.add_user("nn-bench", groups)
    lines = [f"user{i} hard network off" for i in range(9999)] + ["@nn-bg49 hard network off"]
    R.write("/etc/security/nonet.conf", "\n".join(lines) + "\n")
    confdir = os.path.join(R.dir, "pam.d")
    R.write(os.path.join(confdir, "bench"), "session required pam_permit.so\n"
            f"session required {build}/pam_nonet/pam_nonet.so\n")
    out = subprocess.run([f"{build}/bench/pam-bench", confdir, "bench", "nn-bench", n], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    us = statistics.median(int(x) for x in out.split()) / 1000
    print(json.dumps([{"group": "pam", "case": "open_session, 10,000 lines, 50 groups", "median_us": round(us, 1)}]))
finally:
    R.cleanup()
