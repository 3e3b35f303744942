#!/usr/bin/env python3
"""Host peer of the virtio-serial reference in `make bench`: listens on a
Unix socket that QEMU connects to as the guest's "bench" port.
Commands from the guest: 'E' + u64 n: echo n single bytes;
'S' + u64 len: swallow len bytes, then answer one byte;
'R' + u64 len: send len zero bytes."""
import socket, struct, sys

path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
conn, _ = srv.accept()

def take(n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            sys.exit(0)
        buf += chunk
    return buf

while True:
    op, n = struct.unpack("<cQ", take(9))
    if op == b"E":
        for _ in range(n):
            conn.sendall(take(1))
    elif op == b"S":
        left = n
        while left:
            chunk = conn.recv(min(left, 1 << 20))
            if not chunk:
                sys.exit(0)
            left -= len(chunk)
        conn.sendall(b"K")
    elif op == b"R":
        block = bytes(1 << 16)
        left = n
        while left:
            k = min(left, len(block))
            conn.sendall(block[:k])
            left -= k
