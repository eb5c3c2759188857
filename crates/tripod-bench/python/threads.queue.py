"""threads.queue: queue.Queue() (unbounded), one producer thread -> one consumer, items/s.

200k items per run rather than the Rust side's 1M (Python moves ~0.6M items/s, so 1M would
take ~2 s per run); the metric is a rate.
"""

import queue
import threading
import time

import _bench

SCENARIO = "threads.queue"


def main():
    n = _bench.size(200_000)

    def run():
        q = queue.Queue()

        def produce():
            put = q.put
            for i in range(n):
                put(i)

        start = time.perf_counter()
        producer = threading.Thread(target=produce)
        producer.start()
        get = q.get
        total = 0
        for _ in range(n):
            total += get()
        elapsed = time.perf_counter() - start
        producer.join()
        assert total == n * (n - 1) // 2
        return elapsed

    _bench.rate(SCENARIO, "python", "throughput", "items/s", n, run)


if __name__ == "__main__":
    _bench.main(main)
