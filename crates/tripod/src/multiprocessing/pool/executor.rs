//! [`ProcessPoolExecutor`]: `concurrent.futures`' process pool, on a tripod [`Pool`].
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::builder::PoolBuilder;
use super::engine::Chunk;
use super::error::PoolError;
use super::job::Job;
use super::pool::{Pool, encode_args, task_name};
use super::protocol::Outcomes;
use crate::futures::{Executor, Future, FutureError, Map, Promise};
use crate::multiprocessing::Target;

/// A call of a registered function with its argument tuple: the task type of
/// [`ProcessPoolExecutor`]'s [`Executor`] implementation (a process cannot run a closure
/// of another process, so the task is a name and serializable arguments).
///
/// ```
/// use tripod::futures::{Call, Executor, ProcessPoolExecutor};
///
/// fn add(a: i32, b: i32) -> i32 { a + b }
/// tripod::task!(add);
///
/// let executor = ProcessPoolExecutor::new(1).unwrap();
/// let fut = Executor::submit(&executor, Call::new(add, (2, 3)));
/// assert_eq!(fut.result(), Ok(5));
/// ```
pub struct Call<F, A> {
    function: F,
    args: A,
}

impl<F, A> Call<F, A> {
    /// The call `function(args...)`.
    ///
    /// ```
    /// use tripod::futures::Call;
    ///
    /// fn double(x: u8) -> u8 { 2 * x }
    /// let call = Call::new(double, (4,));
    /// assert!(format!("{call:?}").contains("double"));
    /// ```
    pub fn new(function: F, args: A) -> Self {
        Call { function, args }
    }
}

impl<F, A> fmt::Debug for Call<F, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("function", &std::any::type_name::<F>())
            .finish_non_exhaustive()
    }
}

/// Python's `concurrent.futures.ProcessPoolExecutor`, over a tripod [`Pool`]: tasks are
/// registered functions ([`tripod::task!`](crate::task)) and their argument tuples, and
/// each [`submit`](Self::submit) returns a tripod [`Future`], the same type as
/// [`ThreadPoolExecutor`](crate::futures::ThreadPoolExecutor)'s, so
/// [`wait`](crate::futures::wait) and [`as_completed`](crate::futures::as_completed) work
/// on both.
///
/// Unlike Python's, a worker that dies does not break the executor: only its task fails,
/// with [`WorkerLost`](crate::futures::FutureErrorKind::WorkerLost), and a new worker
/// takes its place. Unlike Python's, a running future can be [cancelled](Future::cancel):
/// its worker is killed and replaced. Dropping the executor is `shutdown(wait=true)`, like
/// leaving Python's `with` block.
///
/// | Python | tripod |
/// |---|---|
/// | `ProcessPoolExecutor(max_workers)` | [`ProcessPoolExecutor::new(n)`](Self::new) (0: `cpu_count()`) |
/// | `ProcessPoolExecutor(max_workers, initializer=, initargs=, max_tasks_per_child=)` | [`ProcessPoolExecutor::from_builder(Pool::builder()...)`](Self::from_builder) |
/// | `executor.submit(fn, *args)` | [`executor.submit(f, (args...))`](Self::submit) |
/// | `executor.map(fn, iterable, timeout=)` | [`map`](Self::map), [`map_timeout`](Self::map_timeout) |
/// | `executor.shutdown(wait, cancel_futures=)` | [`shutdown(wait, cancel_futures)`](Self::shutdown) |
///
/// ```
/// use tripod::futures::{ProcessPoolExecutor, as_completed};
///
/// fn square(x: u64) -> u64 { x * x }
/// tripod::task!(square);
///
/// let executor = ProcessPoolExecutor::new(2).unwrap();
/// let futures: Vec<_> = (0..5).map(|i| executor.submit(square, (i,))).collect();
/// let total: u64 = as_completed(&futures, None).map(|f| f.unwrap().result().unwrap()).sum();
/// assert_eq!(total, 30);
/// ```
pub struct ProcessPoolExecutor {
    pool: Pool,
    /// Handles of futures not known to be done, for `shutdown(cancel_futures=true)`.
    pending: Mutex<Vec<Box<dyn Pending>>>,
    shut_down: AtomicBool,
}

/// A future of any result type, for cancelling at shutdown.
trait Pending: Send {
    fn done(&self) -> bool;
    fn cancel(&self) -> bool;
}

impl<T: Send> Pending for Future<T> {
    fn done(&self) -> bool {
        Future::done(self)
    }

    fn cancel(&self) -> bool {
        // Python's `cancel_futures`: only what has not started.
        Future::cancel_pending(self)
    }
}

/// One submitted call: its promise, kept until the worker's outcome arrives.
struct PromiseJob<R> {
    promise: std::sync::Mutex<Option<Promise<R>>>,
}

