//! The parent's side of a pool: the queue of chunks, the workers, and the threads that
//! talk to them.
//!
//! Per worker, two threads: a writer that sends the chunks assigned to it (so nobody ever
//! blocks on a full socket while holding the pool's lock), and a reader that takes its
//! replies, hands outcomes to their jobs, refills its window and, when the connection
//! ends, finds out how the worker ended and what it held. One result thread per pool runs
//! callbacks in order of completion. A watchdog thread, started on the first task with a
//! timeout, kills workers whose task is overdue.
//!
//! Dispatch keeps up to [`WINDOW_CHUNKS`] chunks (and [`WINDOW_BYTES`] of messages) in
//! flight per worker, giving each chunk to the worker with the fewest, so an idle worker
//! gets work first and a busy one finds its next chunks already in its socket; the
//! writer sends the chunks queued for a worker in one frame, and the reader refills a
//! window once half of it is free, after taking every frame of replies already received
//! (a worker answers chunks it runs back to back in one frame), and chunks submitted to a
//! busy worker wait for its next answer ([`QUIET_MAX`]), so many small tasks cost few
//! thread wake-ups. A chunk
//! for an idle worker (one that answered everything it was sent, so it waits to read,
//! past its initializer) is written by the thread that dispatched it, once it has released
//! the pool's lock, without waking the writer: such a write cannot block for long, since
//! the worker reads the whole frame before it does anything else.
//!
//! A worker runs its chunks in the order it got them, so the chunk it runs is the first
//! in flight that it has not answered: it started when it was sent to the idle worker, or
//! when the reply of the chunk before it was read (a little late, by the reply's transit
//! and by the time the worker held the reply back, at most about a millisecond: timeouts
//! are measured from there; a job's `chunk_started` is called then, too). When its
//! connection ends, the replies it held back are read from its journal and delivered
//! ([`recover`]); then the first chunk still unanswered fails with `WorkerLost` (or is
//! retried) and the chunks behind it go back to the front of the queue. (A worker that
//! dies between two chunks fails the one it was about to start.)
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::error::{PoolError, PoolErrorKind};
use super::job::Job;
use super::journal::Journal;
use super::protocol::{self, Reply};
use super::result::ResultWork;
use super::worker::{InitCall, WorkerSetup, worker_main};
use crate::multiprocessing::connection::{Connection, pipe};
use crate::multiprocessing::{Process, ProcessHandle, StartMethod};

/// Chunks in flight per worker at most: the one it runs and the next ones, already sent,
/// so that a worker running many small tasks never waits for the parent.
pub(crate) const WINDOW_CHUNKS: usize = 64;

/// Bytes of chunk messages in flight per worker at most (a worker always gets one chunk,
/// however large).
pub(crate) const WINDOW_BYTES: usize = 1 << 20;

/// Chunks posted at most to a busy worker's writer without waking it: a chunk for a
/// worker that has a chunk sent (or about to be) and not answered waits, up to this
/// many, for that answer (its reader then wakes the writer), so that chunks submitted one
/// by one to a busy worker travel many to a frame, at one thread wake-up.
const QUIET_MAX: usize = 16;

/// How long the pool waits for a worker whose connection ended to be reaped before it
/// kills it (a worker that closed its connection but lingers).
const REAP_GRACE: Duration = Duration::from_secs(2);

pub(crate) struct Config {
    pub processes: usize,
    pub maxtasks: Option<u64>,
    pub init: Option<InitCall>,
    pub start_method: Option<StartMethod>,
    pub max_retries: u32,
    pub timeout: Option<Duration>,
}

/// A batch of items of one job, encoded once as the `RUN` message.
pub(crate) struct Chunk {
    pub id: u64,
    pub message: Arc<Vec<u8>>,
    pub len: usize,
    pub offset: usize,
    pub job: Arc<dyn Job>,
    pub retries: u32,
    pub timeout: Option<Duration>,
    /// Its job was cancelled: it is not run again, and a worker that starts it is killed.
    pub cancelled: bool,
}

/// Why the pool killed a worker, and for which chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kill {
    /// The chunk ran past its timeout.
    Timeout { chunk: u64, timeout: Duration },
    /// The chunk's job was cancelled while the worker ran it.
    Cancel { chunk: u64 },
}

/// What becomes of a chunk a lost worker held.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// It fails with this error.
    Fail(PoolError),
    /// It goes back to the queue; `retry`: it counts as one of its retries.
    Requeue { retry: bool },
    /// It was cancelled: it is dropped (its job already has its error).
    Drop,
}

/// Decides the fate of `chunk`, held by the worker `pid` when its connection ended:
/// `running` is the chunk it ran (the first it had not answered), `killed` why the pool
/// killed it.
///
/// Only the chunk the pool killed the worker for gets the timeout (or cancellation):
/// a worker can finish that chunk and start the next one just before the kill lands,
/// and that next chunk did nothing wrong: it runs again, at no cost to its retries.
fn verdict(
    chunk: &Chunk,
    running: Option<u64>,
    killed: Option<Kill>,
    pid: u32,
    exitcode: Option<i32>,
    max_retries: u32,
) -> Verdict {
    if running != Some(chunk.id) {
        return if chunk.cancelled {
            Verdict::Drop
        } else {
            Verdict::Requeue { retry: false }
        };
    }
    match killed {
        Some(Kill::Timeout { chunk: id, timeout }) if id == chunk.id => {
            Verdict::Fail(PoolError::task_timeout(pid, scaled(timeout, chunk.len)))
        }
        Some(Kill::Cancel { chunk: id }) if id == chunk.id => {
            Verdict::Fail(PoolError::cancelled_running(pid))
        }
        _ if chunk.cancelled => Verdict::Drop,
        // Killed for another chunk, which finished meanwhile: this one is innocent.
        Some(_) => Verdict::Requeue { retry: false },
        None if chunk.retries < max_retries => Verdict::Requeue { retry: true },
        None => Verdict::Fail(PoolError::worker_lost(pid, exitcode)),
    }
}

