"""pipe.throughput: one-way Connection.send_bytes -> recv_bytes, parent -> child; bytes/s.

A child process (the default start method, started once per measurement, outside the
timing) receives messages with recv_bytes and counts their bytes; an empty message ends a
batch, and the child sends the count back; a one-byte message stops it. A run is one batch, timed from the first send
to the count's arrival, and checks the count. Metrics `64B` (100k messages of 64 bytes a
run) and `1MiB` (500 messages of 1 MiB), in bytes/s (msgs/s = bytes/s / size).
"""

import multiprocessing
import time

import _bench

SCENARIO = "pipe.throughput"


def sink(conn):
    total = 0
    while True:
        msg = conn.recv_bytes()
        if not msg:
            conn.send(total)
            total = 0
        elif len(msg) == 1:
            break
        else:
            total += len(msg)


def batch(conn, payload, n):
    start = time.perf_counter()
    for _ in range(n):
        conn.send_bytes(payload)
    conn.send_bytes(b"")
    total = conn.recv()
    elapsed = time.perf_counter() - start
    assert total == n * len(payload), (total, n, len(payload))
    return elapsed


def measure(metric, size, n):
    parent, child = multiprocessing.Pipe()
    p = multiprocessing.Process(target=sink, args=(child,))
    p.start()
    child.close()
    payload = bytes(range(256)) * (size // 256) + bytes(size % 256)
    try:
        _bench.rate(SCENARIO, "python", metric, "B/s", n * size, lambda: batch(parent, payload, n))
    finally:
        parent.send_bytes(b"\x00")
        p.join()
    assert p.exitcode == 0, p.exitcode


def main():
    measure("64B", 64, _bench.size(100_000))
    measure("1MiB", 1 << 20, _bench.size(500))


if __name__ == "__main__":
    _bench.main(main)
