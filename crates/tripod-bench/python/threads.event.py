"""threads.event: threading.Event ping-pong between two threads, round trips/s.

This thread sets `ping` and waits for `pong`; the other waits for `ping`, clears it and
sets `pong`. 5k round trips per run (Rust: 20k).
"""

import threading
import time

import _bench

SCENARIO = "threads.event"


def ping_pong(n):
    ping, pong = threading.Event(), threading.Event()

    def other():
        for _ in range(n):
            ping.wait()
            ping.clear()
            pong.set()

    t = threading.Thread(target=other)
    t.start()
    start = time.perf_counter()
    for _ in range(n):
        ping.set()
        pong.wait()
        pong.clear()
    elapsed = time.perf_counter() - start
    t.join()
    return elapsed


def main():
    n = _bench.size(5_000)
    _bench.rate(SCENARIO, "python", "ping_pong", "round trips/s", n, lambda: ping_pong(n))


if __name__ == "__main__":
    _bench.main(main)
