//! `mpqueue.small`, `mpqueue.large`, `mpqueue.many`: process queues (issue 4), messages
//! between child processes through `tripod::multiprocessing::Queue`.
//!
//! Every workload runs in child processes started outside the timing: they wait at a
//! `Barrier` with the parent, and the time from that barrier until the consumers meet the
//! parent at a second barrier (after their last get) is measured. Each consumer checks
//! what it got (a count and a sum, or the payloads' lengths and last bytes) and returns
//! it; the run asserts it, so nothing is measured that was not delivered.
//!
//! - `small`: 200k `u64`s, one producer process -> one consumer process (**msgs/s**).
//! - `large`: 2000 messages of 1 MiB, one producer -> one consumer (**bytes/s**). The
//!   payload is a `serde_bytes::ByteBuf`, as `Queue`'s docs recommend for bytes: it
//!   serialises as bytes, one copy, where a `Vec<u8>` goes through serde's sequence path
//!   byte by byte.
//! - `many`: 4 producer processes x 4 consumer processes, 400k `u64`s in total (**msgs/s**).
//!   Each producer puts its share and then one stop message; each consumer gets until its
//!   first stop message. The queue is FIFO, each producer's stop follows its data, and
//!   each consumer takes exactly one stop, so between them they take every message.
//!
//! Peers (`python/mpqueue.*.py`): Python's `multiprocessing.Queue` (`python`; 200k ints
//! for `many`) and `faster_fifo.Queue` (`faster-fifo`, a C++ ring in shared memory, when it
//! is installed), the same shapes. Issue 4's targets: `small` >= 20x Python, `large` >= 3x.

use std::time::{Duration, Instant};

use serde_bytes::ByteBuf;
use tripod::multiprocessing::{Barrier, Process, Queue};

use crate::scenario::{Ctx, Metric, Scenario};

/// The `mpqueue.*` scenarios.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "mpqueue.small",
        description: "Queue<u64>: 200k small ints, producer process -> consumer process (msgs/s)",
        run: small,
    },
    Scenario {
        name: "mpqueue.large",
        description: "Queue of 1 MiB byte buffers: 2000 messages, producer process -> consumer process (B/s)",
        run: large,
    },
    Scenario {
        name: "mpqueue.many",
        description: "Queue<u64>: 4 producer x 4 consumer processes, 400k small ints (msgs/s)",
        run: many,
    },
];

const MSGS: Metric = Metric::rate("throughput", "msgs/s");
const BYTES: Metric = Metric::rate("throughput", "B/s");

/// How long a barrier or a get waits before the run is taken to have failed.
const PATIENCE: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------
// The children

/// Puts `lo..hi`, then `stops` stop messages (`u64::MAX`).
fn put_ints(q: Queue<u64>, start: Barrier, lo: u64, hi: u64, stops: u64) {
    start.wait_timeout(PATIENCE).expect("the start barrier");
    for i in lo..hi {
        q.put(i).expect("put");
    }
    for _ in 0..stops {
        q.put(u64::MAX).expect("put");
    }
}
tripod::task!(put_ints);

/// Gets until a stop message; returns (count, sum).
fn get_ints(q: Queue<u64>, start: Barrier, done: Barrier) -> (u64, u64) {
    start.wait_timeout(PATIENCE).expect("the start barrier");
    let (mut count, mut sum) = (0u64, 0u64);
    loop {
        let v = q.get_timeout(PATIENCE).expect("get");
        if v == u64::MAX {
            break;
        }
        count += 1;
        sum = sum.wrapping_add(v);
    }
    done.wait_timeout(PATIENCE).expect("the end barrier");
    (count, sum)
}
tripod::task!(get_ints);

/// Puts `n` payloads of `size` bytes.
fn put_bytes(q: Queue<ByteBuf>, start: Barrier, n: u64, size: usize) {
    let payload: Vec<u8> = (0..size).map(|i| i as u8).collect();
    start.wait_timeout(PATIENCE).expect("the start barrier");
    for _ in 0..n {
        q.put(ByteBuf::from(payload.clone())).expect("put");
    }
}
tripod::task!(put_bytes);

