//! [`Future`]: the handle to the result of a task submitted to an executor.
#![forbid(unsafe_code)]

use std::fmt;
use std::mem;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use crossbeam_utils::Backoff;
use parking_lot::{Condvar, Mutex, MutexGuard};

use super::FutureError;
use crate::PanicError;

/// The result of a task that runs (or will run, or was cancelled) elsewhere: Python's
/// `concurrent.futures.Future`.
///
/// A `Future` is a cheap handle (one `Arc`); clones see the same task. It is returned by
/// [`ThreadPoolExecutor::submit`](super::ThreadPoolExecutor::submit) (and by any
/// [`Executor`](super::Executor)), or made together with its completing side by
/// [`Promise::new`](super::Promise::new).
///
/// A future is *pending* (queued), then *running*, then *done*: finished with a value or an
/// error, or cancelled. [`result`](Future::result) blocks until done and gives the value (a
/// clone of it, so that every handle can read it) or the [`FutureError`]; a task that
/// panicked gives [`FutureErrorKind::Panicked`](super::FutureErrorKind::Panicked) with the
/// [`PanicError`].
///
/// ```
/// use tripod::futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(2);
/// let fut = pool.submit(|| 6 * 7);
/// assert_eq!(fut.result(), Ok(42));
/// assert!(fut.done());
/// assert_eq!(fut.clone().result(), Ok(42)); // every handle can read it
/// ```
pub struct Future<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    state: Mutex<State<T>>,
    cond: Condvar,
    /// Mirrors `state.status.is_done()`, written under the lock: lets `done()` and the
    /// short spin before blocking read it without taking the lock.
    done: AtomicBool,
}

struct State<T> {
    status: Status<T>,
    callbacks: Vec<Callback<T>>,
    watches: Vec<Watch>,
    /// Set by an executor that can stop a running task (the process pool): called when
    /// the future is cancelled, pending or running.
    on_cancel: Option<CancelHook>,
}

type CancelHook = Box<dyn FnOnce() + Send>;

enum Status<T> {
    Pending,
    Running,
    Finished(Result<T, FutureError>),
    Cancelled,
    /// Finished with a value that [`Future::into_result`] moved out.
    Taken,
}

impl<T> Status<T> {
    fn is_done(&self) -> bool {
        !matches!(self, Status::Pending | Status::Running)
    }
}

type Callback<T> = Box<dyn FnOnce(&Future<T>) + Send>;

/// A registration of [`wait`](super::wait) or [`as_completed`](super::as_completed): when the
/// future is done, `index` is sent on `tx`.
pub(crate) struct Watch {
    id: u64,
    index: usize,
    tx: Sender<usize>,
}

