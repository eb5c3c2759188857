//! `Task<T>`: a future running on the event loop, with Python's `asyncio.Task` surface
//! (done, cancelled, result, exception, add_done_callback, cancel) on top of a tokio task.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context, Poll};

use futures_util::FutureExt;
use futures_util::task::AtomicWaker;
use parking_lot::Mutex;
use tokio::task::{AbortHandle, JoinHandle};

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

/// Number of "Task exception was never retrieved" warnings printed (for tests).
pub(crate) static UNRETRIEVED_WARNINGS: AtomicUsize = AtomicUsize::new(0);

struct State<T> {
    /// `Some` once finished, until an await moves it out.
    outcome: Option<Result<T, TaskError>>,
    finished: bool,
    cancelled: bool,
    /// Whether somebody looked at the outcome (await, result, exception, a callback).
    retrieved: bool,
    callbacks: Vec<Callback<T>>,
    watchers: Vec<Watcher>,
}

/// How a [`gather`](super::gather) of tasks learns that one of the tasks it is not awaiting
/// yet failed. The watch has a key, unique in the process, that it writes into each task's
/// cell with a plain store (no lock, no reference count per task: the cells of 100k
/// tasks are written at memory speed); a task that fails looks its key up in [`WATCHES`]
/// (a failure is rare) and tells the watch.
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
    pub(crate) fn watch<T>(&self, cell: &Cell<T>) {
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

/// What the task handle and the running future share: one allocation per task. An
/// awaiter is woken through the tokio task's `JoinHandle` (which becomes ready only after
/// [`Cell::finish`] returned), so the cell needs no wake-up machinery of its own.
pub(crate) struct Cell<T> {
    state: Mutex<State<T>>,
    done: AtomicBool,
    /// The key of the [`FailureWatch`] to tell if the task fails (0: none).
    watched_by: AtomicU64,
}

impl<T> Cell<T> {
    fn new() -> Self {
        Cell {
            state: Mutex::new(State {
                outcome: None,
                finished: false,
                cancelled: false,
                retrieved: false,
                callbacks: Vec::new(),
                watchers: Vec::new(),
            }),
            done: AtomicBool::new(false),
            watched_by: AtomicU64::new(0),
        }
    }

    /// Publishes the outcome: runs the done callbacks first (each sees the outcome), then
    /// stores it and tells the watchers. (The awaiter is woken by the tokio task's
    /// completion, which comes after this returns.)
    fn finish(&self, outcome: Result<T, TaskError>) {
        let mut ran_callback = false;
        let failed = outcome.is_err();
        let watchers = loop {
            let callbacks = {
                let mut state = self.state.lock();
                if state.callbacks.is_empty() {
                    state.cancelled = matches!(outcome, Err(TaskError::Cancelled));
                    state.retrieved |= ran_callback;
                    state.outcome = Some(outcome);
                    state.finished = true;
                    break std::mem::take(&mut state.watchers);
                }
                std::mem::take(&mut state.callbacks)
            };
            for callback in callbacks {
                ran_callback = true;
                if let Err(payload) =
                    std::panic::catch_unwind(AssertUnwindSafe(|| callback(&outcome)))
                {
                    eprintln!(
                        "tripod::asyncio: a task's done callback {}",
                        PanicError::from_payload(payload)
                    );
                }
            }
        };
        let panic = if watchers.is_empty() {
            None
        } else {
            self.panic()
        };
        self.done.store(true, Ordering::Release);
        if failed {
            // Pairs with `FailureWatch::fence`: either the watch's key is seen here, or the
            // gather sees this task done after setting it.
            std::sync::atomic::fence(Ordering::SeqCst);
            let key = self.watched_by.load(Ordering::Relaxed);
            if key != 0 {
                FailureWatch::notify(key);
            }
        }
        for watcher in watchers {
            watcher(panic.as_ref());
        }
    }

    /// Whether the task is done and its outcome, still stored, is a failure.
    pub(crate) fn failed(&self) -> bool {
        self.is_done() && matches!(self.state.lock().outcome, Some(Err(_)))
    }

    /// Runs `watcher` once the task is done (at once if it is).
    pub(crate) fn watch(&self, watcher: Watcher) {
        let mut state = self.state.lock();
        if state.finished {
            let panic = match &state.outcome {
                Some(Err(TaskError::Panicked(p))) => Some(p.clone()),
                _ => None,
            };
            drop(state);
            watcher(panic.as_ref());
        } else {
            state.watchers.push(watcher);
        }
    }

    /// The task's panic, if it finished with one that is still stored.
    fn panic(&self) -> Option<PanicError> {
        match &self.state.lock().outcome {
            Some(Err(TaskError::Panicked(p))) => Some(p.clone()),
            _ => None,
        }
    }

    /// Counts the outcome as looked at (a task group reports its panics itself).
    pub(crate) fn mark_retrieved(&self) {
        self.state.lock().retrieved = true;
    }

    fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Moves the outcome out, if finished.
    pub(crate) fn take(&self) -> Option<Result<T, TaskError>> {
        if !self.is_done() {
            return None;
        }
        let mut state = self.state.lock();
        state.retrieved = true;
        state.outcome.take()
    }
}

impl<T> Drop for Cell<T> {
    fn drop(&mut self) {
        let state = self.state.get_mut();
        if !state.retrieved
            && let Some(Err(TaskError::Panicked(panic))) = &state.outcome
        {
            UNRETRIEVED_WARNINGS.fetch_add(1, Ordering::Relaxed);
            eprintln!("tripod::asyncio: Task exception was never retrieved: {panic}");
        }
    }
}

/// Marks the task cancelled if its future is dropped before finishing (abort, or the loop
/// shutting down).
struct Completer<T> {
    cell: Option<Arc<Cell<T>>>,
}

impl<T> Completer<T> {
    fn complete(mut self, outcome: Result<T, TaskError>) {
        if let Some(cell) = self.cell.take() {
            cell.finish(outcome);
        }
    }
}

impl<T> Drop for Completer<T> {
    fn drop(&mut self) {
        if let Some(cell) = self.cell.take() {
            cell.finish(Err(TaskError::Cancelled));
        }
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
    cell: Arc<Cell<T>>,
    /// The tokio task running the future (it outputs `()`: the outcome goes to `cell`).
    /// Polled only to be woken when the task completes; aborting it cancels the task.
    join: JoinHandle<()>,
}

/// Schedules `future` on the running loop and returns its [`Task`]: Python's
/// `asyncio.create_task`.
///
/// Works on any tokio runtime, tripod's [`EventLoop`](super::EventLoop) or another.
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
    spawn_on(&tokio::runtime::Handle::current(), future)
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

/// Spawns `future` on `handle` as a [`Task`].
pub(crate) fn spawn_on<F>(handle: &tokio::runtime::Handle, future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let cell = Arc::new(Cell::new());
    let completer = Completer {
        cell: Some(Arc::clone(&cell)),
    };
    // A combinator rather than an `async` block: the block would keep `future` twice (as
    // its capture and as the awaited `CatchUnwind`), and a larger tokio task is a larger
    // allocation.
    let join = handle.spawn(AssertUnwindSafe(future).catch_unwind().map(move |outcome| {
        completer.complete(outcome.map_err(|p| TaskError::Panicked(PanicError::from_payload(p))));
    }));
    Task { cell, join }
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
        self.cell.is_done()
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
        self.done() && self.cell.state.lock().cancelled
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
        if self.done() {
            return false;
        }
        self.join.abort();
        true
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
        if !self.done() {
            return None;
        }
        let mut state = self.cell.state.lock();
        state.retrieved = true;
        state.outcome.clone()
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
        if !self.done() {
            return None;
        }
        let mut state = self.cell.state.lock();
        state.retrieved = true;
        match &state.outcome {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        }
    }

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
        let mut state = self.cell.state.lock();
        if !state.finished {
            state.callbacks.push(Box::new(callback));
            return;
        }
        state.retrieved = true;
        // The callback cannot reach this task (it is `'static` and `Task` is not `Clone`), so
        // calling it under the lock cannot deadlock.
        if let Some(outcome) = &state.outcome
            && let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(|| callback(outcome)))
        {
            // As for a callback run when the task finishes: reported, not propagated.
            eprintln!(
                "tripod::asyncio: a task's done callback {}",
                PanicError::from_payload(payload)
            );
        }
    }

    pub(crate) fn cell(&self) -> &Arc<Cell<T>> {
        &self.cell
    }

    /// Takes the outcome if the task is done; otherwise arranges for `cx` to be woken when
    /// it is. Once this returned `Ready` it must not be called again (the outcome is gone).
    pub(crate) fn poll_outcome(&mut self, cx: &mut Context<'_>) -> Poll<Result<T, TaskError>> {
        if let Some(outcome) = self.cell.take() {
            return Poll::Ready(outcome);
        }
        // The tokio task completes only after its future published the outcome (or, if
        // aborted or shut down, after dropping the future published `Cancelled`), so once
        // the join handle is ready the cell is done.
        match Pin::new(&mut self.join).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => Poll::Ready(
                self.cell
                    .take()
                    .expect("a completed task has published its outcome"),
            ),
        }
    }

    /// A handle that cancels the task, for holders of many (a task group).
    pub(crate) fn abort_handle(&self) -> AbortHandle {
        self.join.abort_handle()
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if !self.done() {
            "pending"
        } else if self.cancelled() {
            "cancelled"
        } else {
            "finished"
        };
        f.debug_struct("Task")
            .field("id", &self.join.id())
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
pub(crate) fn take_outcome<T>(task: Task<T>) -> Result<T, TaskError> {
    task.cell
        .take()
        .expect("take_outcome on a task that is not done")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tests that count warnings, one at a time (the counter is global).
    static WARNINGS: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

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
