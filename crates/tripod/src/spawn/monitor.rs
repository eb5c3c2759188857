//! The parent side of one child: the job that holds the conversation and reaps the child.
//!
//! `launch` writes what the control socket takes at once (for small arguments, everything:
//! the child starts without waiting for another thread); a monitor job, on one of the
//! cached threads of [`workers`](super::workers), writes the rest, reads the outcome (so
//! that a child with a large result never blocks on a full socket, whether or not anyone
//! joins it), then waits for the child's exit and reaps it. A child is therefore never
//! left a zombie, also when its handle is dropped.

use std::io::{self, BufReader, IoSlice, Read};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Instant;

use rustix::process::Pid;

use super::launch::{Launched, Reaper};
use super::protocol::{self, RawOutcome};
use super::workers;
use crate::sys::{self, ExitCode};
use crate::wire::{self, WireError, WireErrorKind};

/// What the parent knows about one child.
pub(crate) struct Monitor {
    pid: Pid,
    pidfd: Option<OwnedFd>,
    daemon: bool,
    reaper: Mutex<Reaper>,
    state: Mutex<State>,
    done: Condvar,
}

struct State {
    outcome: Option<Result<RawOutcome, WireError>>,
    /// The exit status once known; `None` after the end when it cannot be known (a fork
    /// server's child whose server exited before reporting it).
    exitcode: Option<ExitCode>,
    /// The child has exited and, if it is this process's, has been reaped.
    ended: bool,
    /// A fork server's child that ended after reporting its outcome: its exit status is
    /// still on its way from the server, and is read when somebody asks for it.
    status_pending: bool,
}

/// Everything the parent sends.
pub(crate) struct Request {
    pub fds: Vec<OwnedFd>,
    pub header: Vec<u8>,
    pub args: Vec<u8>,
}

/// The request as bytes on their way: the descriptor count, the header frame and the
/// arguments' length in `head`, then the arguments (not copied); the descriptors go with
/// the first byte.
pub(crate) struct Outgoing {
    fds: Vec<OwnedFd>,
    head: Vec<u8>,
    args: Vec<u8>,
    sent: usize,
}

impl Outgoing {
    pub(crate) fn new(request: Request) -> Outgoing {
        let Request { fds, header, args } = request;
        let mut head = Vec::with_capacity(4 + 2 * wire::HEADER_LEN + header.len());
        head.extend_from_slice(&(fds.len() as u32).to_le_bytes());
        head.extend_from_slice(&wire::frame_header(header.len()));
        head.extend_from_slice(&header);
        head.extend_from_slice(&wire::frame_header(args.len()));
        Outgoing {
            fds,
            head,
            args,
            sent: 0,
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        self.sent == self.head.len() + self.args.len()
    }

    /// One `sendmsg` of what is left (with the descriptors if nothing went yet).
    pub(crate) fn send_some(&mut self, socket: &UnixStream, wait: bool) -> io::Result<()> {
        let (head, args) = if self.sent < self.head.len() {
            (&self.head[self.sent..], &self.args[..])
        } else {
            (&[][..], &self.args[self.sent - self.head.len()..])
        };
        let bufs = [IoSlice::new(head), IoSlice::new(args)];
        let fds = if self.sent == 0 { &self.fds[..] } else { &[] };
        let n = sys::send_vectored_with_fds(socket, fds, &bufs, wait)?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        self.sent += n;
        // The descriptors have gone with the first byte: close this process's copies.
        self.fds.clear();
        Ok(())
    }
}

static LIVE: Mutex<Vec<Weak<Monitor>>> = Mutex::new(Vec::new());

impl Monitor {
    /// Hands the rest of the child's life to a monitor job: the rest of `outgoing` (which
    /// [`launch`](super::launch::launch) began to send), the outcome, the exit.
    pub(crate) fn start(
        launched: Launched,
        mut outgoing: Outgoing,
        daemon: bool,
    ) -> io::Result<Arc<Monitor>> {
        let Launched {
            pid,
            pidfd,
            socket,
            reaper,
        } = launched;
        let monitor = Arc::new(Monitor {
            pid,
            pidfd,
            daemon,
            reaper: Mutex::new(reaper),
            state: Mutex::new(State {
                outcome: None,
                exitcode: None,
                ended: false,
                status_pending: false,
            }),
            done: Condvar::new(),
        });
        if !outgoing.is_done() {
            // Without waiting; whatever goes wrong here shows again when the job carries on.
            let _ = outgoing.send_some(&socket, false);
        }
        let inside = Arc::clone(&monitor);
        if let Err(e) = workers::run(Box::new(move || inside.run(socket, outgoing))) {
            // No monitor: kill the child and reap it here.
            let _ = monitor.signal(libc::SIGKILL);
            monitor.finish(Err(WireError::io(e.kind().into())));
            return Err(e);
        }
        let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
        live.retain(|w| w.strong_count() > 0);
        live.push(Arc::downgrade(&monitor));
        Ok(monitor)
    }

