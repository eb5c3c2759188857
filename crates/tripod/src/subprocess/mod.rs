//! Run other programs: Python's `subprocess` module, on top of [`std::process`] (Unix).
//!
//! | Python | tripod |
//! |---|---|
//! | `subprocess.run(args, capture_output=True, input=b, timeout=t, check=True, cwd=d, env=e)` | [`run`]`(args).capture_output(true).input(b).timeout(t).check(true).cwd(d).env(k, v).call()?` |
//! | `CompletedProcess(args, returncode, stdout, stderr)` | [`CompletedProcess`] |
//! | `subprocess.call(args)` / `check_call` / `check_output` | [`call`] / [`check_call`] / [`check_output`] |
//! | `Popen(args, stdin=PIPE, stdout=PIPE, stderr=STDOUT)` | [`Popen::new`]`(args).stdin(Stdio::Piped).stdout(Stdio::Piped).stderr(Stdio::Stdout).spawn()?` |
//! | `p.communicate(input, timeout)` | [`p.communicate(input, timeout)`](Popen::communicate) |
//! | `p.poll()`, `p.wait()`, `p.wait(timeout)` | [`poll`](Popen::poll), [`wait`](Popen::wait), [`wait_timeout`](Popen::wait_timeout) |
//! | `p.terminate()`, `p.kill()`, `p.send_signal(s)` | [`terminate`](Popen::terminate), [`kill`](Popen::kill), [`send_signal`](Popen::send_signal) |
//! | `PIPE`, `DEVNULL`, `STDOUT`, `None` | [`Stdio::Piped`], [`Stdio::Null`], [`Stdio::Stdout`], [`Stdio::Inherit`] |
//! | `CalledProcessError`, `TimeoutExpired`, `FileNotFoundError` | [`Error::CalledProcess`], [`Error::Timeout`], [`Error::Spawn`] |
//!
//! Arguments are always a list (no shell): run `["sh", "-c", "..."]` for shell syntax. A
//! `returncode` is the exit code, or minus the signal number when a signal ended the
//! child (`-9` for SIGKILL), as in Python. Output is bytes; [`CompletedProcess::stdout_str`]
//! decodes it.
//!
//! ```
//! use std::time::Duration;
//! use tripod::subprocess::{self, Error, Popen, Stdio};
//!
//! // run: the common case.
//! let done = subprocess::run(["sh", "-c", "echo hello; echo oops >&2; exit 2"])
//!     .capture_output(true)
//!     .call()?;
//! assert_eq!((done.returncode, done.stdout_str().as_ref()), (2, "hello\n"));
//!
//! // check and timeout are typed errors.
//! let err = subprocess::run(["sleep", "10"]).timeout(Duration::from_millis(100)).call();
//! assert!(matches!(err, Err(Error::Timeout(_))));
//!
//! // Popen + communicate: talk to a running program.
//! let mut p = Popen::new(["sort"]).stdin(Stdio::Piped).stdout(Stdio::Piped).spawn()?;
//! let (out, _err) = p.communicate(b"pear\napple\n", None)?;
//! assert_eq!(out, b"apple\npear\n");
//! assert_eq!(p.returncode(), Some(0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg(unix)]
// Only `sys` (kill(2) and pipe(2)) may use unsafe.
#![deny(unsafe_code)]

mod communicate;
mod error;
mod popen;
mod run;
pub mod signal;
mod stdio;
mod sys;

pub use error::{CalledProcessError, Error, SpawnError, TimeoutExpired};
pub use popen::{Popen, PopenBuilder};
pub use run::{CompletedProcess, Run, call, check_call, check_output, run};
pub use stdio::Stdio;
