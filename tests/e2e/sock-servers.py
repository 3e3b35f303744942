#!/usr/bin/env python3
# The host's servers for tests/e2e/run-sock.sh, all on the host's loopback,
# each on a port the kernel picks: an HTTP file server (DIR), a TCP echo, a
# second TCP echo (the destination the policy denies), a UDP echo and a TCP
# echo on ::1 (port 0 when the host has no IPv6 loopback). Prints
# "http N echo N deny N udp N echo6 N" once all listen, then serves until
# killed.
import http.server
import socket
import socketserver
import sys
import threading
from functools import partial


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            self.request.sendall(data)


class UdpEcho(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        sock.sendto(data, self.client_address)


class Tcp(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


class Tcp6(Tcp):
    address_family = socket.AF_INET6


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    www = sys.argv[1]
    servers = {
        "http": http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=www)),
        "echo": Tcp(("127.0.0.1", 0), Echo),
        "deny": Tcp(("127.0.0.1", 0), Echo),
        "udp": socketserver.UDPServer(("127.0.0.1", 0), UdpEcho),
    }
    try:
        servers["echo6"] = Tcp6(("::1", 0), Echo)
    except OSError:
        servers["echo6"] = None
    for s in servers.values():
        if s:
            threading.Thread(target=s.serve_forever, daemon=True).start()
    print(" ".join("%s %d" % (k, s.server_address[1] if s else 0) for k, s in servers.items()), flush=True)
    threading.Event().wait()


main()
