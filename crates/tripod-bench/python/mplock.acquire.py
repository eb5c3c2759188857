"""mplock: multiprocessing.Lock acquire + release, ops/s.

contended: two child processes share one Lock and each does 100k acquire/release pairs
(Rust: 2M); a Barrier(3) with the parent releases them together and a second one marks
the end; the time between the two barriers is measured, ops = 2 x pairs. The children are
started and joined outside the timing (default start method).
uncontended: 1M acquire/release pairs in the parent (Rust: 5M).
"""

import multiprocessing
import time

import _bench

SCENARIO = "mplock.acquire"
PATIENCE = 60


def pairs(lock, start, done, n, made):
    start.wait(PATIENCE)
    count = 0
    acquire, release = lock.acquire, lock.release
    for _ in range(n):
        acquire()
        count += 1
        release()
    done.wait(PATIENCE)
    with made.get_lock():
        made.value += count


def contended(n):
    lock = multiprocessing.Lock()
    start = multiprocessing.Barrier(3)
    done = multiprocessing.Barrier(3)
    made = multiprocessing.Value("q", 0)
    children = [
        multiprocessing.Process(target=pairs, args=(lock, start, done, n, made))
        for _ in range(2)
    ]
    for c in children:
        c.start()
    start.wait(PATIENCE)
    began = time.perf_counter()
    done.wait(PATIENCE)
    elapsed = time.perf_counter() - began
    for c in children:
        c.join()
        assert c.exitcode == 0, c.exitcode
    assert made.value == 2 * n, made.value
    return elapsed


def uncontended(n):
    lock = multiprocessing.Lock()
    acquire, release = lock.acquire, lock.release
    began = time.perf_counter()
    for _ in range(n):
        acquire()
        release()
    return time.perf_counter() - began


def main():
    n = _bench.size(500_000)
    _bench.rate(SCENARIO, "python", "contended", "ops/s", 2 * n, lambda: contended(n))
    n = _bench.size(1_000_000)
    _bench.rate(SCENARIO, "python", "uncontended", "ops/s", n, lambda: uncontended(n))


if __name__ == "__main__":
    _bench.main(main)
