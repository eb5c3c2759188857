//! [`Popen`] and its builder: a running child process, Python's `subprocess.Popen`.

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::os::fd::AsFd;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{self, Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use super::communicate::Communication;
use super::{Error, SpawnError, Stdio, TimeoutExpired, sys};

/// How long a killed child's pipes get to reach end of file, in case a grandchild still
/// holds them open (then the output is what was read until this ran out).
const DRAIN_AFTER_KILL: Duration = Duration::from_millis(500);

/// Builds a [`Popen`]: the program and its arguments, where its standard streams go, its
/// working directory and environment. Made by [`Popen::new`], finished by
/// [`spawn`](PopenBuilder::spawn).
///
/// ```
/// use tripod::subprocess::{Popen, Stdio};
///
/// let mut p = Popen::new(["pwd"]).cwd("/").stdout(Stdio::Piped).spawn().unwrap();
/// let (out, _) = p.communicate(b"", None).unwrap();
/// assert_eq!(out, b"/\n");
/// ```
pub struct PopenBuilder {
    args: Vec<OsString>,
    command: Command,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
}

impl PopenBuilder {
    pub(super) fn new<I, S>(args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let mut command = Command::new(args.first().map_or(OsStr::new(""), |p| p.as_os_str()));
        command.args(args.iter().skip(1));
        PopenBuilder {
            args,
            command,
            stdin: Stdio::Inherit,
            stdout: Stdio::Inherit,
            stderr: Stdio::Inherit,
        }
    }

    /// Where the child's stdin comes from (default: inherited).
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["cat"]).stdin(Stdio::Null).stdout(Stdio::Piped).spawn().unwrap();
    /// assert_eq!(p.communicate(b"", None).unwrap().0, b"");
    /// ```
    pub fn stdin(mut self, stdio: impl Into<Stdio>) -> Self {
        self.stdin = stdio.into();
        self
    }

    /// Where the child's stdout goes (default: inherited).
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["echo", "hi"]).stdout(Stdio::Piped).spawn().unwrap();
    /// assert_eq!(p.communicate(b"", None).unwrap().0, b"hi\n");
    /// ```
    pub fn stdout(mut self, stdio: impl Into<Stdio>) -> Self {
        self.stdout = stdio.into();
        self
    }

    /// Where the child's stderr goes (default: inherited); [`Stdio::Stdout`] sends it
    /// wherever stdout goes.
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["sh", "-c", "echo oops >&2"]).stderr(Stdio::Piped).spawn().unwrap();
    /// assert_eq!(p.communicate(b"", None).unwrap().1, b"oops\n");
    /// ```
    pub fn stderr(mut self, stdio: impl Into<Stdio>) -> Self {
        self.stderr = stdio.into();
        self
    }

    /// The child's working directory (Python's `cwd`).
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["pwd"]).cwd("/tmp").stdout(Stdio::Piped).spawn().unwrap();
    /// assert!(p.communicate(b"", None).unwrap().0.ends_with(b"tmp\n"));
    /// ```
    pub fn cwd(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Sets one environment variable for the child (on top of the inherited ones unless
    /// [`env_clear`](PopenBuilder::env_clear) was called).
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["sh", "-c", "echo $GREETING"])
    ///     .env("GREETING", "hello")
    ///     .stdout(Stdio::Piped)
    ///     .spawn()
    ///     .unwrap();
    /// assert_eq!(p.communicate(b"", None).unwrap().0, b"hello\n");
    /// ```
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Sets several environment variables for the child.
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["sh", "-c", "echo $A$B"])
    ///     .envs([("A", "1"), ("B", "2")])
    ///     .stdout(Stdio::Piped)
    ///     .spawn()
    ///     .unwrap();
    /// assert_eq!(p.communicate(b"", None).unwrap().0, b"12\n");
    /// ```
    pub fn envs<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.command.envs(vars);
        self
    }

    /// Removes one inherited environment variable from the child's environment.
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["sh", "-c", "echo ${HOME-unset}"])
    ///     .env_remove("HOME")
    ///     .stdout(Stdio::Piped)
    ///     .spawn()
    ///     .unwrap();
    /// assert_eq!(p.communicate(b"", None).unwrap().0, b"unset\n");
    /// ```
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.command.env_remove(key);
        self
    }

    /// Starts the child with an empty environment, plus what [`env`](PopenBuilder::env)
    /// adds (Python's `env={...}`). The program is still looked up in the parent's `PATH`
    /// unless a new `PATH` is set.
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["env"]).env_clear().env("ONLY", "me").stdout(Stdio::Piped).spawn().unwrap();
    /// assert_eq!(p.communicate(b"", None).unwrap().0, b"ONLY=me\n");
    /// ```
    pub fn env_clear(mut self) -> Self {
        self.command.env_clear();
        self
    }

    /// Starts the child.
    ///
    /// # Errors
    ///
    /// [`SpawnError`] naming the program if it cannot be started (not found, not
    /// executable, missing working directory, empty argument list, [`Stdio::Stdout`] given
    /// for stdin or stdout).
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["true"]).spawn().unwrap();
    /// assert_eq!(p.wait().unwrap(), 0);
    /// assert!(Popen::new(["no-such-program-xyz"]).spawn().is_err());
    /// ```
    pub fn spawn(self) -> Result<Popen, SpawnError> {
        let PopenBuilder {
            args,
            mut command,
            stdin,
            stdout,
            stderr,
        } = self;
        let Some(program) = args.first().cloned() else {
            let empty = io::Error::new(io::ErrorKind::InvalidInput, "empty argument list");
            return Err(SpawnError::new(OsStr::new(""), empty));
        };
        let fail = |e| SpawnError::new(&program, e);
        let merged = connect(&mut command, stdin, stdout, stderr).map_err(fail)?;
        let spawned = command.spawn();
        // The command holds our copies of the child's ends of the pipes: close them now,
        // or reading the merged pipe would never reach end of file.
        drop(command);
        let mut child = spawned.map_err(fail)?;
        let stdout = child.stdout.take().or(merged.map(ChildStdout::from));
        Ok(Popen {
            args,
            pid: child.id(),
            stdin: child.stdin.take(),
            stdout,
            stderr: child.stderr.take(),
            child: Some(child),
            returncode: None,
            communication: None,
        })
    }
}

