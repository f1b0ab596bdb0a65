# SPDX-License-Identifier: LGPL-2.1-or-later
"""Where the built programs look for files an install puts there: the table's directory,
the vendor directory and the table side's libexec directory, as meson gives them
(NONET_ETC_DIR, NONET_VENDOR_DIR, NONET_LIBEXEC_DIR in the tests' environment).

A test hides them behind empty tmpfs in a private mount namespace, so that it reads
only what it wrote, whether nonet is installed on the machine or not.
"""

import os
import subprocess
import sys

from nonettest import ROOT, Skip

MARK = "NONET_INSTALL_HIDDEN"
ETC_DIR = os.environ.get("NONET_ETC_DIR", "")
VENDOR_DIR = os.environ.get("NONET_VENDOR_DIR", "")
LIBEXEC_DIR = os.environ.get("NONET_LIBEXEC_DIR", "")
DIRS = [d for d in (ETC_DIR, VENDOR_DIR, LIBEXEC_DIR) if d]

# sh -c HIDE sh DIR... -- COMMAND...: an empty tmpfs over each DIR that exists, then COMMAND
HIDE = ('while [ "$1" != -- ]; do if [ -d "$1" ]; then mount -t tmpfs -o mode=0755 nonet-hidden "$1" || exit 125; '
        'fi; shift; done; shift; exec "$@"')


def present():
    """The directories that hold something of an installed nonet."""
    def holds(d):
        if d == ETC_DIR:
            return any(os.path.lexists(os.path.join(d, n))
                       for n in ("nonet.conf", "nonet-settings.conf", "nonet.d", "nonet-settings.conf.d"))
        return os.path.isdir(d) and bool(os.listdir(d))
    return [d for d in DIRS if holds(d)]


def hidden(cmd, dirs=None):
    """cmd, run where the given directories (all three by default) are empty: in a mount
    namespace of its own (setpriv and su still work inside). Without root there is none to be
    had (a user namespace would show root's files as nobody's, which nonet refuses to trust):
    cmd as it is where nothing is installed, else the test is skipped."""
    dirs = DIRS if dirs is None else dirs
    if not ROOT:
        if present():
            raise Skip("nonet is installed here (%s), and only root can hide it" % ", ".join(present()))
        return list(cmd)
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", HIDE, "sh"] + list(dirs) + ["--"] + list(cmd)


def hide_here(dirs):
    """In a private mount namespace already (privroot's): an empty tmpfs over each directory."""
    for d in dirs:
        if os.path.isdir(d):
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "nonet-hidden", d], check=True)


def reexec_hidden():
    """Outside: run this script again with the install hidden, and exit with its status. Without
    root, the script runs as it is where nothing is installed, and is skipped where something is."""
    if os.environ.get(MARK) or not DIRS:
        return
    if not ROOT:
        if present():
            print("1..0 # SKIP nonet is installed here (%s), and only root can hide it" % ", ".join(present()))
            sys.exit(0)
        return
    env = dict(os.environ, **{MARK: "1"})
    sys.exit(subprocess.run(hidden([sys.executable] + sys.argv), env=env).returncode)
