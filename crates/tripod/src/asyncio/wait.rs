//! Waiting for many awaitables: `gather`, `wait`, `as_completed`, `wait_for`, `sleep`.
#![forbid(unsafe_code)]

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use event_listener::Event;
use futures_core::{Stream, TryFuture};
use futures_util::future::{JoinAll, TryJoinAll};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::task::{FailureWatch, Task, TaskError, TaskJoin, WatchId, take_outcome};
/// When [`wait`] returns: the same constants as `concurrent.futures`', as in Python.
pub use crate::futures::ReturnWhen;

/// Suspends the current task for `delay`: Python's `asyncio.sleep`. `sleep(Duration::ZERO)`
/// yields to the other ready tasks once, as `asyncio.sleep(0)` does.
///
/// # Cancel safety
///
/// Cancel safe: dropping it only stops the sleep.
///
/// ```
/// use std::time::Duration;
/// use tripod::asyncio;
///
/// asyncio::run(async {
///     let start = tokio::time::Instant::now();
///     asyncio::sleep(Duration::from_millis(5)).await;
///     assert!(start.elapsed() >= Duration::from_millis(5));
/// });
/// ```
pub async fn sleep(delay: Duration) {
    if delay.is_zero() {
        tokio::task::yield_now().await;
    } else {
        tokio::time::sleep(delay).await;
    }
}

/// Suspends the current task until `deadline` on the loop's clock (see
/// [`EventLoop::time`](super::EventLoop::time)).
///
/// # Cancel safety
///
/// Cancel safe.
///
/// ```
/// use std::time::Duration;
/// use tripod::asyncio;
///
/// asyncio::run(async {
///     let deadline = tokio::time::Instant::now() + Duration::from_millis(2);
///     asyncio::sleep_until(deadline).await;
///     assert!(tokio::time::Instant::now() >= deadline);
/// });
/// ```
pub async fn sleep_until(deadline: Instant) {
    tokio::time::sleep_until(deadline).await;
}

/// What [`gather`] and [`gather_all`] wait for: a [`Task`], or any future.
///
/// Implemented for [`Task<T>`](Task) (its output is `Result<T, TaskError>`) and for every
/// [`Future`]; sealed, so nothing else implements it. The two are gathered differently:
/// tasks run on the loop by themselves, so a gather of tasks awaits them in order and costs
/// no allocation per task, while plain futures run inside the gather, which polls them
/// concurrently.
///
/// ```
/// use tripod::asyncio::{self, Awaitable, TaskError};
///
/// fn output<A: Awaitable>(_: &A) -> &'static str {
///     std::any::type_name::<A::Output>()
/// }
///
/// asyncio::run(async {
///     let task = asyncio::create_task(async { 1u8 });
///     assert_eq!(output(&task), std::any::type_name::<Result<u8, TaskError>>());
///     assert_eq!(output(&async { 'x' }), "char");
///     assert_eq!(task.await, Ok(1));
/// });
/// ```
pub trait Awaitable: sealed::Sealed + Sized {
    /// What awaiting it gives: `Result<T, TaskError>` for a `Task<T>`, a future's output.
    type Output;
    #[doc(hidden)]
    type TaskValue;
    #[doc(hidden)]
    type Future: Future<Output = Self::Output>;
    #[doc(hidden)]
    const IS_TASK: bool;
    #[doc(hidden)]
    fn into_task(self) -> Task<Self::TaskValue>;
    #[doc(hidden)]
    fn into_plain_future(self) -> Self::Future;
    #[doc(hidden)]
    fn task_output(outcome: Result<Self::TaskValue, TaskError>) -> Self::Output;
}

mod sealed {
    /// Keeps [`Awaitable`](super::Awaitable) to tasks and futures.
    pub trait Sealed {}

    impl<F: std::future::Future> Sealed for F {}
    impl<T> Sealed for super::Task<T> {}
}

impl<F: Future> Awaitable for F {
    type Output = F::Output;
    type TaskValue = Infallible;
    type Future = F;
    const IS_TASK: bool = false;