/// The messages waiting for one worker's connection, and whether someone sends on it:
/// its writer thread, or a thread that writes a chunk for the idle worker itself.
struct Outbox {
    state: Mutex<OutboxState>,
    /// For the writer thread: messages to send, or the end.
    ready: Condvar,
}

struct OutboxState {
    queue: VecDeque<Arc<Vec<u8>>>,
    /// Someone is sending: the others queue behind.
    busy: bool,
    /// No more messages: the writer sends what is queued and ends.
    closed: bool,
}

impl Outbox {
    fn new() -> Outbox {
        Outbox {
            state: Mutex::new(OutboxState {
                queue: VecDeque::new(),
                busy: false,
                closed: false,
            }),
            ready: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, OutboxState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `message` for the writer thread.
    fn post(&self, message: Arc<Vec<u8>>) {
        self.post_all(std::iter::once(message), true);
    }

    /// Queues `messages` for the writer thread; `wake`: with one wake-up of it, else they
    /// wait for the next [`kick`](Self::kick) (or go with what the writer sends next).
    fn post_all(&self, messages: impl IntoIterator<Item = Arc<Vec<u8>>>, wake: bool) {
        let mut state = self.lock();
        state.queue.extend(messages);
        if wake && !state.busy && !state.queue.is_empty() {
            self.ready.notify_one();
        }
    }

    /// Wakes the writer for the messages posted without a wake-up.
    fn kick(&self) {
        self.post_all(std::iter::empty(), true);
    }

    /// Takes the right to send now, if nobody sends and nothing waits; give it back with
    /// [`release`](Self::release).
    fn claim(&self) -> bool {
        let mut state = self.lock();
        let free = !state.busy && state.queue.is_empty() && !state.closed;
        state.busy |= free;
        free
    }

    fn release(&self) {
        let mut state = self.lock();
        state.busy = false;
        if !state.queue.is_empty() || state.closed {
            self.ready.notify_one();
        }
    }

    /// Ends the writer thread once it has sent what is queued.
    fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
    }
}

struct WorkerSlot {
    id: u64,
    pid: u32,
    process: Arc<ProcessHandle<()>>,
    conn: Arc<Connection>,
    outbox: Arc<Outbox>,
    /// Where it copies the replies it holds back, read back when it dies.
    journal: Option<Journal>,
    /// It answered a chunk: it is past its initializer.
    answered: bool,
    in_flight: VecDeque<Chunk>,
    /// The bytes of the messages in flight.
    in_flight_bytes: usize,
    /// The chunk it runs (the first in flight) and since when.
    started: Option<(u64, Instant)>,
    /// Chunks sent so far (for `maxtasksperchild`).
    assigned: u64,
    /// The last chunks in flight, posted to its writer without waking it (see
    /// [`QUIET_MAX`]).
    quiet: usize,
    /// Killed by the pool (watchdog or cancel): why, and for which chunk.
    killed: Option<Kill>,
    stopping: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Running,
    Closed,
    Terminated,
}

struct State {
    phase: Phase,
    queue: VecDeque<Chunk>,
    workers: Vec<WorkerSlot>,
    /// Chunks submitted and not yet finished or failed.
    outstanding: usize,
    /// Workers being started outside the lock.
    starting: usize,
    /// Lazy producers (`imap` iterators) that may still submit after `close`.
    feeders: usize,
    /// `join` was called: stop the workers even if feeders remain.
    joining: bool,
    broken: Option<PoolError>,
    threads: Vec<JoinHandle<()>>,
    watchdog: bool,
    /// The workers are gone and the threads are being joined: the watchdog ends.
    shut_down: bool,
    next_worker: u64,
    /// Chunks that became the one their worker runs, for their jobs' `chunk_started`,
    /// which is called outside the lock ([`Engine::notify_started`]).
    started: Vec<(Arc<dyn Job>, usize)>,
    /// Chunks for idle workers, whose outboxes were claimed, to be written outside the lock
    /// ([`Engine::notify_started`]).
    direct: Vec<DirectWrite>,
}

/// A chunk for an idle worker: its connection, its claimed outbox, the message.
type DirectWrite = (Arc<Connection>, Arc<Outbox>, Arc<Vec<u8>>);

pub(crate) struct Engine {
    config: Config,
    state: Mutex<State>,
    /// Workers came or went, work finished: `join` and `terminate` wait on it.
    changed: Condvar,
    /// Something the watchdog cares about changed.
    watch: Condvar,
    results: Sender<Option<ResultWork>>,
    result_thread: Mutex<Option<JoinHandle<()>>>,
    next_chunk: AtomicU64,
    /// Held while a worker starts, so that a worker forked (with the `Fork` start method)
    /// never inherits another new worker's end of its connection, which would hide that
    /// worker's death from the pool.
    spawning: Mutex<()>,
}

impl Engine {
    pub(crate) fn start(config: Config) -> Result<Arc<Engine>, PoolError> {
        let (results, inbox) = crossbeam_channel::unbounded();
        let result_thread = std::thread::Builder::new()
            .name("tripod-pool-results".to_owned())
            .spawn(move || run_results(inbox))
            .map_err(|e| {
                PoolError::new(
                    PoolErrorKind::Start,
                    format!("cannot start the pool's result thread: {e}"),
                )
            })?;
        let processes = config.processes;
        let engine = Arc::new(Engine {
            config,
            state: Mutex::new(State {
                phase: Phase::Running,
                queue: VecDeque::new(),
                workers: Vec::new(),
                outstanding: 0,
                starting: 0,
                feeders: 0,
                joining: false,
                broken: None,
                threads: Vec::new(),
                watchdog: false,
                shut_down: false,
                next_worker: 1,
                started: Vec::new(),
                direct: Vec::new(),
            }),
            changed: Condvar::new(),
            watch: Condvar::new(),
            results,
            result_thread: Mutex::new(Some(result_thread)),
            next_chunk: AtomicU64::new(1),
            spawning: Mutex::new(()),
        });
        for _ in 0..processes {
            if let Err(e) = engine.spawn_worker() {
                engine.terminate();
                return Err(e);
            }
        }
        Ok(engine)
    }

