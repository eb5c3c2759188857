//! [`ProcessHandle`]: the parent's handle of a started child process.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;

use super::error::{ProcessError, ProcessErrorKind};
use crate::PanicError;
use crate::spawn::{FailKind, Monitor, ParsedOutcome};
use crate::wire::{self, WireErrorKind};

/// The handle of a child started with [`Process::start`](super::Process::start): wait for
/// it and fetch its result, ask about it, signal it.
///
/// Dropping the handle detaches the child: it keeps running, and tripod still reaps it
/// when it exits (no zombie). A daemon child still dies with its parent.
///
/// ```
/// use std::time::Duration;
/// use tripod::multiprocessing::Process;
///
/// fn square(x: u32) -> u32 { x * x }
/// tripod::task!(square);
///
/// let child = Process::new(square, (7,)).start().unwrap();
/// assert!(child.join_timeout(Duration::from_secs(30)));
/// assert!(!child.is_alive());
/// assert_eq!(child.exitcode(), Some(0));
/// assert_eq!(child.join().unwrap(), 49);
/// ```
pub struct ProcessHandle<R> {
    name: String,
    daemon: bool,
    monitor: Arc<Monitor>,
    result: PhantomData<fn() -> R>,
}

impl<R> ProcessHandle<R> {
    pub(crate) fn new(name: String, daemon: bool, monitor: Arc<Monitor>) -> Self {
        ProcessHandle {
            name,
            daemon,
            monitor,
            result: PhantomData,
        }
    }

    /// The child's process id (Python's `pid`).
    ///
    /// ```
    /// use tripod::multiprocessing::{Process, getpid};
    ///
    /// fn my_pid() -> u32 { getpid() }
    /// tripod::task!(my_pid);
    ///
    /// let child = Process::new(my_pid, ()).start().unwrap();
    /// assert_ne!(child.pid(), getpid());
    /// assert_eq!(child.pid(), child.join().unwrap());
    /// ```
    pub fn pid(&self) -> u32 {
        self.monitor.pid()
    }

    /// The child's name (see [`Process::name`](super::Process::name)).
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn nothing() {}
    /// tripod::task!(nothing);
    ///
    /// let child = Process::new(nothing, ()).name("quiet").start().unwrap();
    /// assert_eq!(child.name(), "quiet");
    /// child.join().unwrap();
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the child is a daemon (see [`Process::daemon`](super::Process::daemon)).
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn nothing() {}
    /// tripod::task!(nothing);
    ///
    /// let child = Process::new(nothing, ()).start().unwrap();
    /// assert!(!child.is_daemon());
    /// child.join().unwrap();
    /// ```
    pub fn is_daemon(&self) -> bool {
        self.daemon
    }

    /// Whether the child is still running.
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn wait_forever() { std::thread::sleep(std::time::Duration::from_secs(60)) }
    /// tripod::task!(wait_forever);
    ///
    /// let child = Process::new(wait_forever, ()).start().unwrap();
    /// assert!(child.is_alive());
    /// child.kill().unwrap();
    /// assert!(child.join().is_err());
    /// ```
    pub fn is_alive(&self) -> bool {
        self.monitor.is_alive()
    }

    /// The child's exit status, `None` while it runs: its exit code (0 when the task
    /// returned, 1 when it panicked or could not run), or minus the number of the signal
    /// that killed it (Python's `exitcode`). Also `None` for a `ForkServer` child that
    /// has ended after its fork server was killed, whose status nobody can know any
    /// more ([`is_alive`](ProcessHandle::is_alive) is false then).
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn wait_forever() { std::thread::sleep(std::time::Duration::from_secs(60)) }
    /// tripod::task!(wait_forever);
    ///
    /// let child = Process::new(wait_forever, ()).start().unwrap();
    /// assert_eq!(child.exitcode(), None);
    /// child.terminate().unwrap();
    /// child.join_timeout(std::time::Duration::from_secs(30));
    /// assert_eq!(child.exitcode(), Some(-15));
    /// ```
    pub fn exitcode(&self) -> Option<i32> {
        self.monitor.exitcode()
    }

    /// Waits at most `timeout` for the child to exit; true if it has (Python's
    /// `join(timeout)` followed by `not is_alive()`). The handle is not consumed: call
    /// [`join`](ProcessHandle::join) afterwards for the result.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Process;
    ///
    /// fn wait_forever() { std::thread::sleep(Duration::from_secs(60)) }
    /// tripod::task!(wait_forever);
    ///
    /// let child = Process::new(wait_forever, ()).start().unwrap();
    /// assert!(!child.join_timeout(Duration::from_millis(20)));
    /// child.kill().unwrap();
    /// assert!(child.join_timeout(Duration::from_secs(30)));
    /// ```
    pub fn join_timeout(&self, timeout: Duration) -> bool {
        self.monitor.wait(Instant::now().checked_add(timeout))
    }

    /// Waits until `deadline` at most for the child to exit; true if it has.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::Process;
    ///
    /// fn nothing() {}
    /// tripod::task!(nothing);
    ///
    /// let child = Process::new(nothing, ()).start().unwrap();
    /// assert!(child.join_deadline(Instant::now() + Duration::from_secs(30)));
    /// ```
    pub fn join_deadline(&self, deadline: Instant) -> bool {
        self.monitor.wait(Some(deadline))
    }