    fn into_task(self) -> Task<Infallible> {
        unreachable!("a future is never gathered as a task")
    }

    fn into_plain_future(self) -> F {
        self
    }

    fn task_output(outcome: Result<Infallible, TaskError>) -> F::Output {
        match outcome {
            Ok(never) => match never {},
            Err(_) => unreachable!("a future is never gathered as a task"),
        }
    }
}

impl<T> Awaitable for Task<T> {
    type Output = Result<T, TaskError>;
    type TaskValue = T;
    type Future = TaskJoin<T>;
    const IS_TASK: bool = true;

    fn into_task(self) -> Task<T> {
        self
    }

    fn into_plain_future(self) -> TaskJoin<T> {
        self.into_future()
    }

    fn task_output(outcome: Result<T, TaskError>) -> Result<T, TaskError> {
        outcome
    }
}

/// The tasks of `awaitables`, all tasks (a `Vec` of tasks is reused in place: neither
/// copied nor reallocated).
fn tasks<A: Awaitable>(awaitables: impl IntoIterator<Item = A>) -> Vec<Task<A::TaskValue>> {
    awaitables.into_iter().map(A::into_task).collect()
}

/// The tasks of a gather, in order, and the values taken from them so far. Each task's
/// outcome is taken as soon as the tasks before it are done; the values go straight into
/// the `Vec` the gather returns. Dropped before the gather returned, it cancels the tasks
/// not done.
struct Pending<T, V> {
    tasks: Vec<Task<T>>,
    /// The values of `tasks[..values.len()]`, whose outcomes were taken.
    values: Vec<V>,
    returned: bool,
}

impl<T, V> Pending<T, V> {
    fn new(tasks: Vec<Task<T>>) -> Self {
        Pending {
            values: Vec::with_capacity(tasks.len()),
            tasks,
            returned: false,
        }
    }

    /// Takes the outcomes of the tasks in order as they are done, each turned into a value
    /// by `value`: `Ready(Ok)` once all are, `Ready(Err)` at the first that `value` refuses,
    /// otherwise `Pending` with `cx` woken when the first task not done is.
    fn poll_values<E>(
        &mut self,
        cx: &mut Context<'_>,
        mut value: impl FnMut(Result<T, TaskError>) -> Result<V, E>,
    ) -> Poll<Result<(), E>> {
        while let Some(task) = self.tasks.get_mut(self.values.len()) {
            let outcome = std::task::ready!(task.poll_outcome(cx));
            self.values.push(value(outcome)?);
        }
        Poll::Ready(Ok(()))
    }

    /// Whether tasks not done wait behind the first one (the gather awaits that one).
    fn others_pending(&self) -> bool {
        self.tasks().nth(1).is_some()
    }

    /// Has the tasks behind the first one not done tell `watch` if they fail: `Err` at the
    /// first, in order, that failed already and that `value` refuses.
    fn watch_others<E>(
        &mut self,
        watch: &FailureWatch,
        value: impl FnMut(Result<T, TaskError>) -> Result<V, E>,
    ) -> Result<(), E>
    where
        T: Send + 'static,
    {
        for task in &mut self.tasks[self.values.len() + 1..] {
            task.watch_failure(watch);
        }
        watch.fence();
        self.take_failed(value)
    }

    /// Takes the outcome of the first task, in order, that failed: `Err` if `value`
    /// refuses it (a gather refuses every failure).
    fn take_failed<E>(
        &mut self,
        mut value: impl FnMut(Result<T, TaskError>) -> Result<V, E>,
    ) -> Result<(), E> {
        let first = self.values.len();
        let failed = (first..self.tasks.len()).find(|&i| self.tasks[i].failed());
        if let Some(outcome) = failed.and_then(|i| self.tasks[i].try_take())
            && let Err(e) = value(outcome)
        {
            return Err(e);
        }
        Ok(())
    }

    /// How many outcomes were taken.
    fn taken(&self) -> usize {
        self.values.len()
    }

    /// The tasks whose outcomes have not been taken (the first of them included).
    fn tasks(&self) -> impl Iterator<Item = &Task<T>> {
        self.tasks[self.values.len()..].iter()
    }