    pub(crate) fn processes(&self) -> usize {
        self.config.processes
    }

    pub(crate) fn results(&self) -> Sender<Option<ResultWork>> {
        self.results.clone()
    }

    pub(crate) fn next_chunk_id(&self) -> u64 {
        self.next_chunk.fetch_add(1, Ordering::Relaxed)
    }

    /// The timeout for a chunk: the task's own, else the pool's.
    pub(crate) fn default_timeout(&self) -> Option<Duration> {
        self.config.timeout
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the pool takes new work.
    pub(crate) fn check_running(&self) -> Result<(), PoolError> {
        let state = self.lock();
        if let Some(broken) = &state.broken {
            return Err(broken.clone());
        }
        if state.phase != Phase::Running {
            return Err(PoolError::not_running());
        }
        Ok(())
    }

    /// Queues `chunks` and hands them to workers. `feeder`: submitted by a lazy producer
    /// registered before `close`, which may go on after it.
    pub(crate) fn submit(
        self: &Arc<Self>,
        chunks: Vec<Chunk>,
        feeder: bool,
    ) -> Result<(), PoolError> {
        let mut state = self.lock();
        if let Some(broken) = &state.broken {
            return Err(broken.clone());
        }
        let open = match state.phase {
            Phase::Running => true,
            Phase::Closed => feeder && !state.joining,
            Phase::Terminated => false,
        };
        if !open {
            return Err(PoolError::not_running());
        }
        if chunks.iter().any(|c| c.timeout.is_some()) {
            self.ensure_watchdog(&mut state);
        }
        state.outstanding += chunks.len();
        state.queue.extend(chunks);
        self.dispatch(&mut state);
        self.notify_started(state);
        Ok(())
    }

    /// Unlocks `state`, writes the chunks dispatched to idle workers and tells the jobs of
    /// chunks that started. Every [`dispatch`](Self::dispatch) is followed by this.
    fn notify_started(&self, mut state: MutexGuard<'_, State>) {
        if state.started.is_empty() && state.direct.is_empty() {
            return;
        }
        let started = std::mem::take(&mut state.started);
        let direct = std::mem::take(&mut state.direct);
        let watchdog = state.watchdog;
        drop(state);
        for (conn, outbox, message) in direct {
            // If this fails the worker is gone: its reader sees the end and settles.
            let _ = conn.send_bytes(&message);
            outbox.release();
        }
        if watchdog && !started.is_empty() {
            self.watch.notify_all();
        }
        for (job, offset) in started {
            job.chunk_started(offset);
        }
    }

    /// Registers a lazy producer (an `imap`); false if the pool does not take work.
    pub(crate) fn add_feeder(&self) -> bool {
        let mut state = self.lock();
        if state.phase != Phase::Running || state.broken.is_some() {
            return false;
        }
        state.feeders += 1;
        true
    }

    pub(crate) fn remove_feeder(&self) {
        let mut state = self.lock();
        state.feeders = state.feeders.saturating_sub(1);
        self.maybe_stop(&mut state);
        drop(state);
        self.changed.notify_all();
    }

    /// Stops the work of a cancelled `job`; the caller gives the job its error. Its
    /// queued chunks are dropped, a worker running (or about to run) one of its chunks is
    /// killed and replaced, and its chunks waiting behind another in a worker's window are
    /// marked, so that the worker is killed if it starts one and they never run again.
    /// Returns the pid of a worker it killed, if any.
    pub(crate) fn cancel_job(&self, job: &Arc<dyn Job>) -> Option<u32> {
        let same = |chunk: &Chunk| std::ptr::addr_eq(Arc::as_ptr(&chunk.job), Arc::as_ptr(job));
        let mut killed = None;
        let removed = {
            let mut state = self.lock();
            let before = state.queue.len();
            state.queue.retain(|c| !same(c));
            let removed = before - state.queue.len();
            for worker in &mut state.workers {
                // A worker runs its chunks in order: the first in flight is the one it
                // runs, or starts next (its STARTED may not be read yet).
                let running = worker.in_flight.front().map(|c| c.id);
                for chunk in worker.in_flight.iter_mut().filter(|c| same(c)) {
                    chunk.cancelled = true;
                    if running == Some(chunk.id) && worker.killed.is_none() {
                        worker.killed = Some(Kill::Cancel { chunk: chunk.id });
                        let _ = worker.process.kill();
                        killed.get_or_insert(worker.pid);
                    }
                }
            }
            removed
        };
        if removed > 0 {
            self.finished(removed);
        }
        killed
    }

    /// Gives queued chunks to workers with room, the least loaded first. The caller then
    /// unlocks with [`notify_started`](Self::notify_started), which writes the chunks
    /// for idle workers.
    fn dispatch(&self, state: &mut State) {
        if state.phase == Phase::Terminated || state.broken.is_some() {
            return;
        }
        let maxtasks = self.config.maxtasks;
        // Messages for each worker's writer, posted together at the end, and whether to
        // wake it.
        let mut posts: Vec<(Vec<Arc<Vec<u8>>>, bool)> = Vec::new();
        while !state.queue.is_empty() {
            let size = state.queue.front().map_or(0, |c| c.message.len());
            let Some((index, worker)) = state
                .workers
                .iter_mut()
                .enumerate()
                .filter(|(_, w)| {
                    !w.stopping
                        && w.killed.is_none()
                        && w.in_flight.len() < WINDOW_CHUNKS
                        && (w.in_flight.is_empty() || w.in_flight_bytes + size <= WINDOW_BYTES)
                        && maxtasks.is_none_or(|m| w.assigned < m)
                })
                .min_by_key(|(_, w)| w.in_flight.len())
            else {
                break;
            };
            let chunk = state.queue.pop_front().expect("the queue is not empty");
            worker.assigned += 1;
            worker.in_flight_bytes += chunk.message.len();
            // If the writer is gone the worker is ending: its reader puts the chunk back.
            if worker.in_flight.is_empty() && worker.answered && worker.outbox.claim() {
                let direct = (
                    Arc::clone(&worker.conn),
                    Arc::clone(&worker.outbox),
                    Arc::clone(&chunk.message),
                );
                state.direct.push(direct);
            } else {
                if posts.len() <= index {
                    posts.resize_with(index + 1, Default::default);
                }
                let (messages, wake) = &mut posts[index];
                messages.push(Arc::clone(&chunk.message));
                // A chunk before it is sent (or will be) and unanswered: its answer kicks.
                if worker.in_flight.len() > worker.quiet && worker.quiet < QUIET_MAX {
                    worker.quiet += 1;
                } else {
                    *wake = true;
                    worker.quiet = 0;
                }
            }
            if worker.in_flight.is_empty() {
                // Sent to an idle worker: it starts it as soon as it reads it.
                worker.started = Some((chunk.id, Instant::now()));
                state.started.push((Arc::clone(&chunk.job), chunk.offset));
            }
            worker.in_flight.push_back(chunk);
        }
        for (worker, (messages, wake)) in state.workers.iter().zip(posts) {
            if !messages.is_empty() {
                worker.outbox.post_all(messages, wake);
            }
        }
    }

    /// After `close`, once all work is done, tells the workers to exit.
    fn maybe_stop(&self, state: &mut State) {
        if state.phase == Phase::Closed
            && state.outstanding == 0
            && (state.feeders == 0 || state.joining)
        {
            for worker in &mut state.workers {
                if !worker.stopping {
                    worker.stopping = true;
                    worker.outbox.post(Arc::new(protocol::stop_message()));
                }
            }
        }
    }

    /// Starts one worker process and its two threads.
    fn spawn_worker(self: &Arc<Self>) -> Result<(), PoolError> {
        let start_error = |what: &str, e: &dyn std::fmt::Display| {
            PoolError::new(
                PoolErrorKind::Start,
                format!("cannot start a pool worker: {what}: {e}"),
            )
        };
        let spawning = self.spawning.lock().unwrap_or_else(|e| e.into_inner());
        let (parent, child) = pipe(true).map_err(|e| start_error("no connection", &e))?;
        let id = {
            let mut state = self.lock();
            let id = state.next_worker;
            state.next_worker += 1;
            id
        };
        // Without a journal (no shared memory), the worker answers each chunk at once.
        let journal = Journal::create().ok();
        let setup = WorkerSetup {
            init: self.config.init.clone(),
            maxtasks: self.config.maxtasks,
            journal: journal.clone(),
        };
        let mut process = Process::new(worker_main, (child, setup))
            .name(format!("PoolWorker-{id}"))
            .daemon(true);
        if let Some(method) = self.config.start_method {
            process = process.start_method(method);
        }
        let handle = Arc::new(process.start().map_err(|e| start_error("no process", &e))?);
        drop(spawning);
        let conn = Arc::new(parent);
        let outbox = Arc::new(Outbox::new());
        {
            let mut state = self.lock();
            if state.phase == Phase::Terminated {
                let _ = handle.kill();
            }
            state.workers.push(WorkerSlot {
                id,
                pid: handle.pid(),
                process: Arc::clone(&handle),
                conn: Arc::clone(&conn),
                outbox: Arc::clone(&outbox),
                journal,
                answered: false,
                in_flight: VecDeque::new(),
                in_flight_bytes: 0,
                started: None,
                assigned: 0,
                quiet: 0,
                killed: None,
                stopping: false,
            });
            self.dispatch(&mut state);
            self.maybe_stop(&mut state);
            self.notify_started(state);
        }
        let writer_conn = Arc::clone(&conn);
        let writer = std::thread::Builder::new()
            .name(format!("tripod-pool-writer-{id}"))
            .spawn(move || run_writer(&writer_conn, &outbox));
        let engine = Arc::clone(self);
        let reader = std::thread::Builder::new()
            .name(format!("tripod-pool-reader-{id}"))
            .spawn(move || engine.run_reader(id, &conn));
        let mut state = self.lock();
        // Join the threads of workers that are gone: an exited thread that nobody joins
        // keeps its stack, and a pool that recycles its workers (`maxtasksperchild`, lost
        // workers) ends two threads per worker.
        let (ended, live): (Vec<_>, Vec<_>) = std::mem::take(&mut state.threads)
            .into_iter()
            .partition(JoinHandle::is_finished);
        state.threads = live;
        for thread in ended {
            // Finished: this does not block.
            let _ = thread.join();
        }
        for thread in [writer, reader] {
            match thread {
                Ok(handle) => state.threads.push(handle),
                Err(e) => {
                    // Without its threads the worker is useless: kill it; if the reader
                    // did start, it cleans up; if not, do it here.
                    let _ = handle.kill();
                    drop(state);
                    self.worker_ended(id);
                    return Err(start_error("no thread", &e));
                }
            }
        }
        Ok(())
    }

    /// The reader thread of one worker.
    fn run_reader(self: &Arc<Self>, id: u64, conn: &Connection) {
        let mut done = 0;
        while let Ok(frame) = conn.recv_bytes() {
            let replies = match protocol::parse_replies(&frame) {
                Ok(replies) => replies,
                Err(_) => {
                    // A worker that breaks the protocol is not trusted with more work.
                    self.kill_worker(id);
                    break;
                }
            };
            for reply in replies {
                match reply {
                    Reply::Done(chunk, outcomes) => done += self.on_done(id, chunk, outcomes),
                    Reply::InitFailed(message) => self.on_init_failed(message),
                }
            }
            // The frames already received are taken first: the window is refilled once.
            if !conn.has_buffered() {
                self.after_frame(id, std::mem::take(&mut done));
            }
        }
        if done > 0 {
            self.after_frame(id, done);
        }
        self.worker_ended(id);
    }

    fn kill_worker(&self, id: u64) {
        let state = self.lock();
        if let Some(worker) = state.workers.iter().find(|w| w.id == id) {
            let _ = worker.process.kill();
        }
    }

    /// The chunk `chunk_id` of worker `id` is done: its job gets the outcomes. 1 if it
    /// was in flight, else 0.
    fn on_done(&self, id: u64, chunk_id: u64, outcomes: protocol::Outcomes<'_>) -> usize {
        let chunk = {
            let mut state = self.lock();
            let Some(worker) = state.workers.iter_mut().find(|w| w.id == id) else {
                return 0;
            };
            let Some(at) = worker.in_flight.iter().position(|c| c.id == chunk_id) else {
                return 0;
            };
            let chunk = worker
                .in_flight
                .remove(at)
                .expect("the position is in range");
            worker.in_flight_bytes -= chunk.message.len();
            worker.answered = true;
            chunk
        };
        deliver(&chunk, outcomes);
        1
    }

    /// After a frame of replies from worker `id`, `done` chunks of which finished: the
    /// worker now runs its first chunk in flight (killed if that chunk's job was
    /// cancelled: it must not run), and has room for more.
    fn after_frame(&self, id: u64, done: usize) {
        let mut state = self.lock();
        if let Some(worker) = state.workers.iter_mut().find(|w| w.id == id) {
            let front = worker.in_flight.front();
            let running = front.map(|c| c.id);
            if running != worker.started.map(|(c, _)| c) {
                worker.started = running.map(|c| (c, Instant::now()));
                if let Some(chunk) = front {
                    if chunk.cancelled {
                        if worker.killed.is_none() {
                            worker.killed = Some(Kill::Cancel { chunk: chunk.id });
                            let _ = worker.process.kill();
                        }
                    } else {
                        let note = (Arc::clone(&chunk.job), chunk.offset);
                        state.started.push(note);
                    }
                }
            }
        }
        state.outstanding = state.outstanding.saturating_sub(done);
        // Refilled once half its window is free, many chunks at a time (one wake-up of
        // its writer, one frame), rather than one chunk per reply.
        let low = state.workers.iter().find(|w| w.id == id).is_none_or(|w| {
            w.in_flight.len() <= WINDOW_CHUNKS / 2 && w.in_flight_bytes <= WINDOW_BYTES / 2
        });
        if low {
            self.dispatch(&mut state);
        }
        // Its answer came: the chunks posted quietly behind it go.
        if let Some(worker) = state.workers.iter_mut().find(|w| w.id == id)
            && worker.quiet > 0
        {
            worker.quiet = 0;
            worker.outbox.kick();
        }
        self.maybe_stop(&mut state);
        self.notify_started(state);
        if done > 0 {
            self.changed.notify_all();
        }
    }

    /// `n` chunks were delivered: maybe all work is done.
    fn finished(&self, n: usize) {
        let mut state = self.lock();
        state.outstanding = state.outstanding.saturating_sub(n);
        self.maybe_stop(&mut state);
        drop(state);
        self.changed.notify_all();
    }

    fn on_init_failed(&self, message: String) {
        let error = PoolError::new(
            PoolErrorKind::Initializer,
            format!("the pool is broken: {message}"),
        );
        let failed: Vec<Chunk> = {
            let mut state = self.lock();
            if state.broken.is_none() {
                state.broken = Some(error.clone());
            }
            state.queue.drain(..).collect()
        };
        let n = failed.len();
        for chunk in failed {
            chunk
                .job
                .chunk_failed(chunk.offset, chunk.len, error.clone());
        }
        self.finished(n);
    }

    /// A worker's connection ended: find out how, settle what it held, replace it.
    fn worker_ended(self: &Arc<Self>, id: u64) {
        let Some(mut slot) = ({
            let mut state = self.lock();
            let at = state.workers.iter().position(|w| w.id == id);
            at.map(|at| state.workers.remove(at))
        }) else {
            return;
        };
        slot.outbox.close(); // ends its writer thread
        if !slot.process.join_timeout(REAP_GRACE) {
            let _ = slot.process.kill();
            slot.process.join_timeout(REAP_GRACE * 5);
        }
        let exitcode = slot.process.exitcode();
        // The replies it held back when it died: delivered, as if it had sent them.
        let recovered = match (&slot.journal, exitcode) {
            (Some(journal), Some(_)) => recover(&mut slot.in_flight, &journal.read_back()),
            _ => 0,
        };
        let mut failed: Vec<(Chunk, PoolError)> = Vec::new();
        let mut dropped = 0;
        let replace = {
            let mut state = self.lock();
            let mut requeue = Vec::new();
            // It runs its chunks in order: the first it had not answered is the one it ran.
            let running = slot.in_flight.front().map(|c| c.id);
            for mut chunk in slot.in_flight.drain(..) {
                if state.phase == Phase::Terminated {
                    failed.push((chunk, PoolError::terminated()));
                    continue;
                }
                if let Some(broken) = &state.broken {
                    failed.push((chunk, broken.clone()));
                    continue;
                }
                let max_retries = self.config.max_retries;
                match verdict(
                    &chunk,
                    running,
                    slot.killed,
                    slot.pid,
                    exitcode,
                    max_retries,
                ) {
                    Verdict::Fail(error) => failed.push((chunk, error)),
                    Verdict::Requeue { retry } => {
                        chunk.retries += u32::from(retry);
                        requeue.push(chunk);
                    }
                    Verdict::Drop => dropped += 1,
                }
            }
            for chunk in requeue.into_iter().rev() {
                state.queue.push_front(chunk);
            }
            // Recovered chunks are done too (counted off below, with these).
            let busy = state.outstanding > failed.len() + dropped + recovered;
            let replace = state.broken.is_none()
                && match state.phase {
                    Phase::Running => true,
                    Phase::Closed => busy || (state.feeders > 0 && !state.joining),
                    Phase::Terminated => false,
                };
            if replace {
                state.starting += 1;
            }
            replace
        };
        let n = failed.len() + dropped + recovered;
        for (chunk, error) in failed {
            chunk.job.chunk_failed(chunk.offset, chunk.len, error);
        }
        if n > 0 {
            self.finished(n);
        }
        if replace {
            let started = self.spawn_worker();
            let mut state = self.lock();
            state.starting -= 1;
            if let Err(error) = started
                && state.workers.is_empty()
                && state.starting == 0
            {
                // No worker left and none can start: fail what waits rather than hang.
                state.broken = Some(error.clone());
                let queued: Vec<Chunk> = state.queue.drain(..).collect();
                drop(state);
                let n = queued.len();
                for chunk in queued {
                    chunk
                        .job
                        .chunk_failed(chunk.offset, chunk.len, error.clone());
                }
                self.finished(n);
                return;
            }
            self.dispatch(&mut state);
            self.notify_started(state);
        }
        self.changed.notify_all();
    }

    /// Starts the watchdog thread if it is not running.
    fn ensure_watchdog(self: &Arc<Self>, state: &mut State) {
        if state.watchdog {
            return;
        }
        // The watchdog holds only a weak reference, so it never keeps the pool alive.
        let engine = Arc::downgrade(self);
        if let Ok(handle) = std::thread::Builder::new()
            .name("tripod-pool-watchdog".to_owned())
            .spawn(move || run_watchdog(&engine))
        {
            state.watchdog = true;
            state.threads.push(handle);
        }
    }

    pub(crate) fn close(&self) {
        let mut state = self.lock();
        if state.phase == Phase::Running {
            state.phase = Phase::Closed;
        }
        self.maybe_stop(&mut state);
        drop(state);
        self.changed.notify_all();
    }

    /// Waits for the workers to exit after `close` (or `terminate`), then for the threads.
    pub(crate) fn join(&self) -> Result<(), PoolError> {
        let mut state = self.lock();
        if state.phase == Phase::Running {
            return Err(PoolError::new(
                PoolErrorKind::StillRunning,
                "join() needs close() or terminate() first: the pool is still running",
            ));
        }
        state.joining = true;
        self.maybe_stop(&mut state);
        drop(state);
        self.wait_workers_gone();
        Ok(())
    }

    /// Kills every worker, fails every unfinished task with `Terminated`, and waits for
    /// the workers and the pool's threads.
    pub(crate) fn terminate(&self) {
        let queued: Vec<Chunk> = {
            let mut state = self.lock();
            state.phase = Phase::Terminated;
            for worker in &state.workers {
                let _ = worker.process.kill();
            }
            state.queue.drain(..).collect()
        };
        self.watch.notify_all();
        let n = queued.len();
        for chunk in queued {
            chunk
                .job
                .chunk_failed(chunk.offset, chunk.len, PoolError::terminated());
        }
        self.finished(n);
        self.wait_workers_gone();
    }

    fn wait_workers_gone(&self) {
        let mut state = self.lock();
        while !state.workers.is_empty() || state.starting > 0 {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        // Every reader has settled its worker; wake the watchdog so that it ends.
        state.shut_down = true;
        let threads = std::mem::take(&mut state.threads);
        drop(state);
        self.watch.notify_all();
        let me = std::thread::current().id();
        for thread in threads {
            if thread.thread().id() != me {
                let _ = thread.join();
            }
        }
        // The result thread runs what the readers posted, then ends.
        let _ = self.results.send(None);
        let handle = self
            .result_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(handle) = handle
            && handle.thread().id() != me
        {
            let _ = handle.join();
        }
    }

    /// Worker pids, for tests and diagnostics.
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.lock().workers.iter().map(|w| w.pid).collect()
    }
}

/// Gives `chunk`'s job the outcomes of its reply.
fn deliver(chunk: &Chunk, outcomes: protocol::Outcomes<'_>) {
    if outcomes.len() == chunk.len {
        chunk.job.chunk_done(chunk.offset, outcomes);
    } else {
        chunk.job.chunk_failed(
            chunk.offset,
            chunk.len,
            PoolError::new(
                PoolErrorKind::Decode,
                format!(
                    "the worker returned {} outcomes for a chunk of {}",
                    outcomes.len(),
                    chunk.len
                ),
            ),
        );
    }
}

/// Delivers the replies read back from a dead worker's journal (`replies`) for chunks
/// still in `in_flight`, and takes those chunks out; replies it had sent already are no
/// longer in flight and are skipped. The number of chunks delivered.
fn recover(in_flight: &mut VecDeque<Chunk>, replies: &[u8]) -> usize {
    // A journal that does not parse (a worker that broke the protocol) gives nothing.
    let Ok(replies) = protocol::parse_replies(replies) else {
        return 0;
    };
    let mut recovered = 0;
    for reply in replies {
        let Reply::Done(id, outcomes) = reply else {
            continue;
        };
        if let Some(at) = in_flight.iter().position(|c| c.id == id) {
            let chunk = in_flight.remove(at).expect("the position is in range");
            deliver(&chunk, outcomes);
            recovered += 1;
        }
    }
    recovered
}

fn scaled(timeout: Duration, items: usize) -> Duration {
    timeout.saturating_mul(u32::try_from(items.max(1)).unwrap_or(u32::MAX))
}

/// Messages queued for one worker are sent together, in one frame, up to this size.
const BATCH_BYTES: usize = 256 << 10;

fn run_writer(conn: &Connection, outbox: &Outbox) {
    let mut batch = Vec::new();
    let mut messages = Vec::new();
    loop {
        {
            let mut state = outbox.lock();
            while state.busy || state.queue.is_empty() {
                if state.closed && !state.busy && state.queue.is_empty() {
                    return;
                }
                state = outbox.ready.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            state.busy = true;
            let mut bytes = 0;
            while bytes < BATCH_BYTES
                && let Some(message) = state.queue.pop_front()
            {
                bytes += message.len();
                messages.push(message);
            }
        }
        let sent = match &messages[..] {
            // Alone: sent as it is, without a copy (it may be large).
            [one] => conn.send_bytes(one),
            many => {
                batch.clear();
                for message in many {
                    batch.extend_from_slice(message);
                }
                conn.send_bytes(&batch)
            }
        };
        messages.clear();
        outbox.lock().busy = false;
        if sent.is_err() {
            // The worker is gone; its reader sees the end and settles.
            return;
        }
    }
}

fn run_results(inbox: Receiver<Option<ResultWork>>) {
    // Each piece of work catches its callback's panic itself.
    while let Ok(Some(work)) = inbox.recv() {
        work.run();
    }
}

fn run_watchdog(engine: &std::sync::Weak<Engine>) {
    loop {
        let Some(engine) = engine.upgrade() else {
            return;
        };
        let mut state = engine.lock();
        if state.shut_down {
            return;
        }
        let now = Instant::now();
        let mut next: Option<Instant> = None;
        for worker in &mut state.workers {
            let Some((chunk_id, since)) = worker.started else {
                continue;
            };
            if worker.killed.is_some() {
                continue;
            }
            let Some(chunk) = worker.in_flight.iter().find(|c| c.id == chunk_id) else {
                continue;
            };
            let Some(timeout) = chunk.timeout else {
                continue;
            };
            let deadline = since + scaled(timeout, chunk.len);
            if deadline <= now {
                worker.killed = Some(Kill::Timeout {
                    chunk: chunk_id,
                    timeout,
                });
                let _ = worker.process.kill();
            } else {
                next = Some(next.map_or(deadline, |n| n.min(deadline)));
            }
        }
        // Wait for the next deadline, or for a start or the end to wake us; then look again.
        let wait = next.map_or(Duration::from_secs(1), |n| n.saturating_duration_since(now));
        let _ = engine.watch.wait_timeout(state, wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoJob;

    impl Job for NoJob {
        fn chunk_done(&self, _: usize, _: protocol::Outcomes<'_>) {}
        fn chunk_failed(&self, _: usize, _: usize, _: PoolError) {}
    }

    fn chunk(id: u64, retries: u32, cancelled: bool) -> Chunk {
        Chunk {
            id,
            message: Arc::new(Vec::new()),
            len: 1,
            offset: 0,
            job: Arc::new(NoJob),
            retries,
            timeout: Some(Duration::from_secs(1)),
            cancelled,
        }
    }

    fn kind(verdict: Verdict) -> Option<PoolErrorKind> {
        match verdict {
            Verdict::Fail(error) => Some(error.kind()),
            _ => None,
        }
    }

    #[test]
    fn only_the_chunk_killed_for_its_timeout_times_out() {
        let timeout = Duration::from_secs(1);
        let killed = Some(Kill::Timeout { chunk: 1, timeout });
        // The overdue chunk, still running when the kill landed.
        let v = verdict(&chunk(1, 0, false), Some(1), killed, 7, Some(-9), 0);
        assert_eq!(kind(v), Some(PoolErrorKind::TaskTimeout));
        // The overdue chunk finished just before the kill, and the worker started the
        // next one: that one is innocent and runs again, without using a retry.
        let v = verdict(&chunk(2, 0, false), Some(2), killed, 7, Some(-9), 0);
        assert_eq!(v, Verdict::Requeue { retry: false });
        // Not started: back to the queue.
        let v = verdict(&chunk(3, 0, false), Some(1), killed, 7, Some(-9), 0);
        assert_eq!(v, Verdict::Requeue { retry: false });
    }

    #[test]
    fn a_lost_worker_costs_the_running_chunk_a_retry_or_its_result() {
        let v = verdict(&chunk(1, 0, false), Some(1), None, 7, Some(-6), 1);
        assert_eq!(v, Verdict::Requeue { retry: true });
        let v = verdict(&chunk(1, 1, false), Some(1), None, 7, Some(-6), 1);
        assert_eq!(kind(v), Some(PoolErrorKind::WorkerLost));
    }

    /// Records the values its chunks deliver, by offset.
    #[derive(Default)]
    struct Record(Mutex<Vec<(usize, u64)>>);

    impl Job for Record {
        fn chunk_done(&self, offset: usize, mut outcomes: protocol::Outcomes<'_>) {
            let value = outcomes.next_item::<u64>().unwrap().unwrap();
            self.0.lock().unwrap().push((offset, value));
        }
        fn chunk_failed(&self, _: usize, _: usize, error: PoolError) {
            panic!("{error}")
        }
    }

    fn done(buf: &mut Vec<u8>, chunk: u64, value: u64) {
        let mark = protocol::begin_done(buf, chunk, 1);
        buf.push(crate::wire::FORMAT_VERSION);
        buf.push(crate::spawn::CHUNK_OK);
        crate::wire::encode_raw_into(&value, buf).unwrap();
        protocol::end_done(buf, mark);
    }

    #[test]
    fn a_dead_workers_journal_delivers_what_it_held_back() {
        let record = Arc::new(Record::default());
        let mut in_flight: VecDeque<Chunk> = (1..=4)
            .map(|id| Chunk {
                offset: id as usize,
                job: Arc::clone(&record) as Arc<dyn Job>,
                ..chunk(id, 0, false)
            })
            .collect();
        // Chunk 7 was answered on the connection before the worker died (it is no longer
        // in flight); 1 and 2 were held back; 3 was running, 4 waiting.
        let mut journal = Vec::new();
        done(&mut journal, 7, 70);
        done(&mut journal, 1, 10);
        done(&mut journal, 2, 20);
        assert_eq!(recover(&mut in_flight, &journal), 2);
        assert_eq!(*record.0.lock().unwrap(), [(1, 10), (2, 20)]);
        let left: Vec<u64> = in_flight.iter().map(|c| c.id).collect();
        assert_eq!(left, [3, 4], "3 is the chunk it ran");
        // What does not parse gives nothing (a journal is never published cut short).
        assert_eq!(recover(&mut in_flight, &[9, 9, 9]), 0);
        assert_eq!(in_flight.len(), 2);
    }

    #[test]
    fn cancelled_chunks_are_never_run_again() {
        let killed = Some(Kill::Cancel { chunk: 1 });
        let v = verdict(&chunk(1, 0, true), Some(1), killed, 7, Some(-9), 3);
        let Verdict::Fail(error) = v else {
            panic!("{v:?}")
        };
        assert_eq!(
            (error.kind(), error.pid()),
            (PoolErrorKind::Cancelled, Some(7))
        );
        // Sent to the worker, not started, cancelled: dropped, not requeued.
        assert_eq!(
            verdict(&chunk(2, 0, true), Some(1), killed, 7, Some(-9), 3),
            Verdict::Drop
        );
        // Running and cancelled, but the worker died of something else first.
        assert_eq!(
            verdict(&chunk(1, 0, true), Some(1), None, 7, Some(-6), 3),
            Verdict::Drop
        );
    }
}
