//! [`AsyncResult`]: the handle of a task (or a whole map) submitted to a pool, and
//! [`AsyncOptions`]: its callbacks and timeout.
#![forbid(unsafe_code)]

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::engine::Engine;
use super::error::PoolError;
use super::job::Job;
use super::progress::{Progress, Reporter};
use crate::PanicError;

/// A callback on a task's value (Python's `callback=`).
type Callback<R> = Box<dyn FnOnce(&R) + Send>;
/// A callback on a task's error (Python's `error_callback=`).
type ErrorCallback = Box<dyn FnOnce(&PoolError) + Send>;
/// Work for the pool's result thread, never lost: dropped without having run (it was
/// sent just as the result thread ended, and went down with the channel), it runs where
/// it is dropped, so that its result still completes.
pub(crate) struct ResultWork(Option<Box<dyn FnOnce() + Send>>);

impl ResultWork {
    fn new(work: impl FnOnce() + Send + 'static) -> Self {
        ResultWork(Some(Box::new(work)))
    }

    pub(crate) fn run(mut self) {
        if let Some(work) = self.0.take() {
            work();
        }
    }
}

impl Drop for ResultWork {
    fn drop(&mut self) {
        if let Some(work) = self.0.take() {
            work();
        }
    }
}

/// How long [`Cell::wait`] checks for the result before it sleeps (measured on 2 cores
/// with `pool.apply_async`: 50 µs beat 20 µs and 100 µs).
const SPIN: Duration = Duration::from_micros(50);

/// The completion cell shared by an [`AsyncResult`] and the pool.
pub(crate) struct Cell<T> {
    slot: Mutex<Option<Result<T, PoolError>>>,
    ready: Condvar,
    /// Threads waiting on `ready` (changed under `slot`'s lock): completing a cell that
    /// nobody waits for wakes nobody, without a system call.
    waiters: AtomicUsize,
}

