//! The parent side of one child: a thread that holds the conversation and reaps the child.
//!
//! Each started child gets a small thread that writes the descriptors, header and
//! arguments, reads the outcome (so that a child with a large result never blocks on a
//! full socket, whether or not anyone joins it), then waits for the child's exit and
//! reaps it. A child is therefore never left a zombie, also when its handle is dropped.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Instant;

use rustix::io::Errno;
use rustix::net::SendFlags;
use rustix::process::Pid;

use super::launch::{Launched, Reaper};
use super::protocol::{self, NoSigPipe, RawOutcome};
use crate::sys::{self, ExitCode};
use crate::wire::{self, WireError, WireErrorKind};

/// What the parent knows about one child.
pub(crate) struct Monitor {
    pid: Pid,
    pidfd: Option<OwnedFd>,
    daemon: bool,
    state: Mutex<State>,
    done: Condvar,
}

struct State {
    outcome: Option<Result<RawOutcome, WireError>>,
    exitcode: Option<ExitCode>,
}

/// Everything the parent sends.
pub(crate) struct Request {
    pub fds: Vec<OwnedFd>,
    pub header: Vec<u8>,
    pub args: Vec<u8>,
    pub daemon: bool,
}

static LIVE: Mutex<Vec<Weak<Monitor>>> = Mutex::new(Vec::new());

impl Monitor {
    /// Starts the monitor thread of a launched child.
    pub(crate) fn start(launched: Launched, request: Request) -> io::Result<Arc<Monitor>> {
        let Launched {
            pid,
            pidfd,
            socket,
            reaper,
        } = launched;
        let monitor = Arc::new(Monitor {
            pid,
            pidfd,
            daemon: request.daemon,
            state: Mutex::new(State {
                outcome: None,
                exitcode: None,
            }),
            done: Condvar::new(),
        });
        let inside = Arc::clone(&monitor);
        let spawned = std::thread::Builder::new()
            .name(format!("tripod-process-{pid}"))
            .spawn(move || {
                let mut stream = ChildSocket {
                    socket: &socket,
                    pidfd: inside.pidfd.as_ref().map(|fd| fd.as_fd()),
                };
                let written = send(&mut stream, &request);
                drop(request);
                let outcome = protocol::read_outcome(&mut stream);
                if let Err(e) = &outcome
                    && !matches!(
                        e.kind(),
                        WireErrorKind::Eof | WireErrorKind::Truncated | WireErrorKind::Io
                    )
                {
                    // The child broke the protocol; it must not outlive that.
                    let _ = inside.signal(libc::SIGKILL);
                }
                // A failed write means the child stopped reading: its outcome, or how it
                // died, says why; the write error itself says nothing more.
                let _ = written;
                drop(socket);
                let mut state = match &reaper {
                    // Wait for the exit without reaping, then reap under the lock, so that
                    // `signal` (which holds it) never signals a reaped pid, which another
                    // process may have by then.
                    Reaper::Own => {
                        let exited = sys::wait_exited(pid);
                        let mut state = inside.lock();
                        state.exitcode = Some(
                            exited
                                .and_then(|()| sys::reap_blocking(pid))
                                .unwrap_or(-libc::SIGKILL),
                        );
                        state
                    }
                    // The server reaps its children; `signal` goes through the pidfd.
                    Reaper::Server(server) => {
                        let code = server.wait_exit(pid).unwrap_or(-libc::SIGKILL);
                        let mut state = inside.lock();
                        state.exitcode = Some(code);
                        state
                    }
                };
                state.outcome = Some(outcome);
                drop(state);
                inside.done.notify_all();
            });
        if let Err(e) = spawned {
            let _ = monitor.signal(libc::SIGKILL);
            // Without the monitor, reap here (the child dies of the SIGKILL).
            if let Some(pidfd) = &monitor.pidfd {
                let _ = sys::poll_readable(pidfd.as_fd(), None);
            }
            return Err(e);
        }
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(&monitor));
        Ok(monitor)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid.as_raw_nonzero().get() as u32
    }

    /// Waits until the child has been reaped or `deadline` passed; true if it has.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.lock();
        while state.exitcode.is_none() {
            match deadline {
                None => state = self.done.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    state = self
                        .done
                        .wait_timeout(state, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
        true
    }

    /// The exit status: known once reaped, or peeked through the pidfd once the child
    /// has exited (without reaping it, which is the monitor's job).
    pub(crate) fn exitcode(&self) -> Option<ExitCode> {
        if let Some(code) = self.lock().exitcode {
            return Some(code);
        }
        let pidfd = self.pidfd.as_ref()?;
        if let Ok(Some(code)) = sys::peek_exit(pidfd.as_fd()) {
            return Some(code);
        }
        // A fork server's child is not ours to peek at: readable pidfd means it exited;
        // its status comes from the server, shortly.
        match sys::poll_readable(pidfd.as_fd(), Some(Instant::now())) {
            Ok(true) => {
                self.wait(None);
                self.lock().exitcode
            }
            _ => None,
        }
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.exitcode().is_none()
    }

    /// Sends `sig` to the child unless it has already been reaped.
    pub(crate) fn signal(&self, sig: i32) -> io::Result<()> {
        let state = self.lock();
        if state.exitcode.is_some() {
            return Ok(());
        }
        // Holding the lock: the monitor reaps a child of this process only under it, so the
        // pid cannot have been reused. A fork server's child is reaped by the server: only
        // the pidfd (opened while the child was known to run) is safe then.
        match sys::kill(self.pid, self.pidfd.as_ref().map(|fd| fd.as_fd()), sig) {
            Err(e) if e.raw_os_error() == Some(libc::ESRCH) => Ok(()),
            other => other,
        }
    }

    /// Takes the outcome after [`wait`](Monitor::wait) returned true.
    pub(crate) fn take_outcome(&self) -> (Option<Result<RawOutcome, WireError>>, ExitCode) {
        let mut state = self.lock();
        (
            state.outcome.take(),
            state.exitcode.unwrap_or(-libc::SIGKILL),
        )
    }
}

fn send(out: &mut ChildSocket<'_>, request: &Request) -> io::Result<()> {
    sys::send_with_fds(out.socket, &request.fds)?;
    wire::write_frame(out, &request.header).map_err(io::Error::other)?;
    wire::write_frame(out, &request.args).map_err(io::Error::other)?;
    out.flush()
}

/// The control socket as the monitor uses it: reads and writes end when the child has
/// exited, also while a copy of the child's end lives on elsewhere, which keeps the
/// socket itself open. (A process that the child forked inherits its end; so does a
/// child that another thread of this process forks with the `Fork` method while this
/// socket pair is being set up.) Without a pidfd, plain socket I/O.
struct ChildSocket<'a> {
    socket: &'a UnixStream,
    pidfd: Option<BorrowedFd<'a>>,
}

