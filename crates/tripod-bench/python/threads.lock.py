"""threads.lock: threading.Lock, ops/s.

uncontended: `with lock: counter += 1` in a loop on one thread (1M per run; Rust: 10M).
contended: two threads doing the same, 200k increments each (Rust: 1M each), timed from
their release by a barrier to the end of both; ops = 2 x increments. Under the GIL the two
threads mostly take turns in 5 ms slices, so "contended" means little lock handoff here.
"""

import threading
import time

import _bench

SCENARIO = "threads.lock"


class Counter:
    def __init__(self):
        self.lock = threading.Lock()
        self.value = 0

    def add(self, n):
        lock = self.lock
        for _ in range(n):
            with lock:
                self.value += 1


def uncontended(n):
    c = Counter()
    start = time.perf_counter()
    c.add(n)
    elapsed = time.perf_counter() - start
    assert c.value == n
    return elapsed


def contended(n):
    c = Counter()
    barrier = threading.Barrier(3)

    def worker():
        barrier.wait()
        c.add(n)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    assert c.value == 2 * n
    return elapsed


def main():
    n = _bench.size(1_000_000)
    _bench.rate(SCENARIO, "python", "uncontended", "ops/s", n, lambda: uncontended(n))
    n = _bench.size(200_000)
    _bench.rate(SCENARIO, "python", "contended", "ops/s", 2 * n, lambda: contended(n))


if __name__ == "__main__":
    _bench.main(main)