    /// The gather returns the values (every task's outcome was taken).
    fn values(&mut self) -> Vec<V> {
        self.returned = true;
        std::mem::take(&mut self.values)
    }

    /// The gather returns `e` before the tasks are all done: the others go on running (as
    /// in Python), their failures counted as retrieved (Python's gather retrieves the
    /// exceptions of its other children).
    fn fail<E>(&mut self, e: E) -> E
    where
        T: Send + 'static,
    {
        self.returned = true;
        for task in self.tasks() {
            task.mark_retrieved();
        }
        e
    }
}

impl<T, V> Drop for Pending<T, V> {
    fn drop(&mut self) {
        if !self.returned {
            for task in self.tasks() {
                task.cancel();
            }
        }
    }
}

/// Runs the awaitables concurrently and returns their values in the order given, or the
/// first error as soon as one fails: Python's `asyncio.gather(*aws)`.
///
/// Each item is a [`Task`] (whose output is `Result<T, TaskError>`) or any future whose
/// output is a `Result<T, E>` (see [`Awaitable`]). Plain futures run inside the gather
/// (concurrently, on the task awaiting it); tasks run on the loop anyway, and the gather
/// awaits them in order, told at once if a later one fails. As in Python, when one fails the
/// others are not cancelled (tasks go on running, and their failures count as retrieved;
/// plain futures are dropped with the gather). For futures of different types use
/// `futures::join!`/`tokio::join!`.
///
/// # Cancel safety
///
/// Dropping the gather before it completes cancels what it was waiting for (the plain
/// futures are dropped and the tasks cancelled), as cancelling Python's gather cancels its
/// children.
///
/// ```
/// use tripod::asyncio::{self, TaskError};
///
/// asyncio::run(async {
///     let tasks: Vec<_> = ["A", "B", "C"]
///         .into_iter()
///         .map(|name| asyncio::create_task(async move { format!("Task {name} is done.") }))
///         .collect();
///     let done = asyncio::gather(tasks).await.unwrap();
///     assert_eq!(done, ["Task A is done.", "Task B is done.", "Task C is done."]);
///
///     let fails = vec![asyncio::create_task(async { 1 }), asyncio::create_task(async { panic!("x") })];
///     assert!(matches!(asyncio::gather(fails).await, Err(TaskError::Panicked(_))));
/// });
/// ```
pub fn gather<I, T, E>(awaitables: I) -> Gather<I::Item>
where
    I: IntoIterator,
    I::Item: Awaitable<Output = Result<T, E>>,
{
    let inner = if I::Item::IS_TASK {
        GatherInner::Tasks {
            pending: Pending::new(tasks(awaitables)),
            failure: None,
            yielded_at: None,
        }
    } else {
        let futures = awaitables.into_iter().map(Awaitable::into_plain_future);
        GatherInner::Futures(Box::pin(futures_util::future::try_join_all(futures)))
    };
    Gather { inner }
}

/// The future of [`gather`].
///
/// ```
/// use tripod::asyncio::{self, Gather, Task};
///
/// asyncio::run(async {
///     let gather: Gather<Task<u32>> = asyncio::gather([asyncio::create_task(async { 3 })]);
///     assert_eq!(gather.await, Ok(vec![3]));
/// });
/// ```
#[must_use = "a gather does nothing unless awaited"]
pub struct Gather<A>
where
    A: Awaitable,
    A::Future: TryFuture,
{
    inner: GatherInner<A>,
}

enum GatherInner<A>
where
    A: Awaitable,
    A::Future: TryFuture,
{
    Tasks {
        pending: Pending<A::TaskValue, <A::Future as TryFuture>::Ok>,
        /// Set once a task kept the gather waiting: tells when one of the others fails.
        failure: Option<FailureWatch>,
        /// Where the first task not done was when the gather last yielded to the loop
        /// instead of watching the tasks behind it.
        yielded_at: Option<usize>,
    },
    Futures(Pin<Box<TryJoinAll<A::Future>>>),
}

