//! Running blocking work off the loop: `to_thread`, `run_in_executor`, `wrap_future`.
#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::sync::oneshot;

use super::task::TaskError;
use crate::PanicError;
use crate::futures::{Executor, FutureError};

/// Runs the blocking function `f` on a thread of the loop's blocking pool and awaits its
/// value: Python's `asyncio.to_thread`. A panic in `f` comes back as
/// [`TaskError::Panicked`].
///
/// # Cancel safety
///
/// Dropping the future does not stop `f` (a thread cannot be interrupted); its value is
/// dropped when it ends. [`EventLoop::close`](super::EventLoop::close) waits for it.
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// use tripod::asyncio;
///
/// asyncio::run(async {
///     let sum = asyncio::to_thread(|| (1..=100u64).sum::<u64>()).await;
///     assert_eq!(sum, Ok(5050));
/// });
/// ```
pub async fn to_thread<F, T>(f: F) -> Result<T, TaskError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        if e.is_panic() {
            TaskError::Panicked(PanicError::from_payload(e.into_panic()))
        } else {
            TaskError::Cancelled
        }
    })
}

/// Submits `task` to a tripod executor (a [`ThreadPoolExecutor`](crate::futures::ThreadPoolExecutor)
/// or a [`ProcessPoolExecutor`](crate::futures::ProcessPoolExecutor)) and awaits its result
/// without blocking the loop: Python's `loop.run_in_executor(executor, func)`.
///
/// # Cancel safety
///
/// As [`wrap_future`]: dropping it cancels the submitted task if it has not started.
///
/// ```
/// use tripod::asyncio;
/// use tripod::futures::ThreadPoolExecutor;
///
/// let pool = ThreadPoolExecutor::new(2);
/// let value = asyncio::run(async { asyncio::run_in_executor(&pool, || 6 * 7).await });
/// assert_eq!(value, Ok(42));
/// ```
pub fn run_in_executor<E, Task>(executor: &E, task: Task) -> WrapFuture<E::Output>
where
    E: Executor<Task> + ?Sized,
    E::Output: Send + 'static,
{
    wrap_future(executor.submit(task))
}

/// Awaits a [`tripod::futures::Future`](crate::futures::Future) from async code: Python's
/// `asyncio.wrap_future`. The loop is not blocked: the future's done callback wakes the
/// awaiting task.
///
/// ```
/// use tripod::asyncio;
/// use tripod::futures::Promise;
///
/// let promise = Promise::new();
/// let future = promise.future();
/// std::thread::spawn(move || promise.set_result("from a thread"));
/// assert_eq!(asyncio::run(asyncio::wrap_future(future)), Ok("from a thread"));
/// ```
pub fn wrap_future<T: Send + 'static>(future: crate::futures::Future<T>) -> WrapFuture<T> {
    let (tx, rx) = oneshot::channel();
    future.add_done_callback(move |_| {
        let _ = tx.send(());
    });
    WrapFuture {
        future: Some(future),
        done: rx,
    }
}

/// The future of [`wrap_future`] and [`run_in_executor`].
///
/// # Cancel safety
///
/// Dropping it before it completes cancels the wrapped future (which stops the task only if
/// it has not started, as `concurrent.futures.Future.cancel`).
///
/// ```
/// use tripod::asyncio;
/// use tripod::futures::Promise;
///
/// let promise = Promise::new();
/// let wrapped: asyncio::WrapFuture<u8> = asyncio::wrap_future(promise.future());
/// promise.set_result(1);
/// assert_eq!(asyncio::run(wrapped), Ok(1));
/// ```
pub struct WrapFuture<T> {
    future: Option<crate::futures::Future<T>>,
    done: oneshot::Receiver<()>,
}

impl<T> Future for WrapFuture<T> {
    type Output = Result<T, FutureError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The sender is dropped unsent only if the future's callbacks were dropped, which
        // happens when it is complete; either way it is done now.
        let _ = std::task::ready!(Pin::new(&mut self.done).poll(cx));
        let future = self
            .future
            .take()
            .expect("WrapFuture polled after completion");
        Poll::Ready(future.into_result())
    }
}

impl<T> Drop for WrapFuture<T> {
    fn drop(&mut self) {
        if let Some(future) = &self.future {
            future.cancel();
        }
    }
}

impl<T> fmt::Debug for WrapFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WrapFuture")
            .field("done", &self.future.is_none())
            .finish()
    }
}
