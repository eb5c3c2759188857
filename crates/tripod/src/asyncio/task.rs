//! `Task<T>`: a future running on the event loop, with Python's `asyncio.Task` surface
//! (done, cancelled, result, exception, add_done_callback, cancel) on top of a task of the
//! loop's scheduler (`scheduler.rs`).
//!
//! A task costs one allocation, its scheduler cell: its outcome stays in the cell until
//! somebody takes it, and the [`Task`] handle is the cell's `Join` plus a little local
//! state. Only a task that somebody *watches* (a done callback, [`wait`](super::wait),
//! [`as_completed`](super::as_completed), a [`TaskGroup`](super::TaskGroup), a gather that
//! has to wait for it) gets a shared [`Cell`]: the cell takes over the `Join`, is
//! registered as its waker, and when the task ends it takes the outcome, runs the
//! callbacks and tells the watchers, before waking whoever awaits the task.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;
use parking_lot::{Mutex, ReentrantMutex};

use super::scheduler::{AbortHandle, CatchPanic, Id, Join, Scheduler};
use crate::PanicError;

/// How a task ended without a value: Python's `CancelledError`, or the exception a task
/// raised (in Rust, a panic).
///
/// ```
/// use tripod::asyncio::{self, TaskError};
///
/// asyncio::run(async {
///     let task = asyncio::create_task(async { panic!("boom") });
///     let err: TaskError = task.await.unwrap_err();
///     assert_eq!(err.panic().unwrap().message(), "boom");
///     assert!(!err.is_cancelled());
/// });
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskError {
    /// The task was cancelled (Python's `asyncio.CancelledError`).
    Cancelled,
    /// The task panicked; the panic was caught and its message kept.
    Panicked(PanicError),
}

impl TaskError {
    /// Whether the task was cancelled.
    ///
    /// ```
    /// assert!(tripod::asyncio::TaskError::Cancelled.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, TaskError::Cancelled)
    }

    /// The panic, if the task panicked.
    ///
    /// ```
    /// use tripod::{PanicError, asyncio::TaskError};
    ///
    /// let err = TaskError::Panicked(PanicError::new("oops"));
    /// assert_eq!(err.panic().map(PanicError::message), Some("oops"));
    /// ```
    pub fn panic(&self) -> Option<&PanicError> {
        match self {
            TaskError::Panicked(p) => Some(p),
            TaskError::Cancelled => None,
        }
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("Cancelled"),
            TaskError::Panicked(p) => f.debug_tuple("Panicked").field(p).finish(),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Cancelled => f.write_str("task cancelled"),
            TaskError::Panicked(p) => write!(f, "task {p}"),
        }
    }
}

impl std::error::Error for TaskError {}

type Callback<T> = Box<dyn FnOnce(&Result<T, TaskError>) + Send>;
/// Internal watchers (wait, as_completed, TaskGroup): given the task's panic, if any.
pub(crate) type Watcher = Box<dyn FnOnce(Option<&PanicError>) + Send>;

/// Names a watcher added to a running task, to take it back ([`Task::unwatch`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WatchId(u64);

/// The id of the next watcher.
static NEXT_WATCHER: AtomicU64 = AtomicU64::new(0);

/// Number of "Task exception was never retrieved" warnings printed (for tests).
pub(crate) static UNRETRIEVED_WARNINGS: AtomicUsize = AtomicUsize::new(0);

/// Number of cells made for watched tasks (for tests).
#[cfg(test)]
static CELLS_MADE: AtomicUsize = AtomicUsize::new(0);

/// What a task's future ends with, as the task's cell keeps it until somebody takes it: the
/// value, or a boxed failure. A boxed failure keeps the cell as small as for a plain `T`
/// (the output shares the cell with the future).
type Output<T> = Result<T, Failure>;

/// A task's failure, as the task's cell keeps it. Dropped with a panic nobody took, it
/// prints asyncio's "Task exception was never retrieved" (the cell drops an output nobody
/// joined).
pub(crate) struct Failure(Option<Box<TaskError>>);

impl Failure {
    fn new(error: TaskError) -> Self {
        Failure(Some(Box::new(error)))
    }

    /// Moves the error out (the warning is then the taker's business).
    fn into_error(mut self) -> TaskError {
        *self.0.take().expect("a failure is moved out once")
    }
}

impl Drop for Failure {
    fn drop(&mut self) {
        if let Some(error) = &self.0
            && let TaskError::Panicked(panic) = &**error
        {
            warn_unretrieved(panic);
        }
    }
}

/// Runs a done callback; one that panics is reported on stderr, not propagated.
fn run_callback<T>(callback: Callback<T>, result: &Result<T, TaskError>) {
    if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| callback(result))) {
        eprintln!(
            "tripod::asyncio: a task's done callback {}",
            PanicError::from_payload(payload)
        );
    }
}

fn warn_unretrieved(panic: &PanicError) {
    UNRETRIEVED_WARNINGS.fetch_add(1, Ordering::Relaxed);
    eprintln!("tripod::asyncio: Task exception was never retrieved: {panic}");
}

/// How a task ended, once taken out of the task's cell to be looked at. Dropped with a
/// panic nobody looked at, it prints asyncio's "Task exception was never retrieved".
pub(crate) struct Outcome<T> {
    /// `None` once moved out.
    result: Option<Result<T, TaskError>>,
    /// Whether somebody looked at it (await, result, exception, a done callback). Atomic:
    /// a reader sets it under a shared lock.
    retrieved: AtomicBool,
}

impl<T> Outcome<T> {
    fn new(result: Result<T, TaskError>) -> Self {
        Outcome {
            result: Some(result),
            retrieved: AtomicBool::new(false),
        }
    }

    /// Counts the outcome as looked at.
    fn retrieve(&self) {
        self.retrieved.store(true, Ordering::Relaxed);
    }

    /// The outcome of the scheduler's task that ran a task's future: the future's own
    /// outcome, or `Cancelled` if the future was dropped before it finished (cancel, the
    /// loop's close).
    fn of_join(joined: Option<Output<T>>) -> Self {
        match joined {
            Some(output) => Outcome::new(output.map_err(Failure::into_error)),
            None => Outcome::new(Err(TaskError::Cancelled)),
        }
    }