// Nothing in a gather is pinned in place (the plain futures are boxed).
impl<A> Unpin for Gather<A>
where
    A: Awaitable,
    A::Future: TryFuture,
{
}

impl<A, T, E> Future for Gather<A>
where
    A: Awaitable<Output = Result<T, E>>,
    A::TaskValue: Send + 'static,
    A::Future: TryFuture<Ok = T, Error = E>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (pending, failure, yielded_at) = match &mut self.get_mut().inner {
            GatherInner::Futures(join) => return join.as_mut().poll(cx),
            GatherInner::Tasks {
                pending,
                failure,
                yielded_at,
            } => (pending, failure, yielded_at),
        };
        match pending.poll_values(cx, A::task_output) {
            Poll::Ready(Ok(())) => return Poll::Ready(Ok(pending.values())),
            Poll::Ready(Err(e)) => return Poll::Ready(Err(pending.fail(e))),
            Poll::Pending => {}
        }
        // The first task not done keeps the gather waiting: have the ones after it tell if
        // they fail, so that a failure is reported at once (as Python's gather does).
        let failed = match failure {
            Some(watch) => watch.poll_failed(cx),
            None if !pending.others_pending() => false,
            None if *yielded_at != Some(pending.taken()) => {
                // Watching a task costs it a shared cell. While the tasks get done (they
                // typically all are, soon after they were created), yield to the loop and
                // take their outcomes in order; watch them once a poll finds no progress.
                *yielded_at = Some(pending.taken());
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            None => {
                let watch = FailureWatch::new();
                let watched = pending.watch_others(&watch, A::task_output);
                if let Err(e) = watched {
                    return Poll::Ready(Err(pending.fail(e)));
                }
                failure.insert(watch).poll_failed(cx)
            }
        };
        if failed && let Err(e) = pending.take_failed(A::task_output) {
            return Poll::Ready(Err(pending.fail(e)));
        }
        Poll::Pending
    }
}

impl<A> fmt::Debug for Gather<A>
where
    A: Awaitable,
    A::Future: TryFuture,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Gather");
        if let GatherInner::Tasks { pending, .. } = &self.inner {
            d.field("pending", &pending.tasks().count());
        }
        d.finish_non_exhaustive()
    }
}

/// Runs the awaitables concurrently and returns every outcome, in the order given, failures
/// included: Python's `asyncio.gather(*aws, return_exceptions=True)`.
///
/// # Cancel safety
///
/// As [`gather`]: dropping it cancels what it waits for.
///
/// ```
/// use tripod::asyncio;
///
/// asyncio::run(async {
///     let tasks = vec![
///         asyncio::create_task(async { 1 }),
///         asyncio::create_task(async { panic!("two") }),
///         asyncio::create_task(async { 3 }),
///     ];
///     let outcomes = asyncio::gather_all(tasks).await;
///     assert_eq!(outcomes[0], Ok(1));
///     assert_eq!(outcomes[1].as_ref().unwrap_err().panic().unwrap().message(), "two");
///     assert_eq!(outcomes[2], Ok(3));
/// });
/// ```
pub fn gather_all<I>(awaitables: I) -> GatherAll<I::Item>
where
    I: IntoIterator,
    I::Item: Awaitable,
{
    let inner = if I::Item::IS_TASK {
        GatherAllInner::Tasks(Pending::new(tasks(awaitables)))
    } else {
        let futures = awaitables.into_iter().map(Awaitable::into_plain_future);
        GatherAllInner::Futures(Box::pin(futures_util::future::join_all(futures)))
    };
    GatherAll { inner }
}

/// The future of [`gather_all`].
///
/// ```
/// use tripod::asyncio::{self, GatherAll, Task};
///
/// asyncio::run(async {
///     let all: GatherAll<Task<u32>> = asyncio::gather_all([asyncio::create_task(async { 3 })]);
///     assert_eq!(all.await, [Ok(3)]);
/// });
/// ```
#[must_use = "a gather does nothing unless awaited"]
pub struct GatherAll<A: Awaitable> {
    inner: GatherAllInner<A>,
}

