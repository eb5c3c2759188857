//! The loop's own tasks: each task is an `async-task` cell in the loop's ready queue, and
//! the loop's driver (one tokio task per worker thread of the runtime) runs the ready ones.
//!
//! Why not a tokio task per asyncio task: a tokio task is aligned to 128 bytes (256 bytes
//! and a `memalign` for the smallest future), sits in tokio's list of owned tasks, and
//! takes about twice the memory traffic; 100k trivial tasks ran twice as fast this way
//! (ARCHITECTURE.md, "asyncio"). Timers, sockets and `tokio::spawn` inside a task are still
//! tokio's: the driver is an ordinary tokio task, and every task it runs runs inside it.
//!
//! - **Ready queue**: FIFO, as asyncio's `call_soon` queue. A driver runs up to
//!   [`BATCH`] tasks (fewer when the tokio budget they share is spent), then yields to
//!   tokio (its I/O and timers, and the `block_on` future), as asyncio's loop polls its
//!   selector between rounds of ready callbacks.
//! - **Registry**: every live task's waker and cancel flag, by a slab key the task keeps.
//!   [`AbortHandle::abort`] flags the task and wakes it; [`Scheduler::close`] closes and
//!   wakes them all.
//! - **Cancellation** ends a task's future at its next poll, as tokio's `abort` does (a
//!   task finished before that keeps its output): the task's output is then `None`. A task
//!   always ends with an output, so its handle never sees a task closed without one.
//! - **Close** wakes every task, which then sees the scheduler closed, and runs each one
//!   (dropping its future) on the closing thread. A task is never run inside the `wake` that scheduled it (the waker may hold a
//!   lock that the future's destructor takes): one woken while the loop closes is run by
//!   the close, one running meanwhile on another driver by that driver at the end of its
//!   step, one woken by such a step by the loop's close once the runtime is gone, and one
//!   woken later still (by a thread outside the loop, at the moment of the close) by a
//!   *reaper*, a thread that lives while it has tasks to drop.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};

use async_task::Runnable;
use event_listener::{Event, IntoNotification};
use parking_lot::Mutex;
use pin_project_lite::pin_project;
use slab::Slab;

use crate::PanicError;

/// Tasks a driver runs before it yields to tokio.
const BATCH: usize = 128;

/// A task's id, unique in the process: Python's `id(task)`, tokio's `task::Id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Id(u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A loop's ready queue, its drivers' wake-up and its registry of live tasks.
pub(crate) struct Scheduler {
    ready: Mutex<Ready>,
    /// A driver with nothing to run listens here.
    work: Event,
    /// Set (with `ready` locked) by `close`; read by `spawn` with the registry locked.
    closed: AtomicBool,
    tasks: Mutex<Slab<Entry>>,
    /// Entries flagged cancelled and not yet removed: a task looks at its flag only when
    /// this is not zero.
    cancels: AtomicUsize,
    /// A scheduler for one task outside any tripod loop: its driver ends with its tasks.
    solo: bool,
    /// Tasks scheduled after the close, to be run (their futures dropped) by the close or
    /// by a reaper thread: never inside the `wake` that scheduled them.
    dead: Mutex<Dead>,
}

/// Tasks scheduled after the close.
struct Dead {
    queue: VecDeque<Runnable<Meta>>,
    /// Whether the close runs them (from `begin_close` to the end of `finish_close`):
    /// nobody else needs to.
    draining: bool,
    /// Whether a reaper thread runs them.
    reaping: bool,
}

/// The ready queue.
struct Ready {
    /// Tasks ready to run, oldest first; `None` once closed (nothing is queued then).
    queue: Option<VecDeque<Runnable<Meta>>>,
    /// Drivers listening on `work` for a task, none yet sent to wake them.
    idle: usize,
}

impl Ready {
    /// Counts a driver that will be woken by this push off `idle`: whether to wake one.
    fn take_idle(&mut self) -> bool {
        let wake = self.idle > 0;
        if wake {
            self.idle -= 1;
        }
        wake
    }
}

struct Entry {
    id: Id,
    waker: Waker,
    cancelled: bool,
}

/// What each task's cell carries besides its future: how to reach its scheduler.
struct Meta {
    scheduler: Arc<Scheduler>,
    key: usize,
    id: Id,
}

impl Scheduler {
    /// A loop's scheduler: its drivers run until it is closed.
    pub(crate) fn new() -> Arc<Scheduler> {
        Self::with(false)
    }

