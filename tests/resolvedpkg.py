# SPDX-License-Identifier: LGPL-2.1-or-later
"""systemd-resolved from Debian's package, for the tests that run it without systemd
(test-brokers-bus.py, the kernel matrix): installing it would take over this machine's
/etc/resolv.conf, so tools/install-deps keeps only the package, in CACHE, and a test unpacks it."""

import os
import shutil
import subprocess

from nonettest import IN_CI, Skip

CACHE = "/var/cache/nonet-resolved"


def package(fetch=False):
    """The package's path in CACHE; with fetch, downloaded there first where missing (apt-get
    download, as tools/install-deps does). None there: an AssertionError in CI, else a skip."""
    def found():
        debs = sorted(f for f in os.listdir(CACHE) if f.startswith("systemd-resolved_")) \
            if os.path.isdir(CACHE) else []
        return os.path.join(CACHE, debs[-1]) if debs else None
    if not found() and fetch:
        os.makedirs(CACHE, exist_ok=True)
        try:
            shutil.chown(CACHE, "_apt")  # apt-get downloads as _apt
        except (LookupError, OSError):
            pass
        subprocess.run(["apt-get", "download", "-qq", "systemd-resolved"], cwd=CACHE, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    if found():
        return found()
    why = f"no systemd-resolved package in {CACHE} (tools/install-deps fetches it)"
    if IN_CI:
        raise AssertionError(why)
    raise Skip(why)


def unpack(root):
    """The package unpacked into root (its daemon at lib/systemd/systemd-resolved); root."""
    subprocess.run(["dpkg-deb", "-x", package(), root], check=True)
    return root