impl<T> Cell<T> {
    pub(crate) fn new() -> Arc<Cell<T>> {
        Arc::new(Cell {
            slot: Mutex::new(None),
            ready: Condvar::new(),
            waiters: AtomicUsize::new(0),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Option<Result<T, PoolError>>> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the result, once; later calls are ignored.
    pub(crate) fn complete(&self, result: Result<T, PoolError>) {
        let mut slot = self.lock();
        if slot.is_none() {
            *slot = Some(result);
            let waiters = self.waiters.load(Ordering::Relaxed);
            drop(slot);
            if waiters > 0 {
                self.ready.notify_all();
            }
        }
    }

    /// Waits until the result is set or `deadline` passes; the guard, if it is set.
    fn wait(
        &self,
        deadline: Option<Instant>,
    ) -> Option<MutexGuard<'_, Option<Result<T, PoolError>>>> {
        let mut slot = self.lock();
        if slot.is_some() {
            return Some(slot);
        }
        // A result about to arrive is taken without sleeping and being woken (which
        // costs more than the wait, for a stream of small tasks): check for a little
        // while, yielding in between, before sleeping.
        let start = Instant::now();
        let spin = deadline.map_or(SPIN, |d| SPIN.min(d.saturating_duration_since(start)));
        while start.elapsed() < spin {
            drop(slot);
            std::thread::yield_now();
            slot = self.lock();
            if slot.is_some() {
                return Some(slot);
            }
        }
        // Registered under the lock, before waiting: a completer sees it (a count left
        // high by a waiter that timed out only costs a needless wake-up).
        self.waiters.fetch_add(1, Ordering::Relaxed);
        let slot = self.wait_set(slot, deadline);
        self.waiters.fetch_sub(1, Ordering::Relaxed);
        slot
    }

    /// [`wait`](Self::wait) for a registered waiter.
    fn wait_set<'a>(
        &'a self,
        mut slot: MutexGuard<'a, Option<Result<T, PoolError>>>,
        deadline: Option<Instant>,
    ) -> Option<MutexGuard<'a, Option<Result<T, PoolError>>>> {
        while slot.is_none() {
            match deadline {
                None => slot = self.ready.wait(slot).unwrap_or_else(|e| e.into_inner()),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return None;
                    }
                    slot = self
                        .ready
                        .wait_timeout(slot, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        Some(slot)
    }
}

/// How a job hands its result over: straight into the cell, or, when it has callbacks,
/// through the pool's one result thread, which runs the callback and then completes the
/// cell (so that [`AsyncResult::get`] returns after the callback ran, as in Python).
pub(crate) struct Completion<R> {
    cell: Arc<Cell<R>>,
    callback: Option<Callback<R>>,
    error_callback: Option<ErrorCallback>,
    results: crossbeam_channel::Sender<Option<ResultWork>>,
}

impl<R: Send + 'static> Completion<R> {
    pub(crate) fn new(
        cell: Arc<Cell<R>>,
        options: AsyncOptions<R>,
        results: crossbeam_channel::Sender<Option<ResultWork>>,
    ) -> Self {
        Completion {
            cell,
            callback: options.callback,
            error_callback: options.error_callback,
            results,
        }
    }

    pub(crate) fn finish(self, result: Result<R, PoolError>) {
        let Completion {
            cell,
            callback,
            error_callback,
            results,
        } = self;
        if callback.is_none() && error_callback.is_none() {
            cell.complete(result);
            return;
        }
        let work = ResultWork::new(move || {
            let call = || match (&result, callback, error_callback) {
                (Ok(value), Some(callback), _) => callback(value),
                (Err(error), _, Some(error_callback)) => error_callback(error),
                _ => {}
            };
            if let Err(payload) = catch_unwind(AssertUnwindSafe(call)) {
                eprintln!(
                    "tripod: a Pool callback panicked (the pool goes on): {}",
                    PanicError::from_payload(payload).message()
                );
            }
            cell.complete(result);
        });
        // Without a result thread (the pool is gone), run it here: nothing is lost.
        if let Err(crossbeam_channel::SendError(Some(work))) = results.send(Some(work)) {
            work.run();
        }
    }
}

/// Callbacks and a timeout for [`Pool::apply_async_with`](super::Pool::apply_async_with),
/// [`map_async_with`](super::Pool::map_async_with) and
/// [`starmap_async_with`](super::Pool::starmap_async_with): Python's `callback=` and
/// `error_callback=` arguments.
///
/// Callbacks run in the parent, on the pool's one result thread, in the order the tasks
/// complete (as in Python); the [`AsyncResult`] becomes ready after its callback returned.
/// A callback that panics is reported on stderr; the pool goes on. Keep callbacks short:
/// while one runs, the others wait.
///
/// ```
/// use std::sync::mpsc;
/// use tripod::multiprocessing::{AsyncOptions, Pool};
///
/// fn foo(i: u64) -> u64 { i + 100 }
/// tripod::task!(foo);
///
/// let pool = Pool::new(2).unwrap();
/// let (tx, rx) = mpsc::channel();
/// let options = AsyncOptions::new().callback(move |v: &u64| tx.send(*v).unwrap());
/// let result = pool.apply_async_with(foo, (1,), options).unwrap();
/// assert_eq!(result.get().unwrap(), 101);
/// assert_eq!(rx.recv().unwrap(), 101);
/// ```
pub struct AsyncOptions<R> {
    callback: Option<Callback<R>>,
    error_callback: Option<ErrorCallback>,
    pub(crate) timeout: Option<Duration>,
    progress: Reporter,
}

impl<R> AsyncOptions<R> {
    /// No callbacks, no timeout.
    ///
    /// ```
    /// use tripod::multiprocessing::AsyncOptions;
    ///
    /// let options = AsyncOptions::<u32>::new();
    /// assert!(format!("{options:?}").contains("callback: false"));
    /// ```
    pub fn new() -> Self {
        AsyncOptions {
            callback: None,
            error_callback: None,
            timeout: None,
            progress: Reporter::default(),
        }
    }

    /// Calls `callback` with the value when the task succeeds (Python's `callback`).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tripod::multiprocessing::{AsyncOptions, Pool};
    ///
    /// fn double(x: i32) -> i32 { 2 * x }
    /// tripod::task!(double);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let seen = Arc::new(Mutex::new(None));
    /// let out = Arc::clone(&seen);
    /// let result = pool
    ///     .apply_async_with(double, (4,), AsyncOptions::new().callback(move |v: &i32| {
    ///         *out.lock().unwrap() = Some(*v);
    ///     }))
    ///     .unwrap();
    /// result.wait();
    /// assert_eq!(*seen.lock().unwrap(), Some(8));
    /// ```
    pub fn callback(mut self, callback: impl FnOnce(&R) + Send + 'static) -> Self {
        self.callback = Some(Box::new(callback));
        self
    }

