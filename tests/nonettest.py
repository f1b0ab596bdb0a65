# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the integration tests: TAP output, users, the built programs."""

import grp
import os
import pty
import pwd
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

BUILD = os.environ.get("NONET_BUILD", os.path.join(os.path.dirname(__file__), "..", "build"))
SOURCE = os.environ.get("NONET_SOURCE", os.path.join(os.path.dirname(__file__), ".."))
IN_CI = bool(os.environ.get("CI"))
ROOT = os.geteuid() == 0

EPERM, EACCES, EINVAL, ENOSYS, EAFNOSUPPORT = 1, 13, 22, 38, 97


class Skip(Exception):
    pass


def require_root(why):
    """Tests that need root run in CI (which is root) and skip only outside it."""
    if not ROOT:
        if IN_CI:
            raise AssertionError("needs root in CI: " + why)
        raise Skip("needs root: " + why)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def check_eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, expected {want!r}")


_tests = []


def test(fn):
    _tests.append(fn)
    return fn


def main(*cleanups):
    """Run the tests as TAP, then each cleanup, and exit 1 if any test failed."""
    try:
        _run_all()
    finally:
        for cleanup in cleanups:
            cleanup()


def _run_all():
    failed = 0
    for n, fn in enumerate(_tests, 1):
        name = fn.__name__
        try:
            fn()
            print(f"ok {n} - {name}", flush=True)
        except Skip as e:
            print(f"ok {n} - {name} # SKIP {e}", flush=True)
        except Exception:
            failed += 1
            for line in traceback.format_exc().splitlines():
                print("# " + line)
            print(f"not ok {n} - {name}", flush=True)
    print(f"1..{len(_tests)}")
    sys.exit(1 if failed else 0)


def reply_server(text):
    """A listener on 127.0.0.1 answering every GET with text: what a client in a test reaches,
    or does not. Returns its port."""
    import http.server
    import threading

    class Reply(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(text.encode() + b"\n")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Reply)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def hello_server():
    """A TCP server on 127.0.0.1 that says hello to each connection, serving from a thread: the
    server (.server_address, .shutdown())."""
    import socketserver
    import threading

    class Hello(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.sendall(b"hello")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Hello)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def hello_client(port):
    """Python that prints what the hello server on port says, for python3 -c: "hello", or it fails."""
    return f"import socket; print(socket.create_connection(('127.0.0.1', {port}), timeout=5).recv(5).decode())"


def unix_listener(path, mode=0o666, backlog=8):
    """A unix socket listening at path (its directory made), which mode lets other users reach."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    os.chmod(path, mode)
    s.listen(backlog)
    return s


class Programs:
    """Copies of the built programs in a directory any user can reach."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="nonet-test-")
        os.chmod(self.dir, 0o755)
        for rel in ("nonet-exec/nonet-exec", "nonet-exec/nonet-exec-table", "tests/probe", "tests/fake-kernel"):
            shutil.copy2(os.path.join(BUILD, rel), self.dir)
        self.nonet_exec = os.path.join(self.dir, "nonet-exec")
        self.probe = os.path.join(self.dir, "probe")
        self.fake_kernel = os.path.join(self.dir, "fake-kernel")

    def writable(self, name):
        """A path in a directory the unprivileged user may write."""
        d = os.path.join(self.dir, "rw")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o1777)
        return os.path.join(d, name)

    def path(self, name):
        return os.path.join(self.dir, name)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def legacy_tiocsti():
    """Whether this kernel lets an unprivileged process use TIOCSTI (6.1 has no switch: always)."""
    path = "/proc/sys/dev/tty/legacy_tiocsti"
    return not os.path.exists(path) or open(path).read().strip() == "1"


_facts = None


