//! `pool.map`, `pool.apply_async`, `pool.primes`, `pool.startup`, `pool.memory`: pools of
//! worker processes (issue 5), tripod's `multiprocessing::Pool` against Python's
//! `multiprocessing.Pool` (and, for `apply_async`, procspawn's `Pool`).
//!
//! Every pool has 2 workers. Each workload checks what came back (a sum, a prime count
//! against a sieve, the pids of the workers that answered), so nothing is measured that
//! was not computed.
//!
//! - `map`: `pool.map(double, 0..1M, None)` (Python's automatic chunksize on both sides:
//!   `len / (4 * processes)`, rounded up, so 8 chunks of 125k), the pool started outside
//!   the timing, in **items/s**. Target: 5x Python.
//! - `apply_async`: 10k `apply_async(double, (i,))`, then `get` of each in submission
//!   order, in **tasks/s**. Peers: Python, and procspawn 1's `Pool::spawn` + `join` (one
//!   ipc-channel pair per call, holding its descriptors until joined, so procspawn's
//!   calls go in windows of 1000: submit 1000, get them, and so on). Target: 10x Python.
//! - `primes`: the tour's job, counting the primes below 8M by trial division in 500
//!   chunks of 16k numbers, `starmap(count_primes, chunks, 1)`, in **numbers checked per
//!   second**. `tripod-1proc` runs the chunks one after the other in the parent (one
//!   process, no pool); `tripod` runs them on the pool. `tripod vs tripod-1proc` is the
//!   pool's **speedup** (target 1.8 on 2 cores). Python checks every 25th chunk only (20
//!   chunks, 320k numbers spread over the same range, so the cost per number is the same
//!   mix); `tripod vs python` is the ratio of the pools' rates.
//! - `startup`: `Pool(2)` created until both workers have answered a first trivial task
//!   (two tasks meeting at a process-shared barrier that the pool's initializer gave each
//!   worker, so one fast worker cannot answer both), in **ms per pool** (lower is better);
//!   the pool is terminated and its workers reaped after the timing. One implementation
//!   per start method: `tripod-spawn` (tripod's default), `tripod-forkserver`,
//!   `tripod-fork`; `python-fork` (Python 3.11's default on Linux), `python-forkserver`,
//!   `python-spawn`.
//! - `memory`: a 2-worker pool (tripod's default start method, Python's default `fork`, and
//!   Python's `forkserver` and `spawn`) runs a map of 10k items and 20 `apply`s; then the
//!   workers' memory is read from `/proc/PID/smaps_rollup` and `/proc/PID/status` and
//!   summed over both workers, in **MiB** (lower is better): `pss` (proportional set size:
//!   each resident page divided by the number of processes mapping it, so pages shared
//!   with the parent or the other worker count once in all, and the sum is what the
//!   workers cost together; the target, half of Python's, is on this one), `rss` (resident
//!   pages, shared ones counted in full in each worker) and `peak_rss` (`VmHWM`, the
//!   largest `rss` each worker had). The parent's memory is not counted.
//!
//! Peers: `python/pool.*.py`.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tripod::multiprocessing::{Barrier, Pool, StartMethod, getpid};

use crate::scenario::{Ctx, Metric, Scenario};

/// The `pool.*` scenarios.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "pool.map",
        description: "Pool(2).map of x * 2 over 1M ints, automatic chunksize (items/s)",
        run: map,
    },
    Scenario {
        name: "pool.apply_async",
        description: "Pool(2): 10k apply_async of x * 2, then get each (tasks/s); procspawn Pool",
        run: apply_async,
    },
    Scenario {
        name: "pool.primes",
        description: "count primes below 8M in 500 chunks on Pool(2) vs one process (numbers/s, speedup)",
        run: primes,
    },
    Scenario {
        name: "pool.startup",
        description: "Pool(2) start until both workers answered a first task, per start method (ms)",
        run: startup,
    },
    Scenario {
        name: "pool.memory",
        description: "memory of a 2-worker pool's workers after a few tasks: PSS, RSS, peak RSS (MiB)",
        run: memory,
    },
];