    fn result(&self) -> &Result<T, TaskError> {
        self.result
            .as_ref()
            .expect("an outcome is read only before it is moved out")
    }

    fn panic(&self) -> Option<&PanicError> {
        self.result().as_ref().err().and_then(TaskError::panic)
    }

    /// Moves the result out (it counts as retrieved).
    fn into_result(mut self) -> Result<T, TaskError> {
        self.result.take().expect("an outcome is moved out once")
    }
}

impl<T> Drop for Outcome<T> {
    fn drop(&mut self) {
        if !*self.retrieved.get_mut()
            && let Some(Err(TaskError::Panicked(panic))) = &self.result
        {
            warn_unretrieved(panic);
        }
    }
}

/// Gives the outcome if the task completed; otherwise `waker` is woken when it does.
fn poll_join<T>(join: &mut Join<Output<T>>, waker: &Waker) -> Poll<Outcome<T>> {
    join.poll(&mut Context::from_waker(waker))
        .map(Outcome::of_join)
}

/// Takes the outcome of a completed task (`join.is_finished()`).
fn take_finished<T>(join: &mut Join<Output<T>>) -> Outcome<T> {
    Outcome::of_join(join.take_finished())
}

/// How a [`gather`](super::gather) of tasks learns that one of the tasks it is not awaiting
/// yet failed. The watch has a key, unique in the process, that it writes into each
/// watched task's cell with a plain store (no reference count per task); a task that fails
/// looks its key up in [`WATCHES`] (a failure is rare) and tells the watch.
pub(crate) struct FailureWatch {
    key: u64,
    signal: Arc<FailureSignal>,
}

/// The live failure watches by key.
static WATCHES: Mutex<BTreeMap<u64, Weak<FailureSignal>>> =
    parking_lot::const_mutex(BTreeMap::new());

/// The key of the next failure watch (0 is "no watch").
static NEXT_WATCH: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
struct FailureSignal {
    failed: AtomicBool,
    waker: AtomicWaker,
}

impl FailureWatch {
    pub(crate) fn new() -> Self {
        let key = NEXT_WATCH.fetch_add(1, Ordering::Relaxed);
        let signal = Arc::new(FailureSignal::default());
        WATCHES.lock().insert(key, Arc::downgrade(&signal));
        FailureWatch { key, signal }
    }

    /// Has `cell`'s task tell this watch if it fails. Once every task is watched, call
    /// [`fence`](FailureWatch::fence) before looking for tasks that failed already.
    fn watch<T>(&self, cell: &Cell<T>) {
        cell.watched_by.store(self.key, Ordering::Relaxed);
    }

    /// Orders the watches set so far before the checks that follow: a task failing now
    /// either sees its watch or is seen done by a check after this fence (the failing task
    /// has the matching fence, in [`Cell::finish`]).
    pub(crate) fn fence(&self) {
        std::sync::atomic::fence(Ordering::SeqCst);
    }

    /// Whether a watched task failed since the last call; if not, `cx` is woken when one
    /// does.
    pub(crate) fn poll_failed(&self, cx: &Context<'_>) -> bool {
        if self.signal.failed.swap(false, Ordering::AcqRel) {
            return true;
        }
        self.signal.waker.register(cx.waker());
        self.signal.failed.swap(false, Ordering::AcqRel)
    }

    /// Tells the watch of key `key`, if it is still there, that one of its tasks failed.
    fn notify(key: u64) {
        let signal = WATCHES.lock().get(&key).and_then(Weak::upgrade);
        if let Some(signal) = signal {
            signal.failed.store(true, Ordering::Release);
            signal.waker.wake();
        }
    }
}

impl Drop for FailureWatch {
    fn drop(&mut self) {
        WATCHES.lock().remove(&self.key);
    }
}

impl fmt::Debug for FailureWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FailureWatch")
            .field("key", &self.key)
            .finish()
    }
}

struct CellState<T> {
    /// The scheduler's task, until its outcome is taken (the cell is its join waker
    /// meanwhile).
    join: Option<Join<Output<T>>>,
    /// Whether the done callbacks ran (the outcome is in [`Cell::outcome`] before).
    finished: bool,
    /// Whether somebody looked at the outcome before it arrived (a task group, a gather
    /// that returned early): passed on to the outcome.
    retrieved: bool,
    callbacks: Vec<Callback<T>>,
    watchers: Vec<(WatchId, Watcher)>,
    /// The task awaiting this one (a [`Task`] is not `Clone`: one awaiter at most).
    awaiter: Option<Waker>,
}

/// The shared state of a watched task: made when somebody first adds a done callback or a
/// watcher to a running task, it owns the task's `Join` and is its waker, so the task
/// wakes it right when it ends; it then takes the outcome, runs the callbacks,
/// tells the watchers and wakes the awaiter.
pub(crate) struct Cell<T> {
    state: Mutex<CellState<T>>,
    /// `Some` once finished, until an await moves it out. Behind a lock of its own (taken
    /// after `state`, never before), reentrant: a done callback runs holding only this
    /// lock, so it may look at its task again (result, done, cancel, add_done_callback).
    outcome: ReentrantMutex<RefCell<Option<Outcome<T>>>>,
    /// Whether the outcome is stored (set before the done callbacks run).
    done: AtomicBool,
    /// The key of the [`FailureWatch`] to tell if the task fails (0: none).
    watched_by: AtomicU64,
}

impl<T: Send + 'static> Wake for Cell<T> {
    fn wake(self: Arc<Self>) {
        self.collect();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.collect();
    }
}

