//! [`Promise`]: the completing side of a [`Future`], for executor implementations.
#![forbid(unsafe_code)]

use std::fmt;

use super::{Future, FutureError};

/// The side of a [`Future`] that sets its result: what Python's `Future.set_result`,
/// `set_exception` and `set_running_or_notify_cancel` are for ("for use by Executor
/// implementations and unit tests"), split off so that only the executor can complete a
/// future.
///
/// Nothing hangs: a `Promise` dropped without a result completes its future with
/// [`FutureErrorKind::Broken`](super::FutureErrorKind::Broken), so a task lost by an
/// executor never leaves a reader blocked forever.
///
/// ```
/// use tripod::futures::{FutureErrorKind, Promise};
///
/// let promise = Promise::new();
/// let fut = promise.future();
/// assert!(promise.set_running_or_notify_cancel());
/// assert!(fut.running());
/// promise.set_result("done");
/// assert_eq!(fut.result(), Ok("done"));
///
/// let lost = Promise::<i32>::new();
/// let fut = lost.future();
/// drop(lost);
/// assert_eq!(fut.result().unwrap_err().kind(), FutureErrorKind::Broken);
/// ```
pub struct Promise<T> {
    /// `None` once completed, so that `Drop` has nothing left to do.
    future: Option<Future<T>>,
}

impl<T> Promise<T> {
    /// A promise with a new pending future.
    ///
    /// ```
    /// let promise = tripod::futures::Promise::<u8>::new();
    /// assert!(!promise.future().done());
    /// ```
    pub fn new() -> Self {
        Promise {
            future: Some(Future::new_pending()),
        }
    }

    fn get(&self) -> &Future<T> {
        self.future
            .as_ref()
            .expect("a live promise always holds its future")
    }

    /// Another handle to the promised future.
    ///
    /// ```
    /// let promise = tripod::futures::Promise::new();
    /// let fut = promise.future();
    /// promise.set_result(1);
    /// assert_eq!(fut.result(), Ok(1));
    /// ```
    pub fn future(&self) -> Future<T> {
        self.get().clone()
    }

    /// Marks the future running, before the executor runs the task; returns `false` if the
    /// future was cancelled, in which case the task must not run.
    ///
    /// ```
    /// let promise = tripod::futures::Promise::<()>::new();
    /// promise.future().cancel();
    /// assert!(!promise.set_running_or_notify_cancel());
    /// ```
    pub fn set_running_or_notify_cancel(&self) -> bool {
        self.get().set_running_or_notify_cancel()
    }

    /// Finishes the future with `value`. Does nothing if the future was cancelled.
    ///
    /// ```
    /// let promise = tripod::futures::Promise::new();
    /// let fut = promise.future();
    /// promise.set_result(2.5);
    /// assert_eq!(fut.result(), Ok(2.5));
    /// ```
    pub fn set_result(self, value: T) {
        self.complete(Ok(value));
    }

    /// Finishes the future with `error`. Does nothing if the future was cancelled.
    ///
    /// ```
    /// use tripod::futures::{FutureError, Promise};
    ///
    /// let promise = Promise::<i32>::new();
    /// let fut = promise.future();
    /// promise.set_error(FutureError::broken("worker died"));
    /// assert_eq!(fut.exception(), Some(FutureError::broken("worker died")));
    /// ```
    pub fn set_error(self, error: FutureError) {
        self.complete(Err(error));
    }

    /// Finishes the future with `result`. Does nothing if the future was cancelled.
    ///
    /// ```
    /// let promise = tripod::futures::Promise::new();
    /// let fut = promise.future();
    /// promise.complete(Ok('x'));
    /// assert_eq!(fut.result(), Ok('x'));
    /// ```
    pub fn complete(mut self, result: Result<T, FutureError>) {
        if let Some(future) = self.future.take() {
            future.complete(result);
        }
    }

    /// [`complete`](Self::complete), with `busy` called around the done-callbacks (see
    /// `Future::complete_busy`).
    pub(crate) fn complete_busy(mut self, result: Result<T, FutureError>, busy: &dyn Fn(bool)) {
        if let Some(future) = self.future.take() {
            future.complete_busy(result, busy);
        }
    }
}

impl<T> Default for Promise<T> {
    fn default() -> Self {
        Promise::new()
    }
}

impl<T> Drop for Promise<T> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take() {
            future.complete(Err(FutureError::broken(
                "the task was dropped before it gave a result",
            )));
        }
    }
}

impl<T> fmt::Debug for Promise<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Promise")
            .field("future", &self.future)
            .finish()
    }
}
