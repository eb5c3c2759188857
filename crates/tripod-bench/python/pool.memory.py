"""pool.memory: memory of a 2-worker pool's workers after a few tasks; MiB.

A Pool(2) runs map(double, range(10_000)) and 20 apply(double, (i,)); then, for each of
its two workers (pool._pool, the worker Process objects), the script reads
/proc/PID/smaps_rollup (Pss, Rss) and /proc/PID/status (VmHWM) and sums them:

    pss       proportional set size: each resident page divided by the number of
              processes that map it (a forked worker shares much of its memory with the
              parent, so its PSS is well below its RSS)
    rss       resident set size, shared pages counted in full in each worker
    peak_rss  VmHWM, the largest RSS each worker had

Per start method: `python` (fork, the default on Linux with Python 3.11),
`python-forkserver` and `python-spawn`. The parent's memory is not counted.
"""

import multiprocessing
import os

import _bench

SCENARIO = "pool.memory"


def double(x):
    return x * 2


def proc_kb(path, key):
    with open(path) as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name == key:
                return int(rest.split()[0])
    raise ValueError(f"no {key} in {path}")


def workers_memory(ctx, file, key):
    with ctx.Pool(2) as pool:
        assert sum(pool.map(double, range(10_000))) == 10_000 * 9_999
        for i in range(20):
            assert pool.apply(double, (i,)) == 2 * i
        pids = [p.pid for p in pool._pool]
        assert len(pids) == 2
        kb = sum(proc_kb(f"/proc/{pid}/{file}", key) for pid in pids)
    return kb / 1024


def main():
    if not os.path.exists("/proc/self/smaps_rollup"):
        _bench.skip("no /proc/PID/smaps_rollup here")
        return
    for impl, method in (("python", "fork"), ("python-forkserver", "forkserver"),
                         ("python-spawn", "spawn")):
        ctx = multiprocessing.get_context(method)
        for metric, file, key in (("pss", "smaps_rollup", "Pss"), ("rss", "smaps_rollup", "Rss"),
                                  ("peak_rss", "status", "VmHWM")):
            _bench.amount(SCENARIO, impl, metric, "MiB",
                          lambda: workers_memory(ctx, file, key))


if __name__ == "__main__":
    _bench.main(main)
