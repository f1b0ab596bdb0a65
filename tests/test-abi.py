#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""libnonet.so as others link it: what it needs, what it exports, and that the header, the
version script, Debian's symbols file and the man pages all say the same."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from nonettest import BUILD, SOURCE, check, check_eq, main, test  # noqa: E402

LIB = os.path.join(BUILD, "libnonet", "libnonet.so")


def read(*path):
    with open(os.path.join(SOURCE, *path)) as f:
        return f.read()


def exported():
    out = subprocess.run(["nm", "-D", "--defined-only", LIB], stdout=subprocess.PIPE, text=True, check=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.split()[1] in ("T", "t")}


def declared():
    header = re.sub(r"/\*.*?\*/", "", read("libnonet", "nonet.h"), flags=re.S)
    return set(re.findall(r"\b(nonet_\w+)\s*\(", header))


@test
def libnonet_needs_only_libseccomp_and_libc():
    out = subprocess.run(["readelf", "-d", LIB], stdout=subprocess.PIPE, text=True, check=True).stdout
    needed = set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out))
    # the sanitizers' build links their runtimes into everything
    needed -= {n for n in needed if n.startswith(("libasan.so", "libubsan.so"))}
    check_eq(needed, {"libseccomp.so.2", "libc.so.6"}, "NEEDED")


@test
def the_exports_are_the_header_the_version_script_and_the_symbols_file():
    script = set(re.findall(r"^\s+(nonet_\w+);", read("libnonet", "libnonet.sym"), flags=re.M))
    debian = set(re.findall(r"^ (nonet_\w+)@NONET_0", read("debian", "libnonet0.symbols"), flags=re.M))
    check_eq(exported(), declared(), "exported = declared in nonet.h")
    check_eq(script, declared(), "libnonet.sym")
    check_eq(debian, declared(), "debian/libnonet0.symbols")


@test
def every_function_has_its_page_and_its_synopsis():
    synopsis = read("man", "nonet_restrict.3.scd").split("# DESCRIPTION")[0]
    for fn in sorted(declared()):
        check(re.search(rf"\b{fn}\(", synopsis), f"{fn} in the synopsis of nonet_restrict(3)")
        page = os.path.join(BUILD, "man", f"{fn}.3")
        check(os.path.exists(page), f"a page for {fn}")
        if fn != "nonet_restrict":
            check_eq(open(page).read().strip(), ".so man3/nonet_restrict.3", f"{fn}.3 links to the page")


if __name__ == "__main__":
    main()