impl<T: Send + 'static> Cell<T> {
    /// A cell watching the task of `join` (finished already if the task completed).
    fn watching(join: Join<Output<T>>) -> Arc<Self> {
        #[cfg(test)]
        CELLS_MADE.fetch_add(1, Ordering::Relaxed);
        let cell = Arc::new(Cell {
            state: Mutex::new(CellState {
                join: Some(join),
                finished: false,
                retrieved: false,
                callbacks: Vec::new(),
                watchers: Vec::new(),
                awaiter: None,
            }),
            outcome: ReentrantMutex::new(RefCell::new(None)),
            done: AtomicBool::new(false),
            watched_by: AtomicU64::new(0),
        });
        cell.collect();
        cell
    }

    /// A cell for a task that finished with `outcome` (a done callback added after the
    /// task finished runs with no lock of the task held but the outcome's).
    fn finished(outcome: Outcome<T>) -> Arc<Self> {
        #[cfg(test)]
        CELLS_MADE.fetch_add(1, Ordering::Relaxed);
        Arc::new(Cell {
            state: Mutex::new(CellState {
                join: None,
                finished: true,
                retrieved: false,
                callbacks: Vec::new(),
                watchers: Vec::new(),
                awaiter: None,
            }),
            outcome: ReentrantMutex::new(RefCell::new(Some(outcome))),
            done: AtomicBool::new(true),
            watched_by: AtomicU64::new(0),
        })
    }

    /// Takes the outcome if the task ended and publishes it; otherwise registers the cell
    /// as the task's join waker (the task's end calls this again).
    fn collect(self: &Arc<Self>) {
        let (outcome, join) = {
            let mut state = self.state.lock();
            let Some(join) = state.join.as_mut() else {
                return; // collected already
            };
            let waker = Waker::from(Arc::clone(self));
            match poll_join(join, &waker) {
                Poll::Pending => return,
                Poll::Ready(outcome) => (outcome, state.join.take()),
            }
        };
        // Dropping the join breaks the cycle cell -> task -> join waker -> cell.
        drop(join);
        self.finish(outcome);
    }
}

impl<T> Cell<T> {
    /// Publishes the outcome: stores it (the task is done), runs the done callbacks (each
    /// sees the outcome, and the task done, as in Python), then tells the watchers and
    /// wakes the awaiter.
    fn finish(&self, outcome: Outcome<T>) {
        let failed = outcome.result().is_err();
        // The outcome's lock is held until the callbacks ran: a reader on another thread
        // waits for them (the outcome is not shared between threads: `T` is only `Send`),
        // a callback reading its own task reenters it.
        let stored = {
            let state = self.state.lock();
            if state.retrieved {
                outcome.retrieve();
            }
            let stored = self.outcome.lock();
            *stored.borrow_mut() = Some(outcome);
            self.done.store(true, Ordering::Release);
            stored
        };
        let (watchers, awaiter) = loop {
            let callbacks = {
                let mut state = self.state.lock();
                if state.callbacks.is_empty() {
                    state.finished = true;
                    break (std::mem::take(&mut state.watchers), state.awaiter.take());
                }
                std::mem::take(&mut state.callbacks)
            };
            let outcome = stored.borrow();
            let outcome = outcome
                .as_ref()
                .expect("a task's outcome stays until its callbacks ran");
            outcome.retrieve();
            for callback in callbacks {
                run_callback(callback, outcome.result());
            }
        };
        drop(stored);
        let panic = if watchers.is_empty() {
            None
        } else {
            self.panic()
        };
        if failed {
            // Pairs with `FailureWatch::fence`: either the watch's key is seen here, or the
            // gather sees this task done after setting it.
            std::sync::atomic::fence(Ordering::SeqCst);
            let key = self.watched_by.load(Ordering::Relaxed);
            if key != 0 {
                FailureWatch::notify(key);
            }
        }
        for (_, watcher) in watchers {
            watcher(panic.as_ref());
        }
        if let Some(awaiter) = awaiter {
            awaiter.wake();
        }
    }

    /// Calls `f` on the outcome, if stored, under the outcome's lock (reentrant: `f` may
    /// come back to this cell on this thread, to read).
    fn read<R>(&self, f: impl FnOnce(Option<&Outcome<T>>) -> R) -> R {
        let guard = self.outcome.lock();
        let outcome = guard.borrow();
        f(outcome.as_ref())
    }

    fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Whether the task is done and its outcome, still stored, is a failure.
    fn failed(&self) -> bool {
        self.is_done()
            && self.read(|o| o.is_some_and(|o| o.result.as_ref().is_some_and(Result::is_err)))
    }

    /// Runs `callback` with the outcome once the task is done (at once if it is).
    fn add_callback(&self, callback: Callback<T>) {
        {
            let mut state = self.state.lock();
            if !state.finished {
                state.callbacks.push(callback);
                return;
            }
        }
        // Only the outcome's reentrant lock is held: the callback may use its task again.
        self.read(|outcome| {
            if let Some(outcome) = outcome {
                outcome.retrieve();
                run_callback(callback, outcome.result());
            } // else awaited already: nobody can add a callback then
        });
    }

    /// Runs `watcher` once the task is done (at once if it is: then `None`).
    fn watch(&self, watcher: Watcher) -> Option<WatchId> {
        let mut state = self.state.lock();
        if state.finished {
            drop(state);
            watcher(self.panic().as_ref());
            None
        } else {
            let id = WatchId(NEXT_WATCHER.fetch_add(1, Ordering::Relaxed));
            state.watchers.push((id, watcher));
            Some(id)
        }
    }

    /// Takes back a watcher that has not run.
    fn unwatch(&self, id: WatchId) {
        self.state
            .lock()
            .watchers
            .retain(|(watcher, _)| *watcher != id);
    }

    /// The task's panic, if it finished with one that is still stored.
    fn panic(&self) -> Option<PanicError> {
        self.read(|o| o.and_then(|o| o.panic().cloned()))
    }

    /// Counts the outcome as looked at, now or when it arrives.
    fn mark_retrieved(&self) {
        self.state.lock().retrieved = true;
        // After the flag (which `finish` passes on to an outcome it stores later), with the
        // state's lock released (a done callback holds the outcome's lock and may take it).
        self.read(|o| o.map(Outcome::retrieve));
    }

    /// Calls `f` on the outcome if the task finished and it is still stored.
    fn with_outcome<R>(&self, retrieve: bool, f: impl FnOnce(&Outcome<T>) -> R) -> Option<R> {
        self.read(|outcome| {
            let outcome = outcome?;
            if retrieve {
                outcome.retrieve();
            }
            Some(f(outcome))
        })
    }