    /// The monitor job: the rest of the arguments, the outcome, the exit.
    fn run(&self, socket: UnixStream, mut outgoing: Outgoing) {
        let stream = ChildSocket {
            socket: &socket,
            pidfd: self.pidfd.as_ref().map(|fd| fd.as_fd()),
        };
        // A failed write means the child stopped reading: its outcome, or how it died,
        // says why; the write error itself says nothing more.
        let _ = stream.send_all(&mut outgoing);
        drop(outgoing);
        let outcome = protocol::read_outcome(&mut BufReader::new(stream));
        if let Err(e) = &outcome
            && !matches!(
                e.kind(),
                WireErrorKind::Eof | WireErrorKind::Truncated | WireErrorKind::Io
            )
        {
            // The child broke the protocol; it must not outlive that.
            let _ = self.signal(libc::SIGKILL);
        }
        drop(socket);
        self.finish(outcome);
    }

    /// Waits for the child's exit, reaps it (or gets its status from the fork server),
    /// and records the end.
    fn finish(&self, outcome: Result<RawOutcome, WireError>) {
        let mut reaper = self.reaper.lock().unwrap_or_else(|e| e.into_inner());
        let mut state = match &mut *reaper {
            // Wait for the exit without reaping, then reap under the lock, so that
            // `signal` (which holds it) never signals a reaped pid, which another process
            // may have by then.
            Reaper::Own => {
                let exited = sys::wait_exited(self.pid);
                let mut state = self.lock();
                state.exitcode = exited.and_then(|()| sys::reap_blocking(self.pid)).ok();
                state
            }
            // A child that reported its outcome has ended once its pidfd is readable; the
            // exit status the server sends after reaping it is read only when asked for
            // (`exitcode`), which saves a join the server's round trip.
            Reaper::Server(_) if outcome.is_ok() && self.pidfd.is_some() => {
                if let Some(pidfd) = &self.pidfd {
                    let _ = sys::poll_readable(pidfd.as_fd(), None);
                }
                let mut state = self.lock();
                state.status_pending = true;
                state
            }
            // The server reaps its children; `signal` goes through the pidfd.
            Reaper::Server(replies) => {
                let code = replies.wait_exit().ok();
                if code.is_none()
                    && let Some(pidfd) = &self.pidfd
                {
                    // The server is gone: the status is lost, but the end is not.
                    let _ = sys::poll_readable(pidfd.as_fd(), None);
                }
                let mut state = self.lock();
                state.exitcode = code;
                state
            }
        };
        state.outcome = Some(outcome);
        state.ended = true;
        drop(state);
        self.done.notify_all();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn pid(&self) -> u32 {
        self.pid.as_raw_nonzero().get() as u32
    }

    /// Waits until the child has ended (exited and reaped) or `deadline` passed; true if
    /// it has.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> bool {
        let mut state = self.lock();
        while !state.ended {
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
    /// has exited (without reaping it, which is the monitor's job). `None` while the
    /// child runs, and when its status cannot be known (see [`Monitor::has_ended`]).
    pub(crate) fn exitcode(&self) -> Option<ExitCode> {
        {
            let state = self.lock();
            if state.ended && !state.status_pending {
                return state.exitcode;
            }
            if state.ended {
                drop(state);
                return self.pending_status();
            }
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

    /// Reads the exit status that the fork server sends for a child that has ended.
    fn pending_status(&self) -> Option<ExitCode> {
        // The order of `finish`: the reaper, then the state.
        let mut reaper = self.reaper.lock().unwrap_or_else(|e| e.into_inner());
        if self.lock().status_pending {
            let code = match &mut *reaper {
                Reaper::Server(replies) => replies.wait_exit().ok(),
                Reaper::Own => None,
            };
            let mut state = self.lock();
            state.exitcode = code;
            state.status_pending = false;
        }
        self.lock().exitcode
    }

    /// Whether the child has exited.
    pub(crate) fn has_ended(&self) -> bool {
        if self.lock().ended {
            return true;
        }
        match &self.pidfd {
            Some(pidfd) => sys::poll_readable(pidfd.as_fd(), Some(Instant::now())).unwrap_or(false),
            None => false,
        }
    }

    pub(crate) fn is_alive(&self) -> bool {
        !self.has_ended()
    }

    /// Sends `sig` to the child unless it has already been reaped.
    pub(crate) fn signal(&self, sig: i32) -> io::Result<()> {
        let state = self.lock();
        if state.ended {
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

    /// Takes the outcome after [`wait`](Monitor::wait) returned true; the exit status is
    /// [`exitcode`](Monitor::exitcode), fetched only where it is needed.
    pub(crate) fn take_outcome(&self) -> Option<Result<RawOutcome, WireError>> {
        self.lock().outcome.take()
    }
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

impl ChildSocket<'_> {
    /// Sends everything left in `outgoing`, or fails when the child exits first.
    fn send_all(&self, outgoing: &mut Outgoing) -> io::Result<()> {
        while !outgoing.is_done() {
            if let Some(pidfd) = self.pidfd {
                let (ready, exited) = sys::poll_or_exit(self.socket.as_fd(), true, pidfd)?;
                if !ready && exited {
                    return Err(io::Error::new(
                        io::ErrorKind::BrokenPipe,
                        "the child exited without reading everything",
                    ));
                }
            }
            match outgoing.send_some(self.socket, self.pidfd.is_none()) {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) => {}
                other => other?,
            }
        }
        Ok(())
    }
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
