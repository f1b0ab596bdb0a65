#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The man pages: lint-clean, and saying the same as the code."""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from nonettest import BUILD, ROOT, SOURCE, Skip, check, check_eq, main, reply_server, run, test  # noqa: E402

MAN = os.path.join(BUILD, "man")
PAGES = ["nonet-exec.1", "nonet_restrict.3", "nonet.conf.5", "pam_nonet.8", "nonet-generator.8"] + \
    (["spank_nonet.8"] if os.path.exists(os.path.join(BUILD, "man", "spank_nonet.8")) else [])
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
    # a family after a comma, as bash and zsh complete it
    r = run(["fish", "--no-config", "-c", f"source {fish}; complete -C 'nonet-exec --allow=inet,net'"])
    check_eq([line.split("\t")[0] for line in r.stdout.splitlines()], ["--allow=inet,netlink"],
             "fish completes after a comma: " + r.stderr)
    r = run(["fish", "--no-config", "-c", f"source {fish}; complete -C 'nonet-exec -a unix,inet'"])
    check_eq([line.split("\t")[0] for line in r.stdout.splitlines()], ["unix,inet", "unix,inet6"], "after -a")


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
def the_dbus_policy_units_are_valid_and_run_the_writer():
    units = [os.path.join(BUILD, "conf", "nonet-dbus-policy.service"),
             os.path.join(SOURCE, "conf", "nonet-dbus-policy.path")]
    r = run(["systemd-analyze", "verify", "--man=no"] + units)
    problems = [line for line in (r.stdout + r.stderr).splitlines()
                if "nonet-dbus-policy" in line and "/nonet-exec is not executable" not in line]
    check(not problems, "systemd-analyze verify: " + "\n".join(problems))
    text = open(units[0]).read()
    check("/nonet-exec --write-dbus-policy\n" in text and "@bindir@" not in text, "writes the policy: " + text)
    path = open(units[1]).read()
    check("PathChanged=/etc/security/nonet.conf\n" in path and "PathChanged=/etc/security/nonet.d\n" in path and
          "Unit=nonet-dbus-policy.service" in path, "watches the table: " + path)


@test
def settings_keys_are_documented():
    code = open(os.path.join(SOURCE, "libnonet", "settings.c")).read()
    keys = set(re.findall(r'strcmp\(key, "([A-Za-z]+)"\)', code))
    check_eq(keys, {"Errno", "Landlock", "Unix", "Brokers", "Services", "Log"}, "keys in the code")
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
def module_arguments_are_documented():
    # pam_nonet's and spank_nonet's: module_option() reads both
    code = open(os.path.join(SOURCE, "libnonet", "decide.c")).read()
    code = code[code.index("bool module_option("):]
    args = set(re.findall(r'strn?cmp\(arg, "([a-z=]+)"', code[:code.index("\n}\n")]))
    check_eq(args, {"debug", "conf="}, "arguments in the code")
    for name in ("pam_nonet.8", "spank_nonet.8"):
        if name in PAGES:
            text = rendered(name)
            for a in args:
                check(a in text, f"{a} in {name}")


