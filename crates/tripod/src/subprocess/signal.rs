//! Signal numbers for [`Popen::send_signal`](super::Popen::send_signal) (Python's
//! `signal.SIGINT` and friends).
//!
//! ```
//! use tripod::subprocess::signal;
//!
//! assert_eq!((signal::SIGKILL, signal::SIGTERM), (9, 15));
//! ```

/// Hang-up.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGHUP, 1);
/// ```
pub const SIGHUP: i32 = libc::SIGHUP;
/// Interrupt (Ctrl-C).
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGINT, 2);
/// ```
pub const SIGINT: i32 = libc::SIGINT;
/// Quit (Ctrl-\\).
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGQUIT, 3);
/// ```
pub const SIGQUIT: i32 = libc::SIGQUIT;
/// Kill; cannot be caught ([`Popen::kill`](super::Popen::kill)).
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGKILL, 9);
/// ```
pub const SIGKILL: i32 = libc::SIGKILL;
/// User-defined signal 1.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGUSR1, 10);
/// ```
pub const SIGUSR1: i32 = libc::SIGUSR1;
/// User-defined signal 2.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGUSR2, 12);
/// ```
pub const SIGUSR2: i32 = libc::SIGUSR2;
/// Termination request ([`Popen::terminate`](super::Popen::terminate)).
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGTERM, 15);
/// ```
pub const SIGTERM: i32 = libc::SIGTERM;
/// Continue a stopped process.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGCONT, 18);
/// ```
pub const SIGCONT: i32 = libc::SIGCONT;
/// Stop; cannot be caught.
///
/// ```
/// # #[cfg(target_os = "linux")]
/// assert_eq!(tripod::subprocess::signal::SIGSTOP, 19);
/// ```
pub const SIGSTOP: i32 = libc::SIGSTOP;
