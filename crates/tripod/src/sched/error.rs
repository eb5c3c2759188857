//! The error of [`Scheduler::cancel`](super::Scheduler::cancel).

use std::fmt;

use super::EventId;

/// The event given to [`Scheduler::cancel`](super::Scheduler::cancel) is not in the queue:
/// it has already run, was cancelled before, or belongs to another scheduler (Python raises
/// `ValueError`).
///
/// ```
/// use std::time::Duration;
/// use tripod::sched::Scheduler;
///
/// let s = Scheduler::new();
/// let id = s.enter(Duration::from_secs(60), 0, || {});
/// s.cancel(id).unwrap();
/// let err = s.cancel(id).unwrap_err();
/// assert_eq!(err.id(), id);
/// assert_eq!(err.to_string(), "event not in the scheduler's queue");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CancelError {
    pub(super) id: EventId,
}

impl CancelError {
    /// The event that could not be cancelled.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::sched::Scheduler;
    ///
    /// let s = Scheduler::new();
    /// let id = s.enter(Duration::ZERO, 0, || {});
    /// s.run();
    /// assert_eq!(s.cancel(id).unwrap_err().id(), id);
    /// ```
    pub fn id(&self) -> EventId {
        self.id
    }
}

impl fmt::Debug for CancelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CancelError").field("id", &self.id).finish()
    }
}

impl fmt::Display for CancelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("event not in the scheduler's queue")
    }
}

impl std::error::Error for CancelError {}