    /// Moves the outcome out if the task finished; otherwise `cx` is woken when it does.
    fn poll_take(&self, cx: &Context<'_>) -> Poll<Result<T, TaskError>> {
        let mut state = self.state.lock();
        if !state.finished {
            state.awaiter = Some(cx.waker().clone());
            return Poll::Pending;
        }
        drop(state);
        let outcome = self
            .outcome
            .lock()
            .borrow_mut()
            .take()
            .expect("a task's outcome is taken once");
        Poll::Ready(outcome.into_result())
    }

    /// Moves the outcome out if the task finished (once its done callbacks ran, which hold
    /// the outcome's lock).
    fn take(&self) -> Option<Result<T, TaskError>> {
        if !self.is_done() {
            return None;
        }
        let outcome = self.outcome.lock().borrow_mut().take();
        outcome.map(Outcome::into_result)
    }

    /// Cancels the task if it has not ended; `false` if it has.
    fn cancel(&self) -> bool {
        let state = self.state.lock();
        match &state.join {
            Some(join) if !join.is_finished() => {
                join.abort();
                true
            }
            _ => false,
        }
    }

    fn abort_handle(&self) -> Option<AbortHandle> {
        self.state.lock().join.as_ref().map(Join::abort_handle)
    }

    fn id(&self) -> Option<Id> {
        self.state.lock().join.as_ref().map(Join::id)
    }
}

/// A future scheduled on the event loop: Python's `asyncio.Task`.
///
/// Made by [`create_task`] / [`ensure_future`] (or [`EventLoop::create_task`](super::EventLoop::create_task)
/// and [`TaskGroup::create_task`](super::TaskGroup::create_task)). The future starts
/// running at once, concurrently with its creator, whether or not anybody awaits the task.
///
/// Awaiting a task gives `Result<T, TaskError>`: the future's value, or
/// [`TaskError::Cancelled`], or [`TaskError::Panicked`] if it panicked (the panic is
/// caught; it never takes down the loop).
///
/// # Dropping and cancelling
///
/// * Dropping a `Task` handle does **not** cancel it (as in Python, where a task keeps
///   running when nobody holds it); the loop's shutdown ([`run`](super::run),
///   [`EventLoop::close`](super::EventLoop::close)) cancels what is left.
/// * Dropping an **await** of the task before it completes cancels the task, as
///   cancelling a Python coroutine that awaits a task cancels the task too. So
///   [`wait_for`](super::wait_for) with a timeout cancels it, and so does dropping a
///   [`gather`](super::gather). ([`wait`](super::wait) and [`as_completed`](super::as_completed)
///   do not cancel.)
/// * [`cancel`](Task::cancel) differs from Python's in one way: Python raises
///   `CancelledError` inside the coroutine at its current `await`, and the coroutine may
///   catch it, run `await`s in `finally`, or even refuse. In Rust the future is *dropped* at
///   its next suspension point (at once if it is suspended now): destructors (`Drop`
///   guards, lock guards) run, as `finally` blocks would, but no further `.await` runs and
///   the cancellation cannot be refused. A future that never reaches an `.await` cannot be
///   cancelled before it finishes.
///
/// A task that panicked and whose failure nobody looked at (no await, no
/// [`result`](Task::result) / [`exception`](Task::exception), no done callback) prints
/// `Task exception was never retrieved` on stderr when it is dropped, as asyncio does.
///
/// ```
/// use tripod::asyncio;
///
/// let out = asyncio::run(async {
///     let task = asyncio::create_task(async { 6 * 7 });
///     task.await
/// });
/// assert_eq!(out, Ok(42));
/// ```
pub struct Task<T> {
    /// Behind a lock for the `&self` methods; an await and a gather own the task and
    /// reach it without locking.
    local: Mutex<Local<T>>,
}

/// Where a task's outcome is.
enum Local<T> {
    /// In the task's cell (running, or ended with the output not taken yet).
    Joining(Join<Output<T>>),
    /// Taken out of the task's cell to be looked at ([`Task::result`] and the like).
    Finished(Box<Outcome<T>>),
    /// The task is watched: the cell owns the `Join` and gets the outcome.
    Watched(Arc<Cell<T>>),
    /// Moved out by an await.
    Taken,
}

impl<T> Local<T> {
    /// Moves the outcome of an ended task into `Finished`, to be looked at.
    fn settle(&mut self) {
        if let Local::Joining(join) = self
            && join.is_finished()
        {
            *self = Local::Finished(Box::new(take_finished(join)));
        }
    }

    /// Calls `f` on the outcome if the task finished and it is still stored.
    fn with_outcome<R>(&mut self, retrieve: bool, f: impl FnOnce(&Outcome<T>) -> R) -> Option<R> {
        self.settle();
        match self {
            Local::Finished(outcome) => {
                if retrieve {
                    outcome.retrieve();
                }
                Some(f(outcome))
            }
            Local::Watched(cell) => cell.with_outcome(retrieve, f),
            Local::Joining(_) | Local::Taken => None,
        }
    }
}

impl<T: Send + 'static> Local<T> {
    /// The cell of a running task, made now if the task had none; `None` if the task
    /// finished (its outcome then is in `Finished`, unless taken).
    fn watched(&mut self) -> Option<Arc<Cell<T>>> {
        self.settle();
        match self {
            Local::Watched(cell) => Some(Arc::clone(cell)),
            Local::Joining(_) => {
                let Local::Joining(join) = std::mem::replace(self, Local::Taken) else {
                    unreachable!("matched above")
                };
                let cell = Cell::watching(join);
                *self = Local::Watched(Arc::clone(&cell));
                Some(cell)
            }
            Local::Finished(_) | Local::Taken => None,
        }
    }

    /// The task's cell, made now if it had none, whether or not the task finished; `None`
    /// once its outcome was taken.
    fn shared(&mut self) -> Option<Arc<Cell<T>>> {
        if let Some(cell) = self.watched() {
            return Some(cell);
        }
        let Local::Finished(outcome) = std::mem::replace(self, Local::Taken) else {
            return None;
        };
        let cell = Cell::finished(*outcome);
        *self = Local::Watched(Arc::clone(&cell));
        Some(cell)
    }
}