def kernel_facts():
    """What this kernel gives that the tests depend on, asked of the kernel itself (the probe
    runs each entry point unrestricted). Returns a dict; print_kernel_facts() says it."""
    global _facts
    if _facts is not None:
        return _facts
    import ctypes
    probe = os.path.join(BUILD, "tests", "probe")
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(444, None, 0, 1)  # landlock_create_ruleset(NULL, 0, VERSION)
    status = open("/proc/self/status").read()

    def probe_status(*args):
        return subprocess.run([probe] + list(args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode

    userns = subprocess.run(as_user(["unshare", "--user", "true"]), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode == 0
    _facts = {
        "kernel": os.uname().release,
        "seccomp_filter": "Seccomp_filters:" in status,
        "landlock_abi": abi if abi > 0 else -ctypes.get_errno(),
        # off: a kernel without IA32_EMULATION or booted with ia32_emulation=off faults (SIGSEGV)
        "ia32": probe_status("int80-getpid") == 0,
        "x32": probe_status("x32-socket", "unix") == 0,
        "userns": userns,
        "legacy_tiocsti": legacy_tiocsti(),
    }
    return _facts


def print_kernel_facts():
    f = kernel_facts()
    abi = f["landlock_abi"]
    print(f"# kernel {f['kernel']}: seccomp filters {'yes' if f['seccomp_filter'] else 'NO'}, "
          f"Landlock ABI {abi if abi > 0 else 'none (' + os.strerror(-abi) + ')'}, "
          f"IA-32 entry {'on' if f['ia32'] else 'off'}, x32 entry {'on' if f['x32'] else 'off'}, "
          f"unprivileged user namespaces {'yes' if f['userns'] else 'no'}, "
          f"legacy TIOCSTI {'yes' if f['legacy_tiocsti'] else 'no'}", flush=True)


def unprivileged_ids():
    """The user the tests run restricted programs as: nobody when root, else ourselves."""
    if ROOT:
        return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    return os.getuid(), os.getgid()


def as_user(cmd, uid=None, gid=None):
    if not ROOT:
        return list(cmd)
    if uid is None:
        uid, gid = unprivileged_ids()
    return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"] + list(cmd)


def run(cmd, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 60)
    return subprocess.run(cmd, **kw)


def stop(proc, wait=10):
    """Stop a process the test started, by its pid: SIGTERM, then SIGKILL where it has not gone within
    wait seconds. Whether it needed SIGKILL."""
    proc.terminate()
    try:
        proc.wait(timeout=wait)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return True


def private_network():
    """This process into a network namespace of its own, lo alone and up: what the test's daemons
    reach there is the test's. Call it before any thread (a thread keeps the namespace it has)."""
    import ctypes
    if ctypes.CDLL(None, use_errno=True).unshare(0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)


def die_with_parent():
    """As a child's preexec_fn: it is killed when the test ends, however it ends (PR_SET_PDEATHSIG)."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)


class Daemon:
    """A daemon of the test's, in the foreground, stopped by its pid however the test ends (stop_all()
    in the suite's cleanup, or die_with_parent). Its output goes to log (a path; a file of its own
    without); not up by ready() within wait seconds: an AssertionError with the log's end. stdin:
    bytes it reads, else nothing."""
    running = []

    def __init__(self, cmd, ready, log=None, wait=15, stdin=None, **popen):
        self.log = open(log, "w+") if log else tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log, preexec_fn=die_with_parent,
                                     stdin=subprocess.PIPE if stdin else subprocess.DEVNULL, **popen)
        if stdin:
            self.proc.stdin.write(stdin)
            self.proc.stdin.close()
        Daemon.running.append(self)
        end = time.monotonic() + wait
        while time.monotonic() < end and self.proc.poll() is None and not ready():
            time.sleep(0.05)
        if self.proc.poll() is None and ready():
            return
        self.log.seek(0)
        said = self.log.read()[-2000:]
        self.stop()
        raise AssertionError(f"{cmd[0]} is not up: {said}")

    def stop(self):
        if self in Daemon.running:
            Daemon.running.remove(self)
        stop(self.proc)
        self.log.close()

    @staticmethod
    def stop_all():
        for d in list(Daemon.running):
            d.stop()


def in_terminal(argv, steps, env=None, size=(24, 80)):
    """Run argv on a new pseudo-terminal (its controlling terminal) and type into it, as a
    person would: steps are (text, wait_for) pairs, wait_for a string expected in the output
    before the next step, or None. Returns everything the terminal showed."""
    import fcntl
    import struct
    import termios
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(env or {})
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    out = b""

    def pump(seconds):
        nonlocal out
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    out += os.read(fd, 65536)
                except OSError:  # the other side closed
                    return False
        return True

    for text, wait_for in steps:
        os.write(fd, text.encode())
        deadline = time.monotonic() + 20
        while wait_for and wait_for.encode() not in out and time.monotonic() < deadline:
            if not pump(0.1):
                break
        pump(0.3)
    deadline = time.monotonic() + 20
    while pump(0.1):  # until the terminal closes
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            break
    os.waitpid(pid, 0)
    os.close(fd)
    return out.decode(errors="replace")


# Pushes its argument and a newline into its terminal's input queue, as typed (TIOCSTI).
INJECT = """import fcntl, sys, termios
try:
    for c in sys.argv[1] + "\\n":
        fcntl.ioctl(0, termios.TIOCSTI, c.encode())
    print("INJECT-PUSHED", flush=True)
except OSError as e:
    print(f"INJECT-REFUSED errno {e.errno}", flush=True)
"""


class KernelLog:
    """What the kernel logs from now on (/dev/kmsg; root). seccomp's records are audit
    type 1326, printed when no audit daemon runs, and rate-limited by the kernel."""

    def __init__(self):
        self.fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.fd, 0, os.SEEK_END)

    def seccomp_records(self, comm, wait=3.0):
        """The type=1326 records of processes named comm, waiting up to wait seconds for one."""
        found, deadline = [], time.monotonic() + wait
        while time.monotonic() < deadline and not found:
            try:
                line = os.read(self.fd, 8192).decode(errors="replace")
            except BlockingIOError:
                time.sleep(0.05)
                continue
            except BrokenPipeError:  # overwritten while we read: go on with the next
                continue
            if "type=1326" in line and f'comm="{comm}"' in line:
                found.append(line.split(";", 1)[-1].strip())
        return found

    def close(self):
        os.close(self.fd)


if __name__ == "__main__":  # tools/test: what the kernel gives, before the suites
    print_kernel_facts()