impl<R> PromiseJob<R> {
    fn take(&self) -> Option<Promise<R>> {
        self.promise
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

impl<R: DeserializeOwned + Send + 'static> Job for PromiseJob<R> {
    fn chunk_done(&self, _offset: usize, mut outcomes: Outcomes<'_>) {
        if let Some(promise) = self.take() {
            let result = match outcomes.next_item() {
                Some(result) => result,
                None => Err(PoolError::new(
                    super::PoolErrorKind::Decode,
                    "the worker returned no outcome",
                )),
            };
            promise.complete(result.map_err(FutureError::from));
        }
    }

    fn chunk_failed(&self, _offset: usize, _len: usize, error: PoolError) {
        if let Some(promise) = self.take() {
            promise.set_error(error.into());
        }
    }

    fn chunk_started(&self, _offset: usize) {
        let promise = self.promise.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(promise) = promise.as_ref() {
            // A future cancelled while queued stays cancelled; its outcome is dropped.
            promise.set_running_or_notify_cancel();
        }
    }
}

impl ProcessPoolExecutor {
    /// An executor with `max_workers` worker processes (0: `cpu_count()`), started now.
    ///
    /// # Errors
    ///
    /// A [`PoolError`] of kind [`Start`](super::PoolErrorKind::Start) if a worker cannot
    /// start.
    ///
    /// ```
    /// use tripod::futures::ProcessPoolExecutor;
    ///
    /// let executor = ProcessPoolExecutor::new(2).unwrap();
    /// assert_eq!(executor.max_workers(), 2);
    /// ```
    pub fn new(max_workers: usize) -> Result<Self, PoolError> {
        Self::from_builder(Pool::builder().processes(max_workers))
    }

    /// An executor over a pool configured with a [`PoolBuilder`]: initializer,
    /// `maxtasksperchild` (Python's `max_tasks_per_child`), start method, retries, timeout.
    ///
    /// # Errors
    ///
    /// As [`PoolBuilder::build`].
    ///
    /// ```
    /// use tripod::futures::ProcessPoolExecutor;
    /// use tripod::multiprocessing::{Pool, getpid};
    ///
    /// fn pid() -> u32 { getpid() }
    /// tripod::task!(pid);
    ///
    /// let builder = Pool::builder().processes(1).maxtasksperchild(1);
    /// let executor = ProcessPoolExecutor::from_builder(builder).unwrap();
    /// let first = executor.submit(pid, ()).result().unwrap();
    /// assert_ne!(executor.submit(pid, ()).result().unwrap(), first);
    /// ```
    pub fn from_builder(builder: PoolBuilder) -> Result<Self, PoolError> {
        Ok(ProcessPoolExecutor {
            pool: builder.build()?,
            pending: Mutex::new(Vec::new()),
            shut_down: AtomicBool::new(false),
        })
    }

    /// The number of worker processes.
    ///
    /// ```
    /// use tripod::futures::ProcessPoolExecutor;
    ///
    /// assert_eq!(ProcessPoolExecutor::new(1).unwrap().max_workers(), 1);
    /// ```
    pub fn max_workers(&self) -> usize {
        self.pool.processes()
    }

    /// Schedules `f(args...)` on a worker and returns its future (Python's
    /// `submit(fn, *args)`).
    ///
    /// Every failure is in the future, never a panic here: an unregistered `f` or arguments
    /// that cannot be encoded give a [`Broken`](crate::futures::FutureErrorKind::Broken)
    /// future (with the pool's error in [`FutureError::pool_error`]), a submit after
    /// shutdown a [`ShutDown`](crate::futures::FutureErrorKind::ShutDown) one. The future
    /// is [`running`](Future::running) once a worker has begun the call.
    ///
    /// ```
    /// use tripod::futures::{FutureErrorKind, ProcessPoolExecutor};
    ///
    /// fn shout(s: String) -> String { s.to_uppercase() }
    /// tripod::task!(shout);
    /// fn unregistered() -> u8 { 0 }
    ///
    /// let executor = ProcessPoolExecutor::new(1).unwrap();
    /// assert_eq!(executor.submit(shout, ("hi".to_owned(),)).result().unwrap(), "HI");
    /// let err = executor.submit(unregistered, ()).result().unwrap_err();
    /// assert_eq!(err.kind(), FutureErrorKind::Broken);
    /// ```
    pub fn submit<F, A>(&self, f: F, args: A) -> Future<F::Output>
    where
        F: Target<A>,
        A: Serialize,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let _ = &f;
        let promise = Promise::new();
        let future = promise.future();
        if self.shut_down.load(Ordering::Acquire) {
            promise.set_error(FutureError::shut_down());
            return future;
        }
        let task = match task_name::<F>() {
            Ok(task) => task,
            Err(e) => {
                promise.set_error(e.into());
                return future;
            }
        };
        let engine = self.pool.engine();
        let (id, message) = match encode_args(engine.next_chunk_id(), task, &args) {
            Ok(encoded) => encoded,
            Err(e) => {
                promise.set_error(e.into());
                return future;
            }
        };
        let job = Arc::new(PromiseJob {
            promise: std::sync::Mutex::new(Some(promise)),
        });
        let chunk = Chunk {
            id,
            message: Arc::new(message),
            len: 1,
            offset: 0,
            job: Arc::clone(&job) as Arc<dyn Job>,
            retries: 0,
            cancelled: false,
            timeout: engine.default_timeout(),
        };
        // Cancelling the future, even running, stops its work (see `Future::cancel`).
        let as_job = Arc::clone(&job) as Arc<dyn Job>;
        let (weak_engine, weak_job) = (Arc::downgrade(engine), Arc::downgrade(&as_job));
        future.set_cancel_hook(Box::new(move || {
            if let (Some(engine), Some(job)) = (weak_engine.upgrade(), weak_job.upgrade()) {
                engine.cancel_job(&job);
            }
        }));
        if let Err(e) = engine.submit(vec![chunk], false) {
            if let Some(promise) = job.take() {
                promise.set_error(e.into());
            }
            return future;
        }
        if future.cancelled() {
            // Cancelled before its chunk was queued: the hook found nothing to stop.
            engine.cancel_job(&as_job);
        }
        let mut pending = self.pending.lock();
        if pending.len() >= 1024 && pending.len().is_power_of_two() {
            pending.retain(|f| !f.done());
        }
        pending.push(Box::new(future.clone()));
        future
    }