/// Schedules `future` on the running loop and returns its [`Task`]: Python's
/// `asyncio.create_task`.
///
/// Works on any tokio runtime: on tripod's [`EventLoop`](super::EventLoop) the task joins
/// the loop's ready queue; on another runtime it gets a scheduler of its own, run by a
/// tokio task of that runtime (and cancelled if the runtime shuts down first).
///
/// # Panics
///
/// If called outside a running loop (Python raises `RuntimeError: no running event loop`).
///
/// ```
/// use tripod::asyncio;
///
/// asyncio::run(async {
///     let tasks: Vec<_> = (0..3).map(|i| asyncio::create_task(async move { i * 10 })).collect();
///     let values = asyncio::gather(tasks).await.unwrap();
///     assert_eq!(values, [0, 10, 20]);
/// });
/// ```
pub fn create_task<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    if let Some(scheduler) = super::event_loop::current_scheduler() {
        return spawn_on(&scheduler, future);
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        panic!("tripod::asyncio::create_task: no running event loop");
    };
    // A tokio runtime that is no tripod loop: the task gets a scheduler of its own, driven
    // by a tokio task of that runtime.
    let scheduler = Scheduler::solo();
    let task = spawn_on(&scheduler, future);
    runtime.spawn(scheduler.drive());
    task
}

/// Python's `asyncio.ensure_future`: the same as [`create_task`] (a Rust future is always a
/// coroutine to wrap; an existing [`Task`] is already scheduled and needs no wrapping).
///
/// # Panics
///
/// If called outside a running loop.
///
/// ```
/// use tripod::asyncio;
///
/// asyncio::run(async {
///     let task = asyncio::ensure_future(async { "done" });
///     assert_eq!(task.await, Ok("done"));
/// });
/// ```
pub fn ensure_future<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    create_task(future)
}

/// Makes `future` a [`Task`] of `scheduler`'s loop.
pub(crate) fn spawn_on<F>(scheduler: &Arc<Scheduler>, future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // A combinator rather than an `async` block: the block would keep `future` twice (as
    // its capture and as the awaited `CatchUnwind`), and a larger task is a larger
    // allocation.
    let join = scheduler.spawn(CatchPanic::new(
        future,
        |outcome: std::thread::Result<_>| {
            outcome.map_err(|p| Failure::new(TaskError::Panicked(PanicError::from_payload(p))))
        },
    ));
    Task {
        local: Mutex::new(Local::Joining(join)),
    }
}

impl<T> Task<T> {
    /// Whether the task has finished (with a value, a panic, or cancelled): Python's
    /// `Task.done()`.
    ///
    /// ```
    /// use tripod::asyncio;
    ///
    /// asyncio::run(async {
    ///     let task = asyncio::create_task(async {});
    ///     assert!(!task.done()); // it has not run yet: this coroutine has not yielded
    ///     asyncio::sleep(std::time::Duration::ZERO).await;
    ///     assert!(task.done());
    /// });
    /// ```
    pub fn done(&self) -> bool {
        match &*self.local.lock() {
            Local::Joining(join) => join.is_finished(),
            Local::Watched(cell) => cell.is_done(),
            Local::Finished(_) | Local::Taken => true,
        }
    }

    /// Whether the task finished by being cancelled: Python's `Task.cancelled()`.
    ///
    /// ```
    /// use tripod::asyncio;
    ///
    /// asyncio::run(async {
    ///     let task = asyncio::create_task(std::future::pending::<()>());
    ///     task.cancel();
    ///     asyncio::sleep(std::time::Duration::ZERO).await;
    ///     assert!(task.cancelled());
    /// });
    /// ```
    pub fn cancelled(&self) -> bool {
        self.local
            .lock()
            .with_outcome(false, |o| matches!(o.result(), Err(TaskError::Cancelled)))
            .unwrap_or(false)
    }

    /// Requests cancellation: Python's `Task.cancel()`. Returns `false` if the task is
    /// already done, `true` otherwise.
    ///
    /// The future is dropped at its next suspension point (see the type's docs for how
    /// this differs from Python's `CancelledError`); the task is done once that happened,
    /// and awaiting it gives [`TaskError::Cancelled`].
    ///
    /// ```
    /// use tripod::asyncio::{self, TaskError};
    ///
    /// asyncio::run(async {
    ///     let task = asyncio::create_task(asyncio::sleep(std::time::Duration::from_secs(3600)));
    ///     assert!(task.cancel());
    ///     assert_eq!(task.await, Err(TaskError::Cancelled));
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        match &*self.local.lock() {
            Local::Joining(join) if !join.is_finished() => {
                join.abort();
                true
            }
            Local::Watched(cell) => cell.cancel(),
            Local::Joining(_) | Local::Finished(_) | Local::Taken => false,
        }
    }

    /// The task's value (cloned) once it finished: Python's `Task.result()`. `None` while
    /// the task is running (Python raises `InvalidStateError`).
    ///
    /// ```
    /// use tripod::asyncio;
    ///
    /// asyncio::run(async {
    ///     let task = asyncio::create_task(async { String::from("hi") });
    ///     assert_eq!(task.result(), None);
    ///     asyncio::sleep(std::time::Duration::ZERO).await;
    ///     assert_eq!(task.result(), Some(Ok("hi".to_owned())));
    /// });
    /// ```
    pub fn result(&self) -> Option<Result<T, TaskError>>
    where
        T: Clone,
    {
        self.local.lock().with_outcome(true, |o| o.result().clone())
    }

    /// The task's failure once it finished: Python's `Task.exception()`. `None` while the
    /// task runs or when it finished with a value (use [`done`](Task::done) to tell them
    /// apart); needs no `T: Clone`.
    ///
    /// ```
    /// use tripod::asyncio;
    ///
    /// asyncio::run(async {
    ///     let task = asyncio::create_task(async { panic!("bad") });
    ///     asyncio::sleep(std::time::Duration::ZERO).await;
    ///     assert_eq!(task.exception().unwrap().panic().unwrap().message(), "bad");
    /// });
    /// ```
    pub fn exception(&self) -> Option<TaskError> {
        self.local
            .lock()
            .with_outcome(true, |o| o.result().as_ref().err().cloned())
            .flatten()
    }
}

