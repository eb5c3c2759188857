//! [`ProcessError`]: why a child process could not start, or did not return a value.
#![forbid(unsafe_code)]

use std::error::Error;
use std::fmt;

use crate::PanicError;

/// What kind of [`ProcessError`] happened.
///
/// ```
/// use tripod::multiprocessing::ProcessErrorKind;
///
/// assert_ne!(ProcessErrorKind::Panicked, ProcessErrorKind::Died);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProcessErrorKind {
    /// The target was not registered with [`tripod::task!`](crate::task); no child was
    /// started.
    NotRegistered,
    /// The operating system could not start the child (see `source()`).
    Start,
    /// The arguments could not be encoded; no child was started.
    Encode,
    /// A value could not be decoded: the child could not decode its arguments, or the
    /// parent could not decode the child's result, or the child could not encode it.
    Decode,
    /// The child does not know the task (a different program or version).
    UnknownTask,
    /// The task panicked in the child; [`ProcessError::panic`] has the message.
    Panicked,
    /// The child ended without reporting a result: killed by a signal, or it exited
    /// (for example with `std::process::exit`) before its task returned.
    /// [`ProcessError::exitcode`] says how; it is `None` when the exit status cannot be
    /// known (a `ForkServer` child whose server was killed before reporting it).
    Died,
    /// Parent and child disagreed on the conversation between them.
    Protocol,
    /// [`close`](super::ProcessHandle::close) was called on a process still running.
    StillRunning,
}

/// Why a child process could not start, or did not return a value.
///
/// ```
/// use tripod::multiprocessing::{Process, ProcessErrorKind};
///
/// fn not_a_task() {}
///
/// let err = Process::new(not_a_task, ()).start().unwrap_err();
/// assert_eq!(err.kind(), ProcessErrorKind::NotRegistered);
/// assert!(err.to_string().contains("tripod::task!"), "{err}");
/// ```
pub struct ProcessError {
    kind: ProcessErrorKind,
    message: String,
    panic: Option<PanicError>,
    exitcode: Option<i32>,
    source: Option<Box<dyn Error + Send + Sync>>,
}

impl ProcessError {
    pub(crate) fn new(kind: ProcessErrorKind, message: impl Into<String>) -> Self {
        ProcessError {
            kind,
            message: message.into(),
            panic: None,
            exitcode: None,
            source: None,
        }
    }

    pub(crate) fn with_source(mut self, source: impl Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_exitcode(mut self, code: i32) -> Self {
        self.exitcode = Some(code);
        self
    }

    pub(crate) fn with_exitcode_opt(mut self, code: Option<i32>) -> Self {
        self.exitcode = code;
        self
    }

    pub(crate) fn panicked(panic: PanicError, exitcode: Option<i32>) -> Self {
        let mut err = ProcessError::new(
            ProcessErrorKind::Panicked,
            format!("the child process panicked: {}", panic.message()),
        );
        err.panic = Some(panic);
        err.with_exitcode_opt(exitcode)
    }

    /// The child ended without a result; `None`: its exit status is unknown.
    pub(crate) fn died(exitcode: Option<i32>) -> Self {
        let Some(exitcode) = exitcode else {
            return ProcessError::new(
                ProcessErrorKind::Died,
                "the child process ended without returning a result; its exit status is \
                 unknown (the fork server that started it exited before reporting it)",
            );
        };
        let message = if exitcode < 0 {
            format!(
                "the child process was killed by signal {} ({}) before it returned a result",
                -exitcode,
                crate::sys::signal_name(-exitcode).unwrap_or("a signal")
            )
        } else {
            format!("the child process exited with code {exitcode} without returning a result")
        };
        ProcessError::new(ProcessErrorKind::Died, message).with_exitcode(exitcode)
    }

    /// What kind of error this is.
    ///
    /// ```
    /// use tripod::multiprocessing::{Process, ProcessErrorKind};
    ///
    /// fn unregistered(x: u8) -> u8 { x }
    /// let err = Process::new(unregistered, (1,)).start().unwrap_err();
    /// assert_eq!(err.kind(), ProcessErrorKind::NotRegistered);
    /// ```
    pub fn kind(&self) -> ProcessErrorKind {
        self.kind
    }

    /// The panic of the task, for [`ProcessErrorKind::Panicked`].
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn fails() -> u8 { panic!("no luck") }
    /// tripod::task!(fails);
    ///
    /// let err = Process::new(fails, ()).start().unwrap().join().unwrap_err();
    /// assert_eq!(err.panic().unwrap().message(), "no luck");
    /// ```
    pub fn panic(&self) -> Option<&PanicError> {
        self.panic.as_ref()
    }

    /// The child's exit status when it is known: its exit code, or minus the signal
    /// number that killed it (Python's `exitcode`).
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn fails() -> u8 { panic!("no luck") }
    /// tripod::task!(fails);
    ///
    /// let err = Process::new(fails, ()).start().unwrap().join().unwrap_err();
    /// assert_eq!(err.exitcode(), Some(1));
    /// ```
    pub fn exitcode(&self) -> Option<i32> {
        self.exitcode
    }

    /// The signal that killed the child, for [`ProcessErrorKind::Died`].
    ///
    /// ```
    /// use tripod::multiprocessing::{Process, ProcessErrorKind};
    ///
    /// fn wait_forever() { std::thread::sleep(std::time::Duration::from_secs(60)) }
    /// tripod::task!(wait_forever);
    ///
    /// let child = Process::new(wait_forever, ()).start().unwrap();
    /// child.kill().unwrap();
    /// let err = child.join().unwrap_err();
    /// assert_eq!(err.kind(), ProcessErrorKind::Died);
    /// assert_eq!(err.signal(), Some(9));
    /// ```
    pub fn signal(&self) -> Option<i32> {
        self.exitcode.filter(|&c| c < 0).map(|c| -c)
    }
}

impl fmt::Debug for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("exitcode", &self.exitcode)
            .finish()
    }
}

impl fmt::Display for ProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Error for ProcessError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn Error + 'static))
    }
}
