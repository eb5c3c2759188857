//! [`ThreadPoolExecutor`]: Python's `concurrent.futures.ThreadPoolExecutor`.
#![forbid(unsafe_code)]

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

use super::{Executor, Future, FutureError, Map, Promise, ThreadPoolBuildError};
use crate::PanicError;
use crate::threading::{JoinHandle, Thread, get_ident};

/// Numbers the pools that get the default thread name prefix, as Python's class counter.
static POOL_COUNTER: AtomicUsize = AtomicUsize::new(0);

type Initializer = Arc<dyn Fn() + Send + Sync>;

/// A pool of worker threads that runs submitted closures: Python's
/// `concurrent.futures.ThreadPoolExecutor`.
///
/// * [`submit`](ThreadPoolExecutor::submit) queues a closure and returns its [`Future`];
///   [`map`](ThreadPoolExecutor::map) runs a function over items and yields the results in
///   input order.
/// * Workers start lazily, as in Python: a submit starts a new worker only when there are
///   fewer than `max_workers` and more tasks are queued than workers are idle; idle workers
///   are reused. A pool that is never used starts no thread. (Python counts idle workers
///   with a semaphore that only grows, so a pool that ran many tasks on one worker may
///   never start a second; tripod counts the workers actually idle.)
/// * A task that panics never takes its worker down: the panic is caught and becomes the
///   future's error ([`FutureErrorKind::Panicked`](super::FutureErrorKind::Panicked)).
/// * Workers are named `ThreadPoolExecutor-{N}_{i}` (N numbers the pools, i the workers of
///   one pool, both from 0) or `{prefix}_{i}` with
///   [`thread_name_prefix`](ThreadPoolBuilder::thread_name_prefix).
/// * If an [`initializer`](ThreadPoolBuilder::initializer) panics, the pool is *broken*
///   (Python's `BrokenThreadPool`): queued and later tasks fail with
///   [`FutureErrorKind::Broken`](super::FutureErrorKind::Broken).
/// * Dropping the pool is `shutdown(wait = true, cancel_futures = false)`, the end of
///   Python's `with ThreadPoolExecutor() as pool:` block: queued tasks still run and the
///   drop returns when they are done.
///
/// The pool is `Send + Sync`; share it between threads with `&` (scoped threads) or an
/// `Arc`.
///
/// ```
/// use tripod::futures::{ThreadPoolExecutor, wait, ReturnWhen};
///
/// let pool = ThreadPoolExecutor::new(4);
/// let tasks: Vec<_> = (0..10).map(|i| pool.submit(move || i * 2)).collect();
/// let outcome = wait(&tasks, None, ReturnWhen::AllCompleted);
/// assert_eq!(outcome.done.len(), 10);
/// assert_eq!(tasks[9].result(), Ok(18));
/// ```
pub struct ThreadPoolExecutor {
    shared: Arc<Shared>,
}

/// What the pool's handle and its workers share.
struct Shared {
    state: Mutex<PoolState>,
    /// A receiving end kept to drain the queue (cancel_futures, broken pool).
    queue: Receiver<Job>,
    /// Workers waiting for a job (or about to: a worker counts itself idle just before it
    /// completes a future, so that whoever reads the result and submits again sees it; it
    /// is busy again while the future's done-callbacks run).
    idle: AtomicUsize,
    max_workers: usize,
    prefix: String,
    initializer: Option<Initializer>,
}

struct PoolState {
    /// `None` once shut down: the workers drain the queue and exit.
    sender: Option<Sender<Job>>,
    /// Why the pool is broken, if it is.
    broken: Option<String>,
    /// Started workers, joined by `shutdown(wait = true)`.
    workers: Vec<JoinHandle<()>>,
    started: usize,
}

/// A queued task, with its type erased.
type Job = Box<dyn WorkItem>;

trait WorkItem: Send {
    /// Runs the task unless its future was cancelled; calls `done` once the task is over
    /// but before the future completes, and `busy` then `done` around the future's
    /// done-callbacks if it has any.
    fn run(self: Box<Self>, done: &dyn Fn(), busy: &dyn Fn());
    /// Finishes the future without running the task.
    fn abandon(self: Box<Self>, error: FutureError);
}