# The runtime spec's schema for linux.seccomp (schema/config-linux.json and defs-linux.json of
# runtime-spec 1.1): the enums, the required members and the integer ranges.
SECCOMP_SCHEMA = {
    "SeccompArch": {"SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64",
                    "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
                    "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
                    "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC",
                    "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64"},
    "SeccompAction": {"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                      "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY"},
    "SeccompFlag": {"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"},
    "SeccompOperators": {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                         "SCMP_CMP_MASKED_EQ"},
}


def check_seccomp_schema(p, what):
    uint = lambda v, bits: isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2 ** bits  # noqa: E731
    check(set(p) <= {"defaultAction", "defaultErrnoRet", "architectures", "flags", "listenerPath",
                     "listenerMetadata", "syscalls"}, f"{what}: members {set(p)}")
    check(p.get("defaultAction") in SECCOMP_SCHEMA["SeccompAction"], what + ": defaultAction")
    check(all(a in SECCOMP_SCHEMA["SeccompArch"] for a in p.get("architectures", [])), what + ": architectures")
    check(all(f in SECCOMP_SCHEMA["SeccompFlag"] for f in p.get("flags", [])), what + ": flags")
    for i, rule in enumerate(p.get("syscalls", [])):
        where = f"{what}: syscalls[{i}]"
        check(set(rule) <= {"names", "action", "errnoRet", "args"}, where + f": members {set(rule)}")
        check(rule.get("names") and all(isinstance(n, str) for n in rule["names"]), where + ": names")
        check(rule.get("action") in SECCOMP_SCHEMA["SeccompAction"], where + ": action")
        check("errnoRet" not in rule or uint(rule["errnoRet"], 32), where + ": errnoRet")
        for a in rule.get("args", []):
            check(set(a) <= {"index", "value", "valueTwo", "op"} and {"index", "value", "op"} <= set(a), where)
            check(uint(a["index"], 32) and uint(a["value"], 64) and uint(a.get("valueTwo", 0), 64), where + ": args")
            check(a["op"] in SECCOMP_SCHEMA["SeccompOperators"], where + ": op")


@test
def oci_profiles_match_the_runtime_spec_schema():
    import json
    nonet_exec = os.path.join(BUILD, "nonet-exec", "nonet-exec")
    for opts in ([], ["--allow=inet6"], ["--errno=eperm"], ["--dry-run"], ["--log"]):
        r = run([nonet_exec, "--print-filter=oci"] + opts)
        check_eq(r.returncode, 0, "--print-filter=oci " + " ".join(opts) + ": " + r.stderr)
        check_seccomp_schema(json.loads(r.stdout), "profile " + " ".join(opts))
    # merged, the base's own form (archMap, includes, excludes) stays: only nonet's rules are checked
    base = "/usr/share/containers/seccomp.json"
    if os.path.exists(base):
        r = run([nonet_exec, "--print-filter=oci", "--base=" + base])
        merged, original = json.loads(r.stdout), json.load(open(base))
        plain = {"names", "action", "errnoRet", "args"}
        ours = [rule for rule in merged["syscalls"] if set(rule) <= plain]
        check(len(ours) > 140 and not any(set(rule) <= plain for rule in original["syscalls"]), "nonet's rules")
        ours = {"syscalls": ours, "defaultAction": merged["defaultAction"]}
        check_seccomp_schema(ours, "merged onto " + base)


def yaml_blocks(text):
    return re.findall(r"```yaml\n(.*?)```", text, re.S)


@test
def kubernetes_example_matches_the_api_schema():
    import yaml
    # io.k8s.api.core.v1.SeccompProfile: type (required) Localhost, RuntimeDefault or Unconfined;
    # localhostProfile, a relative path, exactly when the type is Localhost.
    blocks = yaml_blocks(open(os.path.join(SOURCE, "README.md")).read())
    man = open(os.path.join(SOURCE, "man", "nonet-exec.1.scd")).read()
    blocks += [b for b in re.findall(r"```\n(spec:.*?)```", man, re.S)]
    check(len(blocks) >= 2, "the README's and the man page's examples")
    for block in blocks:
        doc = yaml.safe_load(block)
        spec = doc.get("spec", {})
        if "kind" in doc:
            check_eq((doc["apiVersion"], doc["kind"]), ("v1", "Pod"), "a Pod")
            check(isinstance(doc["metadata"]["name"], str), "metadata.name")
        profiles = 0
        for c in spec["containers"]:
            check(isinstance(c["name"], str) and isinstance(c["image"], str), "a container's name and image")
            check(set(c) <= {"name", "image", "securityContext", "command", "args"}, f"container fields {set(c)}")
            sp = c.get("securityContext", {}).get("seccompProfile")
            if sp is None:
                continue
            profiles += 1
            check(set(sp) <= {"type", "localhostProfile"}, f"seccompProfile fields {set(sp)}")
            check(sp["type"] in ("Localhost", "RuntimeDefault", "Unconfined"), "seccompProfile.type")
            check((sp["type"] == "Localhost") == ("localhostProfile" in sp), "localhostProfile with Localhost")
            check(not sp.get("localhostProfile", "x").startswith("/"), "localhostProfile is relative")
        check_eq(profiles, 1, "one container network-off, its sidecar not")


@test
def no_option_name_is_split_across_lines():
    # scdoc turns hyphenation off before .TH, which turns it back on: the page moves .nh after it
    for name in PAGES:
        src = page(name)
        check(src.index("\n.nh\n") > src.index("\n.TH "), f"{name}: .nh after .TH")
        text = run(["groff", "-t", "-man", "-Tutf8", "-rLL=100n", "-P-cbou", os.path.join(MAN, name)]).stdout
        split = [line for line in text.splitlines() if re.search(r"(^|[\s\[(|])-\S*[\u2010-]$", line)]
        check_eq(split, [], f"{name} at 100 columns: option names split")
        hyphenated = [line for line in text.splitlines() if re.search(r"[a-z]\u2010$", line)]
        check_eq(hyphenated, [], f"{name} at 100 columns: words hyphenated")


@test
def the_tours_first_example_runs_as_printed():
    # beside a server that answers, so that the refusal is nonet's, not an empty port's
    if not shutil.which("curl"):
        raise Skip("no curl")
    tour = open(os.path.join(SOURCE, "README.md")).read().split("## A five-minute tour", 1)[1]
    block = tour.split("\n\n    $ ", 1)[1].split("    $ nonet-exec xdpyinfo", 1)[0]
    steps = []
    for line in ("    $ " + block).splitlines():
        line = line[4:]
        if line.startswith("$ "):
            steps.append((line[2:].split("  #")[0].strip(), []))
        elif line:
            steps[-1][1].append(line)
    check_eq(steps[0][0], "python3 -m http.server --bind 127.0.0.1 8765 &", "first, a server that answers")
    port = str(reply_server("hello"))
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PATH"] = os.path.join(BUILD, "nonet-exec") + ":" + env.get("PATH", "/usr/bin:/bin")
    for cmd, printed in steps[1:]:
        r = run(["sh", "-c", cmd.replace("8765", port)], env=env)
        got = re.sub(r"after \d+ ms", "after N ms", r.stdout + r.stderr).splitlines()
        want = [re.sub(r"after \d+ ms", "after N ms", line.replace("8765", port)) for line in printed]
        check_eq(got, want, cmd)
    check_eq(len(steps), 3, "the server, plain curl, curl under nonet-exec")


@test
def version_says_what_the_build_and_the_kernel_give():
    E = os.path.join(BUILD, "nonet-exec", "nonet-exec")
    r = run([E, "--version"])
    check_eq(r.returncode, 0, r.stderr)
    version = re.search(r"version : '([^']+)'", open(os.path.join(SOURCE, "meson.build")).read()).group(1)
    first, *rest = r.stdout.splitlines()
    check_eq(first, f"nonet-exec {version} (libnonet {version})", "the version")
    said = dict(line.split(": ", 1) for line in rest)
    # the build's directories, as meson gave them
    for key in ("NONET_ETC_DIR", "NONET_VENDOR_DIR", "NONET_LIBEXEC_DIR"):
        if os.environ.get(key):
            check(os.environ[key] in said["build"], f"{key} in {said['build']}")
    check(said["kernel"].startswith("Linux " + os.uname().release), said["kernel"])
    # the kernel's, as --status and a run under each option find them
    m = re.search(r"^landlock: kernel ABI (\d+)", run([E, "--status"]).stdout, re.M)
    check_eq(said["landlock"], f"ABI {m.group(1)}" if m else "none (CONFIG_SECURITY_LANDLOCK, lsm=landlock)",
             "Landlock, as --status says")
    check_eq(said["layers"].split(", ")[-1] == "landlock", bool(m), "the layers: " + said["layers"])
    check("families" in said["rows of the default policy"], said["rows of the default policy"])
    for option in ("--unix=no-abstract", "--trace", "--private-loopback", "--brokers=closed"):
        ran = run([E, "--inherited=accept", option, "true"]).returncode
        check_eq(said[option].split(" ")[0], "yes" if ran == 0 else "no", f"{option}: ran with exit {ran}")
    check_eq(said["restrict"], "yes" if run([E, "--inherited=accept", "true"]).returncode == 0 else "no", "restrict")


@test
def the_tours_check_config_prints_what_it_shows():
    import installed
    import tempfile
    if not ROOT:
        raise Skip("a table is trusted only when root owns it")
    tour = open(os.path.join(SOURCE, "README.md")).read().split("## A five-minute tour", 1)[1]
    table = tour.split("    # /etc/security/nonet.conf\n", 1)[1].split("\n\n", 1)[0]
    shown = tour.split("    $ nonet-exec --check-config\n", 1)[1].split("    $ ", 1)[0]
    shown = [line[4:] for line in shown.splitlines()][:3]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "nonet.conf")
        with open(path, "w") as f:
            f.write("# /etc/security/nonet.conf\n" + "\n".join(line[4:] for line in table.splitlines()) + "\n")
        os.makedirs(os.path.join(d, "units"))
        # the machine's own table, settings and units are not this test's: hidden, and no units
        r = run(installed.hidden([os.path.join(BUILD, "nonet-exec", "nonet-exec"), "--check-config",
                                  f"--table={path}"]), env=dict(os.environ, SYSTEMD_UNIT_PATH=os.path.join(d, "units")))
        check_eq(r.returncode, 0, r.stderr)
        check_eq(r.stdout.replace(path, "/etc/security/nonet.conf").splitlines()[:3], shown, "the lines shown")


if __name__ == "__main__":
    main()