/// How long anything in a workload may wait for a worker before the run fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// The pools' size, as in the issue.
const WORKERS: usize = 2;

/// The trivial task of `map`, `apply_async` and `memory`.
fn double(x: u64) -> u64 {
    x * 2
}
tripod::task!(double);

/// A pool of [`WORKERS`] with tripod's default start method.
fn pool() -> Pool {
    Pool::new(WORKERS).expect("start a pool")
}

// ---------------------------------------------------------------------------------------
// pool.map

const ITEMS: Metric = Metric::rate("throughput", "items/s");

fn map(ctx: &mut Ctx<'_>) {
    let n = ctx.size(1_000_000);
    let pool = pool();
    ctx.rate("tripod", ITEMS, n, || {
        let start = Instant::now();
        let doubled = pool.map(double, 0..n, None).expect("the map");
        let elapsed = start.elapsed();
        assert_eq!(doubled.len() as u64, n);
        assert_eq!(
            doubled.iter().sum::<u64>(),
            n * (n - 1),
            "every item doubled"
        );
        elapsed
    });
    drop(pool);
    ctx.python_peers();
    // issue 5: map at least 5x Python's
    ctx.compare(ITEMS.name, "tripod", "python", Some(5.0));
}

// ---------------------------------------------------------------------------------------
// pool.apply_async

const TASKS: Metric = Metric::rate("throughput", "tasks/s");

/// Submits `n` tasks with `submit(i)` (which returns a handle), then waits for each in
/// submission order with `get`, `window` tasks at a time (`n` for all at once); checks
/// the sum of the results.
fn submit_then_get<H>(
    n: u64,
    window: u64,
    mut submit: impl FnMut(u64) -> H,
    mut get: impl FnMut(H) -> u64,
) -> Duration {
    let start = Instant::now();
    let mut sum = 0;
    for first in (0..n).step_by(window as usize) {
        let handles: Vec<H> = (first..(first + window).min(n)).map(&mut submit).collect();
        sum += handles.into_iter().map(&mut get).sum::<u64>();
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, n * (n - 1), "every task's result arrived");
    elapsed
}

/// procspawn calls in flight at most (see [`apply_async`]).
const PROCSPAWN_WINDOW: u64 = 1000;

/// procspawn's task: a plain fn, passed by address.
fn procspawn_double(x: u64) -> u64 {
    x * 2
}

fn apply_async(ctx: &mut Ctx<'_>) {
    let n = ctx.size(10_000);
    let pool = pool();
    ctx.rate("tripod", TASKS, n, || {
        submit_then_get(
            n,
            n,
            |i| pool.apply_async(double, (i,)).expect("apply_async"),
            |r| r.get().expect("the task's value"),
        )
    });
    drop(pool);

    // A procspawn call holds two ipc channels (several descriptors) until it is joined:
    // 10k at once exceed the descriptor limit, so its calls go in windows of 1000.
    let pool = procspawn::Pool::new(WORKERS).expect("start a procspawn pool");
    ctx.rate("procspawn", TASKS, n, || {
        submit_then_get(
            n,
            PROCSPAWN_WINDOW,
            |i| pool.spawn(i, procspawn_double),
            |h| h.join().expect("the procspawn task's value"),
        )
    });
    pool.kill();
    drop(pool);

    ctx.python_peers();
    // issue 5: apply_async at least 10x Python's
    ctx.compare(TASKS.name, "tripod", "python", Some(10.0));
    ctx.compare(TASKS.name, "tripod", "procspawn", None);
}

// ---------------------------------------------------------------------------------------
// pool.primes

const NUMBERS: Metric = Metric::rate("throughput", "numbers/s");

#[path = "../../../../examples/support/primes.rs"]
mod primes;
use primes::count_primes;