struct Task<F, T> {
    promise: Promise<T>,
    f: F,
}

impl<F, T> WorkItem for Task<F, T>
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    fn run(self: Box<Self>, done: &dyn Fn(), busy: &dyn Fn()) {
        let Task { promise, f } = *self;
        if !promise.set_running_or_notify_cancel() {
            done();
            return;
        }
        let result = catch_unwind(AssertUnwindSafe(f))
            .map_err(|payload| FutureError::panicked(PanicError::from_payload(payload)));
        done();
        // Busy again while the done-callbacks run, as Python's worker is: a callback that
        // submits a task and waits for it must not count on this worker.
        promise.complete_busy(result, &|running| {
            if running {
                busy();
            } else {
                done();
            }
        });
    }

    fn abandon(self: Box<Self>, error: FutureError) {
        if error.is_cancelled() {
            self.promise.future().cancel();
        } else {
            self.promise.set_error(error);
        }
    }
}

impl ThreadPoolExecutor {
    /// A pool of at most `max_workers` threads, with the default names and no initializer.
    ///
    /// # Panics
    ///
    /// If `max_workers` is 0 (use [`builder`](ThreadPoolExecutor::builder) to get an error
    /// instead).
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(4);
    /// assert_eq!(pool.max_workers(), 4);
    /// ```
    pub fn new(max_workers: usize) -> Self {
        match ThreadPoolExecutor::builder()
            .max_workers(max_workers)
            .build()
        {
            Ok(pool) => pool,
            Err(err) => panic!("ThreadPoolExecutor::new: {err}"),
        }
    }

    /// A builder to set the number of workers, their name prefix and an initializer.
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::builder()
    ///     .max_workers(2)
    ///     .thread_name_prefix("w")
    ///     .build()
    ///     .unwrap();
    /// let name = pool.submit(|| std::thread::current().name().unwrap().to_owned()).result();
    /// assert_eq!(name.as_deref(), Ok("w_0"));
    /// ```
    pub fn builder() -> ThreadPoolBuilder {
        ThreadPoolBuilder::default()
    }

    /// Python's default `max_workers`: `min(32, cpu_count + 4)`, enough for I/O-bound
    /// tasks without exhausting resources on big machines.
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let n = ThreadPoolExecutor::default_max_workers();
    /// assert!((5..=32).contains(&n));
    /// assert_eq!(ThreadPoolExecutor::default().max_workers(), n);
    /// ```
    pub fn default_max_workers() -> usize {
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        (cpus + 4).min(32)
    }

    /// The most worker threads this pool runs.
    ///
    /// ```
    /// assert_eq!(tripod::futures::ThreadPoolExecutor::new(3).max_workers(), 3);
    /// ```
    pub fn max_workers(&self) -> usize {
        self.shared.max_workers
    }

    /// The prefix of the worker threads' names.
    ///
    /// ```
    /// let pool = tripod::futures::ThreadPoolExecutor::new(1);
    /// assert!(pool.thread_name_prefix().starts_with("ThreadPoolExecutor-"));
    /// ```
    pub fn thread_name_prefix(&self) -> &str {
        &self.shared.prefix
    }

