"""mpqueue.many: 4 producer processes x 4 consumer processes, 200k small ints in total,
msgs/s.

Each producer puts its share of the ints and then one None; each consumer gets until its
first None and reports how many ints it got and their sum. Every producer's None follows
its ints, and each consumer takes exactly one None, so the consumers between them take
every int. The 8 Processes are started outside the timing and released by a Barrier(9)
with the parent; the time until all four consumers meet the parent at a Barrier(5) is
measured. (Rust: 400k ints, the same shape.)

Peers: `python` (multiprocessing.Queue) and `faster-fifo` (faster_fifo.Queue; skipped
when not importable).
"""

import multiprocessing
import time

import _bench

SCENARIO = "mpqueue.many"
PATIENCE = 60
PRODUCERS = 4
CONSUMERS = 4


def producer(q, start, lo, hi):
    start.wait(PATIENCE)
    put = q.put
    for i in range(lo, hi):
        put(i)
    put(None)


def consumer(q, start, done, count, total):
    start.wait(PATIENCE)
    get = q.get
    n = s = 0
    while True:
        v = get()
        if v is None:
            break
        n += 1
        s += v
    done.wait(PATIENCE)
    with count.get_lock():
        count.value += n
        total.value += s


def one_run(make_queue, n):
    q = make_queue()
    start = multiprocessing.Barrier(PRODUCERS + CONSUMERS + 1)
    done = multiprocessing.Barrier(CONSUMERS + 1)
    count = multiprocessing.Value("q", 0)
    total = multiprocessing.Value("q", 0)
    share = n // PRODUCERS
    procs = [
        multiprocessing.Process(target=producer, args=(q, start, p * share, (p + 1) * share))
        for p in range(PRODUCERS)
    ] + [
        multiprocessing.Process(target=consumer, args=(q, start, done, count, total))
        for _ in range(CONSUMERS)
    ]
    for p in procs:
        p.start()
    start.wait(PATIENCE)
    began = time.perf_counter()
    done.wait(PATIENCE)
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
        assert p.exitcode == 0, p.exitcode
    m = share * PRODUCERS
    assert count.value == m and total.value == m * (m - 1) // 2, (count.value, total.value)
    return elapsed


def main():
    n = _bench.size(200_000) // PRODUCERS * PRODUCERS
    _bench.rate(SCENARIO, "python", "throughput", "msgs/s", n,
                lambda: one_run(multiprocessing.Queue, n))
    faster_fifo = _bench.try_import("faster_fifo", "faster-fifo")
    if faster_fifo is not None:
        _bench.rate(SCENARIO, "faster-fifo", "throughput", "msgs/s", n,
                    lambda: one_run(faster_fifo.Queue, n))


if __name__ == "__main__":
    _bench.main(main)