    /// Calls `error_callback` with the error when the task fails (Python's
    /// `error_callback`).
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use tripod::multiprocessing::{AsyncOptions, Pool, PoolErrorKind};
    ///
    /// fn fail() -> u8 { panic!("no") }
    /// tripod::task!(fail);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let (tx, rx) = mpsc::channel();
    /// let options = AsyncOptions::new().error_callback(move |e| tx.send(e.kind()).unwrap());
    /// let result = pool.apply_async_with(fail, (), options).unwrap();
    /// assert!(result.get().is_err());
    /// assert_eq!(rx.recv().unwrap(), PoolErrorKind::Panicked);
    /// ```
    pub fn error_callback(
        mut self,
        error_callback: impl FnOnce(&crate::multiprocessing::PoolError) + Send + 'static,
    ) -> Self {
        self.error_callback = Some(Box::new(error_callback));
        self
    }

    /// Limits how long each task may run: a task still running after `timeout` has its
    /// worker killed and replaced, and fails with
    /// [`TaskTimeout`](super::PoolErrorKind::TaskTimeout). For a map, the limit applies to
    /// each chunk, scaled by its number of items. Overrides the pool's
    /// [`timeout`](super::PoolBuilder::timeout).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::{AsyncOptions, Pool, PoolErrorKind};
    ///
    /// fn forever() { loop { std::thread::sleep(Duration::from_secs(1)) } }
    /// tripod::task!(forever);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let options = AsyncOptions::new().timeout(Duration::from_millis(50));
    /// let result = pool.apply_async_with(forever, (), options).unwrap();
    /// assert_eq!(result.get().unwrap_err().kind(), PoolErrorKind::TaskTimeout);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl<R> AsyncOptions<R> {
    /// Calls `progress` as the items of a [`map_async_with`](super::Pool::map_async_with)
    /// or [`starmap_async_with`](super::Pool::starmap_async_with) complete, a chunk at a
    /// time, with a [`Progress`] (done, total, rate, time left), for programs that draw
    /// their own progress. It runs on the pool's threads, one call at a time; the last
    /// call (all done) comes before the result is ready. `apply_async_with` does not
    /// report progress.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tripod::multiprocessing::{AsyncOptions, Pool, Progress};
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let done = Arc::new(Mutex::new(Vec::new()));
    /// let record = Arc::clone(&done);
    /// let options = AsyncOptions::new().progress(move |p: Progress| record.lock().unwrap().push(p.done()));
    /// pool.map_async_with(square, 0..40, 10, options).unwrap().wait();
    /// let mut done = done.lock().unwrap().clone();
    /// done.sort();
    /// assert_eq!(done, [10, 20, 30, 40]);
    /// ```
    pub fn progress(mut self, progress: impl FnMut(Progress) + Send + 'static) -> Self {
        self.progress.set_callback(Box::new(progress));
        self
    }

    /// Draws a progress bar on stderr (with rate and time left) for a
    /// [`map_async_with`](super::Pool::map_async_with) or
    /// [`starmap_async_with`](super::Pool::starmap_async_with); nothing is drawn when
    /// stderr is not a terminal. Needs the `progress` feature (on by default).
    ///
    /// ```
    /// use tripod::multiprocessing::{AsyncOptions, Pool};
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let options = AsyncOptions::new().progress_bar();
    /// let squares = pool.map_async_with(square, 0..1000, None, options).unwrap();
    /// assert_eq!(squares.into_result().unwrap()[999], 998_001);
    /// ```
    #[cfg(feature = "progress")]
    pub fn progress_bar(mut self) -> Self {
        self.progress.want_bar();
        self
    }

    pub(crate) fn take_progress(&mut self) -> Reporter {
        std::mem::take(&mut self.progress)
    }
}

impl<R> Default for AsyncOptions<R> {
    fn default() -> Self {
        AsyncOptions::new()
    }
}

impl<R> fmt::Debug for AsyncOptions<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncOptions")
            .field("callback", &self.callback.is_some())
            .field("error_callback", &self.error_callback.is_some())
            .field("timeout", &self.timeout)
            .field("progress", &self.progress.is_active())
            .finish()
    }
}