impl Read for ChildSocket<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(pidfd) = self.pidfd {
            let (ready, exited) = sys::poll_or_exit(self.socket.as_fd(), false, pidfd)?;
            // What the child wrote before it exited is in the socket by now: read that
            // first, then report the end of the stream.
            if !ready && exited && !sys::poll_readable(self.socket.as_fd(), Some(Instant::now()))? {
                return Ok(0);
            }
        }
        (&mut &*self.socket).read(buf)
    }
}

impl Write for ChildSocket<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(pidfd) = self.pidfd else {
            return NoSigPipe(self.socket).write(buf);
        };
        loop {
            let (ready, exited) = sys::poll_or_exit(self.socket.as_fd(), true, pidfd)?;
            if !ready && exited {
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "the child exited without reading everything",
                ));
            }
            let flags = SendFlags::NOSIGNAL | SendFlags::DONTWAIT;
            match rustix::net::send(self.socket, buf, flags) {
                Err(Errno::AGAIN | Errno::INTR) => {}
                other => return other.map_err(io::Error::from),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Python's exit handler for children: terminates the daemon children still running, then
/// waits for every child. Called by [`tripod::main`](crate::main).
pub(crate) fn at_exit() {
    let live: Vec<Arc<Monitor>> = LIVE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    for monitor in live.iter().filter(|m| m.daemon) {
        let _ = monitor.signal(libc::SIGTERM);
    }
    for monitor in &live {
        monitor.wait(None);
    }
}