    /// Schedules `f` to run on a worker and returns the [`Future`] of its result.
    ///
    /// After [`shutdown`](ThreadPoolExecutor::shutdown) the returned future is already
    /// failed with [`FutureErrorKind::ShutDown`](super::FutureErrorKind::ShutDown); on a
    /// broken pool with [`FutureErrorKind::Broken`](super::FutureErrorKind::Broken). So
    /// `pool.submit(f).result()` reports every failure in one place.
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(4);
    /// let name = "A";
    /// let fut = pool.submit(move || name.repeat(2));
    /// assert_eq!(fut.result().as_deref(), Ok("AA"));
    /// ```
    pub fn submit<F, T>(&self, f: F) -> Future<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let promise = Promise::new();
        let future = promise.future();
        let job: Job = Box::new(Task { promise, f });
        let mut state = self.shared.state.lock();
        if let Some(reason) = &state.broken {
            let error = FutureError::broken(reason.clone());
            drop(state);
            job.abandon(error);
            return future;
        }
        let Some(sender) = &state.sender else {
            drop(state);
            job.abandon(FutureError::shut_down());
            return future;
        };
        sender
            .send(job)
            .expect("the pool keeps a receiver while it has a sender");
        let lost = self.adjust_thread_count(&mut state);
        drop(state);
        for job in lost {
            job.abandon(FutureError::broken(WORKER_START_FAILED));
        }
        future
    }

    /// Starts a worker if the pool is not full and more jobs are queued than workers are
    /// idle. Returns the queued jobs to fail if no worker could be started at all.
    fn adjust_thread_count(&self, state: &mut PoolState) -> Vec<Job> {
        let shared = &self.shared;
        if state.started >= shared.max_workers
            || shared.queue.len() <= shared.idle.load(Ordering::SeqCst)
        {
            return Vec::new();
        }
        let name = format!("{}_{}", shared.prefix, state.started);
        let worker_shared = Arc::clone(shared);
        // Workers are tripod threads (they show in `enumerate` under their names), daemon
        // so that an idle pool never holds `tripod::main`'s exit: the pool's own shutdown
        // (or drop) is what joins them.
        match Thread::new(move || worker(worker_shared))
            .name(name)
            .daemon(true)
            .start()
        {
            Ok(handle) => {
                state.started += 1;
                state.workers.push(handle);
                Vec::new()
            }
            // With other workers alive the job still runs; with none, nothing would run it.
            Err(_) if state.started > 0 => Vec::new(),
            Err(err) => {
                state.broken = Some(format!("{WORKER_START_FAILED}: {err}"));
                shared.queue.try_iter().collect()
            }
        }
    }

    /// Runs `f` on every item, all submitted at once, and returns the results in the order
    /// of the items (Python's `Executor.map`).
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(4);
    /// let out: Vec<String> = pool
    ///     .map(|name: &str| name.repeat(2), ["A", "B", "C", "D"])
    ///     .map(Result::unwrap)
    ///     .collect();
    /// assert_eq!(out, ["AA", "BB", "CC", "DD"]);
    /// ```
    pub fn map<F, I, U>(&self, f: F, items: I) -> Map<U>
    where
        F: Fn(I::Item) -> U + Send + Sync + 'static,
        I: IntoIterator,
        I::Item: Send + 'static,
        U: Send + 'static,
    {
        self.map_deadline_opt(f, items, None)
    }

    /// Like [`map`](ThreadPoolExecutor::map), but the iterator gives up `timeout` after
    /// this call: it then yields one [`Timeout`](super::FutureErrorKind::Timeout) error,
    /// cancels the tasks that have not started, and ends.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(2);
    /// let out: Vec<_> = pool.map_timeout(|x: u8| x + 1, [1, 2], Duration::from_secs(10)).collect();
    /// assert_eq!(out, [Ok(2), Ok(3)]);
    /// ```
    pub fn map_timeout<F, I, U>(&self, f: F, items: I, timeout: Duration) -> Map<U>
    where
        F: Fn(I::Item) -> U + Send + Sync + 'static,
        I: IntoIterator,
        I::Item: Send + 'static,
        U: Send + 'static,
    {
        self.map_deadline_opt(f, items, Instant::now().checked_add(timeout))
    }

    fn map_deadline_opt<F, I, U>(&self, f: F, items: I, deadline: Option<Instant>) -> Map<U>
    where
        F: Fn(I::Item) -> U + Send + Sync + 'static,
        I: IntoIterator,
        I::Item: Send + 'static,
        U: Send + 'static,
    {
        let f = Arc::new(f);
        let futures = items
            .into_iter()
            .map(|item| {
                let f = Arc::clone(&f);
                self.submit(move || f(item))
            })
            .collect();
        Map::new(futures, deadline)
    }

    /// Stops accepting tasks (Python's `shutdown(wait, cancel_futures)`).
    ///
    /// Later submits give futures failed with
    /// [`ShutDown`](super::FutureErrorKind::ShutDown). With `cancel_futures`, the queued
    /// tasks that have not started are cancelled; the others still run. With `wait`, the
    /// call returns when all of them are done and the workers have exited (a worker that
    /// shuts its own pool down does not wait for itself). Calling it again is harmless.
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(2);
    /// let fut = pool.submit(|| 1);
    /// pool.shutdown(true, false);
    /// assert_eq!(fut.result(), Ok(1));
    /// assert!(pool.submit(|| 2).result().is_err());
    /// ```
    pub fn shutdown(&self, wait: bool, cancel_futures: bool) {
        let (cancelled, workers) = {
            let mut state = self.shared.state.lock();
            let cancelled: Vec<Job> = if cancel_futures {
                self.shared.queue.try_iter().collect()
            } else {
                Vec::new()
            };
            state.sender = None;
            let workers = if wait {
                std::mem::take(&mut state.workers)
            } else {
                Vec::new()
            };
            (cancelled, workers)
        };
        for job in cancelled {
            job.abandon(FutureError::cancelled());
        }
        let me = get_ident();
        for handle in workers {
            if handle.ident() != me {
                // Tasks and initializers never unwind out of a worker.
                let _ = handle.join();
            }
        }
    }
}