enum GatherAllInner<A: Awaitable> {
    Tasks(Pending<A::TaskValue, A::Output>),
    Futures(Pin<Box<JoinAll<A::Future>>>),
}

// Nothing in a gather is pinned in place (the plain futures are boxed).
impl<A: Awaitable> Unpin for GatherAll<A> {}

impl<A: Awaitable> Future for GatherAll<A> {
    type Output = Vec<A::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().inner {
            GatherAllInner::Futures(join) => join.as_mut().poll(cx),
            GatherAllInner::Tasks(pending) => {
                let all =
                    pending.poll_values(cx, |outcome| Ok::<_, Infallible>(A::task_output(outcome)));
                std::task::ready!(all).unwrap_or_else(|never| match never {});
                Poll::Ready(pending.values())
            }
        }
    }
}

impl<A: Awaitable> fmt::Debug for GatherAll<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("GatherAll");
        if let GatherAllInner::Tasks(pending) = &self.inner {
            d.field("pending", &pending.tasks().count());
        }
        d.finish_non_exhaustive()
    }
}

/// Runs `awaitable` with a time limit: Python's `asyncio.wait_for`. When the time is up
/// the awaitable is cancelled (a [`Task`] is cancelled, a future dropped) and the result is
/// [`TimeoutError`].
///
/// # Cancel safety
///
/// Dropping it cancels the awaitable, as the timeout does.
///
/// ```
/// use std::time::Duration;
/// use tripod::asyncio::{self, TimeoutError};
///
/// asyncio::run(async {
///     let quick = asyncio::wait_for(async { 1 }, Duration::from_secs(1)).await;
///     assert_eq!(quick, Ok(1));
///     let slow = asyncio::create_task(asyncio::sleep(Duration::from_secs(3600)));
///     assert_eq!(asyncio::wait_for(slow, Duration::from_millis(5)).await, Err(TimeoutError));
/// });
/// ```
pub async fn wait_for<F: IntoFuture>(
    awaitable: F,
    timeout: Duration,
) -> Result<F::Output, TimeoutError> {
    tokio::time::timeout(timeout, awaitable.into_future())
        .await
        .map_err(|_| TimeoutError)
}

/// A wait ran out of time: Python's `TimeoutError` from `wait_for` and `as_completed`.
///
/// ```
/// assert_eq!(tripod::asyncio::TimeoutError.to_string(), "timed out");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeoutError;

impl fmt::Display for TimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("timed out")
    }
}

impl std::error::Error for TimeoutError {}

struct WaitState {
    done: AtomicUsize,
    failed: AtomicBool,
    event: Event,
}

/// Waits for the tasks, with an optional time limit, and returns them as `(done, pending)`:
/// Python's `asyncio.wait(tasks, timeout, return_when)`. Nothing is cancelled: pending
/// tasks go on running. Each list keeps the tasks' order.
///
/// # Cancel safety
///
/// Dropping the wait drops the task handles it holds; the tasks themselves go on running
/// (a dropped handle does not cancel).
///
/// ```
/// use std::time::Duration;
/// use tripod::asyncio::{self, ReturnWhen};
///
/// asyncio::run(async {
///     let tasks: Vec<_> = [1u64, 2, 4]
///         .into_iter()
///         .map(|x| asyncio::create_task(async move {
///             asyncio::sleep(Duration::from_millis(x)).await;
///             x
///         }))
///         .collect();
///     let (done, pending) = asyncio::wait(tasks, ReturnWhen::AllCompleted, None).await;
///     assert_eq!(done.len(), 3);
///     assert!(pending.is_empty());
///     let results: Vec<u64> = done.iter().map(|t| t.result().unwrap().unwrap()).collect();
///     assert_eq!(results, [1, 2, 4]);
/// });
/// ```
pub async fn wait<T, I>(
    tasks: I,
    return_when: ReturnWhen,
    timeout: Option<Duration>,
) -> (Vec<Task<T>>, Vec<Task<T>>)
where
    T: Send + 'static,
    I: IntoIterator<Item = Task<T>>,
{
    let deadline = timeout.map(|t| Instant::now() + t);
    let tasks: Vec<Task<T>> = tasks.into_iter().collect();
    let state = Arc::new(WaitState {
        done: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        event: Event::new(),
    });
    let watches: Vec<Option<WatchId>> = tasks
        .iter()
        .map(|task| {
            let state = Arc::clone(&state);
            task.watch(Box::new(move |panic| {
                if panic.is_some() {
                    state.failed.store(true, Ordering::Release);
                }
                state.done.fetch_add(1, Ordering::AcqRel);
                state.event.notify(usize::MAX);
            }))
        })
        .collect();
    // However the wait ends (returning, or dropped), the tasks still running forget it.
    let unwatch = Unwatch {
        tasks: &tasks,
        watches,
    };
    let total = tasks.len();
    let satisfied = || {
        let done = state.done.load(Ordering::Acquire);
        done == total
            || match return_when {
                ReturnWhen::FirstCompleted => done > 0,
                ReturnWhen::FirstException => state.failed.load(Ordering::Acquire),
                ReturnWhen::AllCompleted => false,
            }
    };
    wait_until(satisfied, &state.event, deadline).await;
    drop(unwatch);
    tasks.into_iter().partition(Task::done)
}

