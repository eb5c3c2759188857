//! [`run`] and its [`Run`] builder, [`CompletedProcess`], and the one-liners [`call`],
//! [`check_call`] and [`check_output`].

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{CalledProcessError, Error, PopenBuilder, Stdio};

/// Runs a command and waits for it: Python's `subprocess.run`. Returns a [`Run`] builder;
/// set options on it, then [`call`](Run::call) it.
///
/// ```
/// use tripod::subprocess;
///
/// let out = subprocess::run(["ls", "-d", "/"]).capture_output(true).call()?;
/// assert_eq!(out.returncode, 0);
/// assert_eq!(out.stdout, b"/\n");
/// # Ok::<(), subprocess::Error>(())
/// ```
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Run {
        popen: PopenBuilder::new(args),
        input: None,
        timeout: None,
        check: false,
    }
}

/// The options of one [`run`]: streams, input, timeout, check, working directory and
/// environment. Finish with [`call`](Run::call).
///
/// ```
/// use std::time::Duration;
/// use tripod::subprocess;
///
/// let out = subprocess::run(["tr", "a-z", "A-Z"])
///     .input("hello")
///     .capture_output(true)
///     .timeout(Duration::from_secs(10))
///     .check(true)
///     .call()
///     .unwrap();
/// assert_eq!(out.stdout_str(), "HELLO");
/// ```
#[derive(Debug)]
pub struct Run {
    popen: PopenBuilder,
    input: Option<Vec<u8>>,
    timeout: Option<Duration>,
    check: bool,
}

impl Run {
    /// With `true`, captures stdout and stderr (both [`Stdio::Piped`]) into the
    /// [`CompletedProcess`] (Python's `capture_output=True`); `false` changes nothing.
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let out = subprocess::run(["sh", "-c", "echo o; echo e >&2"]).capture_output(true).call().unwrap();
    /// assert_eq!((out.stdout_str().as_ref(), out.stderr_str().as_ref()), ("o\n", "e\n"));
    /// ```
    pub fn capture_output(mut self, capture: bool) -> Self {
        if capture {
            self.popen = self.popen.stdout(Stdio::Piped).stderr(Stdio::Piped);
        }
        self
    }

    /// Where the child's stdin comes from (default: inherited; [`input`](Run::input)
    /// makes it a pipe).
    ///
    /// ```
    /// use tripod::subprocess::{self, Stdio};
    ///
    /// let out = subprocess::run(["cat"]).stdin(Stdio::Null).capture_output(true).call().unwrap();
    /// assert!(out.stdout.is_empty());
    /// ```
    pub fn stdin(mut self, stdio: impl Into<Stdio>) -> Self {
        self.popen = self.popen.stdin(stdio);
        self
    }

    /// Where the child's stdout goes (default: inherited; [`Stdio::Piped`] captures it).
    ///
    /// ```
    /// use tripod::subprocess::{self, Stdio};
    ///
    /// let out = subprocess::run(["echo", "hi"]).stdout(Stdio::Piped).call().unwrap();
    /// assert_eq!(out.stdout, b"hi\n");
    /// ```
    pub fn stdout(mut self, stdio: impl Into<Stdio>) -> Self {
        self.popen = self.popen.stdout(stdio);
        self
    }

    /// Where the child's stderr goes (default: inherited; [`Stdio::Piped`] captures it,
    /// [`Stdio::Stdout`] merges it into stdout).
    ///
    /// ```
    /// use tripod::subprocess::{self, Stdio};
    ///
    /// let out = subprocess::run(["sh", "-c", "echo e >&2"])
    ///     .stdout(Stdio::Piped)
    ///     .stderr(Stdio::Stdout)
    ///     .call()
    ///     .unwrap();
    /// assert_eq!(out.stdout, b"e\n");
    /// ```
    pub fn stderr(mut self, stdio: impl Into<Stdio>) -> Self {
        self.popen = self.popen.stderr(stdio);
        self
    }

    /// Bytes to write to the child's stdin, which becomes a pipe closed after them
    /// (Python's `input=`).
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let out = subprocess::run(["wc", "-l"]).input(b"a\nb\n".to_vec()).capture_output(true).call().unwrap();
    /// assert_eq!(out.stdout_str().trim(), "2");
    /// ```
    pub fn input(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.input = Some(input.into());
        self
    }

