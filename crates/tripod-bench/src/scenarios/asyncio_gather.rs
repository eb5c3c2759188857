//! `asyncio.gather`: create 100k trivial tasks on an event loop and gather their values
//! (issue 6), tripod's `asyncio` against Python's `asyncio` (and uvloop when importable)
//! and raw tokio.
//!
//! One run is one whole `run(main())`, loop start and shutdown included, as a user's
//! program pays them:
//!
//! - `tripod`: `tripod::asyncio::run`, `create_task(async move { i })` 100k times, then
//!   `gather(tasks)`.
//! - `tokio`: a `current_thread` runtime's `block_on`, `tokio::spawn` 100k times, then
//!   each `JoinHandle` awaited in order (a task per tokio task, as tripod had before its
//!   loop ran tasks of its own).
//! - `python` (and `python-uvloop`): `asyncio.run(main())`, `create_task` 100k times, then
//!   `asyncio.gather(*tasks)`.
//!
//! The sum of the values is checked. Metric: **tasks/s**. Target: tripod at least 20x
//! Python's asyncio.
//!
//! Peer: `python/asyncio.gather.py`.

use std::time::{Duration, Instant};

use crate::scenario::{Ctx, Metric, Scenario};

/// The `asyncio.gather` scenario.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "asyncio.gather",
    description: "create and gather 100k trivial tasks on an event loop (tasks/s); raw tokio",
    run: gather,
}];

const TASKS: Metric = Metric::rate("throughput", "tasks/s");

/// Checks that the values of tasks `0..n` (each returning its index) arrived.
fn check(n: u64, sum: u64) {
    assert_eq!(sum, n * (n - 1) / 2, "every task's value arrived");
}

fn tripod_gather(n: u64) -> Duration {
    let start = Instant::now();
    let sum = tripod::asyncio::run(async move {
        let tasks: Vec<_> = (0..n)
            .map(|i| tripod::asyncio::create_task(async move { i }))
            .collect();
        let values = tripod::asyncio::gather(tasks).await.expect("no task fails");
        values.iter().sum::<u64>()
    });
    let elapsed = start.elapsed();
    check(n, sum);
    elapsed
}

fn tokio_spawn_await(n: u64) -> Duration {
    let start = Instant::now();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let sum = runtime.block_on(async move {
        let handles: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
        let mut sum = 0;
        for handle in handles {
            sum += handle.await.expect("no task fails");
        }
        sum
    });
    drop(runtime);
    let elapsed = start.elapsed();
    check(n, sum);
    elapsed
}

fn gather(ctx: &mut Ctx<'_>) {
    let n = ctx.size(100_000);
    ctx.rate("tripod", TASKS, n, || tripod_gather(n));
    ctx.rate("tokio", TASKS, n, || tokio_spawn_await(n));
    ctx.python_peers();
    // issue 6: gather at least 20x asyncio's
    ctx.compare(TASKS.name, "tripod", "python", Some(20.0));
    ctx.compare(TASKS.name, "tripod", "python-uvloop", None);
    ctx.compare(TASKS.name, "tripod", "tokio", None);
}
