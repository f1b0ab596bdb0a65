#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man pages: lint-clean, and saying the same as the code."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from nonettest import BUILD, SOURCE, check, check_eq, main, run, test  # noqa: E402

MAN = os.path.join(BUILD, "man")
PAGES = ["nonet-exec.1", "nonet_restrict.3", "nonet.conf.5", "pam_nonet.8", "nonet-generator.8"]
# scdoc 1.11 writes a .PP after every .SH and before blank lines; mandoc notes each.
SCDOC_NOISE = re.compile(r"WARNING: skipping paragraph macro: PP (empty|after SH)")


def page(name):
    return open(os.path.join(MAN, name)).read()


def rendered(name):
    """The page as a reader sees it, without the overstrike of bold and underline."""
    return re.sub(".\b", "", run(["mandoc", "-T", "ascii", os.path.join(MAN, name)]).stdout)


@test
def pages_lint_clean():
    for name in PAGES:
        r = run(["mandoc", "-T", "lint", "-W", "warning", os.path.join(MAN, name)])
        complaints = [line for line in (r.stdout + r.stderr).splitlines() if not SCDOC_NOISE.search(line)]
        check_eq(complaints, [], name)
        r = run(["groff", "-man", "-ww", "-z", os.path.join(MAN, name)])
        check_eq(r.stderr, "", "groff " + name)


@test
def nonet_exec_options_match_help():
    help_text = run([os.path.join(BUILD, "nonet-exec", "nonet-exec"), "--help"]).stdout
    in_help = set(re.findall(r"--([a-z-]+)", help_text))
    in_man = set(re.findall(r"--([a-z-]+)", rendered("nonet-exec.1")))
    in_code = set(re.findall(r'\{ "([a-z-]+)", (?:no|required|optional)_argument',
                             open(os.path.join(SOURCE, "nonet-exec", "nonet-exec.c")).read()))
    check_eq(in_help, in_code, "--help lists every option")
    check(in_code <= in_man, f"man page lacks {in_code - in_man}")
    for status in ("125", "126", "127"):
        check(status in help_text and status in rendered("nonet-exec.1"), "exit status " + status)


@test
def bash_completion_offers_every_option():
    code = set(re.findall(r'\{ "([a-z-]+)", (?:no|required|optional)_argument',
                          open(os.path.join(SOURCE, "nonet-exec", "nonet-exec.c")).read()))
    completion = open(os.path.join(SOURCE, "conf", "nonet-exec.bash-completion")).read()
    offered = set(re.findall(r"--([a-z-]+)=?", completion.split("compgen -W '")[1].split("'")[0]))
    check_eq(offered, code, "options offered")
    script = ("source /usr/share/bash-completion/bash_completion\n"
              f"source {os.path.join(SOURCE, 'conf', 'nonet-exec.bash-completion')}\n"
              'COMP_LINE="nonet-exec --errno "; COMP_WORDS=(nonet-exec --errno ""); COMP_CWORD=2; COMP_POINT=19\n'
              '_nonet_exec; echo "${COMPREPLY[*]}"\n')
    r = run(["bash", "-c", script])
    check_eq(r.stdout.strip(), "eafnosupport eperm", "values of --errno: " + r.stderr)


@test
def zsh_and_fish_completions_offer_every_option():
    code = set(re.findall(r'\{ "([a-z-]+)", (?:no|required|optional)_argument',
                          open(os.path.join(SOURCE, "nonet-exec", "nonet-exec.c")).read()))
    zsh = os.path.join(SOURCE, "conf", "nonet-exec.zsh-completion")
    fish = os.path.join(SOURCE, "conf", "nonet-exec.fish")
    check_eq(set(re.findall(r"--([a-z-]+)", open(zsh).read())) & code, code, "zsh offers every option")
    check_eq(set(re.findall(r"-l ([a-z-]+)", open(fish).read())), code, "fish offers every option")
    # the shells themselves read them
    r = run(["zsh", "-n", zsh])
    check_eq((r.returncode, r.stderr), (0, ""), "zsh parses its completion")
    r = run(["fish", "--no-execute", fish])
    check_eq((r.returncode, r.stderr), (0, ""), "fish parses its completion")
    script = f"source {fish}; complete -C 'nonet-exec --errno='"
    r = run(["fish", "--no-config", "-c", script])
    check("--errno=eafnosupport" in r.stdout and "--errno=eperm" in r.stdout, "fish completes --errno: " + r.stdout)


@test
def the_audit_units_are_valid_systemd_units():
    units = [os.path.join(SOURCE, "conf", u) for u in ("nonet-audit.service", "nonet-audit.timer")]
    r = run(["systemd-analyze", "verify", "--man=no"] + units)
    problems = [line for line in (r.stdout + r.stderr).splitlines()
                if "nonet-audit" in line and "not found" not in line and "/usr/bin/nonet-exec" not in line]
    check(not problems, "systemd-analyze verify: " + "\n".join(problems))
    text = open(units[0]).read()
    check("ExecStart=/usr/bin/nonet-exec --status --all" in text, "runs the audit")


@test
def settings_keys_are_documented():
    code = open(os.path.join(SOURCE, "libnonet", "settings.c")).read()
    keys = set(re.findall(r'strcmp\(key, "([A-Za-z]+)"\)', code))
    check_eq(keys, {"Errno", "Landlock", "Unix", "Services", "Log"}, "keys in the code")
    text = rendered("nonet.conf.5")
    for key in keys:
        check(key + "=" in text, key + " documented")


@test
def generated_dropin_matches_the_man_page():
    ready = open(os.path.join(BUILD, "systemd", "network-off.conf")).read().split("\n", 2)[2]
    text = rendered("nonet-generator.8")
    for line in ready.strip().splitlines():
        check(line in text, "nonet-generator(8) shows: " + line)


@test
def pam_arguments_are_documented():
    code = open(os.path.join(SOURCE, "pam_nonet", "pam_nonet.c")).read()
    args = set(re.findall(r'strn?cmp\(argv\[i\], "([a-z=]+)"', code))
    check_eq(args, {"debug", "conf="}, "arguments in the code")
    text = rendered("pam_nonet.8")
    for a in args:
        check(a in text, a)


if __name__ == "__main__":
    main()
