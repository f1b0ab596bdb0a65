#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The generator over 10,000 units (in the sanitizer build too): every asked-for
drop-in written, nothing else, exit 0. Its time is a benchmark's business."""

import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import installed  # noqa: E402

# what an install of this tree put where the generator looks is not this test's input
installed.reexec_hidden()

from nonettest import BUILD, check_eq, main, run, test  # noqa: E402

GENERATOR = os.path.join(BUILD, "systemd", "nonet-generator")


def make_tree(root, n):
    lib = os.path.join(root, "lib")
    os.makedirs(lib)
    for i in range(n):
        off = "X-NetworkOff=yes\n" if i % 2 == 0 else ""
        with open(os.path.join(lib, f"svc{i:05d}.service"), "w") as f:
            f.write(f"[Unit]\nDescription=unit {i}\n[Service]\nExecStart=/bin/true\n{off}")
        if i % 10 == 1:  # some odd ones out by drop-in
            os.makedirs(os.path.join(lib, f"svc{i:05d}.service.d"))
            with open(os.path.join(lib, f"svc{i:05d}.service.d", "off.conf"), "w") as f:
                f.write("[Service]\nX-NetworkOff=yes\n")
    return lib


@test
def ten_thousand_units():
    root = tempfile.mkdtemp(prefix="nonet-scale-")
    try:
        lib = make_tree(root, 10000)
        out = os.path.join(root, "out")
        os.makedirs(out)
        r = run([GENERATOR, out], env=dict(os.environ, SYSTEMD_UNIT_PATH=lib), timeout=300)
        check_eq((r.returncode, r.stderr), (0, ""), "exit status and warnings")
        written = sorted(d for d in os.listdir(out))
        want = sorted(f"svc{i:05d}.service.d" for i in range(10000) if i % 2 == 0 or i % 10 == 1)
        check_eq(written, want, "drop-ins")
    finally:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
