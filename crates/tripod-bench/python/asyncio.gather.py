"""asyncio.gather: create 100k trivial tasks and gather them; tasks/s.

    async def main():
        tasks = [asyncio.create_task(value(i)) for i in range(n)]
        return sum(await asyncio.gather(*tasks))

    asyncio.run(main())

One run is one whole asyncio.run (loop start and shutdown included), as on the Rust
side. The sum is checked. With uvloop importable, the same again on uvloop's loop
(`python-uvloop`).
"""

import asyncio
import time

import _bench

SCENARIO = "asyncio.gather"


async def value(i):
    return i


async def gather_all(n):
    create_task = asyncio.create_task
    tasks = [create_task(value(i)) for i in range(n)]
    return sum(await asyncio.gather(*tasks))


def runner(n, new_loop):
    def run():
        start = time.perf_counter()
        if new_loop is None:
            total = asyncio.run(gather_all(n))
        else:
            loop = new_loop()
            try:
                total = loop.run_until_complete(gather_all(n))
            finally:
                loop.close()
        elapsed = time.perf_counter() - start
        assert total == n * (n - 1) // 2, "every task's value arrived"
        return elapsed

    return run


def main():
    n = _bench.size(100_000)
    _bench.rate(SCENARIO, "python", "throughput", "tasks/s", n, runner(n, None))
    uvloop = _bench.try_import("uvloop", "python-uvloop")
    if uvloop is not None:
        _bench.rate(SCENARIO, "python-uvloop", "throughput", "tasks/s", n,
                    runner(n, uvloop.new_event_loop))


if __name__ == "__main__":
    _bench.main(main)
