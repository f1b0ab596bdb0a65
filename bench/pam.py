# SPDX-License-Identifier: LGPL-2.1-or-later
"""pam.py BUILD N: the configuration's cost at login, in a private root; prints one JSON
line of rows. pam_open_session() for a user in 50 groups whose line is the last of a
10,000-line table; then a 100,000-line table and 30,000 lines of settings, each through
pam_open_session(), a whole `su -c true` (beside su without pam_nonet, in the same run)
and `nonet-exec --check-config`; then pam_open_session() with 10,000 to 120,000 lines of
settings, where libeconf's quadratic growth shows."""

import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import privroot  # noqa: E402

privroot.reexec_in_namespace()
R = privroot.PrivateRoot()
build, n = sys.argv[1], int(sys.argv[2])
MODULE = f"{build}/pam_nonet/pam_nonet.so"
TABLE, SETTINGS = "/etc/security/nonet.conf", "/etc/security/nonet-settings.conf"


def table(lines):
    R.write(TABLE, "\n".join([f"user{i} hard network off" for i in range(lines - 1)] +
                             ["@nn-bg49 hard network off"]) + "\n")


def settings(lines):
    if lines == 0:
        if os.path.exists(SETTINGS):
            os.unlink(SETTINGS)
        return
    R.write(SETTINGS, "".join(f"# {i}\nErrno=eperm\n" for i in range(lines // 2)))


def open_session(rounds):
    out = subprocess.run([f"{build}/bench/pam-bench", confdir, "bench", "nn-bench", str(rounds)], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return statistics.median(int(x) for x in out.split()) / 1000


def wall_ms(cmd, rounds, ok=(0,)):
    times = []
    for _ in range(rounds):
        t0 = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.monotonic() - t0) * 1000)
        if r.returncode not in ok:
            raise RuntimeError(f"{cmd}: exit {r.returncode}")
    return statistics.median(times)


def su_pair(rounds):
    """su -c true as root for nn-bench, with and without pam_nonet, interleaved."""
    with_, without = [], []
    for _ in range(rounds):
        for stack, into in ((su_with, with_), (su_plain, without)):
            R.write("/etc/pam.d/su", stack)
            into.append(wall_ms(["su", "nn-bench", "-c", "true"], 1))
    return statistics.median(with_), statistics.median(without)


try:
    groups = [f"nn-bg{i}" for i in range(50)]
    R.add_user("nn-bench", groups)
    confdir = os.path.join(R.dir, "pam.d")
    R.write(os.path.join(confdir, "bench"), f"session required pam_permit.so\nsession required {MODULE}\n")
    with open("/etc/pam.d/su") as f:
        su_plain = f.read()
    su_with = su_plain + f"session required {MODULE}\n"
    rows = []
    table(10000)
    rows.append({"group": "pam", "case": "open_session, 10,000 lines, 50 groups",
                 "median_us": round(open_session(n), 1)})
    few = max(3, n // 20)
    for what, setup in (("100,000-line table", lambda: (table(100000), settings(0))),
                        ("30,000 lines of settings", lambda: (table(10000), settings(30000)))):
        setup()
        rows.append({"group": "config", "case": f"open_session, {what}", "median_ms": round(open_session(few) / 1000, 2)})
        with_, without = su_pair(few)
        rows.append({"group": "config", "case": f"su -c true, {what}", "median_ms": round(with_, 2),
                     "ratio": round(with_ / without, 3), "vs": f"su without pam_nonet: {round(without, 2)} ms"})
        rows.append({"group": "config", "case": f"nonet-exec --check-config, {what}",
                     "median_ms": round(wall_ms([f"{build}/nonet-exec/nonet-exec", "--check-config"], few, (0, 1)), 2)})
    # libeconf 0.5.1 grows its array one realloc() a line: where does a login reach 50 ms?
    table(2)
    for lines in (0, 10000, 60000, 120000):
        settings(lines)
        rows.append({"group": "config", "case": f"open_session, {lines:,} lines of settings (libeconf's growth)",
                     "median_ms": round(open_session(few) / 1000, 2)})
    R.write("/etc/pam.d/su", su_plain)
    print(json.dumps(rows))
finally:
    R.cleanup()