/// The number of primes below `bound`, by the sieve of Eratosthenes (the check).
fn sieve_count(bound: u64) -> u64 {
    let bound = bound as usize;
    let mut composite = vec![false; bound.max(2)];
    let mut count = 0;
    for i in 2..bound {
        if !composite[i] {
            count += 1;
            for j in (i * i..bound).step_by(i) {
                composite[j] = true;
            }
        }
    }
    count
}

fn primes(ctx: &mut Ctx<'_>) {
    // A run on one core takes ~1.1 s on a quiet machine here (~0.04 s under --quick).
    let bound = ctx.size(8_000_000);
    let chunk = bound / 500;
    let chunks: Vec<(u64, u64)> = (0..bound)
        .step_by(chunk as usize)
        .map(|lo| (lo, (lo + chunk).min(bound)))
        .collect();
    let expected = sieve_count(bound);

    ctx.rate("tripod-1proc", NUMBERS, bound, || {
        let start = Instant::now();
        let total: u64 = chunks.iter().map(|&(lo, hi)| count_primes(lo, hi)).sum();
        let elapsed = start.elapsed();
        assert_eq!(total, expected, "the primes below {bound}");
        elapsed
    });
    let pool = pool();
    ctx.rate("tripod", NUMBERS, bound, || {
        let start = Instant::now();
        let counts = pool
            .starmap(count_primes, chunks.iter().copied(), 1)
            .expect("the starmap");
        let elapsed = start.elapsed();
        assert_eq!(
            counts.iter().sum::<u64>(),
            expected,
            "the primes below {bound}"
        );
        elapsed
    });
    drop(pool);
    ctx.python_peers();
    let m = NUMBERS.name;
    // issue 5: a speedup of at least 1.8 on 2 cores
    ctx.compare(m, "tripod", "tripod-1proc", Some(1.8));
    ctx.compare(m, "tripod", "python", None);
    ctx.compare(m, "tripod-1proc", "python-1proc", None);
    // Python's own speedup, for reference (the row reads "python vs python-1proc")
    ctx.compare(m, "python", "python-1proc", None);
}

// ---------------------------------------------------------------------------------------
// pool.startup

const START: Metric = Metric::latency("start", "ms");

/// The barrier the initializer gives each worker of a `startup` pool.
static MEETING: OnceLock<Barrier> = OnceLock::new();

/// The initializer of a `startup` pool's workers.
fn keep_barrier(barrier: Barrier) {
    let _ = MEETING.set(barrier);
}
tripod::task!(keep_barrier);

/// The first task of a `startup` pool's workers: meets the other worker at the barrier
/// (so each of the two tasks ran on its own worker), then says who it is.
fn meet() -> u32 {
    MEETING
        .get()
        .expect("the initializer ran")
        .wait_timeout(PATIENCE)
        .expect("the other worker came");
    getpid()
}
tripod::task!(meet);

/// Starts `pools` pools of [`WORKERS`] one after the other: the time from the start of
/// each until both of its workers have answered a first task (summed over the pools).
/// Each pool is terminated (its workers killed and reaped) outside the timing.
fn start_pools(method: StartMethod, pools: u64) -> Duration {
    let mut timed = Duration::ZERO;
    for _ in 0..pools {
        let barrier = Barrier::new(WORKERS).expect("a barrier");
        let start = Instant::now();
        let pool = Pool::builder()
            .processes(WORKERS)
            .start_method(method)
            .initializer(keep_barrier, (barrier,))
            .build()
            .expect("start a pool");
        let answers: Vec<_> = (0..WORKERS)
            .map(|_| pool.apply_async(meet, ()).expect("apply_async"))
            .collect();
        let pids: HashSet<u32> = answers
            .iter()
            .map(|a| a.get_timeout(PATIENCE).expect("a worker answered"))
            .collect();
        timed += start.elapsed();
        assert_eq!(pids.len(), WORKERS, "each worker answered once");
        pool.terminate();
        pool.join().expect("the workers are reaped");
    }
    timed
}

