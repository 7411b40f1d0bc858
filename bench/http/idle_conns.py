#!/usr/bin/env python3
"""Memory per idle keep-alive connection of an HTTP server.

Usage: idle_conns.py HOST PORT PATH N PID [PID...]

Opens N connections to HOST:PORT, sends one keep-alive GET for PATH on
each and reads the whole response, so every connection is in the state a
browser leaves it in between requests (served once, now idle).  Then it
waits a moment and reads VmRSS of the server's processes (summed over the
PIDs given: labnet-httpd's one process, or nginx's master and workers)
before and after.  Prints one line of key=value pairs:

  conns=N open=M rss_before_kb=A rss_after_kb=B per_conn_bytes=C

open counts connections still open (not closed by the server) at the
second RSS reading; it should equal N.
"""
import resource
import socket
import sys
import time


def rss_kb(pids):
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def read_response(s):
    """Reads one HTTP/1.1 response with a Content-Length; returns status."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed before response head")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("closed inside response body")
        body += chunk
    return status


def still_open(s):
    """True if the peer has not closed s (no EOF, no error pending)."""
    s.setblocking(False)
    try:
        data = s.recv(1)
        return data != b""  # b"" is EOF; unexpected bytes count as open
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)


def main():
    host, port, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    pids = [int(p) for p in sys.argv[5:]]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1024), hard))

    req = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode()
    time.sleep(0.5)
    before = rss_kb(pids)
    socks = []
    for _ in range(n):
        s = socket.create_connection((host, port))
        s.sendall(req)
        status = read_response(s)
        if status != 200:
            raise SystemExit(f"unexpected status {status}")
        socks.append(s)
    time.sleep(1.0)  # let the server settle (timers, freed buffers)
    after = rss_kb(pids)
    n_open = sum(1 for s in socks if still_open(s))
    for s in socks:
        s.close()
    per = (after - before) * 1024 / n if n else 0
    print(f"conns={n} open={n_open} rss_before_kb={before} rss_after_kb={after} "
          f"per_conn_bytes={per:.0f}")


if __name__ == "__main__":
    main()