    /// A scheduler for a task created in a tokio runtime that is no tripod loop: spawn the
    /// task, then its [driver](Scheduler::drive) on that runtime; the driver ends when the
    /// task does, and closes the scheduler (cancelling the task) if the runtime drops it
    /// first.
    pub(crate) fn solo() -> Arc<Scheduler> {
        Self::with(true)
    }

    fn with(solo: bool) -> Arc<Scheduler> {
        Arc::new(Scheduler {
            ready: Mutex::new(Ready {
                queue: Some(VecDeque::new()),
                idle: 0,
            }),
            work: Event::new(),
            closed: AtomicBool::new(false),
            tasks: Mutex::new(Slab::new()),
            cancels: AtomicUsize::new(0),
            solo,
            dead: Mutex::new(Dead {
                queue: VecDeque::new(),
                draining: false,
                reaping: false,
            }),
        })
    }

    /// Makes `future` a task of this scheduler, ready to run. On a closed scheduler the
    /// task is cancelled at once (its future dropped).
    pub(crate) fn spawn<F>(self: &Arc<Self>, future: F) -> Join<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let id = Id(NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let mut tasks = self.tasks.lock();
        let entry = tasks.vacant_entry();
        let key = entry.key();
        // Under the registry's lock: either `close` wakes this entry, or this sees it closed.
        let closed = self.is_closed();
        let guarded = Guarded {
            future: Some(future),
            scheduler: Arc::clone(self),
            key,
            id,
        };
        let meta = Meta {
            scheduler: Arc::clone(self),
            key,
            id,
        };
        let (runnable, task) = async_task::Builder::new()
            .metadata(meta)
            .spawn(move |_| guarded, async_task::WithInfo(schedule));
        entry.insert(Entry {
            id,
            waker: runnable.waker(),
            cancelled: false,
        });
        drop(tasks);
        if closed {
            // Its future is dropped here and now, as tokio drops a future spawned on a
            // runtime that shut down (never on another task's stack).
            runnable.run();
        } else {
            runnable.schedule();
        }
        Join { task: Some(task) }
    }

