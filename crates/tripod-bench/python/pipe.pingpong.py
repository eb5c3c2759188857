"""pipe.pingpong: round trip of a small message over multiprocessing.Pipe, parent <-> child.

The parent sends an int and waits for it back; a child process (the default start method,
started once per measurement, outside the timing) echoes every message until it receives
None. 5k round trips per run; us per round trip.
"""

import multiprocessing
import time

import _bench

SCENARIO = "pipe.pingpong"


def echo(conn):
    while True:
        msg = conn.recv()
        if msg is None:
            break
        conn.send(msg)
    conn.close()


def round_trips(conn, n):
    start = time.perf_counter()
    for i in range(n):
        conn.send(i)
        got = conn.recv()
        assert got == i, (got, i)
    return time.perf_counter() - start


def main():
    n = _bench.size(5_000)
    parent, child = multiprocessing.Pipe()
    p = multiprocessing.Process(target=echo, args=(child,))
    p.start()
    child.close()
    try:
        _bench.latency(SCENARIO, "python", "round_trip", "us", n, lambda: round_trips(parent, n))
    finally:
        parent.send(None)
        p.join()
    assert p.exitcode == 0, p.exitcode


if __name__ == "__main__":
    _bench.main(main)
