//! [`wait`] and [`as_completed`]: waiting on many futures at once.
//!
//! Both register a watch on each pending future (as Python installs a `_Waiter`): when a
//! future is done it sends its index on a channel that the waiting thread blocks on, so no
//! thread polls. The watches are removed when the wait returns or the iterator is dropped.
#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::{Future, FutureError};

/// Distinguishes the watches of concurrent waits on the same future.
static NEXT_WATCH_ID: AtomicU64 = AtomicU64::new(0);

/// When [`wait`] returns: Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`.
///
/// As in Python, `tripod::asyncio::wait` takes the same constants
/// (there "future" reads "task", and a task's error is a panic: a task that returns an
/// `Err` value finished normally).
///
/// ```
/// use tripod::futures::ReturnWhen;
///
/// assert_eq!(ReturnWhen::default(), ReturnWhen::AllCompleted);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReturnWhen {
    /// As soon as any future is done (finished or cancelled).
    FirstCompleted,
    /// As soon as any future finishes with an error (a panic, a broken or shut-down
    /// executor; not a cancellation), or when all are done if none does.
    FirstException,
    /// When all futures are done.
    #[default]
    AllCompleted,
}

/// What [`wait`] returns: Python's `DoneAndNotDoneFutures`, with each list in the order the
/// futures were given.
///
/// ```
/// use tripod::futures::{wait, Promise, ReturnWhen};
///
/// let (a, b) = (Promise::new(), Promise::<i32>::new());
/// let futures = [a.future(), b.future()];
/// a.set_result(1);
/// let outcome = wait(&futures, None, ReturnWhen::FirstCompleted);
/// assert!(outcome.done[0].ptr_eq(&futures[0]));
/// assert!(outcome.not_done[0].ptr_eq(&futures[1]));
/// ```
pub struct DoneAndNotDone<T> {
    /// The futures that were done (finished or cancelled) when `wait` returned.
    pub done: Vec<Future<T>>,
    /// The others.
    pub not_done: Vec<Future<T>>,
}

impl<T> fmt::Debug for DoneAndNotDone<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DoneAndNotDone")
            .field("done", &self.done)
            .field("not_done", &self.not_done)
            .finish()
    }
}

/// Blocks until the futures meet `return_when` or `timeout` passes (`None`: no limit), and
/// returns which are done and which are not: Python's `concurrent.futures.wait`.
///
/// A timeout is not an error: the futures still running are in `not_done`. A future given
/// twice counts once (Python takes a set).
///
/// ```
/// use tripod::futures::{wait, ReturnWhen, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(4);
/// let tasks: Vec<_> = (0..10).map(|i| pool.submit(move || i)).collect();
/// let outcome = wait(&tasks, None, ReturnWhen::AllCompleted);
/// assert_eq!(outcome.done.len(), 10);
/// assert!(outcome.not_done.is_empty());
/// ```
pub fn wait<T>(
    futures: &[Future<T>],
    timeout: Option<Duration>,
    return_when: ReturnWhen,
) -> DoneAndNotDone<T> {
    let futures = &*distinct(futures);
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let total = futures.len();
    let satisfied = |done: usize, failed: bool| match return_when {
        _ if done == total => true,
        ReturnWhen::FirstCompleted => done > 0,
        ReturnWhen::FirstException => failed,
        ReturnWhen::AllCompleted => false,
    };

    let already_done = futures.iter().filter(|f| f.done()).count();
    let already_failed =
        return_when == ReturnWhen::FirstException && futures.iter().any(Future::failed);
    if !satisfied(already_done, already_failed) {
        let id = NEXT_WATCH_ID.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = crossbeam_channel::unbounded();
        let (mut done, mut failed) = (0, false);
        for (index, future) in futures.iter().enumerate() {
            if !future.watch(id, index, &tx) {
                done += 1;
                failed |= future.failed();
            }
        }
        drop(tx);
        while !satisfied(done, failed) {
            let Some(index) = recv(&rx, deadline) else {
                break;
            };
            done += 1;
            failed |= futures[index].failed();
        }
        for future in futures {
            future.unwatch(id);
        }
    }

    let (done, not_done) = futures.iter().cloned().partition(Future::done);
    DoneAndNotDone { done, not_done }
}