/// The result of [`Pool::apply_async`](super::Pool::apply_async),
/// [`map_async`](super::Pool::map_async) or [`starmap_async`](super::Pool::starmap_async):
/// Python's `AsyncResult`.
///
/// It always completes: with the value, or with the task's [`PoolError`] (a panic, a lost
/// worker, a timeout, a terminated pool). Dropping it does not cancel the task.
///
/// | Python | tripod |
/// |---|---|
/// | `r.get()` | [`r.get()`](Self::get) (or [`into_result`](Self::into_result), no `Clone` needed) |
/// | `r.get(timeout)` | [`r.get_timeout(d)`](Self::get_timeout): `Err` of kind [`Timeout`](super::PoolErrorKind::Timeout) |
/// | `r.wait()` / `r.wait(timeout)` | [`r.wait()`](Self::wait) / [`r.wait_timeout(d)`](Self::wait_timeout) |
/// | `r.ready()` | [`r.ready()`](Self::ready) |
/// | `r.successful()` | [`r.successful()`](Self::successful): `None` while not ready (Python raises) |
///
/// ```
/// use tripod::multiprocessing::Pool;
///
/// fn square(x: u64) -> u64 { x * x }
/// tripod::task!(square);
///
/// let pool = Pool::new(2).unwrap();
/// let result = pool.apply_async(square, (12,)).unwrap();
/// result.wait();
/// assert!(result.ready());
/// assert_eq!(result.successful(), Some(true));
/// assert_eq!(result.get().unwrap(), 144);
/// ```
pub struct AsyncResult<R> {
    cell: Arc<Cell<R>>,
    /// The pool and the job, to cancel it (weak: a finished job or a dropped pool has
    /// nothing left to cancel).
    job: Option<(Weak<Engine>, Weak<dyn Job>)>,
    cancelled: AtomicBool,
}

impl<R> AsyncResult<R> {
    /// A result with nothing to cancel (already complete).
    #[cfg(test)]
    pub(crate) fn new(cell: Arc<Cell<R>>) -> Self {
        AsyncResult {
            cell,
            job: None,
            cancelled: AtomicBool::new(false),
        }
    }

    /// The result of `job`, running on `engine`.
    pub(crate) fn of_job(cell: Arc<Cell<R>>, engine: &Arc<Engine>, job: &Arc<dyn Job>) -> Self {
        AsyncResult {
            cell,
            job: Some((Arc::downgrade(engine), Arc::downgrade(job))),
            cancelled: AtomicBool::new(false),
        }
    }

    /// Cancels the task (or the whole map): a tripod addition, Python's `AsyncResult`
    /// cannot be cancelled. Returns whether the result is cancelled: `true` if it was not
    /// complete (or was cancelled before), `false` if it already had its value or error.
    ///
    /// The result fails with [`Cancelled`](super::PoolErrorKind::Cancelled) (its error
    /// callback runs, as for any error; the result is ready once it has returned). Queued
    /// work is dropped; a worker running the task is killed (SIGKILL) and replaced, as for a
    /// [timeout](AsyncOptions::timeout), and the pool goes on.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// fn forever() { loop { std::thread::sleep(Duration::from_secs(1)) } }
    /// tripod::task!(forever);
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(forever, ()).unwrap();
    /// assert!(result.cancel());
    /// assert_eq!(result.get().unwrap_err().kind(), PoolErrorKind::Cancelled);
    /// assert_eq!(pool.apply(one, ()).unwrap(), 1);
    ///
    /// let done = pool.apply_async(one, ()).unwrap();
    /// done.wait();
    /// assert!(!done.cancel());
    /// assert_eq!(done.get().unwrap(), 1);
    /// ```
    pub fn cancel(&self) -> bool {
        if let Some((engine, job)) = &self.job
            && let Some(job) = job.upgrade()
        {
            // Stop the work first, so that the error can name a worker it killed.
            let killed = engine.upgrade().and_then(|engine| engine.cancel_job(&job));
            let error = killed.map_or_else(PoolError::cancelled, PoolError::cancelled_running);
            if job.cancel(error) {
                self.cancelled.store(true, Ordering::Release);
                return true;
            }
        }
        self.cancelled.load(Ordering::Acquire)
    }

    /// Whether the result is there (Python's `ready()`).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(one, ()).unwrap();
    /// result.wait();
    /// assert!(result.ready());
    /// ```
    pub fn ready(&self) -> bool {
        self.cell.lock().is_some()
    }

    /// Whether the task succeeded; `None` while it is not ready (Python raises
    /// `ValueError` then).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn fail() -> u8 { panic!("no") }
    /// tripod::task!(fail);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(fail, ()).unwrap();
    /// result.wait();
    /// assert_eq!(result.successful(), Some(false));
    /// ```
    pub fn successful(&self) -> Option<bool> {
        self.cell.lock().as_ref().map(Result::is_ok)
    }

    /// Blocks until the result is there (Python's `wait()`).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(one, ()).unwrap();
    /// result.wait();
    /// assert_eq!(result.successful(), Some(true));
    /// ```
    pub fn wait(&self) {
        let _ = self.cell.wait(None);
    }