    /// The longest the command may take. When it expires the child is killed and reaped,
    /// and [`call`](Run::call) returns [`Error::Timeout`] with the output captured so far.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::subprocess::{self, Error};
    ///
    /// let err = subprocess::run(["sleep", "10"]).timeout(Duration::from_millis(100)).call();
    /// assert!(matches!(err, Err(Error::Timeout(_))));
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// With `true`, a non-zero exit status is [`Error::CalledProcess`] (Python's
    /// `check=True`).
    ///
    /// ```
    /// use tripod::subprocess::{self, Error};
    ///
    /// assert!(matches!(subprocess::run(["false"]).check(true).call(), Err(Error::CalledProcess(_))));
    /// assert_eq!(subprocess::run(["false"]).call().unwrap().returncode, 1);
    /// ```
    pub fn check(mut self, check: bool) -> Self {
        self.check = check;
        self
    }

    /// The child's working directory (Python's `cwd=`).
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let out = subprocess::run(["pwd"]).cwd("/").capture_output(true).call().unwrap();
    /// assert_eq!(out.stdout, b"/\n");
    /// ```
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.popen = self.popen.cwd(dir);
        self
    }

    /// Sets one environment variable for the child.
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let out = subprocess::run(["sh", "-c", "echo $X"]).env("X", "42").capture_output(true).call().unwrap();
    /// assert_eq!(out.stdout, b"42\n");
    /// ```
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.popen = self.popen.env(key, value);
        self
    }

    /// Sets several environment variables for the child.
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let out = subprocess::run(["sh", "-c", "echo $X$Y"])
    ///     .envs([("X", "4"), ("Y", "2")])
    ///     .capture_output(true)
    ///     .call()
    ///     .unwrap();
    /// assert_eq!(out.stdout, b"42\n");
    /// ```
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.popen = self.popen.envs(vars);
        self
    }

    /// Removes one inherited environment variable from the child's environment.
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let out = subprocess::run(["sh", "-c", "echo ${HOME-none}"])
    ///     .env_remove("HOME")
    ///     .capture_output(true)
    ///     .call()
    ///     .unwrap();
    /// assert_eq!(out.stdout, b"none\n");
    /// ```
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.popen = self.popen.env_remove(key);
        self
    }

    /// Starts the child with an empty environment plus what [`env`](Run::env) adds
    /// (Python's `env={...}`).
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let out = subprocess::run(["env"]).env_clear().env("A", "b").capture_output(true).call().unwrap();
    /// assert_eq!(out.stdout, b"A=b\n");
    /// ```
    pub fn env_clear(mut self) -> Self {
        self.popen = self.popen.env_clear();
        self
    }

    /// Runs the command to its end: starts it, feeds the input, collects the captured
    /// output and waits for it to exit.
    ///
    /// # Errors
    ///
    /// - [`Error::Spawn`] if the program cannot be started;
    /// - [`Error::Timeout`] if the timeout expired (the child has been killed and reaped;
    ///   the error carries the output captured until then);
    /// - [`Error::CalledProcess`] with `check(true)` and a non-zero exit status;
    /// - [`Error::Io`] if talking to the child failed.
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let out = subprocess::run(["sh", "-c", "exit 3"]).call().unwrap();
    /// assert_eq!(out.returncode, 3);
    /// ```
    pub fn call(self) -> Result<CompletedProcess, Error> {
        let Run {
            mut popen,
            input,
            timeout,
            check,
        } = self;
        if input.is_some() {
            popen = popen.stdin(Stdio::Piped);
        }
        let mut child = popen.spawn()?;
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let input = input.unwrap_or_default();
        let (stdout, stderr) = match child.communicate_until(&input, deadline, timeout) {
            Ok(output) => output,
            Err(Error::Timeout(mut expired)) => {
                (expired.stdout, expired.stderr) = child.kill_and_drain();
                return Err(Error::Timeout(expired));
            }
            Err(other) => {
                let _ = child.kill_and_drain();
                return Err(other);
            }
        };
        let completed = CompletedProcess {
            args: child.args().to_vec(),
            returncode: child
                .returncode()
                .expect("communicate waited for the child"),
            stdout,
            stderr,
        };
        if check {
            Ok(completed.check_returncode()?)
        } else {
            Ok(completed)
        }
    }
}

