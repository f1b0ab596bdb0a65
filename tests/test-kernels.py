#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The kernel matrix: the contract on Debian's own kernels, each booted under qemu.

Debian 12's 6.1, Debian 13's 6.12 and sid's newest (fetched by tests/kernels/fetch-kernels
with a private apt configuration, cached in $NONET_KERNEL_CACHE) boot with a small
initramfs that mounts this machine's root read-only over virtio-9p and runs
tests/kernels/guest.py, which prints each row's verdict on the serial console. Each
kernel's verdicts must be what its Landlock ABI gives (the README's kernel table)."""

import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import resolvedpkg  # noqa: E402
from nonettest import BUILD, IN_CI, ROOT, SOURCE, Skip, check, main, test  # noqa: E402

EPERM, EIO, EACCES, EINVAL, ENOSYS, EAFNOSUPPORT, ENOKEY = 1, 5, 13, 22, 38, 97, 126
KERNELS = os.path.join(SOURCE, "tests", "kernels")
# The ABI each Debian kernel has: a kernel that changes it should say so here.
KNOWN_ABI = {"6.1.": 2, "6.12.": 6, "7.2.": 10}


def expected(abi, tiocsti_allowed, ia32, listen_control, resolved=True):
    """The README's kernel table, as verdicts. ia32: whether the kernel runs int 0x80 (booted
    with ia32_emulation=off it faults, -11, restricted or not); listen_control: what listen()
    after connect(AF_UNSPEC) gives unrestricted (0 where the residual exists, EINVAL where the
    kernel refuses it itself); resolved: whether systemd-resolved's package is there (resolvedpkg)."""
    return {
        "ia32": 0 if ia32 else -11,
        "int80_control": 0 if ia32 else -11,
        "rows": ",".join(["ptrace"] + [r for r, since in (("tcp", 4), ("udp", 10), ("threads", 8),
                                                          ("no-abstract", 6), ("listed", 9)) if abi >= since]),
        "inet": EAFNOSUPPORT,
        "off_inet": EAFNOSUPPORT,
        "require": 0 if abi >= 4 else 125,
        "io_uring": ENOSYS,
        "int80": EAFNOSUPPORT if ia32 else -11,
        # an inherited unconnected TCP socket could listen(): nothing runs; accepted, Landlock polices it
        "tcp_inherited": 125,
        "tcp_inherited_accept": EACCES if abi >= 4 else 0,
        "udp_inherited": EACCES if abi >= 10 else 125,
        "udp_inherited_accept": EACCES if abi >= 10 else 0,
        "mptcp_inherited": 125,
        # a thread started before nonet_restrict() (which accepts the held socket): Landlock
        # reaches it from ABI 8
        "thread_before": EACCES if abi >= 8 else 0,
        # a held connected TCP socket, disconnected: connect() and Fast Open's sendto() elsewhere
        # are refused where Landlock polices TCP; without it the socket is a door: nothing runs
        "reaim_connect_control": 0,
        "reaim_connect": EACCES if abi >= 4 else 125,
        "reaim_fastopen_control": 0,
        "reaim_fastopen": EPERM if abi >= 4 else 125,
        # the residual: never wider nor narrower than the control where Landlock lets it run
        "reaim_listen": listen_control if abi >= 4 else 125,
        "udp_connected": 0 if abi >= 10 else 125,
        # NONET_INHERITED_EXEC (spank_nonet): a close-on-exec connection is not judged; its
        # control, kept across exec, is a door where Landlock does not police TCP
        "exec_held_cloexec": EAFNOSUPPORT,
        "exec_held_kept": EAFNOSUPPORT if abi >= 4 else 125,
        # the OCI profile as runc compiles it, alone and merged; Debian's profile is the control
        "oci_alone_inet": EAFNOSUPPORT,
        "oci_alone_unix": 0,
        "oci_merged_inet": EAFNOSUPPORT,
        "oci_merged_unix": 0,
        "oci_base_inet": 0,
        "oci_base_unix": 0,
        # --log: Landlock's records of the executed command's refusals (ABI 7), none without it
        "landlock_nolog": 0,
        "landlock_log": 1 if abi >= 7 else 0,
        # devices, rings, the keyring: the same on every kernel
        "tun_control": 0,
        "tun": EPERM,
        "ring_control": 0,
        "ring_held": 125,
        "request_key_control": ENOKEY,
        "request_key": EPERM,
        # RDMA (soft-RoCE): a held verbs or rdma_cm descriptor runs nothing; the verbs' ioctl refused
        "rdma_verbs_held_control": 0,
        "rdma_verbs_held": 125,
        "rdma_cm_held_control": 0,
        "rdma_cm_held": 125,
        "rdma_ioctl_control": "kernel",
        "rdma_ioctl": EPERM,
        "macvtap_control": 0,
        "macvtap_held": 125,
        "dns_control": 1,
        "dns_restricted": f"{EPERM},0",
        "abstract": 0,
        "noabs_abstract": EPERM if abi >= 6 else 125,
        # listed (ABI 9): only the listed named sockets outside, and the sandbox's own
        "listed_listed": 0 if abi >= 9 else 125,
        "listed_unlisted": EACCES if abi >= 9 else 125,
        "listed_inside": 0 if abi >= 9 else 125,
        "listed_abstract": EPERM if abi >= 9 else 125,
        "ptrace": EPERM,
        "tiocsti_control": 0 if tiocsti_allowed else EIO,
        "tiocsti": EPERM,
        "pam_inet": EAFNOSUPPORT,
        # issue 36: files move between directories (mv renames, it does not copy), on every kernel
        **{f"realwork_{name}{suffix}": "renamed" if name == "mv" else 0
           for name in ("mv", "rename", "link") for suffix in ("_control", "", "_loopback")},
        # issue 36: a Debian package whose test talks to 127.0.0.1 and ::1, built by nobody under
        # --private-loopback (a user namespace: the guest's root is a real root); with nocheck
        # under plain nonet-exec where that domain handles a filesystem right (ABI 2-3); once a
        # kernel, not again when 6.12 boots with ia32_emulation=off
        **{f"pkg_{name}": "0,tests,renamed,same" for name in ("control", "loopback") if ia32},
        **({f"pkg_nocheck_{name}": "0,notests,renamed,same" for name in ("control", "plain")} if abi <= 3 else {}),
        # issue 33: a socket sent on a held unix socket, not yet received (as nobody), and root's ways
        # back from a private loopback; "status,reached": each control reaches the VM's listener
        "inflight_walk": "ok",
        "inflight_udp_control": "0,1",
        "inflight_udp": f"{EACCES},0" if abi >= 10 else "125,0",
        "inflight_tcp_control": "0,1",
        "inflight_tcp": "125,0",
        "netns_sockns_control": "0,1",
        "netns_sockns": f"{EPERM},0",
        "netns_held_control": "0,1",
        "netns_held": "125,0",
        "netns_held_accept": f"{EPERM},0",
        "netns_pidfd_control": "0,1",
        "netns_pidfd": f"{EPERM},0",
        # Landlock's ptrace scope refuses that one too (ABI 2); without Landlock, seccomp alone
        "netns_pidfd_nolandlock": f"{EPERM},0",
        # nothing but the network (tests/test-differential.py): the corpus' differences that no
        # README row allows, under each mode; its control shows what the corpus can tell
        "diff_control": "ok",
        "diff_plain": "none",
        "diff_private_loopback": "none",
        "diff_no_abstract": "none" if abi >= 6 else "unavailable",
        "diff_unix_listed": "none" if abi >= 9 else "unavailable",
        # issue 38: --brokers=closed beside open, as nobody and as root ("_root"): the real nscd's
        # "status,left,answered" for getent hosts (a DNS logger on the VM's 127.0.0.1 behind it),
        # connect() to its socket, an X11-like socket elsewhere, /dev/log through logger; the mask
        # undone ("umount,nested unshare -Urm umount,nscd's socket after": not even root, the Landlock
        # domain handling a filesystem right, which refuses umount); another of nobody's processes'
        # /proc/PID/root, closed by Landlock's ptrace scope
        **{f"brokers_{what}_{brokers}{who}": value for who in ("", "_root") for what, brokers, value in (
            ("nscd", "open", "0,1,1"), ("nscd", "closed", "2,0,0" if abi >= 2 else "125,0,0"),
            ("socket", "open", "connected"), ("socket", "closed", "ENOENT" if abi >= 2 else "none"),
            ("x11", "open", "connected"), ("x11", "closed", "connected" if abi >= 2 else "none"),
            ("devlog", "open", 1), ("devlog", "closed", 1 if abi >= 2 else 0))},
        "brokers_undo": "fail,fail,ENOENT" if abi >= 2 else "none",
        "brokers_undo_root": "fail,fail,ENOENT" if abi >= 2 else "none",
        "brokers_proc_root_control": "connected",
        "brokers_proc_root_nolandlock": "connected",
        "brokers_proc_root_closed": "EACCES" if abi >= 2 else "none",
        # the other brokers, real, as nobody under nonet-exec and through a login the table restricts
        # (Brokers= in the settings): dirmngr and PulseAudio started outside as nobody (gpg
        # --fetch-keys, pactl's module-tunnel-sink), cupsd's ipp:// queue (lp), avahi's socket (a
        # .local name: mDNS on lo), gvfs on nobody's session bus (gio cat http://), an ssh
        # ControlMaster opened before (ssh -S CTL: a root shell writes a marker); open reaches the
        # VM's own logger, closed nothing
        **{f"brokers_{broker}_{login}{brokers}": "reached" if brokers == "open" else "nothing" if abi >= 2 else "none"
           for broker in ("dirmngr", "cups", "pulse", "avahi", "gvfs", "sshcm") for login in ("", "login_")
           for brokers in ("open", "closed")},
        # systemd-resolved 252 (unpacked, on a system bus of the guest's own): its varlink socket,
        # resolvectl query and dbus-send over D-Bus; a closed login is refused until the table's D-Bus
        # policy is written (pam_nonet), then reaches nothing ("login_policy"). With resolved's masks and
        # bus name taken out of libnonet, each closed row reads "reached" (6.1) but resolvectl's under
        # nonet-exec: xdg-dbus-proxy 0.1.4 drops sd-bus's connections, so dbus-send's row shows the filter
        **({f"brokers_resolved_{kind}_{way}": "reached" if way.endswith("open") else "none"
            if way == "login_closed" or abi < 2 else "nothing"
            for kind in ("varlink", "resolvectl", "dbussend")
            for way in ("open", "closed", "login_open", "login_closed", "login_policy")}
           if resolved else {}),
        "done": 0,
    }


