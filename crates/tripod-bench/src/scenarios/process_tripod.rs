//! The tripod side of `process.start`, `pipe.pingpong` and `pipe.throughput`: tripod's
//! `multiprocessing` plugged into the workloads of `process.rs`.
//!
//! The tasks are plain fns registered with `tripod::task!`; tripod's child entry runs
//! before `main`, so the harness adds no line for it.

use super::process::{EchoChild, SinkChild};
use std::time::Duration;
use tripod::multiprocessing::connection::{Connection, pipe};
use tripod::multiprocessing::{Process, ProcessHandle, StartMethod};

/// The start methods measured, with their implementation names.
pub fn start_methods() -> Vec<(&'static str, StartMethod)> {
    // SAFETY: `Fork` is sound when no other thread of the parent holds a lock the child
    // needs while a child starts. While process.start runs, the harness's other threads
    // are the watchdog (asleep, waking every 200 ms to look at its own mutex, which the
    // child never touches) and the monitor thread of the child joined just before, which
    // may still be freeing its state: glibc's fork takes the allocator's locks around the
    // fork, so the child's allocator is consistent. The child only runs `plus_one` and
    // tripod's child code.
    let fork = unsafe { StartMethod::fork() };
    vec![
        ("tripod-spawn", StartMethod::Spawn),
        ("tripod-forkserver", StartMethod::ForkServer),
        ("tripod-fork", fork),
    ]
}

/// How long `stop` waits for a child to exit after the stop message before killing it.
const STOP_GRACE: Duration = Duration::from_secs(5);

/// The trivial task of `process.start`.
fn plus_one(x: u64) -> u64 {
    x + 1
}
tripod::task!(plus_one);

/// Starts a child computing `x + 1` with `method` and joins it: the child's result.
pub fn start_join(method: StartMethod, x: u64) -> u64 {
    Process::new(plus_one, (x,))
        .start_method(method)
        .start()
        .expect("start the child")
        .join()
        .expect("the child returns")
}

/// Joins a child told to stop, killing it if it does not exit within [`STOP_GRACE`].
fn join_stopped(child: ProcessHandle<u64>) -> u64 {
    if !child.join_timeout(STOP_GRACE) {
        let _ = child.kill();
    }
    child.join().expect("the child returns")
}

/// The child of `pipe.pingpong`: echoes `Some(x)` until it receives `None`; returns how many
/// it echoed.
fn echo(conn: Connection) -> u64 {
    let mut echoed = 0;
    while let Some(x) = conn.recv::<Option<u64>>().expect("recv in the child") {
        conn.send(&Some(x)).expect("send in the child");
        echoed += 1;
    }
    echoed
}
tripod::task!(echo);

/// A child running [`echo`], on the parent's end of a duplex pipe.
pub struct Echo {
    conn: Connection,
    child: ProcessHandle<u64>,
}

impl EchoChild for Echo {
    fn start() -> Self {
        let (conn, theirs) = pipe(true).expect("create a pipe");
        let child = Process::new(echo, (theirs,))
            .start()
            .expect("start the echo child");
        Echo { conn, child }
    }

    fn round_trip(&mut self, x: u64) -> u64 {
        self.conn.send(&Some(x)).expect("send to the child");
        self.conn
            .recv::<Option<u64>>()
            .expect("recv from the child")
            .expect("an echo, not the stop message")
    }

    fn stop(self) -> u64 {
        self.conn.send(&None::<u64>).expect("send the stop message");
        join_stopped(self.child)
    }
}

/// The child of `pipe.throughput`: counts the bytes of the messages it receives; an empty
/// message ends a batch (it sends the count back), a one-byte message stops it. Returns the
/// number of batches.
fn sink(conn: Connection) -> u64 {
    let (mut total, mut batches) = (0u64, 0u64);
    loop {
        let msg = conn.recv_bytes().expect("recv_bytes in the child");
        match msg.len() {
            0 => {
                conn.send(&total).expect("send the count");
                total = 0;
                batches += 1;
            }
            1 => return batches,
            len => total += len as u64,
        }
    }
}
tripod::task!(sink);

/// A child running [`sink`], on the parent's end of a duplex pipe.
pub struct Sink {
    conn: Connection,
    child: ProcessHandle<u64>,
}

impl SinkChild for Sink {
    fn start() -> Self {
        let (conn, theirs) = pipe(true).expect("create a pipe");
        let child = Process::new(sink, (theirs,))
            .start()
            .expect("start the sink child");
        Sink { conn, child }
    }

    fn send_bytes(&mut self, msg: &[u8]) {
        self.conn.send_bytes(msg).expect("send_bytes to the child");
    }

    fn end_batch(&mut self) -> u64 {
        self.conn.send_bytes(&[]).expect("end the batch");
        self.conn.recv::<u64>().expect("the child's count")
    }

    fn stop(self) -> u64 {
        self.conn.send_bytes(&[0]).expect("send the stop message");
        join_stopped(self.child)
    }
}