    /// Runs ready tasks until the scheduler is closed (or, [solo](Scheduler::solo), has no
    /// task left): the loop spawns one such driver per worker thread of its tokio runtime.
    /// A driver dropped by its runtime (even before its first poll) closes the scheduler:
    /// nothing else would run its tasks, and the queue's tasks would keep the scheduler
    /// alive.
    pub(crate) fn drive(self: Arc<Self>) -> impl Future<Output = ()> + Send + 'static {
        let close = CloseOnDrop(self);
        async move { close.0.run_ready().await }
    }

    async fn run_ready(&self) {
        loop {
            let mut ran = 0;
            while let Some(runnable) = self.pop() {
                runnable.run();
                ran += 1;
                if ran == BATCH || !tokio::task::coop::has_budget_remaining() {
                    break;
                }
            }
            if ran > 0 {
                // Let tokio poll its I/O and timers (and run other tokio tasks) before
                // the next round, as asyncio polls its selector between rounds.
                tokio::task::yield_now().await;
                continue;
            }
            // Listening before the check: a task pushed after it finds this driver idle
            // and wakes it.
            let listener = self.work.listen();
            {
                let mut ready = self.ready.lock();
                match &ready.queue {
                    Some(queue) if queue.is_empty() => {
                        if self.solo && self.tasks.lock().is_empty() {
                            return;
                        }
                        ready.idle += 1;
                    }
                    Some(_) => continue,
                    None => return, // closed
                }
            }
            listener.await;
        }
    }

    /// Cancels every task, now and from now on: the loop is closed. The tasks' futures
    /// are dropped on this thread, with no lock held (a future may own other tasks, or
    /// spawn, or wake other tasks as it is dropped). A task out of reach meanwhile (running
    /// on another driver, or woken by another thread at this very moment) has its future
    /// dropped right after (see the module docs): never inside the `wake` that scheduled
    /// it, which may hold a lock the future's destructor takes (an `event_listener` list,
    /// a task's cell).
    pub(crate) fn close(&self) {
        if self.begin_close() {
            self.finish_close();
        }
    }

    /// Closes as [`close`](Scheduler::close) does, but keeps the tasks scheduled from now
    /// on (by drivers still running their last steps) for
    /// [`finish_close`](Scheduler::finish_close), which the loop calls once its runtime is
    /// gone. `false` if the scheduler was closed already (nothing to finish).
    pub(crate) fn begin_close(&self) -> bool {
        let queued = {
            let mut ready = self.ready.lock();
            if ready.queue.is_none() {
                return false; // closed already: its closer finishes
            }
            // Before `closed`: every task scheduled from here on waits in `dead` for this
            // close to run it.
            self.dead.lock().draining = true;
            self.closed.store(true, Ordering::Release);
            ready.queue.take()
        };
        // A woken task sees `closed` at its poll and drops its future.
        let wakers: Vec<Waker> = {
            let tasks = self.tasks.lock();
            tasks.iter().map(|(_, entry)| entry.waker.clone()).collect()
        };
        self.dead.lock().queue.extend(queued.into_iter().flatten());
        // Waking a task schedules it into `dead` (see `push`).
        for waker in wakers {
            waker.wake();
        }
        self.run_dead(|_| {});
        // Idle drivers end.
        self.work.notify(usize::MAX);
        true
    }

    /// Runs the tasks scheduled since [`begin_close`](Scheduler::begin_close) on this
    /// thread; a task scheduled after this returns goes to a reaper thread.
    pub(crate) fn finish_close(&self) {
        self.run_dead(|dead| dead.draining = false);
    }

    /// Runs the `dead` tasks until there are none, then calls `done` on them (to say that
    /// nobody runs them any more) under the lock `push` looks at them under: no task is
    /// left behind.
    fn run_dead(&self, done: impl Fn(&mut Dead)) {
        loop {
            let next = {
                let mut dead = self.dead.lock();
                let next = dead.queue.pop_front();
                if next.is_none() {
                    done(&mut dead);
                }
                next
            };
            let Some(runnable) = next else { break };
            runnable.run();
        }
    }

    /// Whether [`Scheduler::close`] ran.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    fn pop(&self) -> Option<Runnable<Meta>> {
        let mut ready = self.ready.lock();
        let queue = ready.queue.as_mut()?;
        let runnable = queue.pop_front();
        // On a multi-thread loop, an idle driver takes the rest.
        let wake = !queue.is_empty() && ready.take_idle();
        drop(ready);
        if wake {
            self.work.notify(1.additional());
        }
        runnable
    }

    /// Queues a task to run. `rerun`: it was woken while it ran, and the thread that ran it
    /// schedules it at the end of its step (holding no lock of its own).
    fn push(self: &Arc<Self>, runnable: Runnable<Meta>, rerun: bool) {
        let mut ready = self.ready.lock();
        match ready.queue.as_mut() {
            Some(queue) => {
                queue.push_back(runnable);
                let wake = ready.take_idle();
                drop(ready);
                if wake {
                    self.work.notify(1.additional());
                }
            }
            None if rerun => {
                // Closed while the task ran (on another driver): the thread that ran it
                // drops its future now, before the runtime can end.
                drop(ready);
                runnable.run();
            }
            None => {
                // Closed: running the task drops its future (see `Guarded`), but not here,
                // inside a `wake`.
                drop(ready);
                let mut dead = self.dead.lock();
                dead.queue.push_back(runnable);
                if !dead.draining && !dead.reaping {
                    dead.reaping = self.start_reaper();
                }
            }
        }
    }

    /// Starts a thread that runs the `dead` tasks and ends when there are none: whether it
    /// started (if not, the tasks wait for the next push or drain).
    fn start_reaper(self: &Arc<Self>) -> bool {
        let scheduler = Arc::clone(self);
        let started = std::thread::Builder::new()
            .name("tripod-asyncio-reaper".into())
            .spawn(move || scheduler.run_dead(|dead| dead.reaping = false));
        match started {
            Ok(_) => true,
            Err(err) => {
                eprintln!(
                    "tripod::asyncio: cannot start a thread to drop a closed loop's tasks: {err}"
                );
                false
            }
        }
    }

    fn abort(&self, key: usize, id: Id) {
        let waker = {
            let mut tasks = self.tasks.lock();
            match tasks.get_mut(key) {
                Some(entry) if entry.id == id && !entry.cancelled => {
                    entry.cancelled = true;
                    self.cancels.fetch_add(1, Ordering::Release);
                    entry.waker.clone()
                }
                _ => return, // ended already, or flagged
            }
        };
        waker.wake();
    }

    /// Whether the task must end without running on: flagged by `abort`, or its loop
    /// closed.
    fn is_cancelled(&self, key: usize, id: Id) -> bool {
        if self.is_closed() {
            return true;
        }
        if self.cancels.load(Ordering::Acquire) == 0 {
            return false;
        }
        self.tasks
            .lock()
            .get(key)
            .is_some_and(|entry| entry.id == id && entry.cancelled)
    }

    fn remove(&self, key: usize, id: Id) {
        let entry = {
            let mut tasks = self.tasks.lock();
            match tasks.get(key) {
                Some(entry) if entry.id == id => tasks.remove(key),
                _ => return,
            }
        };
        if entry.cancelled {
            self.cancels.fetch_sub(1, Ordering::Release);
        }
        drop(entry); // its waker, with the lock released
        if self.solo {
            // The driver may be idle, waiting for the last task to end.
            self.work.notify(usize::MAX);
        }
    }

    #[cfg(test)]
    pub(crate) fn live_tasks(&self) -> usize {
        self.tasks.lock().len()
    }
}

