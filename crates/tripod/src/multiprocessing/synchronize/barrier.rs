//! [`Barrier`]: Python's `multiprocessing.Barrier`, a meeting point for a fixed number of
//! processes.
//!
//! The state (arrivals, generation, broken flag) lives under a robust mutex in the cell;
//! waiters sleep on a sequence word bumped by every change they must see. Unlike
//! `threading::Barrier` (and CPython), a trip does not wait for the released parties to
//! leave before the next cycle begins: it moves the *generation* on, and a waiter of an
//! older generation knows it passed. That way a process killed inside `wait` cannot hold
//! up the next cycles; it only counts as arrived. A reset also moves the generation on,
//! marking the old one as failed (one bit per generation, for the last 64).
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::{Handle, deadline_after};
use crate::shm::sync_cells::BarrierCell;
use crate::shm::{Locked, futex};
use crate::threading::BrokenBarrierError;

/// A barrier for a fixed number of parties (threads of any process): Python's
/// `multiprocessing.Barrier`.
///
/// Each of `parties` callers of [`wait`](Barrier::wait) blocks until the last one arrives,
/// then all continue, each with its arrival index (`0` for the first). The barrier can be
/// used again and again. It *breaks* when a waiter times out, on [`abort`](Barrier::abort),
/// or when a process died inside one of the barrier's short critical sections: every
/// waiter then gets [`BrokenBarrierError`], as does every later arrival until
/// [`reset`](Barrier::reset).
///
/// There is no `action` (Python's `action=` callable run by the last arrival): a closure
/// cannot travel to other processes, and the last arrival may be any of them. Run the
/// action after `wait` in the process whose index is `parties - 1` (or `0`) instead.
///
/// A process killed while waiting still counts as arrived for that cycle: the others pass
/// when the remaining parties arrive (or time out, if they wait with a timeout).
///
/// `Clone` gives another handle to the same barrier, and a barrier can be an argument of a
/// child process.
///
/// ```
/// use tripod::multiprocessing::{Barrier, Process};
///
/// fn meet(barrier: Barrier) -> usize {
///     barrier.wait().unwrap()
/// }
/// tripod::task!(meet);
///
/// let barrier = Barrier::new(3).unwrap();
/// let children: Vec<_> = (0..2)
///     .map(|_| Process::new(meet, (barrier.clone(),)).start().unwrap())
///     .collect();
/// let mut indexes = vec![barrier.wait().unwrap()];
/// indexes.extend(children.into_iter().map(|c| c.join().unwrap()));
/// indexes.sort();
/// assert_eq!(indexes, [0, 1, 2]);
/// ```
#[derive(Clone, Serialize, Deserialize)]
pub struct Barrier {
    handle: Handle<BarrierCell>,
}

/// What the barrier's own lock is held as; released on drop.
struct State<'a> {
    cell: &'a BarrierCell,
}

impl Drop for State<'_> {
    fn drop(&mut self) {
        self.cell.mutex.unlock();
    }
}

impl State<'_> {
    /// Moves the sequence on and wakes every sleeper (after the change they must see).
    fn wake_all(&self) {
        self.cell.seq.fetch_add(1, SeqCst);
        futex::wake_all(&self.cell.seq);
    }

    fn break_barrier(&self) {
        self.cell.broken.store(1, Relaxed);
        self.wake_all();
    }

    /// Ends the current generation; `reset` says whether its waiters fail.
    fn next_generation(&self, reset: bool) {
        let cell = self.cell;
        let generation = cell.generation.load(Relaxed);
        let bit = 1u64 << (generation % 64);
        if reset {
            cell.reset_bits.fetch_or(bit, Relaxed);
        } else {
            cell.reset_bits.fetch_and(!bit, Relaxed);
        }
        cell.generation.store(generation.wrapping_add(1), Relaxed);
        cell.count.store(0, Relaxed);
        self.wake_all();
    }
}