    /// Waits at most `timeout` for the result; true if it is there (Python's
    /// `wait(timeout)` followed by `ready()`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(one, ()).unwrap();
    /// assert!(result.wait_timeout(Duration::from_secs(30)));
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> bool {
        self.cell
            .wait(Instant::now().checked_add(timeout))
            .is_some()
    }

    /// Waits until `deadline` at most for the result; true if it is there.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(one, ()).unwrap();
    /// assert!(result.wait_deadline(Instant::now() + Duration::from_secs(30)));
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> bool {
        self.cell.wait(Some(deadline)).is_some()
    }

    /// Blocks until the result is there and moves it out, without needing `R: Clone`.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn words(n: usize) -> Vec<String> { vec!["hi".to_owned(); n] }
    /// tripod::task!(words);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(words, (2,)).unwrap();
    /// assert_eq!(result.into_result().unwrap(), ["hi", "hi"]);
    /// ```
    pub fn into_result(self) -> Result<R, PoolError> {
        let mut slot = self
            .cell
            .wait(None)
            .expect("a wait without deadline returns the result");
        match slot.take() {
            Some(result) => result,
            None => unreachable!("wait returned with the result set"),
        }
    }
}

impl<R: Clone> AsyncResult<R> {
    /// Blocks until the result is there and returns it (Python's `get()`); it can be
    /// called again.
    ///
    /// # Errors
    ///
    /// The task's error: [`Panicked`](super::PoolErrorKind::Panicked),
    /// [`WorkerLost`](super::PoolErrorKind::WorkerLost),
    /// [`TaskTimeout`](super::PoolErrorKind::TaskTimeout),
    /// [`Terminated`](super::PoolErrorKind::Terminated), [`Decode`](super::PoolErrorKind::Decode)...
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn add(a: i32, b: i32) -> i32 { a + b }
    /// tripod::task!(add);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(add, (2, 3)).unwrap();
    /// assert_eq!(result.get().unwrap(), 5);
    /// assert_eq!(result.get().unwrap(), 5);
    /// ```
    pub fn get(&self) -> Result<R, PoolError> {
        self.get_until(None)
    }

    /// [`get`](Self::get), waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`Timeout`](super::PoolErrorKind::Timeout) if the result is not there in time (the
    /// task goes on; ask again later); otherwise as [`get`](Self::get).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(one, ()).unwrap();
    /// assert_eq!(result.get_timeout(Duration::from_secs(30)).unwrap(), 1);
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Result<R, PoolError> {
        self.get_until(Instant::now().checked_add(timeout))
    }

    /// [`get`](Self::get), waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`get_timeout`](Self::get_timeout).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// fn slow() -> u8 { std::thread::sleep(Duration::from_secs(30)); 1 }
    /// tripod::task!(slow);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(slow, ()).unwrap();
    /// let err = result.get_deadline(Instant::now()).unwrap_err();
    /// assert_eq!(err.kind(), PoolErrorKind::Timeout);
    /// pool.terminate();
    /// assert_eq!(result.get().unwrap_err().kind(), PoolErrorKind::Terminated);
    /// ```
    pub fn get_deadline(&self, deadline: Instant) -> Result<R, PoolError> {
        self.get_until(Some(deadline))
    }

    fn get_until(&self, deadline: Option<Instant>) -> Result<R, PoolError> {
        match self.cell.wait(deadline) {
            Some(slot) => slot
                .clone()
                .unwrap_or_else(|| unreachable!("the result is set")),
            None => Err(PoolError::timeout()),
        }
    }
}

impl<R> fmt::Debug for AsyncResult<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncResult")
            .field("ready", &self.ready())
            .field("successful", &self.successful())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_completion_lost_with_the_result_thread_still_completes() {
        // The result thread took its last message and ended just as this one was sent:
        // the message goes down with the channel, and must still complete its result.
        let (results, inbox) = crossbeam_channel::unbounded();
        let cell = Cell::new();
        let (tx, rx) = std::sync::mpsc::channel();
        let options = AsyncOptions::new().callback(move |v: &u8| tx.send(*v).unwrap());
        Completion::new(Arc::clone(&cell), options, results).finish(Ok(7));
        assert!(!AsyncResult::new(Arc::clone(&cell)).ready());
        drop(inbox);
        let result = AsyncResult::new(cell);
        assert!(
            result.wait_timeout(Duration::ZERO),
            "the result never completes"
        );
        assert_eq!(result.get().unwrap(), 7);
        assert_eq!(rx.try_recv().unwrap(), 7, "the callback ran");
    }
}