/// Gets `n` payloads; returns the bytes of those whose last byte is right.
fn get_bytes(q: Queue<ByteBuf>, start: Barrier, done: Barrier, n: u64) -> u64 {
    start.wait_timeout(PATIENCE).expect("the start barrier");
    let mut total = 0u64;
    for _ in 0..n {
        let got = q.get_timeout(PATIENCE).expect("get");
        if got.last() == Some(&((got.len() - 1) as u8)) {
            total += got.len() as u64;
        }
    }
    done.wait_timeout(PATIENCE).expect("the end barrier");
    total
}
tripod::task!(get_bytes);

/// Runs `start_children(start, done)` (which starts the children with the barriers and
/// returns how to join them), releases the children with `start` (`parties` of them), and
/// returns the time until the `consumers` met the parent at `done`, with what joining
/// them returned.
fn timed<J, R>(
    parties: usize,
    consumers: usize,
    start_children: impl FnOnce(&Barrier, &Barrier) -> J,
) -> (Duration, R)
where
    J: FnOnce() -> R,
{
    let start = Barrier::new(parties + 1).expect("a barrier");
    let done = Barrier::new(consumers + 1).expect("a barrier");
    let join = start_children(&start, &done);
    start.wait_timeout(PATIENCE).expect("the start barrier");
    let began = Instant::now();
    done.wait_timeout(PATIENCE).expect("the end barrier");
    let elapsed = began.elapsed();
    (elapsed, join())
}

// ---------------------------------------------------------------------------------------
// The scenarios

/// `producers` processes put `n` ints in all (then one stop each); `consumers` processes
/// get them. Checks the count and the sum.
fn ints(producers: u64, consumers: u64, n: u64) -> Duration {
    let q = Queue::<u64>::new().expect("a queue");
    let share = n / producers;
    let parties = (producers + consumers) as usize;
    let (elapsed, (count, sum)) = timed(parties, consumers as usize, |start, done| {
        let producers: Vec<_> = (0..producers)
            .map(|p| {
                let args = (q.clone(), start.clone(), p * share, (p + 1) * share, 1);
                Process::new(put_ints, args)
                    .start()
                    .expect("start a producer")
            })
            .collect();
        let consumers: Vec<_> = (0..consumers)
            .map(|_| {
                let args = (q.clone(), start.clone(), done.clone());
                Process::new(get_ints, args)
                    .start()
                    .expect("start a consumer")
            })
            .collect();
        move || {
            for p in producers {
                p.join().expect("the producer returns");
            }
            consumers
                .into_iter()
                .map(|c| c.join().expect("the consumer returns"))
                .fold((0u64, 0u64), |(n, s), (cn, cs)| {
                    (n + cn, s.wrapping_add(cs))
                })
        }
    });
    let m = share * producers;
    assert_eq!(
        (count, sum),
        (m, m * (m - 1) / 2),
        "every message arrived once"
    );
    assert!(q.is_empty());
    elapsed
}

fn small(ctx: &mut Ctx<'_>) {
    let n = ctx.size(200_000);
    ctx.rate("tripod", MSGS, n, || ints(1, 1, n));
    ctx.python_peers();
    ctx.compare(MSGS.name, "tripod", "python", Some(20.0));
    ctx.compare(MSGS.name, "tripod", "faster-fifo", None);
}

fn large(ctx: &mut Ctx<'_>) {
    const SIZE: usize = 1 << 20;
    let n = ctx.size(2000);
    ctx.rate("tripod", BYTES, n * SIZE as u64, || {
        let q = Queue::<ByteBuf>::new().expect("a queue");
        let (elapsed, got) = timed(2, 1, |start, done| {
            let producer = Process::new(put_bytes, (q.clone(), start.clone(), n, SIZE))
                .start()
                .expect("start the producer");
            let consumer = Process::new(get_bytes, (q.clone(), start.clone(), done.clone(), n))
                .start()
                .expect("start the consumer");
            move || {
                producer.join().expect("the producer returns");
                consumer.join().expect("the consumer returns")
            }
        });
        assert_eq!(got, n * SIZE as u64, "every byte arrived");
        elapsed
    });
    ctx.python_peers();
    ctx.compare(BYTES.name, "tripod", "python", Some(3.0));
    ctx.compare(BYTES.name, "tripod", "faster-fifo", None);
}

fn many(ctx: &mut Ctx<'_>) {
    let n = ctx.size(400_000);
    ctx.rate("tripod", MSGS, n, || ints(4, 4, n));
    ctx.python_peers();
    ctx.compare(MSGS.name, "tripod", "python", None);
    ctx.compare(MSGS.name, "tripod", "faster-fifo", None);
}