    /// Runs `f(item)` for every item and yields the results in input order (Python's
    /// `map(fn, iterable)`); every item is submitted at once.
    ///
    /// ```
    /// use tripod::futures::ProcessPoolExecutor;
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let executor = ProcessPoolExecutor::new(2).unwrap();
    /// let squares: Result<Vec<u64>, _> = executor.map(square, 0..5).collect();
    /// assert_eq!(squares.unwrap(), [0, 1, 4, 9, 16]);
    /// ```
    pub fn map<F, X, I>(&self, f: F, items: I) -> Map<F::Output>
    where
        F: Target<(X,)> + Copy,
        X: Serialize,
        I: IntoIterator<Item = X>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let tasks = items.into_iter().map(|x| Call::new(f, (x,)));
        self.map_tasks(tasks, None)
    }

    /// [`map`](Self::map) with a deadline `timeout` from now (Python's `map(fn, iterable,
    /// timeout=)`): past it, the iterator yields one
    /// [`Timeout`](crate::futures::FutureErrorKind::Timeout) error and ends.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::futures::ProcessPoolExecutor;
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let executor = ProcessPoolExecutor::new(2).unwrap();
    /// let all: Vec<_> = executor.map_timeout(square, 0..3, Duration::from_secs(30)).collect();
    /// assert_eq!(all, [Ok(0), Ok(1), Ok(4)]);
    /// ```
    pub fn map_timeout<F, X, I>(&self, f: F, items: I, timeout: Duration) -> Map<F::Output>
    where
        F: Target<(X,)> + Copy,
        X: Serialize,
        I: IntoIterator<Item = X>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let tasks = items.into_iter().map(|x| Call::new(f, (x,)));
        self.map_tasks(tasks, Some(timeout))
    }

    /// Stops accepting tasks (Python's `shutdown(wait, cancel_futures)`). With
    /// `cancel_futures`, futures that no worker has begun are cancelled. With `wait`,
    /// returns when every task is done and the workers have exited. Calling it again is
    /// harmless.
    ///
    /// ```
    /// use tripod::futures::{FutureErrorKind, ProcessPoolExecutor};
    ///
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let executor = ProcessPoolExecutor::new(1).unwrap();
    /// let before = executor.submit(one, ());
    /// executor.shutdown(true, false);
    /// assert_eq!(before.result(), Ok(1));
    /// assert_eq!(executor.submit(one, ()).result().unwrap_err().kind(), FutureErrorKind::ShutDown);
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        self.shut_down.store(true, Ordering::Release);
        if cancel_futures {
            let pending = std::mem::take(&mut *self.pending.lock());
            for future in pending {
                future.cancel();
            }
        }
        self.pool.close();
        if wait {
            // Cannot fail after close.
            let _ = self.pool.join();
        }
    }
}

impl<F, A> Executor<Call<F, A>> for ProcessPoolExecutor
where
    F: Target<A>,
    A: Serialize,
    F::Output: DeserializeOwned + Send + 'static,
{
    type Output = F::Output;

    fn submit(&self, task: Call<F, A>) -> Future<F::Output> {
        ProcessPoolExecutor::submit(self, task.function, task.args)
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        ProcessPoolExecutor::shutdown(self, wait, cancel_futures);
    }
}

impl Drop for ProcessPoolExecutor {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for ProcessPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessPoolExecutor")
            .field("max_workers", &self.max_workers())
            .field("shut_down", &self.shut_down.load(Ordering::Relaxed))
            .finish()
    }
}