/// Closes a scheduler when its driver ends or is dropped.
struct CloseOnDrop(Arc<Scheduler>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// async-task's schedule function: the task's scheduler from its metadata.
fn schedule(runnable: Runnable<Meta>, info: async_task::ScheduleInfo) {
    let scheduler = Arc::clone(&runnable.metadata().scheduler);
    scheduler.push(runnable, info.woken_while_running);
}

/// Reports a panic caught in a task's `what` (it must not unwind into the driver, or into
/// async-task, which aborts); `when`: what the task's part was doing, if not polled.
fn report_panic(what: &str, when: &str, payload: Box<dyn std::any::Any + Send>) {
    let panic = PanicError::from_payload(payload);
    eprintln!("tripod::asyncio: a task's {what} {panic}{when}");
}

pin_project! {
    /// A task's future inside its cell, `None` once cancelled; it leaves the registry when
    /// dropped (finished, cancelled, or closed with the loop).
    struct Guarded<F> {
        #[pin]
        future: Option<F>,
        scheduler: Arc<Scheduler>,
        key: usize,
        id: Id,
    }

    impl<F> PinnedDrop for Guarded<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            // The future first: its destructor may reach the registry (drop other tasks).
            drop_future(this.future.as_mut());
            this.scheduler.remove(*this.key, *this.id);
        }
    }
}

impl<F: Future> Future for Guarded<F> {
    type Output = Kept<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Kept<F::Output>> {
        let mut this = self.project();
        if this.scheduler.is_cancelled(*this.key, *this.id) {
            drop_future(this.future);
            return Poll::Ready(Kept(None));
        }
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(Kept(None));
        };
        // A backstop: the loop's own futures catch their panics (see `CatchPanic`), but
        // one that escapes must not unwind through the driver and stop the loop.
        let output = match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Some(output),
            Err(payload) => {
                report_panic("future", "", payload);
                None
            }
        };
        // Dropped here, not by async-task after this returns: a destructor's panic must
        // not lose the output.
        drop_future(this.future);
        Poll::Ready(Kept(output))
    }
}

/// A task's output in its cell, `None` if cancelled. async-task drops the output of a
/// detached task where a panic aborts the process: a destructor's panic here is reported
/// instead.
struct Kept<T>(Option<T>);

impl<T> Drop for Kept<T> {
    fn drop(&mut self) {
        if let Some(output) = self.0.take()
            && let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| drop(output)))
        {
            report_panic("output", " while dropped", payload);
        }
    }
}

pin_project! {
    /// `future` with its panics caught and its outcome mapped by `map`, as
    /// `catch_unwind().map(map)` but without dropping `future` when it is ready: the
    /// task drops it after taking the output (see `Guarded`), so a destructor that panics
    /// loses no value.
    pub(crate) struct CatchPanic<F, M> {
        #[pin]
        future: F,
        map: Option<M>,
    }
}

impl<F, M> CatchPanic<F, M> {
    pub(crate) fn new(future: F, map: M) -> Self {
        CatchPanic {
            future,
            map: Some(map),
        }
    }
}