/// Points the command's streams where asked. For `stderr = Stdio::Stdout` with a piped
/// stdout, makes the pipe itself and returns its read end.
fn connect(
    command: &mut Command,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
) -> io::Result<Option<std::os::fd::OwnedFd>> {
    command.stdin(std_stdio(stdin, "stdin")?);
    if !matches!(stderr, Stdio::Stdout) {
        command.stdout(std_stdio(stdout, "stdout")?);
        command.stderr(std_stdio(stderr, "stderr")?);
        return Ok(None);
    }
    // 2>&1: both streams share one open file.
    let mut merged = None;
    let shared = match stdout {
        Stdio::Piped => {
            let (read, write) = sys::pipe()?;
            merged = Some(read);
            write
        }
        Stdio::Inherit => io::stdout().as_fd().try_clone_to_owned()?,
        Stdio::Null => OpenOptions::new().write(true).open("/dev/null")?.into(),
        Stdio::File(file) => file.into(),
        Stdio::Stdout => return Err(stdout_misuse("stdout")),
    };
    command.stdout(shared.try_clone()?);
    command.stderr(shared);
    Ok(merged)
}

fn std_stdio(stdio: Stdio, stream: &str) -> io::Result<process::Stdio> {
    Ok(match stdio {
        Stdio::Inherit => process::Stdio::inherit(),
        Stdio::Piped => process::Stdio::piped(),
        Stdio::Null => process::Stdio::null(),
        Stdio::File(file) => file.into(),
        Stdio::Stdout => return Err(stdout_misuse(stream)),
    })
}

fn stdout_misuse(stream: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("Stdio::Stdout is for stderr only, not {stream}"),
    )
}

