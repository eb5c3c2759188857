//! `process.start`, `pipe.pingpong`, `pipe.throughput`: child processes and the pipes
//! between them (issue 3).
//!
//! Each workload is written once, generic over a closure or a small trait ([`EchoChild`],
//! [`SinkChild`]); tripod's implementations live in `process_tripod.rs`.
//! Every workload checks what comes back (the task's result, the echoed value, the byte
//! count), so it cannot silently measure nothing.
//!
//! - `process.start`: start + join of a child running a trivial task (`x + 1`), one after
//!   the other, in **ms per start+join** (lower is better), one implementation per start
//!   method: `tripod-spawn`, `tripod-forkserver`, `tripod-fork`, `procspawn` (re-exec,
//!   like Spawn), `python-fork`, `python-forkserver`, `python-spawn`. The table shows the
//!   pairs issue 3 sets targets for.
//! - `pipe.pingpong`: a small message (an integer) to a child that echoes it back, in
//!   **us per round trip** (lower is better).
//! - `pipe.throughput`: `send_bytes` parent -> child of 64 B and 1 MiB messages, the child
//!   counting bytes and reporting at the end of each batch, in **bytes/s** (higher is
//!   better; msgs/s = bytes/s / message size).
//!
//! Python peers: `python/process.start.py`, `python/pipe.pingpong.py`,
//! `python/pipe.throughput.py`, with smaller start counts for Python's slow start methods
//! (the metrics are per start, so they compare across counts).

use crate::scenario::{Ctx, Metric, Scenario};
use std::time::{Duration, Instant};

use super::process_tripod as tripod_impls;

/// The `process.*` and `pipe.*` scenarios.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "process.start",
        description: "start + join of a trivial child task per start method (ms): Python, procspawn",
        run: start,
    },
    Scenario {
        name: "pipe.pingpong",
        description: "Pipe round trip of a small message, parent <-> echoing child (us)",
        run: pingpong,
    },
    Scenario {
        name: "pipe.throughput",
        description: "Pipe send_bytes parent -> child, 64 B and 1 MiB messages (bytes/s)",
        run: throughput,
    },
];

// ---------------------------------------------------------------------------------------
// process.start

const START_JOIN: Metric = Metric::latency("start_join", "ms");

/// Starts and joins `n` children one after the other: `start_join(x)` runs a child
/// computing `x + 1` and returns its result.
pub fn start_join_n(n: u64, mut start_join: impl FnMut(u64) -> u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        let got = start_join(i);
        assert_eq!(got, i + 1, "the child computed x + 1");
    }
    start.elapsed()
}

/// procspawn's task: a plain function, as procspawn passes it by address.
fn plus_one(x: u64) -> u64 {
    x + 1
}

/// procspawn: re-executes the current binary (whose `main` calls `procspawn::init()`
/// first) and sends the call over an ipc-channel.
fn procspawn_start_join(x: u64) -> u64 {
    procspawn::spawn(x, plus_one)
        .join()
        .expect("the procspawn child returns")
}

fn start(ctx: &mut Ctx<'_>) {
    let n = ctx.size(50);
    for (name, method) in tripod_impls::start_methods() {
        ctx.latency(name, START_JOIN, n, || {
            start_join_n(n, |x| tripod_impls::start_join(method, x))
        });
    }
    ctx.latency("procspawn", START_JOIN, n, || {
        start_join_n(n, procspawn_start_join)
    });
    ctx.python_peers();

    // issue 3's targets: Spawn <= 1/20 of Python's spawn and no slower than procspawn,
    // ForkServer <= 1/5 of Python's fork
    let m = START_JOIN.name;
    ctx.compare(m, "tripod-spawn", "python-spawn", Some(20.0));
    ctx.compare(m, "tripod-spawn", "procspawn", Some(1.0));
    ctx.compare(m, "tripod-forkserver", "python-fork", Some(5.0));
    ctx.compare(m, "tripod-forkserver", "python-forkserver", None);
    ctx.compare(m, "tripod-fork", "python-fork", None);
}

// ---------------------------------------------------------------------------------------
// pipe.pingpong

