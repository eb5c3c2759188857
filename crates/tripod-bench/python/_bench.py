"""Shared helpers for the Python peers of tripod-bench (standard library only).

The harness runs each `<scenario>.py` with these environment variables:

    TRIPOD_BENCH_QUICK     "1" for a --quick smoke run
    TRIPOD_BENCH_BUDGET_S  time budget of one measurement, in seconds
    TRIPOD_BENCH_RUNS      number of timed runs aimed for

and reads the JSON lines the script prints on stdout:

    {"scenario": ..., "impl": ..., "metric": ..., "value": ..., "unit": ...,
     "better": "higher"|"lower", "runs": ..., "spread": ...}
    {"skip": "reason", "impl": "name"}     # a peer that cannot run here

The timing policy is the harness's (src/measure.rs): one warm-up run, then timed runs until
RUNS were made or BUDGET_S has passed since the warm-up began (at least one), and the median
rate (or, for a latency, time per unit) is reported with its spread (max - min) / median.
"""

import importlib
import json
import os
import statistics
import sys
import time

QUICK = os.environ.get("TRIPOD_BENCH_QUICK") == "1"
BUDGET_S = float(os.environ.get("TRIPOD_BENCH_BUDGET_S", "0.5" if QUICK else "3"))
RUNS = int(os.environ.get("TRIPOD_BENCH_RUNS", "3" if QUICK else "5"))


def size(full):
    """The workload size: `full`, or a tenth of it (at least 1) in a quick run."""
    return max(1, full // 10) if QUICK else full


def emit(obj):
    print(json.dumps(obj), flush=True)


def skip(reason, impl="python"):
    """Reports that peer `impl` cannot run here."""
    emit({"skip": reason, "impl": impl})


def try_import(module, impl):
    """Imports an optional third-party peer; None (and a skip line) when not importable."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        skip(f"{module} is not importable ({e})", impl)
        return None


def _timed_runs(run):
    """The warm-up run, then the timed runs within the budget: their seconds."""
    start = time.perf_counter()
    run()  # warm-up
    times = []
    while not times or (len(times) < RUNS and time.perf_counter() - start < BUDGET_S):
        times.append(max(run(), 1e-9))
    return times


def _emit_summary(scenario, impl, metric, unit, better, values):
    median = statistics.median(values)
    spread = (max(values) - min(values)) / median if median > 0 else 0.0
    emit({
        "scenario": scenario,
        "impl": impl,
        "metric": metric,
        "value": median,
        "unit": unit,
        "better": better,
        "runs": len(values),
        "spread": spread,
    })


def rate(scenario, impl, metric, unit, units, run):
    """Measures the rate of `run` (which does `units` units of work and returns the seconds
    its timed part took) and prints the JSON line."""
    rates = [units / secs for secs in _timed_runs(run)]
    _emit_summary(scenario, impl, metric, unit, "higher", rates)


_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


def latency(scenario, impl, metric, unit, units, run):
    """Measures the latency of `run` (which does `units` units of work one after the other
    and returns the seconds its timed part took): the median time per unit, in `unit`
    (s, ms, us or ns; lower is better), and prints the JSON line."""
    scale = _PER_SECOND[unit]
    times = [secs * scale / units for secs in _timed_runs(run)]
    _emit_summary(scenario, impl, metric, unit, "lower", times)


def amount(scenario, impl, metric, unit, run):
    """Measures an amount that is not a time (memory, say; lower is better): `run()` takes
    one sample and returns it; the median of the samples after a warm-up one, within the
    budget, is printed as the JSON line."""
    samples = []
    start = time.perf_counter()
    run()  # warm-up
    while not samples or (len(samples) < RUNS and time.perf_counter() - start < BUDGET_S):
        samples.append(run())
    _emit_summary(scenario, impl, metric, unit, "lower", samples)


def producer_consumer_run(producer, consumer, q, n, patience, what):
    """One timed run of a producer process feeding a consumer process through `q`.

    Both processes start outside the timing and meet the parent at a Barrier(3); the
    consumer meets it again at a Barrier(2) after its last message, and sets `ok.value` to
    1 when it got everything (`what` names that in the assertion). Returns the seconds
    between the two barriers. Called as `producer(q, start, n)` and
    `consumer(q, start, done, n, ok)`.
    """
    import multiprocessing

    start = multiprocessing.Barrier(3)
    done = multiprocessing.Barrier(2)
    ok = multiprocessing.Value("i", 0)
    procs = [
        multiprocessing.Process(target=producer, args=(q, start, n)),
        multiprocessing.Process(target=consumer, args=(q, start, done, n, ok)),
    ]
    for p in procs:
        p.start()
    start.wait(patience)
    began = time.perf_counter()
    done.wait(patience)
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
        assert p.exitcode == 0, p.exitcode
    assert ok.value == 1, what
    return elapsed


def main(fn):
    """Runs `fn`, turning an unexpected error into a failure the harness reports."""
    try:
        fn()
    except KeyboardInterrupt:
        sys.exit(130)
