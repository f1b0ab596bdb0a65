"""An echo server and its client, for nonet's tests."""

import socket
import threading


def echo_once(host, payload):
    """Start a server on host, send payload to it, return what came back."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as srv:
        srv.bind((host, 0))
        srv.listen(1)

        def serve():
            conn, _ = srv.accept()
            with conn:
                conn.sendall(conn.recv(1024))

        t = threading.Thread(target=serve)
        t.start()
        with socket.create_connection(srv.getsockname()[:2], timeout=10) as c:
            c.sendall(payload)
            got = c.recv(1024)
        t.join()
    return got


def main():
    print("nonet-pybuild-demo 1.0")
