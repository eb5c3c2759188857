"""process.start: start + join of a trivial process, per start method; ms per start+join.

    multiprocessing.get_context(method).Process(target=task).start(); join()

one after the other, for each start method, reported as `python-fork`, `python-forkserver`
and `python-spawn`. The task returns a small int (which Process discards; the exit code is
checked). Starts per run: fork 50, forkserver 20, spawn 10 (spawn costs ~75 ms a start:
it starts a new interpreter that imports this script). The forkserver's own start-up, on
first use, falls in the warm-up run.
"""

import multiprocessing
import time

import _bench

SCENARIO = "process.start"


def task():
    return 42


def start_join(ctx, n):
    start = time.perf_counter()
    for _ in range(n):
        p = ctx.Process(target=task)
        p.start()
        p.join()
        assert p.exitcode == 0, p.exitcode
    return time.perf_counter() - start


def main():
    for method, full in (("fork", 50), ("forkserver", 20), ("spawn", 10)):
        if method not in multiprocessing.get_all_start_methods():
            _bench.skip(f"start method {method} is not available here", f"python-{method}")
            continue
        ctx = multiprocessing.get_context(method)
        n = _bench.size(full)
        _bench.latency(
            SCENARIO, f"python-{method}", "start_join", "ms", n, lambda: start_join(ctx, n)
        )


if __name__ == "__main__":
    _bench.main(main)
