# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the suites that run the OCI profile under real runtimes (test-containers.py,
test-docker.py): the probe container's root, the profile nonet-exec writes, the probe's result."""

import io
import json
import os
import tarfile

from nonettest import check, check_eq, run


# For a probe in a container: the last line an HTTP server answers on s, a connected socket.
FETCH = r"""
def fetch(s):
    s.sendall(b"GET / HTTP/1.0\r\n\r\n"); reply = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        reply += chunk
    return reply.decode().splitlines()[-1]
"""


def image_tar(files):
    """A container's root as a tar archive: the usual directories, links to /usr (which each
    container mounts read-only from the host: nothing fetched), root in passwd and group, and
    files (a path in the root: its text)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add(name, data=None, mode=0o755, link=None):
            info = tarfile.TarInfo(name)
            info.mode = mode
            if link:
                info.type, info.linkname = tarfile.SYMTYPE, link
            elif data is None:
                info.type = tarfile.DIRTYPE
            else:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
        for d in ("usr", "etc", "proc", "dev", "sys", "nonet"):
            add(d)
        add("tmp", mode=0o1777)
        for link in ("bin", "lib", "lib64", "sbin"):
            add(link, link="usr/" + link)
        add("etc/passwd", b"root:x:0:0:root:/:/bin/sh\n", 0o644)
        add("etc/group", b"root:x:0:\n", 0o644)
        for name, text in files.items():
            add(name, text.encode(), 0o644)
    return buf.getvalue()


def make_root(path, files):
    """The same root as a directory at path, as a bundle's root.path or podman's --rootfs."""
    with tarfile.open(fileobj=io.BytesIO(image_tar(files))) as tar:
        tar.extractall(path)


def profile(nonet_exec, directory, *args):
    """nonet-exec --print-filter=oci with args, written to a new file in directory: its path and the run."""
    r = run([nonet_exec, "--print-filter=oci"] + list(args))
    check_eq(r.returncode, 0, "nonet-exec --print-filter=oci: " + r.stderr)
    path = os.path.join(directory, "profile-%d.json" % len(os.listdir(directory)))
    with open(path, "w") as f:
        f.write(r.stdout)
    return path, r


def result(r):
    """What the probe in the container printed: its last JSON line."""
    lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
    check(lines, "the container ran the probe: " + r.stdout + r.stderr)
    return json.loads(lines[-1])