impl<T: Send + 'static> Task<T> {
    /// Arranges for `callback` to be called with the task's outcome when it is done:
    /// Python's `Task.add_done_callback`.
    ///
    /// The callback runs on the loop, right when the task finishes, before anybody awaiting
    /// the task is woken; if the task is already done it runs at once on this thread.
    /// Callbacks run in the order they were added; one that panics is reported on stderr
    /// and does not stop the others.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tripod::asyncio;
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// asyncio::run(async move {
    ///     let task = asyncio::create_task(async { 5 });
    ///     task.add_done_callback(move |outcome| log.lock().unwrap().push(*outcome.as_ref().unwrap()));
    ///     task.await.unwrap();
    /// });
    /// assert_eq!(*seen.lock().unwrap(), [5]);
    /// ```
    pub fn add_done_callback<F>(&self, callback: F)
    where
        F: FnOnce(&Result<T, TaskError>) + Send + 'static,
    {
        let mut local = self.local.lock();
        // A done task gets a cell too: the callback runs with the task's lock released, as
        // it may reach the task (through an `Arc`, say) and look at it again.
        let Some(cell) = local.shared() else {
            return; // awaited already: nobody can add a callback then
        };
        drop(local);
        cell.add_callback(Box::new(callback));
    }

    /// Runs `watcher` once the task is done (at once if it is), with its panic if it
    /// panicked. Returns the watcher's id while it waits (`None` if it ran at once), for
    /// [`unwatch`](Task::unwatch): a caller that stops waiting (as `wait` returning)
    /// takes its watchers back, so that repeated waits on a long task do not pile up.
    pub(crate) fn watch(&self, watcher: Watcher) -> Option<WatchId> {
        let mut local = self.local.lock();
        match local.watched() {
            Some(cell) => {
                drop(local);
                cell.watch(watcher)
            }
            None => {
                let panic = local.with_outcome(false, |o| o.panic().cloned()).flatten();
                drop(local);
                watcher(panic.as_ref());
                None
            }
        }
    }

    /// How many watchers wait for this task (for tests).
    #[cfg(test)]
    pub(crate) fn watchers(&self) -> usize {
        match &*self.local.lock() {
            Local::Watched(cell) => cell.state.lock().watchers.len(),
            _ => 0,
        }
    }

    /// Counts the task's outcome as looked at, now or when it arrives (a task group
    /// reports its panics itself; a gather that failed retrieves the failures of its other
    /// tasks).
    pub(crate) fn mark_retrieved(&self) {
        let mut local = self.local.lock();
        match local.watched() {
            Some(cell) => cell.mark_retrieved(),
            None => {
                local.with_outcome(true, |_| ());
            }
        }
    }

    /// Has this running task tell `watch` if it fails (a gather waiting for an earlier
    /// task). Call [`FailureWatch::fence`] after watching every task, then
    /// [`failed`](Task::failed).
    pub(crate) fn watch_failure(&mut self, watch: &FailureWatch) {
        if let Some(cell) = self.local.get_mut().watched() {
            watch.watch(&cell);
        }
    }
}

impl<T> Task<T> {
    /// Takes back the watcher `id` if it has not run.
    pub(crate) fn unwatch(&self, id: WatchId) {
        if let Local::Watched(cell) = &*self.local.lock() {
            cell.unwatch(id);
        }
    }

    /// Takes the outcome if the task is done; otherwise arranges for `cx` to be woken when
    /// it is. Once this returned `Ready` it must not be called again (the outcome is gone).
    pub(crate) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        let local = self.local.get_mut();
        let outcome = match local {
            Local::Joining(join) if join.is_finished() => take_finished(join),
            Local::Joining(join) => std::task::ready!(poll_join(join, cx.waker())),
            Local::Finished(_) => {
                let Local::Finished(outcome) = std::mem::replace(local, Local::Taken) else {
                    unreachable!("matched above")
                };
                return Poll::Ready(outcome.into_result());
            }
            Local::Watched(cell) => {
                let outcome = std::task::ready!(cell.poll_take(cx));
                *local = Local::Taken;
                return Poll::Ready(outcome);
            }
            Local::Taken => panic!("a task's outcome is taken once"),
        };
        *local = Local::Taken;
        Poll::Ready(outcome.into_result())
    }

    /// Takes the outcome if the task is done.
    pub(crate) fn try_take(&mut self) -> Option<Result<T, TaskError>> {
        let local = self.local.get_mut();
        local.settle();
        let outcome = match local {
            Local::Finished(_) => match std::mem::replace(local, Local::Taken) {
                Local::Finished(outcome) => outcome.into_result(),
                _ => unreachable!("matched above"),
            },
            Local::Watched(cell) => {
                let outcome = cell.take()?;
                *local = Local::Taken;
                outcome
            }
            Local::Joining(_) | Local::Taken => return None,
        };
        Some(outcome)
    }

    /// Whether the task is done and failed, its outcome still stored.
    pub(crate) fn failed(&mut self) -> bool {
        let local = self.local.get_mut();
        match local {
            Local::Watched(cell) => cell.failed(),
            _ => local
                .with_outcome(false, |o| o.result().is_err())
                .unwrap_or(false),
        }
    }

    /// A handle that cancels the task, for holders of many (a task group); `None` once
    /// the task finished and its outcome was taken out of its cell.
    pub(crate) fn abort_handle(&self) -> Option<AbortHandle> {
        match &*self.local.lock() {
            Local::Joining(join) => Some(join.abort_handle()),
            Local::Watched(cell) => cell.abort_handle(),
            Local::Finished(_) | Local::Taken => None,
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = match &*self.local.lock() {
            Local::Joining(join) => Some(join.id()),
            Local::Watched(cell) => cell.id(),
            Local::Finished(_) | Local::Taken => None,
        };
        let state = if !self.done() {
            "pending"
        } else if self.cancelled() {
            "cancelled"
        } else {
            "finished"
        };
        f.debug_struct("Task")
            .field("id", &id)
            .field("state", &state)
            .finish()
    }
}

