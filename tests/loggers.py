# SPDX-License-Identifier: LGPL-2.1-or-later
"""The far side in the brokers' tests (test-brokers.py, test-brokers-bus.py): servers on 127.0.0.1
(of the test's own network namespace, where it has one) that log what a daemon sends them for a
restricted session and answer enough for the daemon to go on. Each serves from daemon threads;
close() stops it."""

import socket
import struct
import threading
import time

from nonettest import IN_CI, Skip


def within(wait, cond):
    """Whether cond() comes true within wait seconds."""
    end = time.monotonic() + wait
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def bind(sock, address, what):
    """sock bound to address, once the last test's logger has let go of it (up to 2 s); where it
    does not, the test cannot be made: an AssertionError in CI, else a skip."""
    for _ in range(20):
        try:
            sock.bind(address)
            return
        except OSError as e:
            error = e
            time.sleep(0.1)
    sock.close()
    why = f"{address[0]}:{address[1]} is taken ({error.strerror}): the {what} needs it"
    if IN_CI:
        raise AssertionError(why + " in CI")
    raise Skip(why)


def wake(sock):
    """Wake the thread blocked in accept() or recvfrom() on sock: closing alone would not."""
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class DnsLogger:
    """A DNS server on 127.0.0.1:53, or with mdns an mDNS listener on lo (224.0.0.251:5353, beside
    avahi's own socket): logs each name asked (.names); answers A queries with the address answer,
    or nothing without one (the query leaving is the leak)."""

    def __init__(self, mdns=False, answer=None):
        self.answer = answer
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if mdns:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            bind(self.sock, ("", 5353), "mDNS logger")
            self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                                 socket.inet_aton("224.0.0.251") + socket.inet_aton("127.0.0.1"))
        else:
            bind(self.sock, ("127.0.0.1", 53), "DNS logger")
        self.names = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                query, peer = self.sock.recvfrom(512)
            except OSError:
                return
            if not query:
                return  # shut down
            labels, i = [], 12
            while i < len(query) and query[i]:
                labels.append(query[i + 1:i + 1 + query[i]].decode(errors="replace"))
                i += 1 + query[i]
            self.names.append(".".join(labels))
            if self.answer:
                self.sock.sendto(self._reply(query, i), peer)

    def _reply(self, query, end):
        """The reply to query, whose name ends at end: the address for an A query, else no record."""
        question = query[12:end + 5]
        qtype = int.from_bytes(query[end + 1:end + 3], "big")
        record = b""
        if qtype == 1:  # A: the name (a pointer to the question's), IN, 60 s, the address
            record = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + socket.inet_aton(self.answer)
        header = query[:2] + b"\x81\x80\x00\x01" + (b"\x00\x01" if record else b"\x00\x00") + b"\x00\x00\x00\x00"
        return header + question + record

    def got(self, name, wait=3.0):
        return within(wait, lambda: name in self.names)

    def close(self):
        wake(self.sock)  # its recvfrom() holds the socket, and port 53, until it returns
        self.thread.join(5)
        self.sock.close()


class TcpLogger:
    """A TCP listener on 127.0.0.1:port (0: a free one, then .port): logs what each connection
    sends first (.received). Subclasses answer: handle() has each connection."""
    timeout = 2  # how long a connection may be silent

    def __init__(self, port=0):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        bind(self.sock, ("127.0.0.1", port), "logger")
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.received = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c = self.sock.accept()[0]
            except OSError:
                return
            threading.Thread(target=self._connection, args=(c,), daemon=True).start()

    def _connection(self, c):
        with c:
            c.settimeout(self.timeout)
            try:
                self.handle(c)
            except (OSError, ValueError):
                pass

    def handle(self, c):
        try:
            self.received.append(c.recv(256))
        except OSError:
            self.received.append(b"")

    def got_any(self, wait=5.0):
        return within(wait, lambda: bool(self.received))

    def close(self):
        wake(self.sock)
        self.sock.close()


class HttpLogger(TcpLogger):
    """An HTTP server: logs each request's line (.requests) and path (.paths); answers 200 with the
    bytes answer (what comes back in), or 404 without, and closes."""
    timeout = 5
    keep_alive = False

    def __init__(self, port=0, answer=None):
        self.answer = answer
        self.requests, self.paths = [], []
        super().__init__(port)

    def handle(self, c):
        with c.makefile("rb") as f:
            for line in iter(f.readline, b""):
                request = line.decode(errors="replace").rstrip("\r\n")
                self.requests.append(request)
                method, path = (request.split() + ["", ""])[:2]
                self.paths.append(path)
                headers = {}
                for h in iter(f.readline, b""):
                    if h in (b"\r\n", b"\n"):
                        break
                    k, _, v = h.decode().partition(":")
                    headers[k.strip().lower()] = v.strip()
                c.sendall(self.respond(method, headers, f))
                if not self.keep_alive:
                    return

    def respond(self, method, headers, f):
        if self.answer is None:
            return b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        return b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % len(self.answer) + \
            (self.answer if method != "HEAD" else b"")

    def got(self, path, wait=5.0):
        return within(wait, lambda: path in self.paths)


class IppLogger(HttpLogger):
    """An IPP printer on 127.0.0.1:8631: answers each request successful-ok (the printer idle, a job
    completed) and keeps the bodies (.bodies), where a document's bytes arrive."""
    timeout = None  # cupsd's backend keeps its connection
    keep_alive = True

    def __init__(self):
        self.bodies = []
        super().__init__(8631)

    def respond(self, method, headers, f):
        body = b""
        if headers.get("transfer-encoding") == "chunked":
            for n in iter(lambda: int(f.readline().strip() or b"0", 16), 0):
                body += f.read(n)
                f.readline()
            f.readline()
        else:
            body = f.read(int(headers.get("content-length", 0)))
        self.bodies.append(body)
        return self._response(body)

    @staticmethod
    def _attr(tag, name, value):
        return bytes([tag]) + struct.pack(">H", len(name)) + name.encode() + struct.pack(">H", len(value)) + value

    def _response(self, body):
        op = struct.unpack(">H", body[2:4])[0] if len(body) >= 8 else 0
        a, i = self._attr, lambda v: struct.pack(">i", v)
        resp = b"\x02\x00\x00\x00" + (body[4:8] if len(body) >= 8 else b"\0\0\0\1") + b"\x01" + \
            a(0x47, "attributes-charset", b"utf-8") + a(0x48, "attributes-natural-language", b"en")
        if op == 0x0b:  # Get-Printer-Attributes: idle, accepting, Print-Job among its operations
            resp += b"\x04" + a(0x23, "printer-state", i(3)) + a(0x22, "printer-is-accepting-jobs", b"\x01") + \
                a(0x49, "document-format-supported", b"application/octet-stream") + \
                a(0x23, "operations-supported", i(2)) + a(0x23, "", i(4)) + a(0x23, "", i(9)) + a(0x23, "", i(0x0b))
        elif op in (2, 9):  # Print-Job, Get-Job-Attributes: job 7, completed
            resp += b"\x02" + a(0x21, "job-id", i(7)) + a(0x23, "job-state", i(9))
        resp += b"\x03"
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/ipp\r\nContent-Length: %d\r\n\r\n" % len(resp) + resp

    def got(self, data, wait=15.0):
        return within(wait, lambda: any(data in b for b in self.bodies))