class Matrix:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="nonet-kernels-")
        os.chmod(self.work, 0o755)
        os.makedirs(os.path.join(self.work, "pam.d"))
        module = os.path.join(BUILD, "pam_nonet", "pam_nonet.so")
        table = os.path.join(self.work, "nonet.conf")
        with open(table, "w") as f:
            f.write("nobody hard network off\n")
        with open(os.path.join(self.work, "pam.d", "nonet-test"), "w") as f:
            f.write(f"account required pam_permit.so\naccount required {module} conf={table}\n"
                    f"session required pam_permit.so\nsession required {module} conf={table}\n")
        self.run_script = os.path.join(self.work, "run")
        with open(self.run_script, "w") as f:
            f.write(f"#!/bin/sh\nexec /usr/bin/python3 {KERNELS}/guest.py {BUILD} {self.work}\n")
        os.chmod(self.run_script, 0o755)

    def kernels(self):
        # NONET_KERNEL_SUITES="bookworm" boots one while iterating; all three by default
        suites = os.environ.get("NONET_KERNEL_SUITES", "").split()
        r = subprocess.run([os.path.join(KERNELS, "fetch-kernels")] + suites, stdout=subprocess.PIPE, text=True,
                           timeout=900)
        if r.returncode != 0:
            raise AssertionError("fetch-kernels failed")
        return [line.split() for line in r.stdout.splitlines()]

    def boot(self, version, vmlinuz, modules, cmdline=""):
        initrd = os.path.join(self.work, f"initrd-{version}.img")
        subprocess.run([os.path.join(KERNELS, "make-initramfs"), modules, initrd], check=True)
        cmd = ["qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "1024", "-smp", "2", "-nographic",
               "-no-reboot", "-kernel", vmlinuz, "-initrd", initrd,
               "-append", f"console=ttyS0 panic=-1 quiet audit=1 {cmdline} nonet.run={self.run_script}",
               "-virtfs", "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap"]
        try:
            out = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 timeout=600).stdout
        except subprocess.TimeoutExpired as e:  # the rows so far and the console's end say where it was
            out = (e.output or b"") + b"\nNONET-VM: killed after 600 s\n"
        console = out.decode(errors="replace")
        if os.environ.get("NONET_KERNEL_CONSOLE"):  # a directory: each boot's whole console, while iterating
            with open(os.path.join(os.environ["NONET_KERNEL_CONSOLE"], f"{version}{cmdline}.log"), "w") as f:
                f.write(console)
        rows = {}
        for line in console.splitlines():
            if line.startswith("ROW "):
                _, name, value = line.split(maxsplit=2)
                rows[name] = value.strip()
            elif line.startswith("# "):  # the guest's own account of a failure (a build's log)
                print(line.rstrip())
        if "NONET-VM-END 0" not in console:
            print("# " + "\n# ".join(console.splitlines()[-30:]))
        return rows

    def cleanup(self):
        shutil.rmtree(self.work, ignore_errors=True)