/// A running (or finished) child process: Python's `subprocess.Popen`.
///
/// Make one with [`Popen::new`]`(args)...`[`spawn()`](PopenBuilder::spawn). The pipes the
/// builder asked for are in [`stdin`](Popen::stdin), [`stdout`](Popen::stdout) and
/// [`stderr`](Popen::stderr); [`communicate`](Popen::communicate) feeds and drains them
/// all at once without deadlock, and waits for the exit.
///
/// The exit status ([`returncode`](Popen::returncode)) is the exit code, or minus the
/// signal number when a signal ended the child (`-9` after [`kill`](Popen::kill), `-15`
/// after [`terminate`](Popen::terminate)), as in Python.
///
/// Dropping a `Popen` closes its pipes and does not kill the child; a child still running
/// is reaped by a background thread when it exits, so it leaves no zombie (Python reaps it
/// later too).
///
/// ```
/// use tripod::subprocess::{Popen, Stdio};
///
/// let mut p = Popen::new(["cat"])
///     .stdin(Stdio::Piped)
///     .stdout(Stdio::Piped)
///     .stderr(Stdio::Piped)
///     .spawn()
///     .unwrap();
/// let (out, err) = p.communicate(b"set q=mx\npython.org\nexit\n", None).unwrap();
/// assert_eq!(out, b"set q=mx\npython.org\nexit\n");
/// assert!(err.is_empty());
/// assert_eq!(p.returncode(), Some(0));
/// ```
pub struct Popen {
    args: Vec<OsString>,
    pid: u32,
    /// Always `Some` until drop hands it to the reaper.
    child: Option<Child>,
    /// The write end of the child's stdin, if it was [`Stdio::Piped`] (Python's
    /// `p.stdin`). Take it to write yourself; dropping it closes the child's stdin.
    pub stdin: Option<ChildStdin>,
    /// The read end of the child's stdout, if it was [`Stdio::Piped`] (with stderr merged
    /// in for [`Stdio::Stdout`]).
    pub stdout: Option<ChildStdout>,
    /// The read end of the child's stderr, if it was [`Stdio::Piped`].
    pub stderr: Option<ChildStderr>,
    returncode: Option<i32>,
    communication: Option<Communication>,
}

