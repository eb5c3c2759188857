"""mpvalue: a shared counter in multiprocessing.Value, incremented under its lock.

uncontended: one process, `with v.get_lock(): v.value += 1`, 200k times.
contended: two child processes (the default start method), 50k increments each, started
and joined inside the timing. increments/s.
"""

import multiprocessing
import time

import _bench

SCENARIO = "mpvalue.increment"


def bump(counter, n):
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1


def uncontended(counter, n):
    before = counter.value
    start = time.perf_counter()
    bump(counter, n)
    took = time.perf_counter() - start
    assert counter.value == before + n
    return took


def contended(counter, n):
    before = counter.value
    start = time.perf_counter()
    children = [multiprocessing.Process(target=bump, args=(counter, n)) for _ in range(2)]
    for p in children:
        p.start()
    for p in children:
        p.join()
    took = time.perf_counter() - start
    assert counter.value == before + 2 * n, (counter.value, before, n)
    return took


def main():
    counter = multiprocessing.Value("q", 0)
    n = _bench.size(200_000)
    _bench.rate(SCENARIO, "python", "uncontended", "increments/s", n, lambda: uncontended(counter, n))
    per_child = _bench.size(50_000)
    _bench.rate(
        SCENARIO, "python", "contended", "increments/s", 2 * per_child,
        lambda: contended(counter, per_child),
    )


if __name__ == "__main__":
    _bench.main(main)
