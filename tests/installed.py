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

from nonettest import ROOT

MARK = "NONET_INSTALL_HIDDEN"
ETC_DIR = os.environ.get("NONET_ETC_DIR", "")
VENDOR_DIR = os.environ.get("NONET_VENDOR_DIR", "")
LIBEXEC_DIR = os.environ.get("NONET_LIBEXEC_DIR", "")
DIRS = [d for d in (ETC_DIR, VENDOR_DIR, LIBEXEC_DIR) if d]

# sh -c HIDE sh DIR... -- COMMAND...: an empty tmpfs over each DIR that exists, then COMMAND
HIDE = ('while [ "$1" != -- ]; do if [ -d "$1" ]; then mount -t tmpfs -o mode=0755 nonet-hidden "$1" || exit 125; '
        'fi; shift; done; shift; exec "$@"')


def hidden(cmd, dirs=None):
    """cmd, run where the given directories (all three by default) are empty. As root the
    namespace is a plain mount namespace (setpriv and su still work inside); otherwise it is
    a user namespace's, where the caller is root."""
    dirs = DIRS if dirs is None else dirs
    unshare = ["unshare", "--mount", "--propagation", "private"] + ([] if ROOT else ["--map-root-user"])
    return unshare + ["sh", "-c", HIDE, "sh"] + list(dirs) + ["--"] + list(cmd)


def hide_here(dirs):
    """In a private mount namespace already (privroot's): an empty tmpfs over each directory."""
    for d in dirs:
        if os.path.isdir(d):
            subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755", "nonet-hidden", d], check=True)


def reexec_hidden():
    """Outside: run this script again with the install hidden, and exit with its status. Where
    no mount namespace can be had (a build chroot without user namespaces), the script runs as
    it is and says so."""
    if os.environ.get(MARK) or not DIRS:
        return
    if subprocess.run(hidden(["true"]), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
        print("# no private mount namespace: the installed files, if any, are not hidden")
        return
    env = dict(os.environ, **{MARK: "1"})
    sys.exit(subprocess.run(hidden([sys.executable] + sys.argv), env=env).returncode)
