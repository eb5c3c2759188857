"""pool.primes: counting primes by trial division in chunks, on Pool(2) and in one
process; numbers checked per second.

The harness's job is the primes below 8M in 500 chunks of 16k numbers (800k and 1600 under
--quick). Python is ~100x slower per number, so it checks every 25th of those chunks
(20 chunks, 320k numbers spread over the whole range, so the cost per number is the same
mix as tripod's):

    python-1proc   sum(count_primes(lo, hi) for lo, hi in chunks)
    python         Pool(2).starmap(count_primes, chunks, 1)

Each run's total is checked against a sieve of Eratosthenes (computed outside the timing).
"""

import math
import multiprocessing
import time

import _bench

SCENARIO = "pool.primes"
STRIDE = 25


def is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def count_primes(lo, hi):
    return sum(1 for n in range(lo, hi) if is_prime(n))


def sieve(bound):
    """is_prime as a bytearray of 0/1 for 0..bound."""
    flags = bytearray([1]) * bound
    flags[:2] = b"\0\0"
    for i in range(2, math.isqrt(bound - 1) + 1):
        if flags[i]:
            flags[i * i :: i] = bytes(len(range(i * i, bound, i)))
    return flags


def main():
    bound = _bench.size(8_000_000)
    chunk = bound // 500
    chunks = [(lo, min(lo + chunk, bound)) for lo in range(0, bound, chunk)][::STRIDE]
    numbers = sum(hi - lo for lo, hi in chunks)
    flags = sieve(bound)
    expected = sum(sum(flags[lo:hi]) for lo, hi in chunks)

    def one_process():
        start = time.perf_counter()
        total = sum(count_primes(lo, hi) for lo, hi in chunks)
        elapsed = time.perf_counter() - start
        assert total == expected, (total, expected)
        return elapsed

    _bench.rate(SCENARIO, "python-1proc", "throughput", "numbers/s", numbers, one_process)

    with multiprocessing.Pool(2) as pool:

        def on_pool():
            start = time.perf_counter()
            total = sum(pool.starmap(count_primes, chunks, 1))
            elapsed = time.perf_counter() - start
            assert total == expected, (total, expected)
            return elapsed

        _bench.rate(SCENARIO, "python", "throughput", "numbers/s", numbers, on_pool)


if __name__ == "__main__":
    _bench.main(main)