impl<F, M, T> Future for CatchPanic<F, M>
where
    F: Future,
    M: FnOnce(std::thread::Result<F::Output>) -> T,
{
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let this = self.project();
        let future = this.future;
        let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            Err(payload) => Err(payload),
        };
        let map = this
            .map
            .take()
            .expect("CatchPanic polled after it was ready");
        Poll::Ready(map(outcome))
    }
}

/// Drops a task's future; a panic in its destructor is reported, not propagated into the
/// driver (or whoever cancelled the task).
fn drop_future<F>(future: Pin<&mut Option<F>>) {
    let mut future = future;
    if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| future.set(None))) {
        report_panic("future", " while dropped", payload);
    }
}

/// A task's handle inside the loop: its output once done (`None` if cancelled), its id,
/// and a way to cancel it. Dropping it detaches the task (it runs on; its output is
/// dropped when it ends).
pub(crate) struct Join<T> {
    task: Option<async_task::Task<Kept<T>, Meta>>,
}

impl<T> Join<T> {
    fn task(&self) -> &async_task::Task<Kept<T>, Meta> {
        self.task.as_ref().expect("a join is held until dropped")
    }

    /// Whether the task ended (finished or cancelled).
    pub(crate) fn is_finished(&self) -> bool {
        self.task().is_finished()
    }

    /// The task's output once it ended, `None` if cancelled; wakes `cx` when it ends.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let task = self.task.as_mut().expect("a join is held until dropped");
        Pin::new(task).poll(cx).map(|mut kept| kept.0.take())
    }

    /// The output of a task that [ended](Join::is_finished) (`None` if cancelled).
    pub(crate) fn take_finished(&mut self) -> Option<T> {
        debug_assert!(self.is_finished());
        match self.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(output) => output,
            Poll::Pending => unreachable!("an ended task has its output"),
        }
    }

    /// Cancels the task at its next poll (nothing if it ended).
    pub(crate) fn abort(&self) {
        self.abort_handle().abort();
    }

    pub(crate) fn abort_handle(&self) -> AbortHandle {
        let meta = self.task().metadata();
        AbortHandle {
            scheduler: Arc::clone(&meta.scheduler),
            key: meta.key,
            id: meta.id,
        }
    }

    pub(crate) fn id(&self) -> Id {
        self.task().metadata().id
    }
}

impl<T> Drop for Join<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

/// Cancels a task from anywhere, as tokio's `AbortHandle`.
#[derive(Clone)]
pub(crate) struct AbortHandle {
    scheduler: Arc<Scheduler>,
    key: usize,
    id: Id,
}

impl AbortHandle {
    /// Flags the task and wakes it: its future is dropped at its next poll, on the loop.
    pub(crate) fn abort(&self) {
        self.scheduler.abort(self.key, self.id);
    }

    pub(crate) fn id(&self) -> Id {
        self.id
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("id", &self.id).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A current-thread runtime with one driver for `scheduler`.
    fn runtime(scheduler: &Arc<Scheduler>) -> tokio::runtime::Runtime {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.spawn(Arc::clone(scheduler).drive());
        runtime
    }

    async fn join<T>(mut join: Join<T>) -> Option<T> {
        std::future::poll_fn(|cx| join.poll(cx)).await
    }

    #[test]
    fn a_task_leaves_the_registry_when_it_ends_however_it_ends() {
        let scheduler = Scheduler::new();
        let runtime = runtime(&scheduler);
        let finished = scheduler.spawn(async { 1 });
        let cancelled = scheduler.spawn(std::future::pending::<()>());
        let detached = scheduler.spawn(async { 3 });
        assert_eq!(scheduler.live_tasks(), 3);
        drop(detached);
        assert_eq!(runtime.block_on(join(finished)), Some(1));
        cancelled.abort();
        assert_eq!(runtime.block_on(join(cancelled)), None);
        assert_eq!(scheduler.live_tasks(), 0);
        assert_eq!(scheduler.cancels.load(Ordering::Acquire), 0);
    }

    #[test]
    fn a_task_spawned_after_close_is_cancelled_without_running() {
        let scheduler = Scheduler::new();
        scheduler.close();
        let ran = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&ran);
        let mut task = scheduler.spawn(async move { flag.store(true, Ordering::SeqCst) });
        assert!(task.is_finished());
        assert_eq!(task.take_finished(), None);
        assert!(!ran.load(Ordering::SeqCst));
        assert_eq!(scheduler.live_tasks(), 0);
    }

