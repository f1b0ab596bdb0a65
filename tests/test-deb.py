#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""test-deb.py DIR: install the .debs of DIR in a throwaway root (a private mount
namespace with overlays on /usr and dpkg's state, a copy of /etc) and check
that files land where Debian puts them, that pam-auth-update enables the
module, which then restricts a table user's su session, and that removing
the package removes the lines."""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import privroot  # noqa: E402

privroot.reexec_in_namespace()

from nonettest import check, check_eq, main, run, test  # noqa: E402

DEBS = os.path.abspath(sys.argv[1])
R = privroot.PrivateRoot()
for d in ("/usr", "/var/lib/dpkg", "/var/cache/debconf", "/var/lib/pam"):
    if os.path.isdir(d):
        up, work = (os.path.join(R.dir, "overlay", d.strip("/").replace("/", "-"), x) for x in ("up", "work"))
        os.makedirs(up)
        os.makedirs(work)
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={d},upperdir={up},workdir={work}", d],
                       check=True)
ENV = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
R.add_user("nn-off", ["nn-lab"])
R.add_user("nn-free")
INSTALL_OUTPUT = []
STACKS = ["common-account", "common-session", "common-session-noninteractive"]


def stack_has_module():
    return {s: "pam_nonet.so" in open(f"/etc/pam.d/{s}").read() for s in STACKS}


@test
def packages_install():
    debs = [d for d in glob.glob(os.path.join(DEBS, "*.deb")) if "dbgsym" not in d]
    check_eq(len(debs), 5, "five packages")
    r = run(["dpkg", "-i"] + debs, env=ENV, timeout=300)
    check_eq(r.returncode, 0, r.stdout + r.stderr)
    INSTALL_OUTPUT.append(r.stdout + r.stderr)


@test
def the_audit_timer_arrives_disabled():
    # nonet-exec(1): "shipped, not enabled"; a periodic job nobody asked for is neither enabled nor started
    out = "".join(INSTALL_OUTPUT)
    check("nonet-audit" not in out, "dpkg -i says nothing of the audit units: " + out[-1500:])
    for unit in ("nonet-audit.timer", "nonet-audit.service", "nonet-dbus-policy.path", "nonet-dbus-policy.service"):
        check(not os.path.lexists(f"/etc/systemd/system/timers.target.wants/{unit}"), unit + " not wanted")
        r = run(["systemctl", "--root=/", "is-enabled", unit])
        check(r.stdout.strip() in ("disabled", "static"), f"{unit}: systemctl is-enabled says {r.stdout.strip()}")
    postinst = open("/var/lib/dpkg/info/nonet.postinst").read()
    check("deb-systemd-invoke" not in postinst, "the postinst starts nothing: " + postinst)


@test
def the_docs_and_examples_are_shipped():
    doc = "/usr/share/doc/nonet"
    for name in ("README.md", "NEWS", "SECURITY.md", "copyright", "examples/nonet.conf",
                 "examples/nonet-settings.conf.d/50-site.conf", "examples/build-worker.service.d/network-off.conf",
                 "examples/check-staged-table"):
        check(os.path.exists(os.path.join(doc, name)) or os.path.exists(os.path.join(doc, name + ".gz")),
              f"{doc}/{name}")
    # the licence: Debian's copy, which debian/copyright names
    check("/usr/share/common-licenses/LGPL-2.1" in open(os.path.join(doc, "copyright")).read(), "licence named")
    check(os.path.exists("/usr/share/common-licenses/LGPL-2.1"), "licence text")
    # nonet-exec(1) sends readers to the README's residuals: the page's path holds them
    page = re.sub(r"\\f[BIR]|\\&", "", run(["zcat", "/usr/share/man/man1/nonet-exec.1.gz"]).stdout)
    check("/usr/share/doc/nonet/README.md" in page, "nonet-exec(1) names the shipped README")
    readme = os.path.join(doc, "README.md")
    text = open(readme).read() if os.path.exists(readme) else run(["zcat", readme + ".gz"]).stdout
    check("## What it does not stop" in text, "the README's residuals")
    # the examples work as shipped: the table and settings pass --check-config
    table = os.path.join(doc, "examples", "nonet.conf")
    r = run(["nonet-exec", "--check-config", f"--table={table}",
             "--settings=" + os.path.join(doc, "examples/nonet-settings.conf.d/50-site.conf")])
    check_eq(r.returncode, 0, "the example table and settings drop-in: " + r.stdout + r.stderr)


@test
def files_land_where_debian_puts_them():
    for path in ("/usr/bin/nonet-exec",
                 "/usr/libexec/nonet/nonet-exec-table",
                 "/usr/lib/x86_64-linux-gnu/security/pam_nonet.so",
                 "/usr/lib/systemd/system-generators/nonet-generator",
                 "/usr/lib/systemd/user-generators/nonet-generator",
                 "/usr/lib/x86_64-linux-gnu/libnonet.so.0",
                 "/usr/include/nonet.h",
                 "/usr/lib/x86_64-linux-gnu/pkgconfig/libnonet.pc",
                 "/usr/share/pam-configs/nonet",
                 "/usr/share/nonet/network-off.conf",
                 "/usr/share/bash-completion/completions/nonet-exec",
                 "/usr/share/man/man1/nonet-exec.1.gz",
                 "/usr/share/man/man8/pam_nonet.8.gz",
                 "/usr/share/man/man5/nonet.conf.5.gz",
                 "/usr/share/man/man3/nonet_restrict.3.gz",
                 "/usr/share/man/man3/nonet_check.3.gz",
                 "/usr/share/zsh/vendor-completions/_nonet-exec",
                 "/usr/share/fish/vendor_completions.d/nonet-exec.fish",
                 "/lib/systemd/system/nonet-audit.timer",
                 "/etc/security/nonet.conf",
                 "/usr/lib/x86_64-linux-gnu/slurm-wlm/spank_nonet.so",
                 "/usr/share/man/man8/spank_nonet.8.gz",
                 "/etc/slurm/plugstack.conf.d/nonet.conf"):
        check(os.path.exists(path), path)
    # nonet.conf(5) ships with nonet, which reads the table too; libpam-nonet depends on it
    owner = run(["dpkg", "-S", "/usr/share/man/man5/nonet.conf.5.gz"]).stdout
    check(owner.startswith("nonet:"), "nonet.conf(5) is nonet's: " + owner)
    # man nonet_check finds the page it links to
    # dh_installman makes the .so page a symbolic link to the page it names
    page = "/usr/share/man/man3/nonet_check.3.gz"
    text = run(["zcat", page]).stdout
    check(os.path.realpath(page).endswith("/nonet_restrict.3.gz") or text.strip() == ".so man3/nonet_restrict.3",
          f"nonet_check(3) leads to nonet_restrict(3): {os.path.realpath(page)}")
    check('.TH "nonet_restrict" "3"' in text or text.startswith(".so"), "the page itself")
    if os.path.exists("/usr/bin/man"):
        r = run(["man", "-w", "nonet_check"])
        check(r.returncode == 0 and "nonet_" in r.stdout, "man -w nonet_check: " + r.stdout + r.stderr)
    r = run(["nonet-exec", "--version"])
    check(r.returncode == 0 and r.stdout.startswith("nonet-exec "), "installed nonet-exec runs")
    # the table side is nonet-exec-table, found where the package put it
    r = run(["nonet-exec", "--check-config"])
    check(r.returncode == 0 and "rules" in r.stdout, "--check-config through nonet-exec-table: " + r.stderr)
    check("statically linked" in run(["ldd", "/usr/bin/nonet-exec"]).stdout, "nonet-exec loads no library")


@test
def the_slurm_plugin_loads_into_srun_once_enabled():
    conf = "/etc/slurm/plugstack.conf.d/nonet.conf"
    text = open(conf).read()
    check("#required spank_nonet.so" in text, "shipped commented out: " + text)
    depends = run(["dpkg-query", "-W", "-f=${Depends}", "slurm-spank-nonet"]).stdout
    check("slurmd (>= 22.05), slurmd (<< 22.05.99)" in depends, "only the Slurm it was built for: " + depends)
    R.write("/etc/slurm/slurm.conf", "ClusterName=deb\nSlurmctldHost=localhost\n")
    R.write("/etc/slurm/plugstack.conf", "include /etc/slurm/plugstack.conf.d/*.conf\n")
    r = run(["srun", "--help"])
    check("--nonet" not in r.stdout, "commented out: no option")
    R.write(conf, text.replace("#required", "required"))
    r = run(["srun", "--help"])
    check("--nonet" in r.stdout and "Turn the network off" in r.stdout,
          "srun --help lists the plugin's option: " + r.stdout[-1500:] + r.stderr)


@test
def pam_auth_update_enables_it_and_su_is_restricted():
    check_eq(stack_has_module(), {s: False for s in STACKS}, "not before it is enabled")
    r = run(["pam-auth-update", "--enable", "nonet"], env=ENV)
    check_eq(r.returncode, 0, r.stderr)
    check_eq(stack_has_module(), {s: True for s in STACKS}, "account, session and non-interactive session")
    R.write("/etc/security/nonet.conf", "@nn-lab hard network off\n")
    r = run(["su", "nn-off", "-c", "nonet-exec --status"])
    check(r.returncode == 0 and "network: off" in r.stdout, "restricted: " + r.stdout + r.stderr)
    r = run(["su", "nn-free", "-c", "nonet-exec --status"])
    check(r.returncode == 1 and "network: on" in r.stdout, "not in the table: " + r.stdout + r.stderr)


@test
def removing_the_package_removes_the_lines():
    r = run(["dpkg", "--remove", "libpam-nonet"], env=ENV, timeout=300)
    check_eq(r.returncode, 0, r.stdout + r.stderr)
    check_eq(stack_has_module(), {s: False for s in STACKS}, "lines removed")
    r = run(["su", "nn-off", "-c", "nonet-exec --status"])
    check(r.returncode == 1 and "network: on" in r.stdout, "no longer restricted: " + r.stdout)


if __name__ == "__main__":
    main(R.cleanup)
