//! `mpvalue.increment`: a shared counter in a `multiprocessing.Value`, incremented under its lock
//! (issue 4).
//!
//! - `uncontended`: one process, `*v.lock() += 1` (Python: `with v.get_lock(): v.value +=
//!   1`) 1M times (Python 200k), in **increments/s**;
//! - `contended`: two child processes, each incrementing 2M times (Python 2 x 50k; fewer and the first child would be done before the second started),
//!   started and joined inside the timing (a few ms of the run), in total **increments/s**.
//!
//! Each run checks the counter's final value, so no increment can go missing unnoticed.
//! Python peer: `python/mpvalue.increment.py` (`multiprocessing.Value('q', 0)`, whose lock is an
//! `RLock`, with its default start method).

use std::time::{Duration, Instant};

use crate::scenario::{Ctx, Metric, Scenario};
use tripod::multiprocessing::{Process, Value};

/// The `mpvalue` scenario.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "mpvalue.increment",
    description: "Value counter += 1 under its lock: one process, and two child processes (increments/s)",
    run: mpvalue,
}];

const UNCONTENDED: Metric = Metric::rate("uncontended", "increments/s");
const CONTENDED: Metric = Metric::rate("contended", "increments/s");

/// Adds one to `counter` `n` times, each under the lock.
fn bump(counter: Value<u64>, n: u64) {
    for _ in 0..n {
        *counter.lock().expect("no process died holding the lock") += 1;
    }
}
tripod::task!(bump);

fn mpvalue(ctx: &mut Ctx<'_>) {
    let counter = Value::new(0u64).expect("shared memory");
    let n = ctx.size(1_000_000);
    ctx.rate("tripod", UNCONTENDED, n, || {
        let before = counter.get();
        let start = Instant::now();
        bump(counter.clone(), n);
        let took = start.elapsed();
        assert_eq!(counter.get(), before + n, "every increment landed");
        took
    });

    let per_child = ctx.size(2_000_000);
    ctx.rate("tripod", CONTENDED, 2 * per_child, || {
        two_children(&counter, per_child)
    });
    ctx.python_peers();
    ctx.compare(UNCONTENDED.name, "tripod", "python", None);
    ctx.compare(CONTENDED.name, "tripod", "python", None);
}

/// Two children incrementing `n` times each; the time from the first start to the last
/// join.
fn two_children(counter: &Value<u64>, n: u64) -> Duration {
    let before = counter.get();
    let start = Instant::now();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Process::new(bump, (counter.clone(), n))
                .start()
                .expect("start a child")
        })
        .collect();
    for child in children {
        child.join().expect("the child returns");
    }
    let took = start.elapsed();
    assert_eq!(counter.get(), before + 2 * n, "every increment landed");
    took
}
