//! The [`Executor`] trait and the ordered result iterator [`Map`].
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use super::{Future, FutureError};

/// Something that runs tasks of type `Task` and hands back a [`Future`] for each: Python's
/// `concurrent.futures.Executor`.
///
/// # Why the task type is a parameter
///
/// A thread pool can run any closure, but a process pool cannot: its tasks cross a process
/// boundary, so they must be named, serializable calls, not closures. So the trait is
/// generic over the task it accepts, with the task's result as [`Output`](Executor::Output):
///
/// * [`ThreadPoolExecutor`](super::ThreadPoolExecutor) implements
///   `Executor<F>` for every `F: FnOnce() -> T + Send + 'static`;
/// * a process pool implements it for its own serializable task type.
///
/// The trait stays object safe for a fixed task type (`map_tasks` is `where Self: Sized`),
/// so `&dyn Executor<Box<dyn FnOnce() -> i32 + Send>, Output = i32>` works.
/// The thread pool also has inherent `submit`, `map` and `shutdown` methods, so using it
/// needs no trait import; the trait is for code generic over executors.
///
/// # Example
///
/// ```
/// use tripod::futures::{Executor, ThreadPoolExecutor};
///
/// fn sum_squares<E: Executor<Box<dyn FnOnce() -> u64 + Send>, Output = u64>>(e: &E) -> u64 {
///     let tasks = (1..=3u64).map(|i| Box::new(move || i * i) as Box<dyn FnOnce() -> u64 + Send>);
///     e.map_tasks(tasks, None).map(|r| r.unwrap()).sum()
/// }
///
/// let pool = ThreadPoolExecutor::new(2);
/// assert_eq!(sum_squares(&pool), 14);
/// ```
pub trait Executor<Task> {
    /// What a task produces.
    type Output;

    /// Schedules `task` and returns the future of its result.
    ///
    /// An executor that is shut down or broken returns a future that is already failed
    /// (kind [`ShutDown`](super::FutureErrorKind::ShutDown) or
    /// [`Broken`](super::FutureErrorKind::Broken)) instead of panicking, so
    /// `executor.submit(task).result()` is the one place to look for every failure.
    ///
    /// ```
    /// use tripod::futures::{Executor, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(1);
    /// let fut = Executor::submit(&pool, || "hi");
    /// assert_eq!(fut.result(), Ok("hi"));
    /// ```
    fn submit(&self, task: Task) -> crate::futures::Future<Self::Output>;

    /// Stops accepting tasks and frees the executor's resources once the queued tasks are
    /// done (Python's `shutdown(wait, cancel_futures)`).
    ///
    /// With `cancel_futures`, queued tasks that have not started are cancelled. With
    /// `wait`, returns only when every running and queued task is done and the workers
    /// have exited. Calling it again is harmless.
    ///
    /// ```
    /// use tripod::futures::{Executor, FutureErrorKind, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(1);
    /// let before = pool.submit(|| 1);
    /// Executor::<fn() -> i32>::shutdown(&pool, true, false);
    /// assert_eq!(before.result(), Ok(1));
    /// assert_eq!(pool.submit(|| 2).result().unwrap_err().kind(), FutureErrorKind::ShutDown);
    /// ```
    fn shutdown(&self, wait: bool, cancel_futures: bool);

    /// Submits every task at once (as Python's `Executor.map` does) and returns their
    /// results in the order of the tasks, whatever order they finish in.
    ///
    /// This is Python's `map(fn, *iterables)` with the function already applied to each
    /// item; the thread pool's [`map`](super::ThreadPoolExecutor::map) takes the function
    /// and the items. With a `timeout`, the deadline is counted from this call; see
    /// [`Map`].
    ///
    /// ```
    /// use tripod::futures::{Executor, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::new(2);
    /// let tasks = vec![|| 'a', || 'b'];
    /// let out: Vec<char> = pool.map_tasks(tasks, None).map(Result::unwrap).collect();
    /// assert_eq!(out, ['a', 'b']);
    /// ```
    fn map_tasks<I>(&self, tasks: I, timeout: Option<Duration>) -> Map<Self::Output>
    where
        I: IntoIterator<Item = Task>,
        Self: Sized,
    {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let futures = tasks.into_iter().map(|task| self.submit(task)).collect();
        Map::new(futures, deadline)
    }
}

/// The results of [`ThreadPoolExecutor::map`](super::ThreadPoolExecutor::map) (and
/// [`Executor::map_tasks`]), in input order: each `next` blocks until the next item's task
/// is done.
///
/// Unlike Python, an item whose task panicked yields its error and iteration goes on, so
/// one bad item does not hide the others. If a deadline was given and passes, `next`
/// yields one error of kind [`Timeout`](super::FutureErrorKind::Timeout), cancels the tasks
/// that have not started (as Python does) and then ends.
///
/// Dropping the iterator part-way through cancels the tasks that have not started yet, as
/// Python's does; dropping it before the first `next` cancels nothing, so
/// `pool.map(f, items);` used for its side effects runs every task (Python's seed idiom
/// `e.map(func, range(10))` inside a `with` block).
///
/// ```
/// use tripod::futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(3);
/// let results = pool.map(|x: i32| x * 2, 0..5);
/// assert_eq!(results.collect::<Result<Vec<_>, _>>().unwrap(), [0, 2, 4, 6, 8]);
/// ```
pub struct Map<T> {
    futures: VecDeque<Future<T>>,
    deadline: Option<Instant>,
    started: bool,
}

impl<T> Map<T> {
    pub(crate) fn new(futures: VecDeque<Future<T>>, deadline: Option<Instant>) -> Self {
        Map {
            futures,
            deadline,
            started: false,
        }
    }
}

impl<T> Drop for Map<T> {
    /// Python's `result_iterator` cancels what is left in its `finally`, which runs only
    /// once iteration has started.
    fn drop(&mut self) {
        if self.started {
            for rest in self.futures.drain(..) {
                rest.cancel();
            }
        }
    }
}

impl<T> Iterator for Map<T> {
    type Item = Result<T, FutureError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.started = true;
        let future = self.futures.pop_front()?;
        match future.take(self.deadline) {
            Some(result) => Some(result),
            None => {
                future.cancel();
                for rest in self.futures.drain(..) {
                    rest.cancel();
                }
                Some(Err(FutureError::timeout()))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let len = self.futures.len();
        // After a timeout only one (error) item comes.
        let lower = if self.deadline.is_some() {
            len.min(1)
        } else {
            len
        };
        (lower, Some(len))
    }
}

impl<T> fmt::Debug for Map<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Map")
            .field("remaining", &self.futures.len())
            .field("deadline", &self.deadline)
            .finish()
    }
}
