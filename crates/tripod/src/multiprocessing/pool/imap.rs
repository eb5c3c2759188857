//! [`IMap`]: the lazy results of [`Pool::imap`](super::Pool::imap) and
//! [`Pool::imap_unordered`](super::Pool::imap_unordered).
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::engine::{Chunk, Engine};
use super::error::PoolError;
use super::job::Job;
use super::progress::{Progress, Reporter};
use super::protocol::{Outcomes, RunWriter};
use crate::wire;

/// Chunks taken from the input ahead of the results, per worker (plus one): enough to
/// keep each worker busy, few enough to keep an endless input's memory bounded.
const AHEAD_PER_WORKER: usize = 2;

/// The input: each call appends the next item's arguments to a chunk (or fails to
/// encode them); `None` when the input ends.
pub(crate) type Input<'a> = Box<dyn FnMut(&mut RunWriter) -> Option<Result<(), PoolError>> + 'a>;

/// Results of an `imap`: Python's `IMapIterator` / `IMapUnorderedIterator`.
///
/// It is lazy: it takes items from the input only as results are taken, keeping a bounded
/// number of chunks ahead (enough to keep every worker busy), so an endless input runs in
/// bounded memory. [`Pool::imap`](super::Pool::imap) yields results in input order,
/// [`Pool::imap_unordered`](super::Pool::imap_unordered) as they complete. Each item
/// yields its own `Result`: one failed item does not end the iteration.
///
/// The input is read in the thread that takes the results, so it need not be `Send`
/// (nor, therefore, is `IMap`).
///
/// Dropping it stops taking input; chunks already sent still run, their results are
/// dropped. After the pool is [closed](super::Pool::close), an `IMap` made before goes on
/// until [`join`](super::Pool::join); items it could not submit then yield
/// [`NotRunning`](super::PoolErrorKind::NotRunning).
///
/// ```
/// use tripod::multiprocessing::Pool;
///
/// fn square(x: u64) -> u64 { x * x }
/// tripod::task!(square);
///
/// let pool = Pool::new(2).unwrap();
/// // An endless input: only what is taken is computed (and a little ahead).
/// let first: Vec<u64> = pool.imap(square, 0.., 4).unwrap().take(5).map(Result::unwrap).collect();
/// assert_eq!(first, [0, 1, 4, 9, 16]);
/// ```
pub struct IMap<'a, R> {
    engine: Arc<Engine>,
    task: &'static str,
    input: Option<Input<'a>>,
    chunksize: usize,
    timeout: Option<Duration>,
    shared: Arc<Shared<R>>,
    submitted: usize,
    yielded: usize,
    /// Items submitted ahead of the consumer, at most.
    ahead: usize,
    feeder: bool,
    /// The input's length, if its size hint is exact.
    total: Option<usize>,
    progress: Reporter,
}

struct Shared<R> {
    state: Mutex<State<R>>,
    ready: Condvar,
}

struct State<R> {
    ordered: bool,
    /// Ordered: by index. Unordered: in completion order, under key 0, 1, 2...
    by_index: BTreeMap<usize, Result<R, PoolError>>,
    arrived: VecDeque<Result<R, PoolError>>,
}

impl<R> Shared<R> {
    fn put(&self, index: usize, result: Result<R, PoolError>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.ordered {
            state.by_index.insert(index, result);
        } else {
            state.arrived.push_back(result);
        }
    }

    fn notify(&self) {
        self.ready.notify_all();
    }
}

impl<R: DeserializeOwned + Send + 'static> Job for Shared<R> {
    fn chunk_done(&self, offset: usize, mut outcomes: Outcomes<'_>) {
        let mut i = 0;
        while let Some(result) = outcomes.next_item() {
            self.put(offset + i, result);
            i += 1;
        }
        self.notify();
    }

    fn chunk_failed(&self, offset: usize, len: usize, error: PoolError) {
        for i in 0..len {
            self.put(offset + i, Err(error.clone()));
        }
        self.notify();
    }
}

