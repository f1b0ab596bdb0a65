import os
import unittest

from nonet_pybuild_demo import echo_once


class Loopback(unittest.TestCase):
    def test_echo(self):
        for host in ("127.0.0.1", "::1"):
            self.assertEqual(echo_once(host, b"ping " + host.encode()), b"ping " + host.encode())
            # what the suite looks for in the build log: the test ran, and passed
            print(f"NONET-DEMO-ECHO {host} ok", flush=True)


if __name__ == "__main__":
    unittest.main()