/// The futures with repeats removed (first occurrence kept); borrowed when there are none.
fn distinct<T>(futures: &[Future<T>]) -> Cow<'_, [Future<T>]> {
    let mut seen = HashSet::with_capacity(futures.len());
    if futures.iter().all(|f| seen.insert(f.addr())) {
        return Cow::Borrowed(futures);
    }
    seen.clear();
    Cow::Owned(
        futures
            .iter()
            .filter(|f| seen.insert(f.addr()))
            .cloned()
            .collect(),
    )
}

/// Receives one index before `deadline`; `None` on timeout.
fn recv(rx: &Receiver<usize>, deadline: Option<Instant>) -> Option<usize> {
    match deadline {
        None => rx.recv().ok(),
        Some(deadline) => rx.recv_deadline(deadline).ok(),
    }
}

/// Yields the futures as they complete (finish or are cancelled): Python's
/// `concurrent.futures.as_completed`.
///
/// Futures already done come first, in the order given; then each as it completes. With a
/// `timeout` (counted from this call), once it passes the iterator yields one error of
/// kind [`Timeout`](super::FutureErrorKind::Timeout) and ends. A future given twice is
/// yielded once (Python takes a set).
///
/// ```
/// use tripod::futures::{as_completed, ThreadPoolExecutor};
///
/// let pool = ThreadPoolExecutor::new(4);
/// let tasks: Vec<_> = (1..=3).map(|i| pool.submit(move || i * 10)).collect();
/// let mut total = 0;
/// for fut in as_completed(&tasks, None) {
///     total += fut.unwrap().result().unwrap();
/// }
/// assert_eq!(total, 60);
/// ```
pub fn as_completed<T>(futures: &[Future<T>], timeout: Option<Duration>) -> AsCompleted<T> {
    let futures = distinct(futures).into_owned();
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    let id = NEXT_WATCH_ID.fetch_add(1, Ordering::Relaxed);
    let (tx, rx) = crossbeam_channel::unbounded();
    let mut ready = VecDeque::new();
    for (index, future) in futures.iter().enumerate() {
        if !future.watch(id, index, &tx) {
            ready.push_back(index);
        }
    }
    AsCompleted {
        remaining: futures.len(),
        futures,
        ready,
        rx,
        id,
        deadline,
        timed_out: false,
    }
}

/// The iterator of [`as_completed`]: yields each future once it is done, or a
/// [`Timeout`](super::FutureErrorKind::Timeout) error once the deadline passes.
///
/// ```
/// use tripod::futures::{as_completed, Promise};
///
/// let (slow, fast) = (Promise::<&str>::new(), Promise::new());
/// let futures = [slow.future(), fast.future()];
/// let mut completed = as_completed(&futures, None);
/// fast.set_result("fast");
/// assert_eq!(completed.next().unwrap().unwrap().result(), Ok("fast"));
/// slow.set_result("slow");
/// assert_eq!(completed.next().unwrap().unwrap().result(), Ok("slow"));
/// assert!(completed.next().is_none());
/// ```
pub struct AsCompleted<T> {
    futures: Vec<Future<T>>,
    /// Indexes of futures done at the start, yielded first.
    ready: VecDeque<usize>,
    rx: Receiver<usize>,
    remaining: usize,
    id: u64,
    deadline: Option<Instant>,
    timed_out: bool,
}

impl<T> Iterator for AsCompleted<T> {
    type Item = Result<Future<T>, FutureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 || self.timed_out {
            return None;
        }
        let index = match self.ready.pop_front() {
            Some(index) => index,
            None => match recv(&self.rx, self.deadline) {
                Some(index) => index,
                None => {
                    self.timed_out = true;
                    return Some(Err(FutureError::timeout()));
                }
            },
        };
        self.remaining -= 1;
        Some(Ok(self.futures[index].clone()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.timed_out {
            (0, Some(0))
        } else if self.deadline.is_some() {
            (self.remaining.min(1), Some(self.remaining))
        } else {
            (self.remaining, Some(self.remaining))
        }
    }
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        if self.remaining > 0 {
            for future in &self.futures {
                future.unwatch(self.id);
            }
        }
    }
}

impl<T> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .field("deadline", &self.deadline)
            .field("timed_out", &self.timed_out)
            .finish()
    }
}