impl<'a, R: DeserializeOwned + Send + 'static> IMap<'a, R> {
    pub(crate) fn new(
        engine: Arc<Engine>,
        task: &'static str,
        input: Input<'a>,
        total: Option<usize>,
        chunksize: usize,
        ordered: bool,
        timeout: Option<Duration>,
    ) -> Result<Self, PoolError> {
        if !engine.add_feeder() {
            engine.check_running()?;
            return Err(PoolError::not_running());
        }
        let ahead = chunksize * (engine.processes() * AHEAD_PER_WORKER + 1);
        Ok(IMap {
            engine,
            task,
            input: Some(input),
            chunksize,
            timeout,
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    ordered,
                    by_index: BTreeMap::new(),
                    arrived: VecDeque::new(),
                }),
                ready: Condvar::new(),
            }),
            submitted: 0,
            yielded: 0,
            ahead,
            feeder: true,
            total,
            progress: Reporter::default(),
        })
    }

    /// Takes input and submits chunks until `ahead` items are in flight or the input ends.
    fn top_up(&mut self) {
        while self.submitted - self.yielded < self.ahead {
            let Some(input) = self.input.as_mut() else {
                return;
            };
            let offset = self.submitted;
            let mut writer = RunWriter::new(self.engine.next_chunk_id(), self.task, 0);
            let mut failed = None;
            let mut ended = false;
            let chunksize = self.chunksize;
            // One descriptor scope per chunk (an argument holding one is refused).
            wire::fds::collect(|| {
                while writer.len() < chunksize {
                    match input(&mut writer) {
                        Some(Ok(())) => {}
                        // An item that cannot be encoded fails alone, in its place; the
                        // chunk ends before it so that indices stay contiguous.
                        Some(Err(error)) => {
                            failed = Some(error);
                            break;
                        }
                        None => {
                            ended = true;
                            break;
                        }
                    }
                }
            });
            let len = writer.len();
            if len > 0 {
                let (id, message) = writer.finish();
                let chunk = Chunk {
                    id,
                    message: Arc::new(message),
                    len,
                    offset,
                    job: Arc::clone(&self.shared) as Arc<dyn Job>,
                    retries: 0,
                    cancelled: false,
                    timeout: self.timeout,
                };
                if let Err(error) = self.engine.submit(vec![chunk], true) {
                    for i in 0..len {
                        self.shared.put(offset + i, Err(error.clone()));
                    }
                    // The pool takes no more work: stop taking input.
                    ended = true;
                }
            }
            self.submitted = offset + len;
            if let Some(error) = failed {
                self.shared.put(self.submitted, Err(error));
                self.submitted += 1;
            }
            if ended {
                self.input = None;
                self.release();
            }
        }
    }
}

impl<R> IMap<'_, R> {
    /// Calls `progress` with a [`Progress`] each time a result is taken (the total is
    /// known when the input's size is: a range, a `Vec`...), for programs that draw their
    /// own progress.
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, Progress};
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let results = pool.imap(square, 0..3, None).unwrap().progress(move |p: Progress| {
    ///     tx.send((p.done(), p.total())).unwrap();
    /// });
    /// assert_eq!(results.count(), 3);
    /// assert_eq!(rx.try_iter().collect::<Vec<_>>(), [(1, Some(3)), (2, Some(3)), (3, Some(3))]);
    /// ```
    pub fn progress(mut self, progress: impl FnMut(Progress) + Send + 'static) -> Self {
        self.progress.set_callback(Box::new(progress));
        self.progress.begin(self.total);
        self
    }

    /// Draws a progress bar on stderr as results are taken (with rate, and time left when
    /// the input's size is known); nothing is drawn when stderr is not a terminal. Needs
    /// the `progress` feature (on by default).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let sum: u64 = pool.imap_unordered(square, 0..100, 10).unwrap().progress_bar().map(Result::unwrap).sum();
    /// assert_eq!(sum, 328_350);
    /// ```
    #[cfg(feature = "progress")]
    pub fn progress_bar(mut self) -> Self {
        self.progress.want_bar();
        self.progress.begin(self.total);
        self
    }

    fn release(&mut self) {
        if self.feeder {
            self.feeder = false;
            self.engine.remove_feeder();
        }
    }
}

impl<R: DeserializeOwned + Send + 'static> Iterator for IMap<'_, R> {
    type Item = Result<R, PoolError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.top_up();
        if self.yielded == self.submitted && self.input.is_none() {
            self.progress.finish();
            return None;
        }
        let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let next = if state.ordered {
                state.by_index.remove(&self.yielded)
            } else {
                state.arrived.pop_front()
            };
            if let Some(result) = next {
                drop(state);
                self.yielded += 1;
                if self.progress.is_active() {
                    self.progress.advance(1);
                }
                return Some(result);
            }
            // Every submitted chunk completes (with values or errors): this wait ends.
            state = self
                .shared
                .ready
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl<R> Drop for IMap<'_, R> {
    fn drop(&mut self) {
        self.release();
    }
}

impl<R> fmt::Debug for IMap<'_, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IMap")
            .field("task", &self.task)
            .field("chunksize", &self.chunksize)
            .field("submitted", &self.submitted)
            .field("yielded", &self.yielded)
            .finish_non_exhaustive()
    }
}
