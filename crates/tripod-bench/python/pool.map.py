"""pool.map: Pool(2).map of x * 2 over 1M ints, with Python's default chunksize; items/s.

    with Pool(2) as pool:
        pool.map(double, range(n))

The pool (default start method: fork on Linux) is started outside the timing; the
default chunksize is ceil(n / (4 * 2)), 8 chunks of 125k ints. The sum of the results is
checked.
"""

import multiprocessing
import time

import _bench

SCENARIO = "pool.map"


def double(x):
    return x * 2


def main():
    n = _bench.size(1_000_000)
    items = range(n)
    with multiprocessing.Pool(2) as pool:

        def run():
            start = time.perf_counter()
            doubled = pool.map(double, items)
            elapsed = time.perf_counter() - start
            assert len(doubled) == n and sum(doubled) == n * (n - 1), "every item doubled"
            return elapsed

        _bench.rate(SCENARIO, "python", "throughput", "items/s", n, run)


if __name__ == "__main__":
    _bench.main(main)