/// A command that [`run`] ran to its end (Python's `CompletedProcess`).
///
/// ```
/// use tripod::subprocess;
///
/// let done = subprocess::run(["echo", "hello"]).capture_output(true).call().unwrap();
/// assert_eq!(done.args, ["echo", "hello"]);
/// assert_eq!(done.returncode, 0);
/// assert_eq!(done.stdout_str(), "hello\n");
/// assert!(done.stderr.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletedProcess {
    /// The arguments the command ran with, the program first.
    pub args: Vec<OsString>,
    /// The exit status; minus the signal number if a signal ended the child.
    pub returncode: i32,
    /// The captured stdout (empty if not captured).
    pub stdout: Vec<u8>,
    /// The captured stderr (empty if not captured).
    pub stderr: Vec<u8>,
}

impl CompletedProcess {
    /// The captured stdout as text, invalid UTF-8 replaced by U+FFFD (Python's
    /// `stdout.decode(errors="replace")`).
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let done = subprocess::run(["printf", "caf\\303\\251"]).capture_output(true).call().unwrap();
    /// assert_eq!(done.stdout_str(), "café");
    /// ```
    pub fn stdout_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.stdout)
    }

    /// The captured stderr as text, invalid UTF-8 replaced by U+FFFD.
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let done = subprocess::run(["sh", "-c", "echo bad >&2"]).capture_output(true).call().unwrap();
    /// assert_eq!(done.stderr_str(), "bad\n");
    /// ```
    pub fn stderr_str(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.stderr)
    }

    /// Whether the exit status is 0.
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// assert!(subprocess::run(["true"]).call().unwrap().success());
    /// assert!(!subprocess::run(["false"]).call().unwrap().success());
    /// ```
    pub fn success(&self) -> bool {
        self.returncode == 0
    }

    /// Gives the process back if the exit status is 0 (Python's `check_returncode()`).
    ///
    /// # Errors
    ///
    /// [`CalledProcessError`] with the status and output otherwise.
    ///
    /// ```
    /// use tripod::subprocess;
    ///
    /// let err = subprocess::run(["false"]).call().unwrap().check_returncode().unwrap_err();
    /// assert_eq!(err.to_string(), "Command '['false']' returned non-zero exit status 1.");
    /// ```
    pub fn check_returncode(self) -> Result<Self, CalledProcessError> {
        if self.success() {
            Ok(self)
        } else {
            Err(CalledProcessError {
                args: self.args,
                returncode: self.returncode,
                stdout: self.stdout,
                stderr: self.stderr,
            })
        }
    }
}

impl fmt::Display for CompletedProcess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CompletedProcess(args={}, returncode={})",
            super::error::PyList(&self.args),
            self.returncode
        )
    }
}

/// Runs a command with inherited streams and returns its exit status (Python's
/// `subprocess.call`).
///
/// # Errors
///
/// [`Error::Spawn`] if the program cannot be started, [`Error::Io`] if waiting fails.
///
/// ```
/// use tripod::subprocess;
///
/// assert_eq!(subprocess::call(["sh", "-c", "exit 4"]).unwrap(), 4);
/// ```
pub fn call<I, S>(args: I) -> Result<i32, Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Ok(run(args).call()?.returncode)
}

/// Runs a command with inherited streams and checks that it succeeds (Python's
/// `subprocess.check_call`).
///
/// # Errors
///
/// As [`call`], plus [`Error::CalledProcess`] for a non-zero exit status.
///
/// ```
/// use tripod::subprocess;
///
/// assert!(subprocess::check_call(["true"]).is_ok());
/// assert!(subprocess::check_call(["false"]).is_err());
/// ```
pub fn check_call<I, S>(args: I) -> Result<(), Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(args).check(true).call().map(drop)
}

/// Runs a command, checks that it succeeds and returns its stdout (Python's
/// `subprocess.check_output`; stderr is inherited).
///
/// # Errors
///
/// As [`check_call`]; the [`CalledProcessError`] carries the stdout.
///
/// ```
/// use tripod::subprocess;
///
/// assert_eq!(subprocess::check_output(["echo", "out"]).unwrap(), b"out\n");
/// ```
pub fn check_output<I, S>(args: I) -> Result<Vec<u8>, Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    Ok(run(args).stdout(Stdio::Piped).check(true).call()?.stdout)
}