impl<T> IntoFuture for Task<T> {
    type Output = Result<T, TaskError>;
    type IntoFuture = TaskJoin<T>;

    /// Awaits the task. Dropping the await before the task finishes cancels the task.
    fn into_future(self) -> TaskJoin<T> {
        TaskJoin { task: Some(self) }
    }
}

/// The future of awaiting a [`Task`] (what `task.await` polls).
///
/// # Cancel safety
///
/// Dropping it before the task is done cancels the task, as in Python, where cancelling
/// the coroutine that awaits a task cancels the task too. Once it returned, dropping it
/// does nothing.
///
/// ```
/// use std::future::IntoFuture;
/// use tripod::asyncio;
///
/// asyncio::run(async {
///     let join = asyncio::create_task(async { 1 }).into_future();
///     assert_eq!(join.await, Ok(1));
/// });
/// ```
pub struct TaskJoin<T> {
    task: Option<Task<T>>,
}

impl<T> Future for TaskJoin<T> {
    type Output = Result<T, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self
            .task
            .as_mut()
            .expect("TaskJoin polled after completion");
        match task.poll_outcome(cx) {
            Poll::Ready(outcome) => {
                self.task = None;
                Poll::Ready(outcome)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for TaskJoin<T> {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.cancel();
        }
    }
}

impl<T> fmt::Debug for TaskJoin<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskJoin")
            .field("task", &self.task)
            .finish()
    }
}

