//! Sleeping on a shared `AtomicU32` until another process (or thread) changes it.
//!
//! Process-shared futexes (no `FUTEX_PRIVATE_FLAG`): the kernel keys them by the physical
//! page, so two processes mapping the same [`Segment`](super::Segment) at different
//! addresses meet on the same word. Callers follow the usual protocol: read the word,
//! check the condition, [`wait`] with the value read, re-check on return (wake-ups may be
//! spurious); the waker changes the word first, then calls [`wake`].

use std::sync::atomic::AtomicU32;
use std::time::Instant;

use rustix::io::Errno;
use rustix::thread::futex::{self, Flags, Timespec};

/// Sleeps while `*word == expected`, until woken, or until `deadline`.
///
/// Returns `false` only when the deadline passed; `true` otherwise (woken, the value
/// already differed, a signal, or spuriously: the caller re-checks its condition).
pub(crate) fn wait(word: &AtomicU32, expected: u32, deadline: Option<Instant>) -> bool {
    let timeout = match deadline {
        None => None,
        Some(deadline) => {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            Some(Timespec {
                tv_sec: left.as_secs().try_into().unwrap_or(i64::MAX),
                tv_nsec: left.subsec_nanos().into(),
            })
        }
    };
    match futex::wait(word, Flags::empty(), expected, timeout.as_ref()) {
        Err(Errno::TIMEDOUT) => false,
        // Woken, the value differed (EAGAIN), or a signal (EINTR): the caller re-checks.
        _ => true,
    }
}

/// Wakes up to `n` sleepers on `word`; returns how many were woken.
pub(crate) fn wake(word: &AtomicU32, n: u32) -> usize {
    futex::wake(word, Flags::empty(), n.min(i32::MAX as u32)).unwrap_or(0)
}

/// Wakes every sleeper on `word`; returns how many were woken.
pub(crate) fn wake_all(word: &AtomicU32) -> usize {
    wake(word, i32::MAX as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    use std::time::Duration;

    #[test]
    fn wait_returns_at_once_when_the_value_differs_and_times_out_otherwise() {
        let word = AtomicU32::new(1);
        assert!(wait(&word, 0, None));
        let start = Instant::now();
        assert!(!wait(&word, 1, Some(start + Duration::from_millis(20))));
        assert!(start.elapsed() >= Duration::from_millis(20));
        assert!(!wait(&word, 1, Some(start)));
    }

    #[test]
    fn a_waker_wakes_a_sleeper() {
        let word = Arc::new(AtomicU32::new(0));
        let sleeper = {
            let word = Arc::clone(&word);
            std::thread::spawn(move || {
                while word.load(Ordering::Acquire) == 0 {
                    wait(&word, 0, None);
                }
            })
        };
        word.store(1, Ordering::Release);
        wake_all(&word);
        sleeper.join().unwrap();
    }
}
