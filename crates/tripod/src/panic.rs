//! The typed form of a panic caught on another thread, shared by every module that runs
//! user code on a thread of its own (threads, executors, timers, schedulers).
#![forbid(unsafe_code)]

use std::any::Any;
use std::fmt;

/// A panic caught while running user code, carried to whoever waits for the result.
///
/// tripod never lets a panic in a target, a task or a callback take down the thread that
/// ran it silently: the panic is caught, its message kept, and handed to the joiner (for a
/// [`Thread`](crate::threading::Thread)) or to the waiter (for a
/// [`Future`](crate::futures::Future)) as this error.
///
/// ```
/// use tripod::PanicError;
///
/// let caught = std::panic::catch_unwind(|| panic!("boom")).unwrap_err();
/// let err = PanicError::from_payload(caught);
/// assert_eq!(err.message(), "boom");
/// assert_eq!(err.to_string(), "panicked: boom");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PanicError {
    message: String,
}

impl PanicError {
    /// Builds the error from the payload that [`std::panic::catch_unwind`] returned.
    ///
    /// A `&str` or `String` payload (what `panic!` produces) becomes the message; any other
    /// payload is described as such.
    ///
    /// ```
    /// use tripod::PanicError;
    ///
    /// let caught = std::panic::catch_unwind(|| std::panic::panic_any(42u8)).unwrap_err();
    /// assert_eq!(PanicError::from_payload(caught).message(), "Box<dyn Any> (non-string panic payload)");
    /// ```
    pub fn from_payload(payload: Box<dyn Any + Send>) -> Self {
        let message = match payload.downcast::<String>() {
            Ok(s) => *s,
            Err(payload) => match payload.downcast::<&'static str>() {
                Ok(s) => (*s).to_owned(),
                Err(_) => "Box<dyn Any> (non-string panic payload)".to_owned(),
            },
        };
        PanicError { message }
    }

    /// Builds the error from a message, for code that reports a panic it did not catch
    /// itself (for example, one that happened in another process).
    ///
    /// ```
    /// use tripod::PanicError;
    ///
    /// assert_eq!(PanicError::new("lost").message(), "lost");
    /// ```
    pub fn new(message: impl Into<String>) -> Self {
        PanicError {
            message: message.into(),
        }
    }

    /// The panic message.
    ///
    /// ```
    /// use tripod::PanicError;
    ///
    /// assert_eq!(PanicError::new("index out of bounds").message(), "index out of bounds");
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Debug for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PanicError")
            .field("message", &self.message)
            .finish()
    }
}

impl fmt::Display for PanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panicked: {}", self.message)
    }
}

impl std::error::Error for PanicError {}