/// Takes the outcome of a task that is done, for callers that know it is.
pub(crate) fn take_outcome<T>(mut task: Task<T>) -> Result<T, TaskError> {
    task.try_take()
        .expect("take_outcome on a task that is not done")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The tests that count warnings or make cells, one at a time (the counters are global).
    pub(crate) static WARNINGS: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

    #[test]
    fn an_unretrieved_panic_warns_once_and_a_retrieved_one_does_not() {
        let _serial = WARNINGS.lock();
        let before = UNRETRIEVED_WARNINGS.load(Ordering::SeqCst);
        crate::asyncio::run(async {
            let ignored = create_task(async { panic!("nobody looks") });
            let seen = create_task(async { panic!("somebody looks") });
            crate::asyncio::sleep(std::time::Duration::ZERO).await;
            assert!(ignored.done() && seen.done());
            assert!(seen.exception().is_some());
        });
        assert_eq!(UNRETRIEVED_WARNINGS.load(Ordering::SeqCst), before + 1);
    }

    #[test]
    fn a_task_dropped_before_it_panics_warns_once_when_it_does() {
        let _serial = WARNINGS.lock();
        let before = UNRETRIEVED_WARNINGS.load(Ordering::SeqCst);
        crate::asyncio::run(async {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let task = create_task(async move {
                let _ = rx.await;
                panic!("after its handle was dropped")
            });
            drop(task);
            assert_eq!(UNRETRIEVED_WARNINGS.load(Ordering::SeqCst), before);
            tx.send(()).unwrap();
            for _ in 0..3 {
                crate::asyncio::sleep(std::time::Duration::ZERO).await;
            }
        });
        assert_eq!(UNRETRIEVED_WARNINGS.load(Ordering::SeqCst), before + 1);
    }

    #[test]
    fn a_watched_task_frees_its_cell_once_done_and_dropped() {
        let _serial = WARNINGS.lock();
        crate::asyncio::run(async {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let task = create_task(async move { rx.await.is_ok() });
            task.add_done_callback(|_| ());
            let cell = match &*task.local.lock() {
                Local::Watched(cell) => Arc::downgrade(cell),
                _ => panic!("a task with a done callback is watched"),
            };
            // The task holds the cell (as its join waker) while it runs.
            drop(task);
            assert!(cell.upgrade().is_some());
            tx.send(()).unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while cell.upgrade().is_some() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the cell was never freed"
                );
                crate::asyncio::sleep(std::time::Duration::ZERO).await;
            }
        });
    }

    /// The cell of a watched task, to see when it is freed.
    fn cell_of<T>(task: &Task<T>) -> Weak<Cell<T>> {
        match &*task.local.lock() {
            Local::Watched(cell) => Arc::downgrade(cell),
            _ => panic!("the task is not watched"),
        }
    }

    /// Polls `freed` until it is true, failing after a deadline.
    fn until(what: &str, mut freed: impl FnMut() -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !freed() {
            assert!(std::time::Instant::now() < deadline, "{what}");
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_watched_task_cancelled_before_it_ran_frees_its_cell() {
        let _serial = WARNINGS.lock();
        let (tx, rx) = std::sync::mpsc::channel();
        let cell = crate::asyncio::run(async move {
            let task = create_task(std::future::pending::<()>());
            task.add_done_callback(move |outcome| tx.send(outcome.clone()).unwrap());
            assert!(task.cancel());
            let cell = cell_of(&task);
            drop(task);
            for _ in 0..3 {
                crate::asyncio::sleep(std::time::Duration::ZERO).await;
            }
            cell
        });
        assert_eq!(rx.try_recv(), Ok(Err(TaskError::Cancelled)));
        until("the cell was never freed", || cell.upgrade().is_none());
    }

    #[test]
    fn a_loop_closed_with_watched_tasks_pending_frees_their_cells() {
        let _serial = WARNINGS.lock();
        for event_loop in [
            crate::asyncio::EventLoop::new(),
            crate::asyncio::EventLoop::multi_thread(2),
        ] {
            let (tx, rx) = std::sync::mpsc::channel();
            let (kept, dropped) = event_loop.run_until_complete(async move {
                let kept = create_task(std::future::pending::<u8>());
                let dropped = create_task(std::future::pending::<u8>());
                for task in [&kept, &dropped] {
                    let tx = tx.clone();
                    task.add_done_callback(move |outcome| tx.send(outcome.clone()).unwrap());
                }
                let dropped = cell_of(&dropped);
                (kept, dropped)
            });
            let kept_cell = cell_of(&kept);
            event_loop.close();
            assert_eq!(
                rx.recv_timeout(std::time::Duration::from_secs(10)),
                Ok(Err(TaskError::Cancelled))
            );
            assert_eq!(
                rx.recv_timeout(std::time::Duration::from_secs(10)),
                Ok(Err(TaskError::Cancelled))
            );
            until("the dropped task's cell was never freed", || {
                dropped.upgrade().is_none()
            });
            assert!(kept.done() && kept.cancelled());
            drop(kept);
            until("the kept task's cell was never freed", || {
                kept_cell.upgrade().is_none()
            });
        }
    }

    #[test]
    fn a_watched_panic_warns_once_unless_retrieved() {
        let _serial = WARNINGS.lock();
        let before = UNRETRIEVED_WARNINGS.load(Ordering::SeqCst);
        crate::asyncio::run(async {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let rx = futures_util::FutureExt::shared(rx);
            let group = crate::asyncio::TaskGroup::new();
            let spawn = |name: &'static str, in_group: bool| {
                let rx = rx.clone();
                let future = async move {
                    let _ = rx.await;
                    panic!("{name}")
                };
                if in_group {
                    group.create_task(future)
                } else {
                    create_task(future)
                }
            };
            let late = |name| spawn(name, false);
            // Watched by `wait` and `as_completed`, never looked at: one warning each.
            let (waited, listed) = (late("waited"), late("listed"));
            // Looked at: no warning.
            let (called, grouped, asked) = (late("called"), spawn("grouped", true), late("asked"));
            called.add_done_callback(|_| ());
            let waiting = create_task(crate::asyncio::wait(
                [waited],
                crate::asyncio::ReturnWhen::AllCompleted,
                None,
            ));
            let mut completed = crate::asyncio::as_completed([listed], None);
            crate::asyncio::sleep(std::time::Duration::ZERO).await;
            tx.send(()).unwrap();
            let (done, _) = waiting.await.unwrap();
            assert!(!done[0].cancelled() && done[0].done());
            drop(done);
            drop(completed.next().await.unwrap().unwrap());
            assert!(group.join().await.is_err());
            drop(grouped);
            while !(called.done() && asked.done()) {
                crate::asyncio::sleep(std::time::Duration::ZERO).await;
            }
            assert!(!asked.cancelled());
            assert!(asked.exception().is_some());
        });
        assert_eq!(UNRETRIEVED_WARNINGS.load(Ordering::SeqCst), before + 2);
    }

    #[test]
    fn a_gather_of_tasks_done_while_it_yields_watches_none() {
        // One at a time: other tests in this binary make cells too.
        let _serial = WARNINGS.lock();
        crate::asyncio::run(async {
            let before = CELLS_MADE.load(Ordering::SeqCst);
            let tasks: Vec<_> = (0..1000u32)
                .map(|i| create_task(async move { i }))
                .collect();
            let values = crate::asyncio::gather(tasks).await.unwrap();
            assert_eq!(values, (0..1000).collect::<Vec<_>>());
            assert_eq!(CELLS_MADE.load(Ordering::SeqCst), before);

            // A first task that waits: the others get watched.
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let mut tasks = vec![create_task(async move { rx.await.map_or(0, |()| 7) })];
            tasks.extend((1..10u32).map(|i| {
                create_task(async move {
                    std::future::pending::<()>().await;
                    i
                })
            }));
            let gather = crate::asyncio::gather(tasks);
            let mut gather = std::pin::pin!(gather);
            for _ in 0..3 {
                let polled = std::future::poll_fn(|cx| Poll::Ready(gather.as_mut().poll(cx))).await;
                assert!(polled.is_pending());
                crate::asyncio::sleep(std::time::Duration::ZERO).await;
            }
            assert_eq!(CELLS_MADE.load(Ordering::SeqCst), before + 9);
            drop(tx);
        });
    }

    #[test]
    fn waits_that_end_take_their_watchers_back() {
        use crate::asyncio::{ReturnWhen, wait};
        use std::time::Duration;
        // Watched tasks are counted by another test: one at a time.
        let _serial = WARNINGS.lock();
        crate::asyncio::run(async {
            let (release, released) = tokio::sync::oneshot::channel::<()>();
            let mut tasks = vec![create_task(async move { released.await.map_or(0, |()| 1) })];
            for round in 0..100 {
                tasks.push(create_task(async move { round }));
                let (done, pending) = wait(tasks, ReturnWhen::FirstCompleted, None).await;
                assert_eq!(done.len(), 1);
                tasks = pending;
                assert_eq!(tasks[0].watchers(), 0, "round {round}");
            }
            let timeout = Some(Duration::from_millis(1));
            let (done, pending) = wait(tasks, ReturnWhen::AllCompleted, timeout).await;
            assert!(done.is_empty());
            assert_eq!(pending[0].watchers(), 0, "after a wait that timed out");
            release.send(()).unwrap();
            assert_eq!(crate::asyncio::gather(pending).await, Ok(vec![1]));
        });
    }

    #[test]
    fn a_failed_gather_retrieves_the_failures_of_its_other_tasks() {
        let _serial = WARNINGS.lock();
        let before = UNRETRIEVED_WARNINGS.load(Ordering::SeqCst);
        crate::asyncio::run(async {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let first = create_task(async { panic!("first") });
            let later = create_task(async move {
                let _ = rx.await;
                panic!("later")
            });
            let err = crate::asyncio::gather([first, later]).await.unwrap_err();
            assert_eq!(err.panic().unwrap().message(), "first");
            // `later` fails after the gather returned, and nobody holds it any more.
            tx.send(()).unwrap();
            crate::asyncio::sleep(std::time::Duration::ZERO).await;
            crate::asyncio::sleep(std::time::Duration::ZERO).await;
        });
        assert_eq!(UNRETRIEVED_WARNINGS.load(Ordering::SeqCst), before);
    }
}
