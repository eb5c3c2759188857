//! `Barrier`: Python 3.11's `asyncio.Barrier`.
#![forbid(unsafe_code)]

use std::fmt;

use event_listener::Event;
use parking_lot::Mutex;

pub use crate::threading::BrokenBarrierError;

struct State {
    count: usize,
    generation: u64,
    resets: u64,
    broken: bool,
}

/// Makes `parties` tasks wait for each other: Python's `asyncio.Barrier`.
///
/// Each [`wait`](Barrier::wait) blocks until `parties` tasks are waiting, then all go on,
/// and the barrier is ready for the next round. [`abort`](Barrier::abort) breaks it;
/// [`reset`](Barrier::reset) makes the current waiters fail and starts afresh.
///
/// ```
/// use std::sync::Arc;
/// use tripod::asyncio::{self, Barrier};
///
/// asyncio::run(async {
///     let barrier = Arc::new(Barrier::new(3));
///     let tasks: Vec<_> = (0..3).map(|_| {
///         let barrier = Arc::clone(&barrier);
///         asyncio::create_task(async move { barrier.wait().await.unwrap() })
///     }).collect();
///     let mut indexes = asyncio::gather(tasks).await.unwrap();
///     indexes.sort();
///     assert_eq!(indexes, [0, 1, 2]);
/// });
/// ```
pub struct Barrier {
    parties: usize,
    state: Mutex<State>,
    event: Event,
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    ///
    /// If `parties` is 0 (Python: `ValueError`).
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::Barrier::new(2).parties(), 2);
    /// ```
    pub fn new(parties: usize) -> Self {
        assert!(parties > 0, "a barrier needs at least one party");
        Barrier {
            parties,
            state: Mutex::new(State {
                count: 0,
                generation: 0,
                resets: 0,
                broken: false,
            }),
            event: Event::new(),
        }
    }

    /// Waits until `parties` tasks wait, and returns this task's arrival index (0 to
    /// `parties - 1`): Python's `await barrier.wait()`.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] if the barrier is broken, or is aborted or reset while waiting.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a waiter dropped before the barrier trips withdraws its arrival, so
    /// the round still needs `parties` tasks.
    ///
    /// ```
    /// use tripod::asyncio::{self, Barrier};
    ///
    /// asyncio::run(async {
    ///     let barrier = Barrier::new(1);
    ///     assert_eq!(barrier.wait().await, Ok(0));
    /// });
    /// ```
    pub async fn wait(&self) -> Result<usize, BrokenBarrierError> {
        let (index, generation, resets) = {
            let mut state = self.state.lock();
            if state.broken {
                return Err(BrokenBarrierError);
            }
            let index = state.count;
            state.count += 1;
            if state.count == self.parties {
                state.count = 0;
                state.generation += 1;
                drop(state);
                self.event.notify(usize::MAX);
                return Ok(index);
            }
            (index, state.generation, state.resets)
        };
        let mut arrival = Arrival {
            barrier: self,
            generation,
            resets,
            left: false,
        };
        loop {
            let listener = self.event.listen();
            {
                let state = self.state.lock();
                if state.resets != resets || state.broken {
                    arrival.left = true;
                    return Err(BrokenBarrierError);
                }
                if state.generation != generation {
                    arrival.left = true;
                    return Ok(index);
                }
            }
            listener.await;
        }
    }

    /// The number of tasks needed to pass: Python's `barrier.parties`.
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::Barrier::new(4).parties(), 4);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of tasks waiting now: Python's `barrier.n_waiting`.
    ///
    /// ```
    /// assert_eq!(tripod::asyncio::Barrier::new(4).n_waiting(), 0);
    /// ```
    pub fn n_waiting(&self) -> usize {
        self.state.lock().count
    }

    /// Whether the barrier is broken: Python's `barrier.broken`.
    ///
    /// ```
    /// let barrier = tripod::asyncio::Barrier::new(2);
    /// barrier.abort();
    /// assert!(barrier.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.state.lock().broken
    }

    /// Breaks the barrier: current and future waiters get [`BrokenBarrierError`] until a
    /// [`reset`](Barrier::reset): Python's `await barrier.abort()`.
    ///
    /// ```
    /// use tripod::asyncio::{self, Barrier, BrokenBarrierError};
    ///
    /// asyncio::run(async {
    ///     let barrier = Barrier::new(2);
    ///     barrier.abort();
    ///     assert_eq!(barrier.wait().await, Err(BrokenBarrierError));
    /// });
    /// ```
    pub fn abort(&self) {
        self.state.lock().broken = true;
        self.event.notify(usize::MAX);
    }

    /// Returns the barrier to its empty, unbroken state; current waiters get
    /// [`BrokenBarrierError`]: Python's `await barrier.reset()`.
    ///
    /// ```
    /// use tripod::asyncio::{self, Barrier};
    ///
    /// asyncio::run(async {
    ///     let barrier = Barrier::new(1);
    ///     barrier.abort();
    ///     barrier.reset();
    ///     assert_eq!(barrier.wait().await, Ok(0));
    /// });
    /// ```
    pub fn reset(&self) {
        {
            let mut state = self.state.lock();
            state.broken = false;
            state.count = 0;
            state.resets += 1;
        }
        self.event.notify(usize::MAX);
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &self.n_waiting())
            .field("broken", &self.is_broken())
            .finish()
    }
}

/// Withdraws an arrival whose waiter was dropped before the barrier tripped.
struct Arrival<'a> {
    barrier: &'a Barrier,
    generation: u64,
    resets: u64,
    left: bool,
}

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        if self.left {
            return;
        }
        let mut state = self.barrier.state.lock();
        if state.generation == self.generation && state.resets == self.resets && state.count > 0 {
            state.count -= 1;
        }
    }
}
