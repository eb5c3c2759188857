//! Process ids, pidfds, waiting and signalling, through rustix's safe API.

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Instant;

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::{FdFlags, fcntl_getfd, fcntl_setfd};
use rustix::process::{
    Pid, PidfdFlags, Signal, WaitId, WaitIdOptions, WaitIdStatus, WaitOptions, WaitStatus,
};

/// An exit status in Python's convention: the exit code, or minus the signal number when a
/// signal ended the process.
pub(crate) type ExitCode = i32;

/// Opens a pidfd for `pid`: a descriptor that becomes readable when the process exits and
/// through which it can be signalled without the risk of pid reuse.
pub(crate) fn pidfd_open(pid: Pid) -> io::Result<OwnedFd> {
    rustix::process::pidfd_open(pid, PidfdFlags::empty()).map_err(io::Error::from)
}

/// Waits until `fd` is readable (or hung up) or `deadline` passes; true if it is. `None`
/// waits without limit.
pub(crate) fn poll_readable(fd: BorrowedFd<'_>, deadline: Option<Instant>) -> io::Result<bool> {
    loop {
        let timeout = match deadline {
            None => None,
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                Some(Timespec {
                    tv_sec: left.as_secs().min(i64::MAX as u64) as i64,
                    tv_nsec: left.subsec_nanos().into(),
                })
            }
        };
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, timeout.as_ref()) {
            Ok(0) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(false);
                }
            }
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

fn code_of_wait(status: WaitStatus) -> ExitCode {
    if let Some(sig) = status.terminating_signal() {
        -sig
    } else {
        status.exit_status().unwrap_or(0)
    }
}

fn code_of_waitid(status: &WaitIdStatus) -> ExitCode {
    if let Some(sig) = status.terminating_signal() {
        -sig
    } else {
        status.exit_status().unwrap_or(0)
    }
}

/// Waits for child `pid` to exit and reaps it.
pub(crate) fn reap_blocking(pid: Pid) -> io::Result<ExitCode> {
    loop {
        match rustix::process::waitpid(Some(pid), WaitOptions::empty()) {
            Ok(Some((_, status))) if status.exited() || status.signaled() => {
                return Ok(code_of_wait(status));
            }
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Reaps child `pid` if it has exited: its exit status, or `None` while it runs.
pub(crate) fn try_reap(pid: Pid) -> io::Result<Option<ExitCode>> {
    loop {
        match rustix::process::waitpid(Some(pid), WaitOptions::NOHANG) {
            Ok(Some((_, status))) if status.exited() || status.signaled() => {
                return Ok(Some(code_of_wait(status)));
            }
            Ok(_) => return Ok(None),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// Waits for child `pid` to exit, without reaping it: its pid stays reserved until
/// [`reap_blocking`] is called.
pub(crate) fn wait_exited(pid: Pid) -> io::Result<()> {
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT;
    loop {
        match rustix::process::waitid(WaitId::Pid(pid), options) {
            Ok(_) => return Ok(()),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// The exit status of the child behind `pidfd` if it has exited, without reaping it
/// (the reaper does that).
pub(crate) fn peek_exit(pidfd: BorrowedFd<'_>) -> io::Result<Option<ExitCode>> {
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG | WaitIdOptions::NOWAIT;
    match rustix::process::waitid(WaitId::PidFd(pidfd), options) {
        Ok(Some(status)) if status.exited() || status.killed() || status.dumped() => {
            Ok(Some(code_of_waitid(&status)))
        }
        Ok(_) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Sends signal `sig` (a raw number) through `pidfd` if there is one, else to `pid`.
pub(crate) fn kill(pid: Pid, pidfd: Option<BorrowedFd<'_>>, sig: i32) -> io::Result<()> {
    let sig = Signal::from_named_raw(sig)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "unknown signal"))?;
    match pidfd {
        Some(fd) => rustix::process::pidfd_send_signal(fd, sig),
        None => rustix::process::kill_process(pid, sig),
    }
    .map_err(io::Error::from)
}

/// Sets `FD_CLOEXEC` on `fd`.
pub(crate) fn set_cloexec(fd: impl AsFd) -> io::Result<()> {
    let flags = fcntl_getfd(&fd)?;
    fcntl_setfd(&fd, flags | FdFlags::CLOEXEC)?;
    Ok(())
}

/// Waits until at least one of `fds` is readable (or hung up), or `timeout` passed
/// (`None`: without limit); returns which are.
pub(crate) fn poll_many(
    fds: &[BorrowedFd<'_>],
    timeout: Option<std::time::Duration>,
) -> io::Result<Vec<bool>> {
    let mut polled: Vec<PollFd<'_>> = fds
        .iter()
        .map(|fd| PollFd::new(fd, PollFlags::IN))
        .collect();
    let timeout = timeout.map(|t| Timespec {
        tv_sec: t.as_secs().min(i64::MAX as u64) as i64,
        tv_nsec: t.subsec_nanos().into(),
    });
    loop {
        match poll(&mut polled, timeout.as_ref()) {
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(polled.iter().map(|p| !p.revents().is_empty()).collect())
}

/// Waits without limit until `fd` is readable (or, with `write`, writable) or the process
/// behind `pidfd` has exited; returns whether `fd` is ready and whether the process exited.
pub(crate) fn poll_or_exit(
    fd: BorrowedFd<'_>,
    write: bool,
    pidfd: BorrowedFd<'_>,
) -> io::Result<(bool, bool)> {
    let events = if write { PollFlags::OUT } else { PollFlags::IN };
    let mut polled = [PollFd::new(&fd, events), PollFd::new(&pidfd, PollFlags::IN)];
    loop {
        match poll(&mut polled, None) {
            Ok(_) => break,
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok((
        !polled[0].revents().is_empty(),
        !polled[1].revents().is_empty(),
    ))
}