M = None
RESOLVED = True  # systemd-resolved's package in resolvedpkg.CACHE, for the guest to unpack


def kernel_test(suite, version, vmlinuz, modules, cmdline=""):
    def run_kernel():
        rows = M.boot(version, vmlinuz, modules, cmdline)
        print(f"# {version} {cmdline}: {rows}")
        check("done" in rows, f"{version}: the guest suite ran to its end")
        abi = int(rows["abi"])
        for prefix, want in KNOWN_ABI.items():
            if version.startswith(prefix):
                check(abi == want, f"{version}: Landlock ABI {abi}, expected {want}")
        listen = int(rows["reaim_listen_control"])
        check(listen in (0, EINVAL), f"{version}: listen() after connect(AF_UNSPEC), unrestricted: {listen}")
        print(f"# {version}: listen() after connect(AF_UNSPEC) " +
              ("works unrestricted: the residual exists here" if listen == 0 else "is refused by the kernel itself"))
        want = expected(abi, rows["legacy_tiocsti"] in ("1", "none"), "ia32_emulation=off" not in cmdline, listen,
                        RESOLVED)
        wrong = {k: (rows.get(k), v) for k, v in want.items() if rows.get(k) != str(v)
                 and not (k == "mptcp_inherited" and rows.get(k) == "unavailable")}
        check(not wrong, f"{version} (Landlock ABI {abi}): (got, expected) {wrong}")
    run_kernel.__name__ = f"{suite}_{version}" + ("_" + cmdline.replace("=", "_") if cmdline else "")
    return run_kernel


if __name__ == "__main__":
    if not ROOT or not shutil.which("qemu-system-x86_64"):
        if IN_CI:
            print("not ok 1 - the kernel matrix needs root and qemu in CI\n1..1")
            sys.exit(1)
        print("1..0 # SKIP needs root and qemu-system-x86_64")
        sys.exit(0)
    M = Matrix()
    try:
        resolvedpkg.package(fetch=True)  # in CI, none fails the suite
    except Skip as e:
        print(f"# {e}: its rows are not asked for")
        RESOLVED = False
    except AssertionError as e:
        missing = str(e)

        def resolved_package():
            raise AssertionError(missing)
        test(resolved_package)
    try:
        for suite, version, vmlinuz, modules in M.kernels():
            test(kernel_test(suite, version, vmlinuz, modules))
            # clouds and hardened images boot without the 32-bit entry (6.7 and later take the switch)
            if suite == "trixie":
                test(kernel_test(suite, version, vmlinuz, modules, "ia32_emulation=off"))
    except Exception as e:  # no kernels: one failing test says why
        why = str(e)  # Python unbinds e when the except block ends

        def fetch():
            raise AssertionError(f"cannot fetch the kernels: {why}")
        test(fetch)
    main(M.cleanup)