/// Waits until `satisfied` holds (checked again each time `event` fires) or `deadline`
/// passes.
async fn wait_until(satisfied: impl Fn() -> bool, event: &Event, deadline: Option<Instant>) {
    while !satisfied() {
        let listener = event.listen();
        if satisfied() {
            break;
        }
        match deadline {
            Some(deadline) => {
                if tokio::time::timeout_at(deadline, listener).await.is_err() {
                    break;
                }
            }
            None => listener.await,
        }
    }
}

/// Takes back the watchers of a [`wait`] from the tasks still running when it ends.
struct Unwatch<'a, T> {
    tasks: &'a [Task<T>],
    watches: Vec<Option<WatchId>>,
}

impl<T> Drop for Unwatch<'_, T> {
    fn drop(&mut self) {
        for (task, watch) in self.tasks.iter().zip(&self.watches) {
            if let Some(id) = watch {
                task.unwatch(*id);
            }
        }
    }
}

/// Yields the tasks in the order they finish, each already done (awaiting it gives its
/// outcome at once): Python's `asyncio.as_completed(tasks, timeout)`.
///
/// Use [`next`](AsCompleted::next) in a `while let` loop, or it as a
/// [`Stream`](futures_core::Stream). With a timeout, once it passes the next item is
/// `Err(TimeoutError)` and the iteration ends; nothing is cancelled.
///
/// ```
/// use std::time::Duration;
/// use tripod::asyncio;
///
/// asyncio::run(async {
///     tokio::time::pause(); // virtual time: the order below does not depend on the machine
///     let tasks: Vec<_> = [4u64, 1, 2]
///         .into_iter()
///         .map(|x| asyncio::create_task(async move {
///             asyncio::sleep(Duration::from_millis(x * 5)).await;
///             x
///         }))
///         .collect();
///     let mut finished = Vec::new();
///     let mut completed = asyncio::as_completed(tasks, None);
///     while let Some(task) = completed.next().await {
///         finished.push(task.unwrap().await.unwrap());
///     }
///     assert_eq!(finished, [1, 2, 4]);
/// });
/// ```
pub fn as_completed<T, I>(tasks: I, timeout: Option<Duration>) -> AsCompleted<T>
where
    T: Send + 'static,
    I: IntoIterator<Item = Task<T>>,
{
    let tasks: Vec<Option<Task<T>>> = tasks.into_iter().map(Some).collect();
    let (tx, rx) = mpsc::unbounded_channel();
    let watches = tasks
        .iter()
        .enumerate()
        .map(|(index, task)| {
            let tx = tx.clone();
            let task = task.as_ref().expect("every task is there at first");
            task.watch(Box::new(move |_| {
                let _ = tx.send(index);
            }))
        })
        .collect();
    AsCompleted {
        remaining: tasks.len(),
        tasks,
        watches,
        rx,
        sleep: timeout.map(|t| Box::pin(tokio::time::sleep(t))),
        timed_out: false,
    }
}

