//! `fork`, for the `Fork` start method and the fork server.

use std::io;

use rustix::process::Pid;

use crate::spawn::StartMethod;

/// Proof that someone accepted the hazards of `fork` in a multithreaded process: only
/// [`StartMethod::fork`] (an `unsafe fn`) and the single-threaded fork server create one.
///
/// ```
/// use tripod::multiprocessing::StartMethod;
///
/// // SAFETY: nothing is forked here; the method is only inspected.
/// let method = unsafe { StartMethod::fork() };
/// assert!(matches!(method, StartMethod::Fork(_)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ForkPermit(());

impl ForkPermit {
    /// For the fork server, whose process has a single thread.
    pub(crate) fn single_threaded() -> Self {
        ForkPermit(())
    }
}

impl StartMethod {
    /// The `Fork` start method: the child is a `fork` of the parent (Linux), and runs the
    /// task in its copy of the parent's memory. The fastest way to start a child, and the
    /// most dangerous.
    ///
    /// ```
    /// use tripod::multiprocessing::StartMethod;
    ///
    /// // SAFETY: this doc test's process only forks where no other thread holds a lock.
    /// let method = unsafe { StartMethod::fork() };
    /// assert!(matches!(method, StartMethod::Fork(_)));
    /// ```
    ///
    /// # Safety
    ///
    /// The child of `fork` has one thread: the one that called `start`. Every lock that
    /// another thread of the parent held at that moment stays locked forever in the child,
    /// and POSIX allows the child only async-signal-safe calls until it `exec`s. tripod's
    /// child code allocates and takes locks (the allocator's, stdio's), so if another thread
    /// of the parent was inside `malloc`, printing, or holding any lock the task needs,
    /// the child deadlocks (rayon#708 is this bug). Choose `Fork` only when the parent has
    /// no other threads doing such things while children start, or when the risk is
    /// understood; prefer [`StartMethod::ForkServer`], which forks from a process that has a
    /// single thread.
    pub unsafe fn fork() -> StartMethod {
        StartMethod::Fork(ForkPermit(()))
    }
}

/// Forks. In the child, runs `child` and ends the process with its return value as exit
/// status (`_exit`, after flushing stdout); in the parent returns the child's pid.
pub(crate) fn fork_child(_permit: ForkPermit, child: impl FnOnce() -> i32) -> io::Result<Pid> {
    // SAFETY: the permit shows that the caller accepted fork's hazards in a multithreaded
    // process (see `StartMethod::fork`), or that this process has a single thread.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            // Never unwind out of here: above this frame is a copy of the caller (the
            // parent's `start`, or the fork server's loop), which must not run twice.
            let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child)).unwrap_or(1);
            use std::io::Write;
            let _ = std::io::stdout().flush();
            super::exit_now(code)
        }
        pid => Ok(Pid::from_raw(pid).expect("fork returned a positive pid")),
    }
}

/// Closes descriptors that a forked child inherited from the process that forked it and
/// must not keep (the fork server's control socket, its other children's pidfds).
///
/// Only for a child of [`fork_child`], inside its closure: the owners of these
/// descriptors live in the frames above, which the child never returns to (it ends with
/// `_exit`), so nothing closes or uses them again.
pub(crate) fn close_inherited(fds: &[std::os::fd::BorrowedFd<'_>]) {
    use std::os::fd::AsRawFd;
    for fd in fds {
        // SAFETY: see above: in this forked child, the `OwnedFd`s behind `fds` are never
        // dropped (the process ends with `_exit`) nor used after this call, so closing
        // their descriptors cannot lead to a double close or a use of a reused number.
        unsafe {
            libc::close(fd.as_raw_fd());
        }
    }
}
