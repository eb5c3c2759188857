//! Handing a descriptor to an exec'd child, taking it on the other side, SIGPIPE, `_exit`.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Makes `fd` (open in this process with `FD_CLOEXEC`) survive the `exec` of `command`'s
/// child only: the flag is cleared between `fork` and `exec`, in the child.
pub(crate) fn inherit_fd_on_exec(command: &mut Command, fd: RawFd) {
    // SAFETY: the closure runs in the forked child before exec, where only
    // async-signal-safe functions may be called: it makes one `fcntl` call (async-signal-
    // safe per POSIX) on a descriptor number captured by value, allocates nothing and takes
    // no lock.
    unsafe {
        command.pre_exec(move || {
            if libc::fcntl(fd, libc::F_SETFD, 0) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Takes ownership of descriptor `raw`, which this process inherited from its parent and
/// whose number came through the environment.
///
/// # Errors
///
/// `raw` is not an open descriptor.
pub(crate) fn take_inherited_fd(raw: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: `fcntl(F_GETFD)` only queries the descriptor table, for any integer.
    if raw < 0 || unsafe { libc::fcntl(raw, libc::F_GETFD) } == -1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor {raw} named by the parent is not open"),
        ));
    }
    // SAFETY: `raw` is open (checked above) and owned by nothing else in this process: it
    // was inherited for the child entry alone, which calls this once, before `main`, after
    // which the environment variable naming it is removed.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// Ignores SIGPIPE, as std's runtime does before `main`, so that writing to a closed pipe
/// is an `EPIPE` error instead of death. (The child entry runs before that runtime setup.)
pub(crate) fn ignore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_IGN installs no handler code and
    // touches no Rust state.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Ends the process at once with `code`, without running `atexit` handlers or flushing
/// stdio buffers (the caller flushes what it must first). Used by a forked child, whose
/// `atexit` handlers and buffers are copies of the parent's, and by the watcher that kills
/// a daemon child whose parent died.
pub(crate) fn exit_now(code: i32) -> ! {
    // SAFETY: `_exit` is async-signal-safe and has no preconditions.
    unsafe { libc::_exit(code) }
}

/// If `fd` is this process's stdin (how `Spawn` hands a child its control socket), moves
/// it to another descriptor number and puts `/dev/null` on stdin, as the parent asked
/// for the child before this way of passing the socket.
pub(crate) fn move_off_stdin(fd: OwnedFd) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    if fd.as_raw_fd() != 0 {
        return Ok(fd);
    }
    let moved = rustix::io::fcntl_dupfd_cloexec(&fd, 3)?;
    let null = std::fs::File::open("/dev/null")?;
    // SAFETY: descriptor 0 is owned by `fd`, which is forgotten right after, so replacing
    // what it names invalidates no other owner; `null` is open.
    if unsafe { libc::dup2(null.as_raw_fd(), 0) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // `fd` was number 0, which now names /dev/null (stdin): forget it rather than close
    // it.
    std::mem::forget(fd);
    Ok(moved)
}