impl Popen {
    /// Starts building a child process running `args` (the program, then its arguments;
    /// the program is looked up in `PATH`). Finish with [`spawn`](PopenBuilder::spawn).
    ///
    /// ```
    /// use tripod::subprocess::{Popen, Stdio};
    ///
    /// let mut p = Popen::new(["echo", "a", "b"]).stdout(Stdio::Piped).spawn().unwrap();
    /// assert_eq!(p.communicate(b"", None).unwrap().0, b"a b\n");
    /// assert_eq!(p.args(), ["echo", "a", "b"]);
    /// ```
    #[allow(clippy::new_ret_no_self)] // Python's `Popen(args, ...)`, with a builder between.
    pub fn new<I, S>(args: I) -> PopenBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        PopenBuilder::new(args)
    }

    /// The arguments the child was started with, the program first.
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["true", "x"]).spawn().unwrap();
    /// p.wait().unwrap();
    /// assert_eq!(p.args(), ["true", "x"]);
    /// ```
    pub fn args(&self) -> &[OsString] {
        &self.args
    }

    /// The child's process id.
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["true"]).spawn().unwrap();
    /// assert!(p.pid() > 0);
    /// p.wait().unwrap();
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The exit status once [`poll`](Popen::poll), [`wait`](Popen::wait) or
    /// [`communicate`](Popen::communicate) has seen the child end; `None` before.
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["sh", "-c", "exit 7"]).spawn().unwrap();
    /// assert_eq!(p.wait().unwrap(), 7);
    /// assert_eq!(p.returncode(), Some(7));
    /// ```
    pub fn returncode(&self) -> Option<i32> {
        self.returncode
    }

    /// Checks without blocking whether the child has ended: its exit status, or `None`
    /// while it runs (Python's `poll()`).
    ///
    /// # Errors
    ///
    /// The I/O error of waitpid(2), which should not happen.
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    /// assert_eq!(p.poll().unwrap(), None);
    /// p.kill().unwrap();
    /// p.wait().unwrap();
    /// assert_eq!(p.poll().unwrap(), Some(-9));
    /// ```
    pub fn poll(&mut self) -> io::Result<Option<i32>> {
        if self.returncode.is_none()
            && let Some(status) = self.child().try_wait()?
        {
            self.set_status(status);
        }
        Ok(self.returncode)
    }

    /// Waits for the child to end and returns its exit status (Python's `wait()`).
    ///
    /// With [`Stdio::Piped`] outputs, a child that writes more than a pipe holds blocks
    /// until someone reads: use [`communicate`](Popen::communicate) instead.
    ///
    /// # Errors
    ///
    /// The I/O error of waitpid(2), which should not happen.
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// assert_eq!(Popen::new(["false"]).spawn().unwrap().wait().unwrap(), 1);
    /// ```
    pub fn wait(&mut self) -> io::Result<i32> {
        Ok(self
            .wait_until(None)?
            .expect("a wait without deadline ends with a status"))
    }

    /// Waits at most `timeout` for the child to end: its exit status, or `None` if it
    /// still runs (Python's `wait(timeout)`, which raises `TimeoutExpired` instead).
    ///
    /// # Errors
    ///
    /// The I/O error of waitpid(2), which should not happen.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    /// assert_eq!(p.wait_timeout(Duration::from_millis(50)).unwrap(), None);
    /// p.terminate().unwrap();
    /// assert_eq!(p.wait_timeout(Duration::from_secs(10)).unwrap(), Some(-15));
    /// ```
    pub fn wait_timeout(&mut self, timeout: Duration) -> io::Result<Option<i32>> {
        self.wait_until(Instant::now().checked_add(timeout))
    }

    /// Waits until `deadline` at most for the child to end: its exit status, or `None` if
    /// it still runs.
    ///
    /// # Errors
    ///
    /// The I/O error of waitpid(2), which should not happen.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["true"]).spawn().unwrap();
    /// let deadline = Instant::now() + Duration::from_secs(10);
    /// assert_eq!(p.wait_deadline(deadline).unwrap(), Some(0));
    /// ```
    pub fn wait_deadline(&mut self, deadline: Instant) -> io::Result<Option<i32>> {
        self.wait_until(Some(deadline))
    }

    /// The one wait behind `wait`, `wait_timeout` and `wait_deadline`. std has no timed
    /// wait for a child, so with a deadline this polls with a growing pause (up to 50 ms),
    /// as CPython does on POSIX.
    fn wait_until(&mut self, deadline: Option<Instant>) -> io::Result<Option<i32>> {
        if self.returncode.is_some() {
            return Ok(self.returncode);
        }
        let Some(deadline) = deadline else {
            let status = self.child().wait()?;
            return Ok(Some(self.set_status(status)));
        };
        let mut pause = Duration::from_micros(500);
        loop {
            if let Some(code) = self.poll()? {
                return Ok(Some(code));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Sends a signal to the child (Python's `send_signal`); does nothing once the child
    /// has been reaped, so a reused pid is never signalled.
    ///
    /// # Errors
    ///
    /// The I/O error of kill(2), e.g. for an invalid signal number.
    ///
    /// ```
    /// use tripod::subprocess::{Popen, signal};
    ///
    /// let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    /// p.send_signal(signal::SIGINT).unwrap();
    /// assert_eq!(p.wait().unwrap(), -signal::SIGINT);
    /// ```
    pub fn send_signal(&mut self, signal: i32) -> io::Result<()> {
        if self.poll()?.is_some() {
            return Ok(());
        }
        sys::kill(self.pid, signal)
    }

    /// Asks the child to stop: SIGTERM (Python's `terminate()`).
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Popen::send_signal).
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    /// p.terminate().unwrap();
    /// assert_eq!(p.wait().unwrap(), -15);
    /// ```
    pub fn terminate(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGTERM)
    }

    /// Kills the child: SIGKILL (Python's `kill()`).
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Popen::send_signal).
    ///
    /// ```
    /// use tripod::subprocess::Popen;
    ///
    /// let mut p = Popen::new(["sleep", "10"]).spawn().unwrap();
    /// p.kill().unwrap();
    /// assert_eq!(p.wait().unwrap(), -9);
    /// p.kill().unwrap(); // already reaped: nothing happens
    /// ```
    pub fn kill(&mut self) -> io::Result<()> {
        self.send_signal(libc::SIGKILL)
    }

    /// Writes `input` to the child's stdin and closes it, reads its stdout and stderr to
    /// their end, all at once (one thread per pipe, so large outputs never deadlock), then
    /// waits for the child to exit. Returns `(stdout, stderr)`; a stream that was not
    /// [`Stdio::Piped`] gives an empty vector. Python's `communicate(input, timeout)`.
    ///
    /// Empty `input` just closes a piped stdin (Python's `input=None`).
    ///
    /// # Errors
    ///
    /// - [`Error::Timeout`] when `timeout` expires first, carrying the output so far. The
    ///   child is not killed: call `communicate` again (with empty input) to go on, the
    ///   result then holds all the output, or [`kill`](Popen::kill) it.
    /// - [`Error::Io`] for a pipe error, non-empty input when stdin is not piped, or
    ///   non-empty input on a call after a timed-out one (as Python's `ValueError`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::subprocess::{Error, Popen, Stdio};
    ///
    /// let mut p = Popen::new(["sh", "-c", "echo started; exec sleep 10"])
    ///     .stdout(Stdio::Piped)
    ///     .spawn()
    ///     .unwrap();
    /// match p.communicate(b"", Some(Duration::from_millis(100))) {
    ///     Err(Error::Timeout(e)) => assert_eq!(e.timeout, Duration::from_millis(100)),
    ///     other => panic!("{other:?}"),
    /// }
    /// p.kill().unwrap();
    /// let (out, _) = p.communicate(b"", None).unwrap();
    /// assert_eq!(out, b"started\n");
    /// assert_eq!(p.returncode(), Some(-9));
    /// ```
    pub fn communicate(
        &mut self,
        input: &[u8],
        timeout: Option<Duration>,
    ) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        self.communicate_until(input, deadline, timeout)
    }

    pub(super) fn communicate_until(
        &mut self,
        input: &[u8],
        deadline: Option<Instant>,
        timeout: Option<Duration>,
    ) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let communication = match &mut self.communication {
            Some(_) if !input.is_empty() => {
                return Err(invalid_input(
                    "cannot send input after starting communication",
                ));
            }
            Some(communication) => communication,
            None => {
                let stdin = match self.stdin.take() {
                    // Dropping the pipe closes the child's stdin: nothing to send.
                    Some(_) if input.is_empty() => None,
                    Some(pipe) => Some((pipe, input.to_vec())),
                    None if !input.is_empty() => {
                        return Err(invalid_input("input given but stdin is not a pipe"));
                    }
                    None => None,
                };
                let started = Communication::start(stdin, self.stdout.take(), self.stderr.take())?;
                self.communication.insert(started)
            }
        };
        let pipes_done = communication.wait(deadline)?;
        if !pipes_done || self.wait_until(deadline)?.is_none() {
            let (stdout, stderr) = self
                .communication
                .as_ref()
                .map(Communication::output_so_far)
                .unwrap_or_default();
            return Err(Error::Timeout(TimeoutExpired {
                args: self.args.clone(),
                timeout: timeout.unwrap_or_default(),
                stdout,
                stderr,
            }));
        }
        let output = self
            .communication
            .take()
            .map(|c| c.take_output())
            .unwrap_or_default();
        Ok(output)
    }

    /// After a timeout in `run`: kills and reaps the child, then collects what its pipes
    /// still hold, waiting at most [`DRAIN_AFTER_KILL`] for them to reach end of file.
    pub(super) fn kill_and_drain(&mut self) -> (Vec<u8>, Vec<u8>) {
        let _ = self.kill();
        let _ = self.wait();
        let deadline = Instant::now() + DRAIN_AFTER_KILL;
        match self.communicate_until(b"", Some(deadline), None) {
            Ok(output) => output,
            Err(Error::Timeout(e)) => (e.stdout, e.stderr),
            Err(_) => self
                .communication
                .as_ref()
                .map(Communication::output_so_far)
                .unwrap_or_default(),
        }
    }

    fn child(&mut self) -> &mut Child {
        self.child
            .as_mut()
            .expect("the child is present until drop")
    }

    fn set_status(&mut self, status: ExitStatus) -> i32 {
        let code = returncode(status);
        self.returncode = Some(code);
        code
    }
}

/// Python's `returncode`: the exit code, or minus the signal that ended the process.
pub(super) fn returncode(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => -signal,
        // Neither exited nor signalled (stopped): not reported by wait without WUNTRACED.
        (None, None) => i32::MIN,
    }
}

fn invalid_input(message: &'static str) -> Error {
    Error::Io(io::Error::new(io::ErrorKind::InvalidInput, message))
}

impl Drop for Popen {
    fn drop(&mut self) {
        self.stdin = None;
        self.stdout = None;
        self.stderr = None;
        if self.returncode.is_some() {
            return;
        }
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        // Still running: reap it when it ends, so it leaves no zombie. If no thread can be
        // started, the child is reaped when this process exits.
        let _ = thread::Builder::new()
            .name("tripod-reaper".to_owned())
            .spawn(move || child.wait());
    }
}

impl fmt::Debug for Popen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Popen")
            .field("args", &self.args)
            .field("pid", &self.pid)
            .field("returncode", &self.returncode)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for PopenBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PopenBuilder")
            .field("args", &self.args)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish_non_exhaustive()
    }
}
