//! The errors of `tripod::subprocess`, after Python's `SubprocessError` family.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::io;
use std::time::Duration;

/// Any failure of [`run`](super::run), [`call`](super::call),
/// [`check_output`](super::check_output) or [`Popen::communicate`](super::Popen::communicate).
///
/// ```
/// use tripod::subprocess::{self, Error};
///
/// match subprocess::run(["false"]).check(true).call() {
///     Err(Error::CalledProcess(e)) => assert_eq!(e.returncode, 1),
///     other => panic!("unexpected: {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The program could not be started (Python's `OSError`, e.g. `FileNotFoundError`).
    Spawn(SpawnError),
    /// The timeout expired (Python's `TimeoutExpired`).
    Timeout(TimeoutExpired),
    /// `check` was set and the program exited with a non-zero status (Python's
    /// `CalledProcessError`).
    CalledProcess(CalledProcessError),
    /// Talking to the child failed (reading or writing a pipe, waiting).
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Spawn(e) => e.fmt(f),
            Error::Timeout(e) => e.fmt(f),
            Error::CalledProcess(e) => e.fmt(f),
            Error::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Spawn(e) => Some(e),
            Error::Timeout(e) => Some(e),
            Error::CalledProcess(e) => Some(e),
            Error::Io(e) => Some(e),
        }
    }
}

impl From<SpawnError> for Error {
    fn from(e: SpawnError) -> Self {
        Error::Spawn(e)
    }
}

impl From<TimeoutExpired> for Error {
    fn from(e: TimeoutExpired) -> Self {
        Error::Timeout(e)
    }
}

impl From<CalledProcessError> for Error {
    fn from(e: CalledProcessError) -> Self {
        Error::CalledProcess(e)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error::Io(e)
    }
}

/// A program could not be started: it does not exist, is not executable, the working
/// directory is missing, or the argument list is empty.
///
/// ```
/// use std::io::ErrorKind;
/// use tripod::subprocess::Popen;
///
/// let err = Popen::new(["no-such-program-xyz"]).spawn().unwrap_err();
/// assert_eq!(err.program(), "no-such-program-xyz");
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert!(err.to_string().starts_with("cannot run program 'no-such-program-xyz': "));
/// ```
pub struct SpawnError {
    program: OsString,
    source: io::Error,
}

impl SpawnError {
    pub(super) fn new(program: &OsStr, source: io::Error) -> Self {
        SpawnError {
            program: program.to_owned(),
            source,
        }
    }

    /// The program that could not be started.
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let err = Popen::new(["/nonexistent/tool", "-v"]).spawn().unwrap_err();
    /// assert_eq!(err.program(), "/nonexistent/tool");
    /// ```
    pub fn program(&self) -> &OsStr {
        &self.program
    }

    /// The kind of the underlying I/O error ([`NotFound`](io::ErrorKind::NotFound) for a
    /// missing program, as Python's `FileNotFoundError`).
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use tripod::subprocess::Popen;
    ///
    /// let err = Popen::new(["/nonexistent/tool"]).spawn().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::NotFound);
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        self.source.kind()
    }

    /// The underlying I/O error.
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let err = Popen::new(["/nonexistent/tool"]).spawn().unwrap_err();
    /// assert_eq!(err.io_error().raw_os_error(), Some(2)); // ENOENT
    /// ```
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }

    /// Gives back the underlying I/O error.
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use tripod::subprocess::Popen;
    ///
    /// let err = Popen::new(["/nonexistent/tool"]).spawn().unwrap_err();
    /// assert_eq!(err.into_io_error().kind(), ErrorKind::NotFound);
    /// ```
    pub fn into_io_error(self) -> io::Error {
        self.source
    }
}

impl fmt::Debug for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpawnError")
            .field("program", &self.program)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot run program {}: {}",
            PyStr(&self.program),
            self.source
        )
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The timeout of [`run`](super::run) or [`Popen::communicate`](super::Popen::communicate)
/// expired (Python's `TimeoutExpired`), with the output captured until then.
///
/// `run` kills and reaps the child before returning it; `communicate` leaves the child
/// running, so the caller may call it again (the later result holds all the output,
/// including what this error carried) or kill it.
///
/// ```
/// use std::time::Duration;
/// use tripod::subprocess::{self, Error};
///
/// let err = subprocess::run(["sleep", "10"])
///     .timeout(Duration::from_millis(100))
///     .call()
///     .unwrap_err();
/// let Error::Timeout(e) = err else { panic!("{err:?}") };
/// assert_eq!(e.timeout, Duration::from_millis(100));
/// assert_eq!(e.to_string(), "Command '['sleep', '10']' timed out after 0.1 seconds");
/// ```
#[derive(Debug)]
pub struct TimeoutExpired {
    /// The command's arguments, the program first.
    pub args: Vec<OsString>,
    /// The timeout that expired.
    pub timeout: Duration,
    /// The stdout captured before the timeout (empty if not captured).
    pub stdout: Vec<u8>,
    /// The stderr captured before the timeout (empty if not captured).
    pub stderr: Vec<u8>,
}

impl fmt::Display for TimeoutExpired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Command '{}' timed out after {} seconds",
            PyList(&self.args),
            self.timeout.as_secs_f64()
        )
    }
}

impl std::error::Error for TimeoutExpired {}

/// A command run with `check` exited with a non-zero status (Python's
/// `CalledProcessError`), with its output.
///
/// ```
/// use tripod::subprocess::{self, Error};
///
/// let err = subprocess::run(["sh", "-c", "echo oops; exit 3"])
///     .capture_output(true)
///     .check(true)
///     .call()
///     .unwrap_err();
/// let Error::CalledProcess(e) = err else { panic!("{err:?}") };
/// assert_eq!(e.returncode, 3);
/// assert_eq!(e.stdout, b"oops\n");
/// assert_eq!(
///     e.to_string(),
///     "Command '['sh', '-c', 'echo oops; exit 3']' returned non-zero exit status 3."
/// );
/// ```
#[derive(Debug)]
pub struct CalledProcessError {
    /// The command's arguments, the program first.
    pub args: Vec<OsString>,
    /// The exit status; minus the signal number if a signal killed the child.
    pub returncode: i32,
    /// The captured stdout (empty if not captured).
    pub stdout: Vec<u8>,
    /// The captured stderr (empty if not captured).
    pub stderr: Vec<u8>,
}

impl fmt::Display for CalledProcessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args = PyList(&self.args);
        if self.returncode < 0 {
            let signal = -self.returncode;
            match crate::sys::signal_name(signal) {
                Some(name) => write!(f, "Command '{args}' died with {name} (signal {signal})."),
                None => write!(f, "Command '{args}' died with signal {signal}."),
            }
        } else {
            write!(
                f,
                "Command '{args}' returned non-zero exit status {}.",
                self.returncode
            )
        }
    }
}

impl std::error::Error for CalledProcessError {}

/// Shows a string the way Python's `repr` does: `'text'`, escaping `\` and `'`.
pub(super) struct PyStr<'a>(pub(super) &'a OsStr);

impl fmt::Display for PyStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("'")?;
        for c in self.0.to_string_lossy().chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '\'' => f.write_str("\\'")?,
                '\n' => f.write_str("\\n")?,
                '\t' => f.write_str("\\t")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("'")
    }
}

/// Shows an argument list the way Python's `repr` shows a list: `['ls', '-l']`.
pub(super) struct PyList<'a>(pub(super) &'a [OsString]);

impl fmt::Display for PyList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        for (i, arg) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            PyStr(arg).fmt(f)?;
        }
        f.write_str("]")
    }
}
