//! `sys`: the thin platform layer under the process leg (Linux).
//!
//! Everything here is small and close to the system call: process ids and pidfds, waiting
//! and signalling, passing file descriptors over a Unix socket, `fork`, and the few
//! operations that need `unsafe` (each in its own file, each block with a `// SAFETY:`
//! comment). The rest of the crate forbids `unsafe` and calls these functions.
#![cfg(unix)]

mod entry;
mod exec;
mod fd_passing;
mod fork;
mod pid;
mod signal;
mod tasks;

pub(crate) use entry::{child_entry_anchor, remove_env};
pub(crate) use exec::{
    exit_now, ignore_sigpipe, inherit_fd_on_exec, move_off_stdin, take_inherited_fd,
};
pub(crate) use fd_passing::{recv_exact_with_fds, recv_with_fds, send_vectored_with_fds};
pub use fork::ForkPermit;
pub(crate) use fork::{close_inherited, fork_child};
pub(crate) use pid::{
    ExitCode, kill, peek_exit, pidfd_open, poll_many, poll_or_exit, poll_readable, reap_blocking,
    set_cloexec, try_reap, wait_exited,
};
pub(crate) use signal::signal_name;