/// The iterator of [`as_completed`].
///
/// ```
/// use tripod::asyncio::{self, AsCompleted};
///
/// asyncio::run(async {
///     let mut completed: AsCompleted<u8> = asyncio::as_completed([asyncio::create_task(async { 7 })], None);
///     let task = completed.next().await.unwrap().unwrap();
///     assert_eq!(task.await, Ok(7));
///     assert!(completed.next().await.is_none());
/// });
/// ```
pub struct AsCompleted<T> {
    tasks: Vec<Option<Task<T>>>,
    /// The watchers waiting on the tasks not done yet, taken back when dropped.
    watches: Vec<Option<WatchId>>,
    remaining: usize,
    rx: mpsc::UnboundedReceiver<usize>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    timed_out: bool,
}

impl<T> AsCompleted<T> {
    /// The next task to finish; `None` when all have been yielded, `Err(TimeoutError)`
    /// once the timeout passed (then `None`).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if dropped before it returns, no task is lost; the next call yields it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::asyncio::{self, TimeoutError};
    ///
    /// asyncio::run(async {
    ///     let never = asyncio::create_task(std::future::pending::<()>());
    ///     let mut completed = asyncio::as_completed([never], Some(Duration::from_millis(5)));
    ///     assert_eq!(completed.next().await.unwrap().unwrap_err(), TimeoutError);
    ///     assert!(completed.next().await.is_none());
    /// });
    /// ```
    pub async fn next(&mut self) -> Option<Result<Task<T>, TimeoutError>> {
        std::future::poll_fn(|cx| self.poll_next_task(cx)).await
    }

    /// How many tasks have not been yielded yet.
    ///
    /// ```
    /// use tripod::asyncio;
    ///
    /// asyncio::run(async {
    ///     let completed = asyncio::as_completed([asyncio::create_task(async {})], None);
    ///     assert_eq!(completed.remaining(), 1);
    /// });
    /// ```
    pub fn remaining(&self) -> usize {
        self.remaining
    }

    fn poll_next_task(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Task<T>, TimeoutError>>> {
        if self.remaining == 0 || self.timed_out {
            return Poll::Ready(None);
        }
        if let Poll::Ready(Some(index)) = self.rx.poll_recv(cx) {
            self.remaining -= 1;
            let task = self.tasks[index].take().expect("each task completes once");
            return Poll::Ready(Some(Ok(task)));
        }
        if let Some(sleep) = &mut self.sleep
            && sleep.as_mut().poll(cx).is_ready()
        {
            self.timed_out = true;
            return Poll::Ready(Some(Err(TimeoutError)));
        }
        Poll::Pending
    }
}

impl<T> Drop for AsCompleted<T> {
    /// The tasks still running forget this iteration.
    fn drop(&mut self) {
        for (task, watch) in self.tasks.iter().zip(&self.watches) {
            if let (Some(task), Some(id)) = (task, watch) {
                task.unwatch(*id);
            }
        }
    }
}

impl<T> Stream for AsCompleted<T> {
    type Item = Result<Task<T>, TimeoutError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_task(cx)
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .finish()
    }
}

/// Awaits every task of `tasks` that is done and returns the outcomes (for the examples'
/// `for task in done: print(task.result())` without `T: Clone`).
///
/// ```
/// use tripod::asyncio::{self, ReturnWhen};
///
/// asyncio::run(async {
///     let tasks = vec![asyncio::create_task(async { vec![1] })];
///     let (done, _) = asyncio::wait(tasks, ReturnWhen::AllCompleted, None).await;
///     assert_eq!(asyncio::results(done), [Ok(vec![1])]);
/// });
/// ```
///
/// # Panics
///
/// If a task in `tasks` is not done.
pub fn results<T>(tasks: Vec<Task<T>>) -> Vec<Result<T, TaskError>> {
    tasks.into_iter().map(take_outcome).collect()
}