impl Barrier {
    /// Creates a barrier for `parties` callers of `wait`, in a new shared-memory segment
    /// (Python's `Barrier(parties)`).
    ///
    /// # Errors
    ///
    /// `InvalidInput` if `parties` is zero (Python's `ValueError`) or above `u32::MAX`;
    /// otherwise if the shared memory cannot be created.
    ///
    /// ```
    /// use tripod::multiprocessing::Barrier;
    ///
    /// let barrier = Barrier::new(1).unwrap();
    /// assert_eq!(barrier.wait(), Ok(0)); // one party: never blocks
    /// assert!(Barrier::new(0).is_err());
    /// ```
    pub fn new(parties: usize) -> io::Result<Barrier> {
        let parties = u32::try_from(parties)
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a barrier needs between 1 and u32::MAX parties",
                )
            })?;
        let handle = Handle::<BarrierCell>::create("barrier")?;
        handle.get().parties.store(parties, Relaxed);
        Ok(Barrier { handle })
    }

    fn cell(&self) -> &BarrierCell {
        self.handle.get()
    }

    /// Takes the barrier's lock. A holder that died may have left the state half-changed:
    /// the barrier is broken then (`reset` repairs it).
    fn lock(&self) -> State<'_> {
        let cell = self.cell();
        let state = State { cell };
        if cell.mutex.lock(None).expect("a lock without deadline") == Locked::OwnerDied {
            state.break_barrier();
        }
        state
    }

    /// Waits until all parties have arrived, then returns this caller's arrival index,
    /// `0..parties` (Python's `barrier.wait()`).
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] if the barrier is broken or breaks while waiting
    /// ([`abort`](Barrier::abort), [`reset`](Barrier::reset), another waiter's timeout).
    ///
    /// ```
    /// use tripod::multiprocessing::Barrier;
    ///
    /// let barrier = Barrier::new(2).unwrap();
    /// std::thread::scope(|s| {
    ///     let other = s.spawn(|| barrier.wait().unwrap());
    ///     let mine = barrier.wait().unwrap();
    ///     assert_eq!(mine + other.join().unwrap(), 1); // indexes 0 and 1
    /// });
    /// ```
    pub fn wait(&self) -> Result<usize, BrokenBarrierError> {
        self.wait_until(None)
    }

    /// Like [`wait`](Barrier::wait), giving up after `timeout` (Python's
    /// `barrier.wait(timeout)`). Timing out breaks the barrier, for everyone.
    ///
    /// # Errors
    ///
    /// As for [`wait`](Barrier::wait), and on timeout.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Barrier;
    /// use tripod::threading::BrokenBarrierError;
    ///
    /// let barrier = Barrier::new(2).unwrap();
    /// assert_eq!(barrier.wait_timeout(Duration::from_millis(5)), Err(BrokenBarrierError));
    /// assert!(barrier.is_broken());
    /// ```
    pub fn wait_timeout(&self, timeout: Duration) -> Result<usize, BrokenBarrierError> {
        self.wait_until(deadline_after(timeout))
    }

    /// Like [`wait`](Barrier::wait), giving up (and breaking the barrier) at `deadline`.
    ///
    /// # Errors
    ///
    /// As for [`wait_timeout`](Barrier::wait_timeout).
    ///
    /// ```
    /// use std::time::Instant;
    /// use tripod::multiprocessing::Barrier;
    ///
    /// let barrier = Barrier::new(1).unwrap();
    /// assert_eq!(barrier.wait_deadline(Instant::now()), Ok(0));
    /// ```
    pub fn wait_deadline(&self, deadline: Instant) -> Result<usize, BrokenBarrierError> {
        self.wait_until(Some(deadline))
    }

    fn wait_until(&self, deadline: Option<Instant>) -> Result<usize, BrokenBarrierError> {
        let cell = self.cell();
        let mut state = self.lock();
        if cell.broken.load(Relaxed) != 0 {
            return Err(BrokenBarrierError);
        }
        let index = cell.count.load(Relaxed);
        if index + 1 >= cell.parties.load(Relaxed) {
            // Last to arrive: trip.
            state.next_generation(false);
            return Ok(index as usize);
        }
        cell.count.store(index + 1, Relaxed);
        let generation = cell.generation.load(Relaxed);
        loop {
            let seq = cell.seq.load(SeqCst);
            drop(state);
            let in_time = futex::wait(&cell.seq, seq, deadline);
            state = self.lock();
            if cell.generation.load(Relaxed) != generation {
                // Our generation ended: by a trip (we pass) or a reset (we fail).
                let reset = cell.reset_bits.load(Relaxed) & (1 << (generation % 64)) != 0;
                return if reset {
                    Err(BrokenBarrierError)
                } else {
                    Ok(index as usize)
                };
            }
            if cell.broken.load(Relaxed) != 0 {
                cell.count.fetch_sub(1, Relaxed);
                return Err(BrokenBarrierError);
            }
            if !in_time {
                cell.count.fetch_sub(1, Relaxed);
                state.break_barrier();
                return Err(BrokenBarrierError);
            }
        }
    }

    /// Returns the barrier to its initial, empty state (Python's `barrier.reset()`).
    /// Parties waiting on it get [`BrokenBarrierError`]; a broken barrier is repaired.
    ///
    /// ```
    /// use tripod::multiprocessing::Barrier;
    ///
    /// let barrier = Barrier::new(1).unwrap();
    /// barrier.abort();
    /// assert!(barrier.wait().is_err());
    /// barrier.reset();
    /// assert!(!barrier.is_broken());
    /// assert_eq!(barrier.wait(), Ok(0));
    /// ```
    pub fn reset(&self) {
        let cell = self.cell();
        let state = self.lock();
        cell.broken.store(0, Relaxed);
        if cell.count.load(Relaxed) > 0 {
            state.next_generation(true);
        } else {
            state.wake_all();
        }
    }

    /// Breaks the barrier (Python's `barrier.abort()`): parties waiting now and arriving
    /// later get [`BrokenBarrierError`] until [`reset`](Barrier::reset). Useful when one
    /// party cannot come, so the others do not wait forever.
    ///
    /// ```
    /// use tripod::multiprocessing::Barrier;
    ///
    /// let barrier = Barrier::new(3).unwrap();
    /// barrier.abort();
    /// assert!(barrier.is_broken());
    /// assert!(barrier.wait().is_err());
    /// ```
    pub fn abort(&self) {
        self.lock().break_barrier();
    }

    /// The number of parties the barrier waits for (Python's `barrier.parties`).
    ///
    /// ```
    /// use tripod::multiprocessing::Barrier;
    ///
    /// assert_eq!(Barrier::new(3).unwrap().parties(), 3);
    /// ```
    pub fn parties(&self) -> usize {
        self.cell().parties.load(Relaxed) as usize
    }

    /// The number of parties waiting in the current cycle (Python's `barrier.n_waiting`);
    /// `0` while the barrier is broken.
    ///
    /// ```
    /// use tripod::multiprocessing::Barrier;
    ///
    /// let barrier = Barrier::new(2).unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| barrier.wait());
    ///     while barrier.n_waiting() < 1 {
    ///         std::thread::yield_now();
    ///     }
    ///     assert_eq!(barrier.n_waiting(), 1);
    ///     barrier.wait().unwrap();
    /// });
    /// ```
    pub fn n_waiting(&self) -> usize {
        let cell = self.cell();
        let _state = self.lock();
        if cell.broken.load(Relaxed) != 0 {
            0
        } else {
            cell.count.load(Relaxed) as usize
        }
    }

    /// Whether the barrier is broken (Python's `barrier.broken`).
    ///
    /// ```
    /// use tripod::multiprocessing::Barrier;
    ///
    /// let barrier = Barrier::new(2).unwrap();
    /// assert!(!barrier.is_broken());
    /// barrier.abort();
    /// assert!(barrier.is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.cell().broken.load(SeqCst) != 0
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties())
            .field("n_waiting", &self.n_waiting())
            .field("broken", &self.is_broken())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for_waiting(barrier: &Barrier, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while barrier.n_waiting() < n {
            assert!(Instant::now() < deadline, "the parties never arrived");
            std::thread::yield_now();
        }
    }

    #[test]
    fn cycles_repeat_and_indexes_cover_the_parties() {
        let barrier = Barrier::new(3).unwrap();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..3)
                .map(|_| {
                    let barrier = barrier.clone();
                    s.spawn(move || {
                        (0..100)
                            .map(|_| barrier.wait().unwrap())
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let all: Vec<Vec<usize>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            for round in 0..100 {
                let mut indexes: Vec<usize> = all.iter().map(|v| v[round]).collect();
                indexes.sort();
                assert_eq!(indexes, [0, 1, 2]);
            }
        });
        assert_eq!(barrier.n_waiting(), 0);
    }

    #[test]
    fn reset_fails_the_waiters_and_reopens() {
        let barrier = Barrier::new(3).unwrap();
        std::thread::scope(|s| {
            let waiters: Vec<_> = (0..2).map(|_| s.spawn(|| barrier.wait())).collect();
            wait_for_waiting(&barrier, 2);
            barrier.reset();
            for w in waiters {
                assert_eq!(w.join().unwrap(), Err(BrokenBarrierError));
            }
        });
        assert!(!barrier.is_broken());
        assert_eq!(barrier.n_waiting(), 0);
        std::thread::scope(|s| {
            let a = s.spawn(|| barrier.wait());
            let b = s.spawn(|| barrier.wait());
            let c = barrier.wait().unwrap();
            let mut all = vec![a.join().unwrap().unwrap(), b.join().unwrap().unwrap(), c];
            all.sort();
            assert_eq!(all, [0, 1, 2]);
        });
    }

    #[test]
    fn a_timeout_breaks_it_for_the_other_waiters() {
        let barrier = Barrier::new(3).unwrap();
        std::thread::scope(|s| {
            let patient = s.spawn(|| barrier.wait_timeout(Duration::from_secs(10)));
            wait_for_waiting(&barrier, 1);
            assert_eq!(
                barrier.wait_timeout(Duration::from_millis(10)),
                Err(BrokenBarrierError)
            );
            assert_eq!(patient.join().unwrap(), Err(BrokenBarrierError));
        });
        assert!(barrier.is_broken());
        assert!(format!("{barrier:?}").contains("broken: true"));
        barrier.reset();
        assert_eq!(barrier.n_waiting(), 0);
    }

    #[test]
    fn a_holder_dying_in_the_lock_breaks_it() {
        let barrier = Barrier::new(2).unwrap();
        std::thread::scope(|s| {
            s.spawn(|| std::mem::forget(barrier.lock())).join().unwrap();
        });
        assert_eq!(barrier.wait(), Err(BrokenBarrierError));
        barrier.reset();
        assert!(!barrier.is_broken());
    }
}