impl<T> Future<T> {
    /// A new pending future; only [`Promise`](super::Promise) makes them.
    pub(crate) fn new_pending() -> Self {
        Future {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    status: Status::Pending,
                    callbacks: Vec::new(),
                    watches: Vec::new(),
                    on_cancel: None,
                }),
                cond: Condvar::new(),
                done: AtomicBool::new(false),
            }),
        }
    }

    /// Whether the future is done: finished (with a value or an error) or cancelled.
    /// Never blocks.
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(1);
    /// let fut = pool.submit(|| 1);
    /// fut.result().unwrap();
    /// assert!(fut.done());
    /// ```
    pub fn done(&self) -> bool {
        self.inner.done.load(Ordering::Acquire)
    }

    /// Whether the task is running right now.
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(1);
    /// let (tx, rx) = std::sync::mpsc::channel::<()>();
    /// let (started_tx, started) = std::sync::mpsc::channel();
    /// let fut = pool.submit(move || { started_tx.send(()).unwrap(); rx.recv().unwrap() });
    /// started.recv().unwrap();
    /// assert!(fut.running());
    /// tx.send(()).unwrap();
    /// fut.result().unwrap();
    /// assert!(!fut.running());
    /// ```
    pub fn running(&self) -> bool {
        matches!(self.inner.state.lock().status, Status::Running)
    }

    /// Whether the future was cancelled.
    ///
    /// ```
    /// use tripod::futures::Promise;
    ///
    /// let promise = Promise::<i32>::new();
    /// let fut = promise.future();
    /// assert!(fut.cancel());
    /// assert!(fut.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        matches!(self.inner.state.lock().status, Status::Cancelled)
    }

    /// Cancels the future if it has not started yet (or, for a
    /// [`ProcessPoolExecutor`](super::ProcessPoolExecutor), even if it runs), and returns
    /// whether it is cancelled.
    ///
    /// As in Python: a pending future becomes cancelled (its waiters wake and its done
    /// callbacks run, on this thread) and `true` is returned; an already cancelled one also
    /// returns `true`; a finished one cannot be cancelled and returns `false`. The result
    /// of a cancelled future is
    /// [`FutureErrorKind::Cancelled`](super::FutureErrorKind::Cancelled).
    ///
    /// A running future of a [`ThreadPoolExecutor`](super::ThreadPoolExecutor) (or of a
    /// [`Promise`](super::Promise)) cannot be cancelled either (a thread cannot be
    /// stopped from outside) and returns `false`, as in Python. A running future of a
    /// [`ProcessPoolExecutor`](super::ProcessPoolExecutor) *is* cancelled, unlike
    /// Python's (whose `cancel()` returns `False` then): the worker process running it is
    /// killed and replaced, as for a task over its timeout, and `true` is returned.
    ///
    /// ```
    /// use tripod::futures::{FutureErrorKind, Promise};
    ///
    /// let promise = Promise::<i32>::new();
    /// let fut = promise.future();
    /// assert!(fut.cancel());
    /// assert_eq!(fut.result().unwrap_err().kind(), FutureErrorKind::Cancelled);
    /// assert!(!promise.set_running_or_notify_cancel()); // the executor will not run it
    /// ```
    pub fn cancel(&self) -> bool {
        self.cancel_inner(true)
    }

    /// [`cancel`](Self::cancel) as Python's: a running future is never cancelled (for
    /// `shutdown(cancel_futures=true)`, which cancels only what has not started).
    pub(crate) fn cancel_pending(&self) -> bool {
        self.cancel_inner(false)
    }

    fn cancel_inner(&self, running_too: bool) -> bool {
        let mut state = self.inner.state.lock();
        match state.status {
            Status::Pending => {}
            Status::Running if running_too && state.on_cancel.is_some() => {}
            Status::Cancelled => return true,
            _ => return false,
        }
        state.status = Status::Cancelled;
        let hook = state.on_cancel.take();
        self.finish(state, &|_| {});
        if let Some(hook) = hook {
            hook();
        }
        true
    }

    /// Makes [`cancel`](Self::cancel) call `hook` (once), and cancel the future even when
    /// it runs: for executors that can stop a running task. Returns `false` (and drops the
    /// hook) if the future is already done.
    pub(crate) fn set_cancel_hook(&self, hook: CancelHook) -> bool {
        let mut state = self.inner.state.lock();
        if state.status.is_done() {
            return false;
        }
        state.on_cancel = Some(hook);
        true
    }

    /// Blocks until the future is done and returns a clone of its value, or its error.
    ///
    /// # Errors
    ///
    /// [`Cancelled`](super::FutureErrorKind::Cancelled) if the future was cancelled,
    /// [`Panicked`](super::FutureErrorKind::Panicked) if the task panicked,
    /// [`ShutDown`](super::FutureErrorKind::ShutDown) /
    /// [`Broken`](super::FutureErrorKind::Broken) if the executor could not run it,
    /// [`Taken`](super::FutureErrorKind::Taken) if another handle moved the value out.
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(2);
    /// let fut = pool.submit(|| String::from("AA"));
    /// assert_eq!(fut.result().as_deref(), Ok("AA"));
    /// ```
    pub fn result(&self) -> Result<T, FutureError>
    where
        T: Clone,
    {
        self.result_deadline_opt(None)
    }

    /// Like [`result`](Future::result), but gives up after `timeout` with
    /// [`FutureErrorKind::Timeout`](super::FutureErrorKind::Timeout) (the task goes on).
    ///
    /// # Errors
    ///
    /// As [`result`](Future::result), plus `Timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::futures::Promise;
    ///
    /// let promise = Promise::<i32>::new();
    /// let fut = promise.future();
    /// assert!(fut.result_timeout(Duration::from_millis(1)).unwrap_err().is_timeout());
    /// promise.set_result(3);
    /// assert_eq!(fut.result_timeout(Duration::from_millis(1)), Ok(3));
    /// ```
    pub fn result_timeout(&self, timeout: Duration) -> Result<T, FutureError>
    where
        T: Clone,
    {
        self.result_deadline_opt(Instant::now().checked_add(timeout))
    }

    /// Like [`result`](Future::result), but gives up at `deadline` with
    /// [`FutureErrorKind::Timeout`](super::FutureErrorKind::Timeout).
    ///
    /// # Errors
    ///
    /// As [`result_timeout`](Future::result_timeout).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::futures::Promise;
    ///
    /// let promise = Promise::<i32>::new();
    /// assert!(promise.future().result_deadline(Instant::now()).unwrap_err().is_timeout());
    /// ```
    pub fn result_deadline(&self, deadline: Instant) -> Result<T, FutureError>
    where
        T: Clone,
    {
        self.result_deadline_opt(Some(deadline))
    }

    fn result_deadline_opt(&self, deadline: Option<Instant>) -> Result<T, FutureError>
    where
        T: Clone,
    {
        let state = self.wait_done(deadline).ok_or_else(FutureError::timeout)?;
        match &state.status {
            Status::Finished(result) => result.clone(),
            Status::Cancelled => Err(FutureError::cancelled()),
            Status::Taken => Err(FutureError::taken()),
            Status::Pending | Status::Running => unreachable!("wait_done returned early"),
        }
    }

    /// Blocks until the future is done and moves the value out, without needing
    /// `T: Clone`.
    ///
    /// Other handles to the same future still see it done, with no exception, but their
    /// [`result`](Future::result) and `into_result` give
    /// [`FutureErrorKind::Taken`](super::FutureErrorKind::Taken). Errors are not moved out:
    /// every handle sees them.
    ///
    /// # Errors
    ///
    /// As [`result`](Future::result).
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// struct NotClone(u8);
    /// let pool = ThreadPoolExecutor::new(1);
    /// let fut = pool.submit(|| NotClone(7));
    /// assert_eq!(fut.into_result().unwrap().0, 7);
    /// ```
    pub fn into_result(self) -> Result<T, FutureError> {
        self.take(None)
            .unwrap_or_else(|| Err(FutureError::timeout()))
    }

    /// Waits until `deadline` and moves the result out; `None` when the wait timed out.
    pub(crate) fn take(&self, deadline: Option<Instant>) -> Option<Result<T, FutureError>> {
        let mut state = self.wait_done(deadline)?;
        Some(match &state.status {
            Status::Finished(Ok(_)) => match mem::replace(&mut state.status, Status::Taken) {
                Status::Finished(Ok(value)) => Ok(value),
                _ => unreachable!("matched just above"),
            },
            Status::Finished(Err(err)) => Err(err.clone()),
            Status::Cancelled => Err(FutureError::cancelled()),
            Status::Taken => Err(FutureError::taken()),
            Status::Pending | Status::Running => unreachable!("wait_done returned early"),
        })
    }

    /// Blocks until the future is done and returns its error, or `None` if it finished with
    /// a value. This is `result().err()` without needing `T: Clone`.
    ///
    /// Unlike Python, where `exception()` of a cancelled future raises `CancelledError`,
    /// a cancelled future gives `Some` error of kind
    /// [`Cancelled`](super::FutureErrorKind::Cancelled).
    ///
    /// ```
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(1);
    /// assert!(pool.submit(|| 1).exception().is_none());
    /// let err = pool.submit(|| -> i32 { panic!("oops") }).exception().unwrap();
    /// assert_eq!(err.panic().unwrap().message(), "oops");
    /// ```
    pub fn exception(&self) -> Option<FutureError> {
        self.exception_deadline_opt(None)
    }

    /// Like [`exception`](Future::exception), but gives up after `timeout` and then returns
    /// an error of kind [`Timeout`](super::FutureErrorKind::Timeout) (as `result_timeout`
    /// would).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::futures::Promise;
    ///
    /// let promise = Promise::<i32>::new();
    /// let err = promise.future().exception_timeout(Duration::from_millis(1)).unwrap();
    /// assert!(err.is_timeout());
    /// ```
    pub fn exception_timeout(&self, timeout: Duration) -> Option<FutureError> {
        self.exception_deadline_opt(Instant::now().checked_add(timeout))
    }

    /// Like [`exception_timeout`](Future::exception_timeout), with a deadline.
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::futures::Promise;
    ///
    /// let promise = Promise::<i32>::new();
    /// let fut = promise.future();
    /// promise.set_result(1);
    /// assert!(fut.exception_deadline(Instant::now()).is_none());
    /// ```
    pub fn exception_deadline(&self, deadline: Instant) -> Option<FutureError> {
        self.exception_deadline_opt(Some(deadline))
    }

    fn exception_deadline_opt(&self, deadline: Option<Instant>) -> Option<FutureError> {
        let Some(state) = self.wait_done(deadline) else {
            return Some(FutureError::timeout());
        };
        match &state.status {
            Status::Finished(Ok(_)) | Status::Taken => None,
            Status::Finished(Err(err)) => Some(err.clone()),
            Status::Cancelled => Some(FutureError::cancelled()),
            Status::Pending | Status::Running => unreachable!("wait_done returned early"),
        }
    }

    /// Arranges for `callback` to be called with this future when it is done.
    ///
    /// As in Python: the callback runs on the thread that completes (or cancels) the
    /// future; if the future is already done, it runs at once on this thread. Callbacks run
    /// in the order they were added. A callback that panics is caught and reported on
    /// stderr; it never takes down a worker nor stops the other callbacks.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use tripod::futures::ThreadPoolExecutor;
    ///
    /// let pool = ThreadPoolExecutor::new(1);
    /// let (tx, rx) = mpsc::channel();
    /// let fut = pool.submit(|| 5);
    /// fut.add_done_callback(move |f| tx.send(f.result().unwrap() * 2).unwrap());
    /// assert_eq!(rx.recv().unwrap(), 10);
    /// ```
    pub fn add_done_callback<F>(&self, callback: F)
    where
        F: FnOnce(&Future<T>) + Send + 'static,
    {
        let mut state = self.inner.state.lock();
        if !state.status.is_done() {
            state.callbacks.push(Box::new(callback));
            return;
        }
        drop(state);
        self.invoke(Box::new(callback));
    }

    /// Whether the future finished with an error other than cancellation (what
    /// `FIRST_EXCEPTION` waits for).
    pub(crate) fn failed(&self) -> bool {
        matches!(self.inner.state.lock().status, Status::Finished(Err(_)))
    }

    /// Registers `index` to be sent on `tx` when the future is done. Returns `false` (and
    /// registers nothing) if it is already done.
    pub(crate) fn watch(&self, id: u64, index: usize, tx: &Sender<usize>) -> bool {
        let mut state = self.inner.state.lock();
        if state.status.is_done() {
            return false;
        }
        state.watches.push(Watch {
            id,
            index,
            tx: tx.clone(),
        });
        true
    }

    /// Removes the registrations made with `id`.
    pub(crate) fn unwatch(&self, id: u64) {
        let mut state = self.inner.state.lock();
        if !state.watches.is_empty() {
            state.watches.retain(|w| w.id != id);
        }
    }

    /// Pending -> running; `false` if the future was cancelled (or is already done).
    pub(crate) fn set_running_or_notify_cancel(&self) -> bool {
        let mut state = self.inner.state.lock();
        match state.status {
            Status::Pending => {
                state.status = Status::Running;
                true
            }
            Status::Running => true,
            _ => false,
        }
    }

    /// Finishes the future with `result`, unless it is already done (then `false`).
    pub(crate) fn complete(&self, result: Result<T, FutureError>) -> bool {
        self.complete_busy(result, &|_| {})
    }

    /// [`complete`](Self::complete), calling `busy(true)` before the done-callbacks run and
    /// `busy(false)` after, if there are any (a pool's worker is not idle while it runs
    /// them).
    pub(crate) fn complete_busy(
        &self,
        result: Result<T, FutureError>,
        busy: &dyn Fn(bool),
    ) -> bool {
        let mut state = self.inner.state.lock();
        if state.status.is_done() {
            return false;
        }
        state.status = Status::Finished(result);
        self.finish(state, busy);
        true
    }

    /// After the status became done: wakes the blocked readers and the watchers, then runs
    /// the callbacks, outside the lock (Python's order).
    fn finish(&self, mut state: MutexGuard<'_, State<T>>, busy: &dyn Fn(bool)) {
        self.inner.done.store(true, Ordering::Release);
        let callbacks = mem::take(&mut state.callbacks);
        let watches = mem::take(&mut state.watches);
        // Nothing to cancel any more (`cancel_inner` took it if it is to run).
        let hook = state.on_cancel.take();
        drop(state);
        drop(hook);
        // Cheap when nobody waits: parking_lot's Condvar checks an atomic first.
        self.inner.cond.notify_all();
        for watch in watches {
            // The watcher may have gone already; nothing to tell then.
            let _ = watch.tx.send(watch.index);
        }
        if callbacks.is_empty() {
            return;
        }
        busy(true);
        for callback in callbacks {
            self.invoke(callback);
        }
        busy(false);
    }

    fn invoke(&self, callback: Callback<T>) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback(self))) {
            let panic = PanicError::from_payload(payload);
            eprintln!(
                "tripod: exception calling callback for {self:?}: {}",
                panic.message()
            );
        }
    }

    /// Blocks until done or `deadline`; the guard is returned only when done.
    fn wait_done(&self, deadline: Option<Instant>) -> Option<MutexGuard<'_, State<T>>> {
        // Most tasks are short: spin a little before sleeping, which saves the reader a
        // sleep and the completing thread a wake-up.
        let backoff = Backoff::new();
        while !self.done() && !backoff.is_completed() {
            backoff.snooze();
        }
        let mut state = self.inner.state.lock();
        while !state.status.is_done() {
            match deadline {
                None => self.inner.cond.wait(&mut state),
                Some(deadline) => {
                    if self.inner.cond.wait_until(&mut state, deadline).timed_out() {
                        return state.status.is_done().then_some(state);
                    }
                }
            }
        }
        Some(state)
    }

    /// An identity for this future, shared by all its handles (for de-duplication).
    pub(crate) fn addr(&self) -> usize {
        Arc::as_ptr(&self.inner).cast::<()>() as usize
    }

    /// Whether two handles are the same future.
    ///
    /// ```
    /// use tripod::futures::Promise;
    ///
    /// let promise = Promise::<()>::new();
    /// let a = promise.future();
    /// assert!(a.ptr_eq(&a.clone()));
    /// assert!(!a.ptr_eq(&Promise::<()>::new().future()));
    /// ```
    pub fn ptr_eq(&self, other: &Future<T>) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl<T> Clone for Future<T> {
    fn clone(&self) -> Self {
        Future {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for Future<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.inner.state.try_lock().as_deref().map(|s| &s.status) {
            None => "locked",
            Some(Status::Pending) => "pending",
            Some(Status::Running) => "running",
            Some(Status::Cancelled) => "cancelled",
            Some(Status::Finished(Ok(_)) | Status::Taken) => "finished",
            Some(Status::Finished(Err(_))) => "finished with an error",
        };
        f.debug_struct("Future")
            .field("at", &Arc::as_ptr(&self.inner))
            .field("state", &state)
            .finish()
    }
}