const WORKER_START_FAILED: &str = "could not start a worker thread";

/// A worker: runs the initializer, then tasks until the pool is shut down and drained.
fn worker(shared: Arc<Shared>) {
    if let Some(init) = &shared.initializer
        && let Err(payload) = catch_unwind(AssertUnwindSafe(|| init()))
    {
        let panic = PanicError::from_payload(payload);
        eprintln!(
            "tripod: exception in initializer of {}: {}",
            thread::current()
                .name()
                .unwrap_or("a ThreadPoolExecutor worker"),
            panic.message()
        );
        initializer_failed(&shared, &panic);
        return;
    }
    let queue = shared.queue.clone();
    let mark_idle = || {
        shared.idle.fetch_add(1, Ordering::SeqCst);
    };
    let mark_busy = || {
        shared.idle.fetch_sub(1, Ordering::SeqCst);
    };
    mark_idle();
    while let Ok(job) = queue.recv() {
        mark_busy();
        job.run(&mark_idle, &mark_busy);
    }
    shared.idle.fetch_sub(1, Ordering::SeqCst);
}

/// Python's `_initializer_failed`: the pool becomes broken and every queued task fails.
fn initializer_failed(shared: &Shared, panic: &PanicError) {
    let reason = format!(
        "a thread initializer failed, the thread pool is not usable anymore ({})",
        panic.message()
    );
    let (reason, queued): (String, Vec<Job>) = {
        let mut state = shared.state.lock();
        let reason = state.broken.get_or_insert(reason).clone();
        (reason, shared.queue.try_iter().collect())
    };
    for job in queued {
        job.abandon(FutureError::broken(reason.clone()));
    }
}

impl Default for ThreadPoolExecutor {
    /// A pool of [`default_max_workers`](ThreadPoolExecutor::default_max_workers) threads.
    fn default() -> Self {
        ThreadPoolExecutor::builder()
            .build()
            .expect("the default configuration is valid")
    }
}

impl Drop for ThreadPoolExecutor {
    fn drop(&mut self) {
        self.shutdown(true, false);
    }
}

impl fmt::Debug for ThreadPoolExecutor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.lock();
        f.debug_struct("ThreadPoolExecutor")
            .field("prefix", &self.shared.prefix)
            .field("max_workers", &self.shared.max_workers)
            .field("started", &state.started)
            .field("shut_down", &state.sender.is_none())
            .field("broken", &state.broken)
            .finish()
    }
}

impl<F, T> Executor<F> for ThreadPoolExecutor
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = T;

    fn submit(&self, task: F) -> Future<T> {
        ThreadPoolExecutor::submit(self, task)
    }

    fn shutdown(&self, wait: bool, cancel_futures: bool) {
        ThreadPoolExecutor::shutdown(self, wait, cancel_futures);
    }
}