fn startup(ctx: &mut Ctx<'_>) {
    // SAFETY: `Fork` is sound when no other thread of the parent holds a lock the child
    // needs while a child starts. The harness's other threads are the watchdog (asleep,
    // waking every 200 ms to look at its own mutex, which the child never touches) and the
    // pool's own threads, which tripod's pool coordinates with its worker starts (a forked
    // worker inherits no other worker's connection); glibc's fork takes the allocator's
    // locks around the fork, so the child's allocator is consistent. The child only runs
    // tripod's worker loop, `keep_barrier` and `meet`.
    let fork = unsafe { StartMethod::fork() };
    let pools = ctx.size(10);
    for (name, method) in [
        ("tripod-spawn", StartMethod::Spawn),
        ("tripod-forkserver", StartMethod::ForkServer),
        ("tripod-fork", fork),
    ] {
        ctx.latency(name, START, pools, || start_pools(method, pools));
    }
    ctx.python_peers();
    let m = START.name;
    // tripod's default start method against Python's
    ctx.compare(m, "tripod-spawn", "python-fork", None);
    ctx.compare(m, "tripod-spawn", "python-spawn", None);
    ctx.compare(m, "tripod-forkserver", "python-forkserver", None);
    ctx.compare(m, "tripod-fork", "python-fork", None);
}

// ---------------------------------------------------------------------------------------
// pool.memory

const PSS: Metric = Metric::amount("pss", "MiB");
const RSS: Metric = Metric::amount("rss", "MiB");
const PEAK_RSS: Metric = Metric::amount("peak_rss", "MiB");

/// The value in kB of the line `key:` of a `/proc` file (`Pss:   1234 kB`).
fn proc_kb(path: &str, key: &str) -> u64 {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    text.lines()
        .find_map(|line| {
            let rest = line.strip_prefix(key)?.strip_prefix(':')?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .unwrap_or_else(|| panic!("no `{key}` in {path}"))
}

/// A pool of [`WORKERS`] with tripod's default start method runs a few tasks; then the
/// sum over its workers of the `/proc` value `key` of `file` (`smaps_rollup` or
/// `status`), in MiB.
fn workers_memory(file: &str, key: &str) -> f64 {
    let pool = pool();
    let doubled = pool.map(double, 0..10_000, None).expect("the map");
    assert_eq!(doubled.iter().sum::<u64>(), 10_000 * 9_999);
    for i in 0..20 {
        assert_eq!(pool.apply(double, (i,)).expect("apply"), 2 * i);
    }
    let pids = pool.worker_pids();
    assert_eq!(pids.len(), WORKERS);
    let kb: u64 = pids
        .iter()
        .map(|pid| proc_kb(&format!("/proc/{pid}/{file}"), key))
        .sum();
    pool.terminate();
    pool.join().expect("the workers are reaped");
    kb as f64 / 1024.0
}

fn memory(ctx: &mut Ctx<'_>) {
    if !std::path::Path::new("/proc/self/smaps_rollup").exists() {
        ctx.note("skipped: no /proc/PID/smaps_rollup here (Linux 4.14 or later)");
        return;
    }
    ctx.amount("tripod", PSS, || workers_memory("smaps_rollup", "Pss"));
    ctx.amount("tripod", RSS, || workers_memory("smaps_rollup", "Rss"));
    ctx.amount("tripod", PEAK_RSS, || workers_memory("status", "VmHWM"));
    ctx.python_peers();
    // issue 5: worker memory at most half of Python's
    ctx.compare(PSS.name, "tripod", "python", Some(2.0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trial_division_agrees_with_the_sieve() {
        assert_eq!(sieve_count(100), 25);
        assert_eq!(count_primes(0, 100_000), sieve_count(100_000));
        assert_eq!(count_primes(0, 2), 0);
        assert_eq!(count_primes(2, 3), 1);
    }

    #[test]
    fn proc_values_are_read_in_kb() {
        let kb = proc_kb("/proc/self/status", "VmHWM");
        assert!(kb > 0);
    }
}
