"""threads.executor: submit + result on ThreadPoolExecutor(4), in tasks/s.

Submit every task, then wait for each result in submission order. 20k tasks per run rather
than the Rust side's 100k (Python manages ~50k tasks/s, so 100k would take 2 s per run);
the metric is a rate, and the per-task cost does not depend on the batch size here.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import _bench

SCENARIO = "threads.executor"


def task(i):
    return i * 2


def main():
    n = _bench.size(20_000)
    with ThreadPoolExecutor(4) as pool:

        def run():
            start = time.perf_counter()
            futures = [pool.submit(task, i) for i in range(n)]
            total = sum(f.result() for f in futures)
            elapsed = time.perf_counter() - start
            assert total == n * (n - 1)
            return elapsed

        _bench.rate(SCENARIO, "python", "throughput", "tasks/s", n, run)


if __name__ == "__main__":
    _bench.main(main)
