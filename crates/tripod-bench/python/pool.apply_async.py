"""pool.apply_async: 10k apply_async of x * 2 on Pool(2), then get each; tasks/s.

    results = [pool.apply_async(double, (i,)) for i in range(n)]
    total = sum(r.get() for r in results)

in submission order, on a pool (default start method: fork on Linux) started outside
the timing. The sum of the results is checked.
"""

import multiprocessing
import time

import _bench

SCENARIO = "pool.apply_async"


def double(x):
    return x * 2


def main():
    n = _bench.size(10_000)
    with multiprocessing.Pool(2) as pool:

        def run():
            start = time.perf_counter()
            results = [pool.apply_async(double, (i,)) for i in range(n)]
            total = sum(r.get() for r in results)
            elapsed = time.perf_counter() - start
            assert total == n * (n - 1), "every task's result arrived"
            return elapsed

        _bench.rate(SCENARIO, "python", "throughput", "tasks/s", n, run)


if __name__ == "__main__":
    _bench.main(main)
