//! The worker's side: the loop a pool worker process runs, registered as a tripod task.
//!
//! A worker is an ordinary child [`Process`](crate::multiprocessing::Process) whose task is
//! [`worker_main`]: it runs the initializer, then reads chunks from its connection, runs
//! each item through the task registry (as a child process runs its one task: decode,
//! call under `catch_unwind`, encode: one trampoline call per chunk), and replies. It runs
//! its chunks in the order it receives them. Replies of chunks run back to back go out
//! together (see [`Replies`]), each kept in a shared memory journal until it is sent, so
//! the parent knows which chunk a worker ran when it died: the first it had answered
//! neither on the connection nor in the journal.
#![forbid(unsafe_code)]

use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::journal::{Journal, JournalWriter};
use super::protocol::{self, Request};
use crate::multiprocessing::connection::Connection;
use crate::spawn::{self, Outcome};
use crate::wire;

/// How a worker is set up: the initializer call and its task limit.
#[derive(Serialize, Deserialize)]
pub(crate) struct WorkerSetup {
    pub init: Option<InitCall>,
    pub maxtasks: Option<u64>,
    /// Where the worker copies the replies it holds back (none: it holds none back).
    pub journal: Option<Journal>,
}

/// The initializer: a registered task's name and its encoded arguments, with the OS
/// handles the arguments hold (a process-shared `Event`, a `Connection`...), which travel
/// to each worker beside its start arguments.
#[derive(Clone)]
pub(crate) struct InitCall(Arc<InitInner>);

struct InitInner {
    task: String,
    args: Vec<u8>,
    /// In the parent: the handles, exported again to each worker. In a worker: taken
    /// once, when the initializer runs.
    fds: Mutex<Vec<OwnedFd>>,
}

impl InitCall {
    pub(crate) fn new(task: &str, args: Vec<u8>, fds: Vec<OwnedFd>) -> InitCall {
        InitCall(Arc::new(InitInner {
            task: task.to_owned(),
            args,
            fds: Mutex::new(fds),
        }))
    }
}