const ROUND_TRIP: Metric = Metric::latency("round_trip", "us");

/// A child process that echoes the integers it receives on a pipe until told to stop.
pub trait EchoChild: Sized {
    /// Starts the child.
    fn start() -> Self;
    /// Sends `x` to the child and waits for it to come back.
    fn round_trip(&mut self, x: u64) -> u64;
    /// Sends the stop message and joins the child: the number of messages it echoed.
    fn stop(self) -> u64;
}

/// `n` round trips, one after the other.
pub fn round_trips<E: EchoChild>(child: &mut E, n: u64) -> Duration {
    let start = Instant::now();
    for i in 0..n {
        let got = child.round_trip(i);
        assert_eq!(got, i, "the child echoed the message");
    }
    start.elapsed()
}

/// One child for the warm-up and the timed runs (started outside the timing).
fn pingpong_with<E: EchoChild>(ctx: &mut Ctx<'_>, name: &str, n: u64) {
    let mut child = E::start();
    let mut runs = 0;
    ctx.latency(name, ROUND_TRIP, n, || {
        runs += 1;
        round_trips(&mut child, n)
    });
    let echoed = child.stop();
    if echoed != runs * n {
        ctx.note(format!(
            "{name}: the child echoed {echoed} messages, not {}",
            runs * n
        ));
    }
}

fn pingpong(ctx: &mut Ctx<'_>) {
    let n = ctx.size(5_000);
    pingpong_with::<tripod_impls::Echo>(ctx, "tripod", n);
    ctx.python_peers();
    // issue 3: round trip at most half of Python's
    ctx.compare(ROUND_TRIP.name, "tripod", "python", Some(2.0));
}

// ---------------------------------------------------------------------------------------
// pipe.throughput

/// A child process that counts the bytes of the messages it receives on a pipe. The
/// protocol (the same in the Python peer): an empty message ends a batch and the child
/// answers with the batch's byte count; a one-byte message stops it.
pub trait SinkChild: Sized {
    /// Starts the child.
    fn start() -> Self;
    /// Sends one message.
    fn send_bytes(&mut self, msg: &[u8]);
    /// Ends the batch (sends an empty message) and waits for the child's byte count.
    fn end_batch(&mut self) -> u64;
    /// Sends the stop message and joins the child: the number of batches it counted.
    fn stop(self) -> u64;
}

/// One batch of `n` messages: from the first send to the arrival of the child's count.
pub fn batch<S: SinkChild>(child: &mut S, payload: &[u8], n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        child.send_bytes(payload);
    }
    let total = child.end_batch();
    let elapsed = start.elapsed();
    assert_eq!(total, n * payload.len() as u64, "the child got every byte");
    elapsed
}

/// A payload of `size` bytes that is not all zeros.
fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| i as u8).collect()
}

/// One child for the warm-up and the timed runs of one message size.
fn throughput_with<S: SinkChild>(
    ctx: &mut Ctx<'_>,
    name: &str,
    metric: Metric,
    size: usize,
    n: u64,
) {
    let payload = payload(size);
    let mut child = S::start();
    let mut runs = 0;
    ctx.rate(name, metric, n * size as u64, || {
        runs += 1;
        batch(&mut child, &payload, n)
    });
    let batches = child.stop();
    if batches != runs {
        ctx.note(format!(
            "{name}: the child counted {batches} batches, not {runs}"
        ));
    }
}

const SMALL: Metric = Metric::rate("64B", "B/s");
const LARGE: Metric = Metric::rate("1MiB", "B/s");

fn throughput(ctx: &mut Ctx<'_>) {
    let (small, large) = (ctx.size(100_000), ctx.size(500));
    throughput_with::<tripod_impls::Sink>(ctx, "tripod", SMALL, 64, small);
    throughput_with::<tripod_impls::Sink>(ctx, "tripod", LARGE, 1 << 20, large);
    ctx.python_peers();
    // issue 3: 1 MiB throughput at least 3x Python's
    ctx.compare(SMALL.name, "tripod", "python", None);
    ctx.compare(LARGE.name, "tripod", "python", Some(3.0));
}