/// Configures a [`ThreadPoolExecutor`]; made by [`ThreadPoolExecutor::builder`].
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use tripod::futures::ThreadPoolExecutor;
///
/// let inits = Arc::new(AtomicUsize::new(0));
/// let counter = Arc::clone(&inits);
/// let pool = ThreadPoolExecutor::builder()
///     .max_workers(1)
///     .initializer(move || { counter.fetch_add(1, Ordering::SeqCst); })
///     .build()
///     .unwrap();
/// pool.submit(|| ()).result().unwrap();
/// pool.submit(|| ()).result().unwrap();
/// assert_eq!(inits.load(Ordering::SeqCst), 1); // once per worker
/// ```
#[derive(Default)]
#[must_use = "a builder does nothing until build() is called"]
pub struct ThreadPoolBuilder {
    max_workers: Option<usize>,
    prefix: Option<String>,
    initializer: Option<Initializer>,
}

impl ThreadPoolBuilder {
    /// The most worker threads; the default is
    /// [`ThreadPoolExecutor::default_max_workers`].
    ///
    /// ```
    /// let pool = tripod::futures::ThreadPoolExecutor::builder().max_workers(2).build().unwrap();
    /// assert_eq!(pool.max_workers(), 2);
    /// ```
    pub fn max_workers(mut self, max_workers: usize) -> Self {
        self.max_workers = Some(max_workers);
        self
    }

    /// The workers are named `{prefix}_{i}`; the default prefix is
    /// `ThreadPoolExecutor-{N}` with N counting pools.
    ///
    /// ```
    /// let pool = tripod::futures::ThreadPoolExecutor::builder()
    ///     .thread_name_prefix("io")
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(pool.thread_name_prefix(), "io");
    /// ```
    pub fn thread_name_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Runs `initializer` once at the start of each worker thread, before its first task
    /// (Python's `initializer` + `initargs`: capture the arguments in the closure).
    ///
    /// If it panics, the pool is broken: the queued tasks and every later submit fail with
    /// [`FutureErrorKind::Broken`](super::FutureErrorKind::Broken).
    ///
    /// ```
    /// use tripod::futures::{FutureErrorKind, ThreadPoolExecutor};
    ///
    /// let pool = ThreadPoolExecutor::builder()
    ///     .initializer(|| panic!("no database"))
    ///     .build()
    ///     .unwrap();
    /// let err = pool.submit(|| 1).result().unwrap_err();
    /// assert_eq!(err.kind(), FutureErrorKind::Broken);
    /// ```
    pub fn initializer<F>(mut self, initializer: F) -> Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.initializer = Some(Arc::new(initializer));
        self
    }

    /// Makes the pool. No thread starts until the first submit.
    ///
    /// # Errors
    ///
    /// If `max_workers` is 0.
    ///
    /// ```
    /// let pool = tripod::futures::ThreadPoolExecutor::builder().build().unwrap();
    /// assert_eq!(pool.submit(|| 1).result(), Ok(1));
    /// ```
    pub fn build(self) -> Result<ThreadPoolExecutor, ThreadPoolBuildError> {
        let max_workers = self
            .max_workers
            .unwrap_or_else(ThreadPoolExecutor::default_max_workers);
        if max_workers == 0 {
            return Err(ThreadPoolBuildError::zero_workers());
        }
        let prefix = self.prefix.unwrap_or_else(|| {
            format!(
                "ThreadPoolExecutor-{}",
                POOL_COUNTER.fetch_add(1, Ordering::Relaxed)
            )
        });
        let (sender, queue) = crossbeam_channel::unbounded();
        Ok(ThreadPoolExecutor {
            shared: Arc::new(Shared {
                state: Mutex::new(PoolState {
                    sender: Some(sender),
                    broken: None,
                    workers: Vec::new(),
                    started: 0,
                }),
                queue,
                idle: AtomicUsize::new(0),
                max_workers,
                prefix,
                initializer: self.initializer,
            }),
        })
    }
}

impl fmt::Debug for ThreadPoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadPoolBuilder")
            .field("max_workers", &self.max_workers)
            .field("thread_name_prefix", &self.prefix)
            .field("initializer", &self.initializer.is_some())
            .finish()
    }
}
