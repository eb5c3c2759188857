"""pool.startup: Pool(2) started until both workers answered a first trivial task; ms.

    barrier = ctx.Barrier(2)
    pool = ctx.Pool(2, initializer=keep, initargs=(barrier,))    # timed from here
    pids = {r.get() for r in [pool.apply_async(meet) for _ in range(2)]}   # to here
    pool.terminate(); pool.join()

`meet` waits at the barrier the initializer kept, so each of the two tasks runs on its
own worker, and returns the worker's pid (two distinct pids are checked). Per start
method: `python-fork` (the default on Linux with Python 3.11), `python-forkserver` and
`python-spawn`; pools per run: 10, 5 and 3 (a spawn worker starts a new interpreter; 1 each under
--quick).
The forkserver's own start-up, on first use, falls in the warm-up run.
"""

import multiprocessing
import os
import time

import _bench

SCENARIO = "pool.startup"
PATIENCE = 30
_meeting = None


def keep(barrier):
    global _meeting
    _meeting = barrier


def meet():
    _meeting.wait(PATIENCE)
    return os.getpid()


def start_pools(ctx, pools):
    timed = 0.0
    for _ in range(pools):
        barrier = ctx.Barrier(2)
        start = time.perf_counter()
        pool = ctx.Pool(2, initializer=keep, initargs=(barrier,))
        answers = [pool.apply_async(meet) for _ in range(2)]
        pids = {a.get(PATIENCE) for a in answers}
        timed += time.perf_counter() - start
        assert len(pids) == 2, "each worker answered once"
        pool.terminate()
        pool.join()
    return timed


def main():
    for method, full in (("fork", 10), ("forkserver", 5), ("spawn", 3)):
        if method not in multiprocessing.get_all_start_methods():
            _bench.skip(f"start method {method} is not available here", f"python-{method}")
            continue
        ctx = multiprocessing.get_context(method)
        pools = _bench.size(full)
        _bench.latency(
            SCENARIO, f"python-{method}", "start", "ms", pools, lambda: start_pools(ctx, pools)
        )


if __name__ == "__main__":
    _bench.main(main)
