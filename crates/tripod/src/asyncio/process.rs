//! Awaiting the process leg from async code: a `multiprocessing::Queue`'s get and put, a
//! `ProcessHandle`'s join, without blocking the loop.
#![forbid(unsafe_code)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::oneshot;

use crate::multiprocessing::{GetError, ProcessError, ProcessHandle, PutError, Queue};

/// How long a blocking get waits before it checks whether its awaiter is gone.
const GET_SLICE: Duration = Duration::from_millis(50);

/// Async get and put on a [`multiprocessing::Queue`](crate::multiprocessing::Queue).
///
/// The blocking calls run on the loop's blocking pool (tokio's `spawn_blocking`), so the
/// loop keeps running other tasks meanwhile.
///
/// ```
/// use tripod::asyncio::{self, AsyncQueueExt};
/// use tripod::multiprocessing::Queue;
///
/// let q = Queue::<String>::new().unwrap();
/// asyncio::run(async {
///     q.put_async("hello".to_owned()).await.unwrap();
///     assert_eq!(q.get_async().await.unwrap(), "hello");
/// });
/// ```
pub trait AsyncQueueExt<T> {
    /// Waits for an item without blocking the loop: `await loop.run_in_executor(None, q.get)`.
    ///
    /// # Errors
    ///
    /// As [`Queue::get`].
    ///
    /// # Cancel safety
    ///
    /// No item is lost: if the future is dropped while the blocking get is in flight and
    /// that get then takes an item, the item is put back, at the tail of the queue (so its
    /// order among the others may change).
    ///
    /// ```
    /// use tripod::asyncio::{self, AsyncQueueExt};
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<u32>::new().unwrap();
    /// let writer = q.clone();
    /// std::thread::spawn(move || writer.put(7).unwrap());
    /// assert_eq!(asyncio::run(q.get_async()).unwrap(), 7);
    /// ```
    fn get_async(&self) -> impl Future<Output = Result<T, GetError>> + Send + '_;

    /// Puts an item without blocking the loop (waiting for room if the queue is full).
    ///
    /// # Errors
    ///
    /// As [`Queue::put`].
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe in the usual sense: once started, the put goes through even if the
    /// future is dropped (the item is delivered, not lost).
    ///
    /// ```
    /// use tripod::asyncio::{self, AsyncQueueExt};
    /// use tripod::multiprocessing::Queue;
    ///
    /// let q = Queue::<u8>::new().unwrap();
    /// asyncio::run(q.put_async(1)).unwrap();
    /// assert_eq!(q.get().unwrap(), 1);
    /// ```
    fn put_async(&self, item: T) -> impl Future<Output = Result<(), PutError<T>>> + Send + '_;
}

struct SetOnDrop(Arc<AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

impl<T> AsyncQueueExt<T> for Queue<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    async fn get_async(&self) -> Result<T, GetError> {
        {
            match self.try_get() {
                Err(GetError::Empty) => {}
                other => return other,
            }
            let queue = self.clone();
            let gone = Arc::new(AtomicBool::new(false));
            let _on_drop = SetOnDrop(Arc::clone(&gone));
            let (tx, rx) = oneshot::channel();
            tokio::task::spawn_blocking(move || {
                loop {
                    if gone.load(Ordering::Acquire) {
                        return;
                    }
                    match queue.get_timeout(GET_SLICE) {
                        Err(GetError::Empty) => continue,
                        Ok(item) => {
                            if let Err(Ok(item)) = tx.send(Ok(item)) {
                                // The awaiter is gone: nothing is lost, the item goes back.
                                let _ = queue.put(item);
                            }
                            return;
                        }
                        Err(err) => {
                            let _ = tx.send(Err(err));
                            return;
                        }
                    }
                }
            });
            rx.await.expect("the blocking get always answers")
        }
    }

    async fn put_async(&self, item: T) -> Result<(), PutError<T>> {
        {
            let queue = self.clone();
            tokio::task::spawn_blocking(move || queue.put(item))
                .await
                .expect("a queue put does not panic")
        }
    }
}

/// Async join of a child process ([`ProcessHandle`]).
///
/// ```
/// use tripod::asyncio::{self, AsyncJoinExt};
/// use tripod::multiprocessing::Process;
///
/// fn square(x: u64) -> u64 { x * x }
/// tripod::task!(square);
///
/// let child = Process::new(square, (7,)).start().unwrap();
/// assert_eq!(asyncio::run(child.join_async()).unwrap(), 49);
/// ```
pub trait AsyncJoinExt<R> {
    /// Waits for the child to end and returns its task's value, without blocking the loop
    /// (the join runs on the loop's blocking pool).
    ///
    /// # Errors
    ///
    /// As [`ProcessHandle::join`].
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not stop the child: the join goes on and the child is
    /// reaped as usual, but its value is dropped.
    ///
    /// ```
    /// use tripod::asyncio::{self, AsyncJoinExt};
    /// use tripod::multiprocessing::Process;
    ///
    /// fn hello() -> String { "hi".to_owned() }
    /// tripod::task!(hello);
    ///
    /// let child = Process::new(hello, ()).start().unwrap();
    /// assert_eq!(asyncio::run(child.join_async()).unwrap(), "hi");
    /// ```
    fn join_async(self) -> impl Future<Output = Result<R, ProcessError>> + Send;
}

impl<R: DeserializeOwned + Send + 'static> AsyncJoinExt<R> for ProcessHandle<R> {
    async fn join_async(self) -> Result<R, ProcessError> {
        {
            tokio::task::spawn_blocking(move || self.join())
                .await
                .expect("a join does not panic")
        }
    }
}
