#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The README's `meson install` route to a working login, run by tools/test-installed where the
tree is installed into throwaway overlays: `pam-auth-update --enable nonet`, then `su -` of a user
the table restricts is restricted and a control user's is not; zsh and fish find the completions.

In a mount namespace of its own, /etc and /var/lib/pam (what useradd and pam-auth-update write)
are overlays again, and /run, /home, /var/log and /var/mail empty tmpfs: the host is not written."""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from nonettest import IN_CI, ROOT, Skip, check, check_eq, main, test  # noqa: E402

MARK = "NONET_INSTALL_ROUTE"
INSTALLED = os.environ.get("NONET_TEST_INSTALLED")
OFF, FREE = "nn-route-off", "nn-route-free"
# what a user notices: an inet socket made, or refused with its errno
PROBE = ("import socket\ntry:\n    socket.socket(socket.AF_INET, socket.SOCK_STREAM)\n    print('made')\n"
         "except OSError as e:\n    print('refused', e.errno)\n")


def sh(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def enter():
    """Outside: run again in a mount namespace of its own. Inside: the overlays and tmpfs."""
    if not INSTALLED or not ROOT:
        why = "needs root, run by tools/test-installed (the tree installed into overlays)"
        if IN_CI:
            print("not ok 1 - " + why)
            sys.exit(1)
        print("1..0 # SKIP " + why)
        sys.exit(0)
    if not os.environ.get(MARK):
        cmd = ["unshare", "--mount", "--propagation", "private", "--", sys.executable] + sys.argv
        sys.exit(subprocess.run(cmd, env=dict(os.environ, **{MARK: "1"})).returncode)
    scratch = tempfile.mkdtemp(prefix="nonet-route-")
    sh("mount", "-t", "tmpfs", "-o", "mode=0700", "nonet-route", scratch)
    for n, d in enumerate(("/etc", "/var/lib/pam")):
        up, work = os.path.join(scratch, f"{n}u"), os.path.join(scratch, f"{n}w")
        os.mkdir(up)
        os.mkdir(work)
        sh("mount", "-t", "overlay", "nonet-route", "-o", f"lowerdir={d},upperdir={up},workdir={work}", d)
    for d in ("/run", "/home", "/var/log", "/var/mail"):
        if os.path.isdir(d):
            sh("mount", "-t", "tmpfs", "-o", "mode=0755", "nonet-route", d)
    return scratch


SCRATCH = enter()
for user in (OFF, FREE):
    sh("useradd", "--create-home", "--shell", "/bin/sh", "--password", "*", user)
with open("/etc/security/nonet.conf", "a") as f:
    f.write(f"{OFF}   hard   network   off\n")
PROBE_FILE = "/run/nonet-route-probe.py"
with open(PROBE_FILE, "w") as f:
    f.write(PROBE)


def login(user, cmd, shell="/bin/sh"):
    """A login through the real PAM stack (su -, the su-l service and common-*), its output."""
    r = subprocess.run(["su", "-", user, "-s", shell, "-c", cmd],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def inet(user):
    return login(user, "python3 " + PROBE_FILE)


@test
def the_table_alone_restricts_nobody():
    # the control of the next test: without the PAM lines the table is read by nobody
    check_eq(inet(OFF)[:2], (0, "made"), f"su - {OFF} before pam-auth-update")


@test
def pam_auth_update_enables_the_installed_profile():
    r = subprocess.run(["pam-auth-update", "--enable", "nonet"], capture_output=True, text=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    check_eq(r.returncode, 0, "pam-auth-update --enable nonet: " + r.stderr)
    for stack in ("common-account", "common-session"):
        with open(os.path.join("/etc/pam.d", stack)) as f:
            check("pam_nonet.so" in f.read(), f"/etc/pam.d/{stack} names pam_nonet.so")


@test
def a_login_the_table_restricts_is_restricted():
    check_eq(inet(OFF)[:2], (0, "refused 97"), f"su - {OFF}: socket(AF_INET)")


@test
def a_login_the_table_does_not_name_is_not():
    status, out, err = inet(FREE)
    check_eq((status, out), (0, "made"), f"su - {FREE}: socket(AF_INET) ({err})")
    check("PAM" not in err and "dlopen" not in err, f"su - {FREE} says nothing of PAM: {err}")


@test
def zsh_finds_the_completion():
    status, out, err = login(FREE, "autoload -U compinit; compinit -D -u; whence -v _nonet-exec", shell="/bin/zsh")
    check(status == 0 and "function" in out, f"zsh: whence -v _nonet-exec: {status} {out!r} {err!r}")


@test
def fish_completes_an_option():
    status, out, err = login(FREE, "complete -C 'nonet-exec --al'", shell="/usr/bin/fish")
    check(status == 0 and "--allow" in out, f"fish: complete -C 'nonet-exec --al': {status} {out!r} {err!r}")


@test
def bash_completes_an_option():
    cmd = ("source /usr/share/bash-completion/bash_completion; COMP_WORDS=(nonet-exec --al); COMP_CWORD=1; "
           "COMP_LINE='nonet-exec --al'; COMP_POINT=${#COMP_LINE}; _completion_loader nonet-exec; "
           "$(complete -p nonet-exec | sed -E 's/.* -F ([^ ]+) .*/\\1/') nonet-exec --al nonet-exec; "
           "printf '%s\\n' \"${COMPREPLY[@]}\"")
    status, out, err = login(FREE, cmd, shell="/bin/bash")
    check(status == 0 and "--allow" in out, f"bash completes 'nonet-exec --al': {status} {out!r} {err!r}")


@test
def systemd_searches_where_the_generator_and_units_are():
    def on(path_list, name):
        return [d for d in path_list.split(":") if os.path.exists(os.path.join(d, name))]
    gen = subprocess.run(["systemd-path", "systemd-search-system-generator"], capture_output=True, text=True).stdout
    check(on(gen.strip(), "nonet-generator"), f"nonet-generator in systemd's generator path {gen.strip()}")
    gen = subprocess.run(["systemd-path", "systemd-search-user-generator"], capture_output=True, text=True).stdout
    check(on(gen.strip(), "nonet-generator"), f"nonet-generator in systemd's user generator path {gen.strip()}")
    units = subprocess.run(["systemd-analyze", "unit-paths"], capture_output=True, text=True).stdout
    check(on(":".join(units.split()), "nonet-audit.timer"), "nonet-audit.timer in systemd-analyze unit-paths")


def cleanup():
    subprocess.run(["umount", "-R", SCRATCH], check=False)
    if not os.path.ismount(SCRATCH):
        os.rmdir(SCRATCH)


if __name__ == "__main__":
    main(cleanup)
