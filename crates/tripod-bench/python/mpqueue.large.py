"""mpqueue.large: 2000 messages of 1 MiB (bytes), one producer process -> one consumer
process, bytes/s.

Same shape as mpqueue.small: producer and consumer Processes started outside the timing,
released by a Barrier(3) with the parent; the consumer checks each message's length and
meets the parent at a Barrier(2) after the last; that interval is measured.

Peers: `python` (multiprocessing.Queue) and `faster-fifo` (faster_fifo.Queue with a
max_size_bytes of 4 MiB, room for a 1 MiB message pickled; skipped when not importable).
"""

import multiprocessing

import _bench

SCENARIO = "mpqueue.large"
PATIENCE = 60
SIZE = 1 << 20


def producer(q, start, n):
    payload = bytes(range(256)) * (SIZE // 256)
    start.wait(PATIENCE)
    put = q.put
    for _ in range(n):
        put(payload)


def consumer(q, start, done, n, ok):
    start.wait(PATIENCE)
    get = q.get
    total = 0
    for _ in range(n):
        m = get()
        total += len(m) if m[-1] == 255 else 0
    done.wait(PATIENCE)
    ok.value = int(total == n * SIZE)


def one_run(make_queue, n):
    return _bench.producer_consumer_run(producer, consumer, make_queue(), n, PATIENCE,
                                        "the consumer got every byte")


def main():
    n = _bench.size(2000)
    _bench.rate(SCENARIO, "python", "throughput", "B/s", n * SIZE,
                lambda: one_run(multiprocessing.Queue, n))
    faster_fifo = _bench.try_import("faster_fifo", "faster-fifo")
    if faster_fifo is not None:
        _bench.rate(SCENARIO, "faster-fifo", "throughput", "B/s", n * SIZE,
                    lambda: one_run(lambda: faster_fifo.Queue(max_size_bytes=4 * SIZE), n))


if __name__ == "__main__":
    _bench.main(main)
