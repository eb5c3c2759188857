//! Signal numbers for [`Popen::send_signal`](super::Popen::send_signal) (Python's
//! `signal.SIGINT` and friends).
//!
//! ```
//! use tripod::subprocess::signal;
//!
//! assert_eq!((signal::SIGKILL, signal::SIGTERM), (9, 15));
//! ```

/// Hang-up.
pub const SIGHUP: i32 = libc::SIGHUP;
/// Interrupt (Ctrl-C).
pub const SIGINT: i32 = libc::SIGINT;
/// Quit (Ctrl-\\).
pub const SIGQUIT: i32 = libc::SIGQUIT;
/// Kill; cannot be caught ([`Popen::kill`](super::Popen::kill)).
pub const SIGKILL: i32 = libc::SIGKILL;
/// User-defined signal 1.
pub const SIGUSR1: i32 = libc::SIGUSR1;
/// User-defined signal 2.
pub const SIGUSR2: i32 = libc::SIGUSR2;
/// Termination request ([`Popen::terminate`](super::Popen::terminate)).
pub const SIGTERM: i32 = libc::SIGTERM;
/// Continue a stopped process.
pub const SIGCONT: i32 = libc::SIGCONT;
/// Stop; cannot be caught.
pub const SIGSTOP: i32 = libc::SIGSTOP;