    #[test]
    fn a_panic_that_escapes_a_future_ends_only_its_task() {
        let scheduler = Scheduler::new();
        let runtime = runtime(&scheduler);
        let bad = scheduler.spawn(async { panic!("escaped") });
        let good = scheduler.spawn(async { "still running" });
        assert_eq!(runtime.block_on(join(bad)), None::<()>);
        assert_eq!(runtime.block_on(join(good)), Some("still running"));
        assert_eq!(scheduler.live_tasks(), 0);
    }

    #[test]
    fn cancel_counts_return_to_zero_and_a_stale_handle_misses_a_reused_slot() {
        let scheduler = Scheduler::new();
        let runtime = runtime(&scheduler);
        let cancels = || scheduler.cancels.load(Ordering::Acquire);
        // Aborting an ended task, twice, flags nothing.
        let done = scheduler.spawn(async { 1 });
        let stale = done.abort_handle();
        assert_eq!(runtime.block_on(join(done)), Some(1));
        stale.abort();
        stale.abort();
        assert_eq!(cancels(), 0);
        // The next task takes the ended one's slot: the stale handle must not cancel it.
        let reused = scheduler.spawn(std::future::pending::<()>());
        assert_eq!(reused.abort_handle().key, stale.key);
        stale.abort();
        assert_eq!(cancels(), 0);
        reused.abort();
        reused.abort();
        assert_eq!(cancels(), 1);
        assert_eq!(runtime.block_on(join(reused)), None);
        assert_eq!(cancels(), 0);
        // Abort then close, close twice, spawn after close.
        let a = scheduler.spawn(std::future::pending::<()>());
        let b = scheduler.spawn(std::future::pending::<()>());
        runtime.block_on(tokio::task::yield_now());
        a.abort();
        scheduler.close();
        scheduler.close();
        let c = scheduler.spawn(async { 3 });
        assert!(a.is_finished() && b.is_finished() && c.is_finished());
        assert_eq!(cancels(), 0);
        assert_eq!(scheduler.live_tasks(), 0);
        drop((a, b, c, stale));
        drop(runtime);
        assert_eq!(
            Arc::strong_count(&scheduler),
            1,
            "no cycle outlives the close"
        );
    }

    #[test]
    fn a_wake_after_the_close_never_runs_the_task_inside_it() {
        /// Sends the name of the thread it is dropped on.
        struct OnDrop(std::sync::mpsc::Sender<Option<String>>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                let thread = std::thread::current().name().map(str::to_owned);
                let _ = self.0.send(thread);
            }
        }
        let scheduler = Scheduler::new();
        let runtime = runtime(&scheduler);
        let (tx, rx) = std::sync::mpsc::channel();
        let task = scheduler.spawn(async move {
            let _guard = OnDrop(tx);
            std::future::pending::<()>().await
        });
        runtime.block_on(tokio::task::yield_now());
        // As a task out of the close's reach ends up: the loop closed, the task not dropped
        // yet, and its waker in another thread's hands.
        scheduler.ready.lock().queue = None;
        scheduler.closed.store(true, Ordering::Release);
        let waker = scheduler
            .tasks
            .lock()
            .iter()
            .next()
            .unwrap()
            .1
            .waker
            .clone();
        // The waker may hold a lock the future's destructor takes (event-listener does):
        // the task must not run inside the wake.
        waker.wake();
        let dropped_on = rx.recv_timeout(std::time::Duration::from_secs(10));
        assert_eq!(dropped_on, Ok(Some("tripod-asyncio-reaper".to_owned())));
        drop(task);
    }

    #[test]
    fn an_idle_driver_wakes_for_a_task_spawned_from_another_thread() {
        let scheduler = Scheduler::new();
        let runtime = runtime(&scheduler);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spawner = Arc::clone(&scheduler);
        let result = runtime.block_on(async move {
            // The driver has nothing to do and goes idle before the thread spawns.
            tokio::task::yield_now().await;
            let thread = std::thread::spawn(move || {
                let task = spawner.spawn(async { 42 });
                tx.send(task).ok().unwrap();
            });
            let task = rx.await.unwrap();
            thread.join().unwrap();
            // A driver that missed the wake-up would leave the task queued for ever.
            let deadline = std::time::Duration::from_secs(10);
            tokio::time::timeout(deadline, join(task))
                .await
                .ok()
                .flatten()
        });
        assert_eq!(result, Some(42));
    }
}
