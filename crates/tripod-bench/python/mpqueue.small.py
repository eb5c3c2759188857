"""mpqueue.small: 200k small ints, one producer process -> one consumer process, msgs/s.

A producer Process puts the ints 0..n into the queue and a consumer Process gets n of them
and checks their sum. Both are started outside the timing and wait at a Barrier(3) with
the parent; the time from that barrier until the consumer meets the parent at a second
Barrier(2) (after its last get) is measured.

Peers: `python` (multiprocessing.Queue, default start method) and `faster-fifo`
(faster_fifo.Queue, when `import faster_fifo` works; skipped with a note otherwise).
"""

import multiprocessing

import _bench

SCENARIO = "mpqueue.small"
PATIENCE = 60


def producer(q, start, n):
    start.wait(PATIENCE)
    put = q.put
    for i in range(n):
        put(i)


def consumer(q, start, done, n, ok):
    start.wait(PATIENCE)
    get = q.get
    total = 0
    for _ in range(n):
        total += get()
    done.wait(PATIENCE)
    ok.value = int(total == n * (n - 1) // 2)


def one_run(make_queue, n):
    return _bench.producer_consumer_run(producer, consumer, make_queue(), n, PATIENCE,
                                        "the consumer got every int once")


def main():
    n = _bench.size(200_000)
    _bench.rate(SCENARIO, "python", "throughput", "msgs/s", n,
                lambda: one_run(multiprocessing.Queue, n))
    faster_fifo = _bench.try_import("faster_fifo", "faster-fifo")
    if faster_fifo is not None:
        _bench.rate(SCENARIO, "faster-fifo", "throughput", "msgs/s", n,
                    lambda: one_run(faster_fifo.Queue, n))


if __name__ == "__main__":
    _bench.main(main)