    /// Asks the child to stop: SIGTERM (Python's `terminate`). Nothing happens if it has
    /// already exited.
    ///
    /// # Errors
    ///
    /// The signal could not be sent.
    ///
    /// ```
    /// use tripod::multiprocessing::{Process, ProcessErrorKind};
    ///
    /// fn wait_forever() { std::thread::sleep(std::time::Duration::from_secs(60)) }
    /// tripod::task!(wait_forever);
    ///
    /// let child = Process::new(wait_forever, ()).start().unwrap();
    /// child.terminate().unwrap();
    /// let err = child.join().unwrap_err();
    /// assert_eq!((err.kind(), err.signal()), (ProcessErrorKind::Died, Some(15)));
    /// ```
    pub fn terminate(&self) -> io::Result<()> {
        self.monitor.signal(libc::SIGTERM)
    }

    /// Kills the child: SIGKILL (Python's `kill`). Nothing happens if it has already
    /// exited.
    ///
    /// # Errors
    ///
    /// The signal could not be sent.
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn wait_forever() { std::thread::sleep(std::time::Duration::from_secs(60)) }
    /// tripod::task!(wait_forever);
    ///
    /// let child = Process::new(wait_forever, ()).start().unwrap();
    /// child.kill().unwrap();
    /// assert_eq!(child.join().unwrap_err().exitcode(), Some(-9));
    /// ```
    pub fn kill(&self) -> io::Result<()> {
        self.monitor.signal(libc::SIGKILL)
    }

    /// Releases the handle of a child that has exited (Python's `close`).
    ///
    /// # Errors
    ///
    /// [`StillRunning`](ProcessErrorKind::StillRunning) if the child is still running;
    /// the handle is dropped all the same (the child is detached, and reaped when it exits).
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn nothing() {}
    /// tripod::task!(nothing);
    ///
    /// let child = Process::new(nothing, ()).start().unwrap();
    /// child.join_timeout(std::time::Duration::from_secs(30));
    /// child.close().unwrap();
    /// ```
    pub fn close(self) -> Result<(), ProcessError> {
        if self.monitor.wait(Some(Instant::now())) {
            Ok(())
        } else {
            Err(ProcessError::new(
                ProcessErrorKind::StillRunning,
                format!("cannot close process `{}`: it is still running", self.name),
            ))
        }
    }
}

impl<R: DeserializeOwned> ProcessHandle<R> {
    /// Waits for the child to exit and returns what its task returned. The child is reaped:
    /// [`exitcode`](ProcessError::exitcode) is known afterwards.
    ///
    /// # Errors
    ///
    /// - [`Panicked`](ProcessErrorKind::Panicked): the task panicked; the error carries
    ///   the panic message;
    /// - [`Died`](ProcessErrorKind::Died): the child was killed by a signal, or exited
    ///   before its task returned; the error carries the exit status;
    /// - [`Decode`](ProcessErrorKind::Decode): the child could not decode its arguments,
    ///   or the result could not be encoded or decoded;
    /// - [`UnknownTask`](ProcessErrorKind::UnknownTask),
    ///   [`Protocol`](ProcessErrorKind::Protocol): parent and child are not the same program.
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn boom(x: i32) -> i32 { if x > 0 { panic!("x = {x}") } else { x } }
    /// tripod::task!(boom);
    ///
    /// assert_eq!(Process::new(boom, (0,)).start().unwrap().join().unwrap(), 0);
    /// let err = Process::new(boom, (5,)).start().unwrap().join().unwrap_err();
    /// assert_eq!(err.panic().unwrap().message(), "x = 5");
    /// ```
    pub fn join(self) -> Result<R, ProcessError> {
        self.monitor.wait(None);
        let outcome = self.monitor.take_outcome();
        // The exit status only annotates errors; a fork server child's comes a moment later.
        let code = || self.monitor.exitcode();
        let raw = match outcome {
            Some(Ok(raw)) => raw,
            // The connection ended (end of stream, or reset when the child died with unread
            // data): the exit status says how. Anything else is a broken conversation.
            Some(Err(e))
                if !matches!(
                    e.kind(),
                    WireErrorKind::Eof | WireErrorKind::Truncated | WireErrorKind::Io
                ) =>
            {
                return Err(ProcessError::new(
                    ProcessErrorKind::Protocol,
                    format!("cannot read the child's result: {e}"),
                )
                .with_exitcode_opt(code())
                .with_source(e));
            }
            _ => return Err(ProcessError::died(code())),
        };
        let parsed = raw.parse().map_err(|e| {
            ProcessError::new(
                ProcessErrorKind::Protocol,
                format!("cannot read the child's result: {e}"),
            )
            .with_exitcode_opt(code())
        })?;
        match parsed {
            ParsedOutcome::Ok(bytes) => wire::decode(bytes).map_err(|e| {
                ProcessError::new(
                    ProcessErrorKind::Decode,
                    format!("cannot decode the child's result: {e}"),
                )
                .with_exitcode_opt(code())
                .with_source(e)
            }),
            ParsedOutcome::Panicked(message) => {
                Err(ProcessError::panicked(PanicError::new(message), code()))
            }
            ParsedOutcome::Failed(kind, message) => {
                let (kind, message) = match kind {
                    FailKind::DecodeArgs => (
                        ProcessErrorKind::Decode,
                        format!("the child could not decode its arguments: {message}"),
                    ),
                    FailKind::EncodeResult => (
                        ProcessErrorKind::Decode,
                        format!("the child could not encode its result: {message}"),
                    ),
                    FailKind::UnknownTask => (ProcessErrorKind::UnknownTask, message),
                    FailKind::Protocol => (
                        ProcessErrorKind::Protocol,
                        format!("the child refused the conversation: {message}"),
                    ),
                };
                Err(ProcessError::new(kind, message).with_exitcode_opt(code()))
            }
        }
    }
}

impl<R> fmt::Debug for ProcessHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProcessHandle")
            .field("name", &self.name)
            .field("pid", &self.pid())
            .field("daemon", &self.daemon)
            .field("exitcode", &self.exitcode())
            .finish()
    }
}