impl Serialize for InitCall {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let fds = self.0.fds.lock().unwrap_or_else(|e| e.into_inner());
        let mut indices = Vec::with_capacity(fds.len());
        for fd in fds.iter() {
            let index = wire::fds::export(fd.as_fd()).map_err(|e| {
                wire::note_custom_error(&e);
                S::Error::custom(e)
            })?;
            indices.push(index);
        }
        (&self.0.task, &self.0.args, indices).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for InitCall {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (task, args, indices): (String, Vec<u8>, Vec<u32>) =
            Deserialize::deserialize(deserializer)?;
        let fds = indices
            .into_iter()
            .map(|i| {
                wire::fds::import(i).map_err(|e| {
                    wire::note_custom_error(&e);
                    D::Error::custom(e)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InitCall::new(&task, args, fds))
    }
}

/// The pool worker's task (registered in `sys::tasks`): runs in each worker process, until the parent says stop, goes
/// away, or the task limit is reached.
pub(crate) fn worker_main(conn: Connection, setup: WorkerSetup) {
    if let Some(init) = setup.init
        && let Err(message) = run_initializer(&init)
    {
        let mut buf = Vec::new();
        protocol::put_init_failed(&mut buf, &message);
        let _ = conn.send_bytes(&buf);
        return;
    }
    let replies = Replies::new(&conn, setup.journal.map(JournalWriter::new));
    std::thread::scope(|scope| {
        let flusher = std::thread::Builder::new()
            .name("tripod-pool-flusher".to_owned())
            .spawn_scoped(scope, || replies.run_flusher());
        // Without its flusher thread (none could start), the worker holds nothing back.
        replies.lock().hold = flusher.is_ok();
        serve(&conn, &replies, setup.maxtasks);
        replies.finish();
    });
}

/// Replies held back at most, so that the parent refills the worker's window before it
/// runs dry.
const HOLD_COUNT: usize = 16;

/// How long a reply is held back at most (the flusher thread sends it then), so that a
/// chunk done just before a long one is not answered only after it.
const HOLD_TIME: Duration = Duration::from_millis(1);

/// The capacity a worker's reply buffers keep between chunks: a larger answer's memory is
/// given back once it is sent.
const KEEP_BUFFER: usize = 1 << 20;

/// The replies a worker holds back: chunks it runs back to back are answered together,
/// in one frame, when it has nothing more to read, has held [`HOLD_COUNT`], or held one
/// for [`HOLD_TIME`]. Each held reply is copied into the journal too (a shared memory
/// segment the parent reads back if the worker dies: see [`journal`](super::journal)),
/// so that nothing computed is lost with the worker, and the parent knows which chunk
/// the worker ran when it died: the first one answered neither on the connection nor in
/// the journal.
struct Replies<'a> {
    conn: &'a Connection,
    batch: Mutex<Batch>,
    /// For the flusher: a reply is held, or the worker ends.
    wake: Condvar,
}

struct Batch {
    /// The replies held back, back to back (one frame).
    buf: Vec<u8>,
    count: usize,
    journal: Option<JournalWriter>,
    /// When the oldest held reply was added.
    since: Option<Instant>,
    /// Replies may be held back: there is a journal and a flusher thread.
    hold: bool,
    /// The flusher waits without a deadline: a held reply must wake it.
    flusher_idle: bool,
    /// The worker is ending: the flusher too.
    done: bool,
    /// A send failed: the parent is gone.
    broken: bool,
}

impl<'a> Replies<'a> {
    fn new(conn: &'a Connection, journal: Option<JournalWriter>) -> Replies<'a> {
        Replies {
            conn,
            batch: Mutex::new(Batch {
                buf: Vec::new(),
                count: 0,
                journal,
                since: None,
                hold: false,
                flusher_idle: false,
                done: false,
                broken: false,
            }),
            wake: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Batch> {
        self.batch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds the reply of a chunk just run: held back, or sent with those held before it.
    /// Err if the parent is gone.
    fn push(&self, reply: &[u8]) -> Result<(), ()> {
        let mut batch = self.lock();
        if batch.broken {
            return Err(());
        }
        let hold = batch.hold
            && batch.count + 1 < HOLD_COUNT
            && batch
                .journal
                .as_mut()
                .is_some_and(|journal| journal.append(reply));
        if !hold && batch.count == 0 {
            // Nothing held before it: sent from where it is, not copied.
            return self.send_bytes(&mut batch, reply);
        }
        batch.buf.extend_from_slice(reply);
        batch.count += 1;
        if !hold {
            return self.send(&mut batch);
        }
        if batch.since.is_none() {
            batch.since = Some(Instant::now());
            if batch.flusher_idle {
                self.wake.notify_one();
            }
        }
        Ok(())
    }

    /// Sends the replies held back, if any. Err if the parent is gone.
    fn flush(&self) -> Result<(), ()> {
        let mut batch = self.lock();
        self.send(&mut batch)
    }

    /// Sends what `batch` holds (under its lock, so that replies go out in order).
    fn send(&self, batch: &mut Batch) -> Result<(), ()> {
        if batch.broken {
            return Err(());
        }
        if batch.count == 0 {
            return Ok(());
        }
        let buf = std::mem::take(&mut batch.buf);
        let sent = self.send_bytes(batch, &buf);
        batch.buf = buf;
        batch.buf.clear();
        // A large answer is not kept for the worker's lifetime.
        batch.buf.shrink_to(KEEP_BUFFER);
        sent
    }

    /// Sends `bytes` (the held replies, or one reply with none held): the journal and the
    /// count are cleared once sent. Err, and the batch broken, if the parent is gone.
    fn send_bytes(&self, batch: &mut Batch, bytes: &[u8]) -> Result<(), ()> {
        if self.conn.send_bytes(bytes).is_err() {
            // Nobody to send to: the flusher has nothing more to do (it must not try
            // again, holding the lock, until the worker's task ends).
            batch.broken = true;
            batch.since = None;
            return Err(());
        }
        // Sent: the journal need not keep them (if the worker dies before it forgets
        // them, the parent finds them answered already).
        if let Some(journal) = &mut batch.journal {
            journal.clear();
        }
        batch.count = 0;
        batch.since = None;
        Ok(())
    }

    /// The flusher thread: sends replies held for [`HOLD_TIME`].
    fn run_flusher(&self) {
        let mut batch = self.lock();
        loop {
            if batch.done {
                return;
            }
            match batch.since {
                None => {
                    batch.flusher_idle = true;
                    batch = self.wake.wait(batch).unwrap_or_else(|e| e.into_inner());
                    batch.flusher_idle = false;
                }
                Some(since) => {
                    let due = since + HOLD_TIME;
                    let now = Instant::now();
                    if now >= due {
                        let _ = self.send(&mut batch);
                    } else {
                        batch = self
                            .wake
                            .wait_timeout(batch, due - now)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                    }
                }
            }
        }
    }

    /// The worker ends: sends what is held and stops the flusher.
    fn finish(&self) {
        let mut batch = self.lock();
        let _ = self.send(&mut batch);
        batch.done = true;
        drop(batch);
        self.wake.notify_all();
    }
}

/// Runs chunks until the parent says stop, goes away, or the task limit is reached.
fn serve(conn: &Connection, replies: &Replies<'_>, maxtasks: Option<u64>) {
    let mut chunks_done: u64 = 0;
    let mut reply: Vec<u8> = Vec::new();
    loop {
        // Nothing more to run at once: answer what is held before waiting.
        if !conn.poll_timeout(Duration::ZERO).unwrap_or(false) && replies.flush().is_err() {
            return;
        }
        let Ok(frame) = conn.recv_bytes() else {
            // The parent is gone (or closed our connection): nothing more to do.
            return;
        };
        let Ok(requests) = protocol::parse_requests(&frame) else {
            // The parent broke the protocol: leave; it sees the end of this connection.
            return;
        };
        for request in requests {
            let Request::Run {
                chunk,
                task,
                n,
                args,
            } = request
            else {
                return;
            };
            // The task is looked up once per chunk; its trampoline decodes, runs and
            // encodes the whole chunk into the reply.
            reply.clear();
            let mark = protocol::begin_done(&mut reply, chunk, n);
            match spawn::task_by_name(task) {
                Some(entry) => entry.run_chunk(args, n, Vec::new(), &mut reply),
                None => {
                    reply.push(wire::FORMAT_VERSION);
                    let message = format!("this worker does not know the task `{task}`");
                    for _ in 0..n {
                        spawn::put_chunk_failure(&mut reply, spawn::CHUNK_UNKNOWN_TASK, &message);
                    }
                }
            }
            protocol::end_done(&mut reply, mark);
            chunks_done += 1;
            if replies.push(&reply).is_err() {
                return;
            }
            reply.shrink_to(KEEP_BUFFER);
            if maxtasks.is_some_and(|max| chunks_done >= max) {
                // Retire (the caller sends what is held): the parent sent no more than
                // this and starts a replacement.
                return;
            }
        }
    }
}

fn run_initializer(init: &InitCall) -> Result<(), String> {
    let Some(entry) = spawn::task_by_name(&init.0.task) else {
        return Err(format!(
            "this worker does not know the initializer `{}`",
            init.0.task
        ));
    };
    let fds = std::mem::take(&mut *init.0.fds.lock().unwrap_or_else(|e| e.into_inner()));
    match entry.run(&init.0.args, fds) {
        Outcome::Ok(_) => Ok(()),
        Outcome::Panicked(message) => Err(format!("the initializer panicked: {message}")),
        Outcome::Failed(_, message) => Err(format!("the initializer could not run: {message}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multiprocessing::connection::pipe;

    /// Polls `done` until it holds, failing the test after a few seconds.
    fn eventually(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(Instant::now() < deadline, "{what}");
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_flusher_whose_send_fails_goes_idle() {
        let (parent, child) = pipe(true).unwrap();
        let journal = Journal::create().unwrap();
        // Leaked, so that a flusher that never ends cannot hang the test: it fails.
        let child: &'static Connection = Box::leak(Box::new(child));
        let writer = JournalWriter::new(journal.clone());
        let replies: &'static Replies<'static> =
            Box::leak(Box::new(Replies::new(child, Some(writer))));
        // The parent is gone: every send fails.
        drop(parent);
        let flusher = std::thread::spawn(|| replies.run_flusher());
        replies.lock().hold = true;
        assert_eq!(replies.push(b"held"), Ok(()), "held back, not sent");
        // The flusher tries to send it after HOLD_TIME and fails: it must then wait (for
        // the end), not try again in a loop that holds the lock and burns a core, and
        // in which the worker's main thread would block forever on its next reply.
        eventually("the flusher never went idle after its send failed", || {
            replies
                .batch
                .try_lock()
                .is_ok_and(|batch| batch.broken && batch.flusher_idle)
        });
        assert_eq!(replies.push(b"next"), Err(()), "the parent is gone");
        replies.finish();
        flusher.join().unwrap();
        assert_eq!(journal.read_back(), b"held", "what could not be sent stays");
    }
}
