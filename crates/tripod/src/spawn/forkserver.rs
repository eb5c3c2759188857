//! The fork server: a single-threaded process that forks the children of one parent.
//!
//! Started on first use of [`StartMethod::ForkServer`](super::StartMethod::ForkServer) by
//! running the current executable again with [`SERVER_FD_ENV`] naming its control socket;
//! the child entry (before `main`) then runs [`run_server`], so the server has a single
//! thread and `fork` is safe in it. Per request (a child's control socket and the write end
//! of a reply pipe, passed with `SCM_RIGHTS`, and its daemon flag) it forks a child that
//! holds the usual conversation with the parent directly, and reports on the reply pipe the
//! child's pid, then, when the child exits and the server has reaped it, its exit status,
//! which the parent could not get otherwise (the child is the server's, not the parent's).
//! The server keeps one child forked ahead (a [`Spare`]) waiting for its control socket,
//! so a start costs it one `sendmsg`; it forks the next spare while that child runs.
//! Each request has its own pipe, so the thread that asked reads the pid, and the child's
//! monitor its exit status, without any other thread in between. When the parent goes
//! away, the server kills its daemon children and exits.
//!
//! Replies are 5 bytes: a tag (`STARTED`, `EXITED`, `FAILED`) and a pid, a status or an
//! errno, little-endian.

use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustix::process::Pid;

use super::child::{self, ParentCheck};
use crate::sys::{self, ExitCode, ForkPermit};

/// The environment variable that names the control socket of a fork server.
pub(crate) const SERVER_FD_ENV: &str = "TRIPOD_FORKSERVER_FD";

const STARTED: u8 = 0;
const EXITED: u8 = 1;
const FAILED: u8 = 2;

/// The parent's side of its fork server.
pub(crate) struct ForkServer {
    /// Requests go out one at a time.
    requests: Mutex<UnixStream>,
    /// Readable once the server has exited; `None` if `pidfd_open` failed.
    pidfd: Option<OwnedFd>,
    gone: AtomicBool,
}

/// The parent's end of one child's reply pipe: the child's exit status comes through it.
pub(crate) struct Replies {
    pipe: std::fs::File,
    server: Arc<ForkServer>,
}

static SERVER: Mutex<Option<Arc<ForkServer>>> = Mutex::new(None);

/// The fork server of this process, started on first use.
pub(crate) fn server() -> io::Result<Arc<ForkServer>> {
    let mut slot = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(server) = slot.as_ref()
        && !server.is_gone()
    {
        return Ok(Arc::clone(server));
    }
    let server = start_server()?;
    *slot = Some(Arc::clone(&server));
    Ok(server)
}

fn start_server() -> io::Result<Arc<ForkServer>> {
    let (socket, server_end) = UnixStream::pair()?;
    let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    let mut command = Command::new(exe);
    command
        .env(SERVER_FD_ENV, server_end.as_raw_fd().to_string())
        .stdin(Stdio::null());
    sys::inherit_fd_on_exec(&mut command, server_end.as_raw_fd());
    // The server lives as long as this process and exits when it does; if it dies
    // earlier, the watcher thread reaps it.
    let process = command.spawn()?;
    drop(server_end);
    let pid = Pid::from_raw(process.id() as i32).expect("a child's pid is positive");
    let server = Arc::new(ForkServer {
        requests: Mutex::new(socket),
        pidfd: sys::pidfd_open(pid).ok(),
        gone: AtomicBool::new(false),
    });
    let inside = Arc::clone(&server);
    std::thread::Builder::new()
        .name("tripod-forkserver".to_owned())
        .spawn(move || {
            let _ = sys::reap_blocking(pid);
            inside.gone.store(true, Ordering::Release);
        })?;
    Ok(server)
}

impl ForkServer {
    /// Whether the server has exited: reaped by its watcher thread, or dead and not yet
    /// reaped (its pidfd is readable from the moment it exits), so a start right after the
    /// server died gets a new server rather than a broken pipe.
    fn is_gone(&self) -> bool {
        self.gone.load(Ordering::Acquire)
            || self.pidfd.as_ref().is_some_and(|pidfd| {
                sys::poll_readable(pidfd.as_fd(), Some(std::time::Instant::now())).unwrap_or(false)
            })
    }

    /// Asks the server for a child that talks to this process over `socket`: its pid, and
    /// where its exit status will come from.
    pub(crate) fn fork_child(
        self: &Arc<Self>,
        socket: UnixStream,
        daemon: bool,
    ) -> io::Result<(Pid, Replies)> {
        let (reader, writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        // One message: the descriptor count, the daemon flag, the descriptors attached.
        let mut message = [0u8; 5];
        message[..4].copy_from_slice(&2u32.to_le_bytes());
        message[4] = u8::from(daemon);
        let sent = {
            let control = self.requests.lock().unwrap_or_else(|e| e.into_inner());
            sys::send_vectored_with_fds(
                &*control,
                &[OwnedFd::from(socket), writer],
                &[io::IoSlice::new(&message)],
                true,
            )?
        };
        if sent != message.len() {
            // Five bytes fit in any socket buffer that the server keeps emptying.
            return Err(io::Error::other("short request to the fork server"));
        }
        let mut replies = Replies {
            pipe: std::fs::File::from(reader),
            server: Arc::clone(self),
        };
        match replies.next()? {
            (STARTED, pid) => {
                let pid = Pid::from_raw(pid)
                    .ok_or_else(|| io::Error::other("the fork server sent pid 0"))?;
                Ok((pid, replies))
            }
            (FAILED, errno) => Err(io::Error::from_raw_os_error(errno)),
            _ => Err(io::Error::other("unexpected reply from the fork server")),
        }
    }
}

impl Replies {
    /// The next reply; an error when the server exited without sending it.
    fn next(&mut self) -> io::Result<(u8, i32)> {
        let gone = || io::Error::other("the fork server exited");
        // The pipe ends when the server exits, unless a child that another thread of this
        // process forked (`Fork`) while the pipe was being set up holds a copy of its write
        // end: watch the server itself too.
        if let Some(pidfd) = &self.server.pidfd {
            let ready = sys::poll_many(&[self.pipe.as_fd(), pidfd.as_fd()], None)?;
            if !ready[0] && !sys::poll_readable(self.pipe.as_fd(), Some(std::time::Instant::now()))?
            {
                return Err(gone());
            }
        }
        let mut message = [0u8; 5];
        self.pipe.read_exact(&mut message).map_err(|_| gone())?;
        let value = i32::from_le_bytes(message[1..5].try_into().expect("4 bytes"));
        Ok((message[0], value))
    }

    /// Waits for the exit status of the child, as the server reports it.
    pub(crate) fn wait_exit(&mut self) -> io::Result<ExitCode> {
        match self.next()? {
            (EXITED, code) => Ok(code),
            _ => Err(io::Error::other("unexpected reply from the fork server")),
        }
    }
}

/// The server loop; runs in the child entry, before `main`, and never returns.
pub(crate) fn run_server(fd: Option<i32>) -> ! {
    sys::ignore_sigpipe();
    let control = fd
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad descriptor number"))
        .and_then(sys::take_inherited_fd)
        .and_then(|fd| {
            sys::set_cloexec(&fd)?;
            Ok(UnixStream::from(fd))
        });
    match control {
        Ok(control) => serve(control),
        Err(e) => {
            eprintln!("tripod: cannot start the fork server: {e}");
            std::process::exit(1)
        }
    }
}

struct Child {
    pid: Pid,
    /// `None` if `pidfd_open` failed: the child is then checked with `waitpid` from time
    /// to time instead.
    pidfd: Option<OwnedFd>,
    daemon: bool,
    /// The write end of the child's reply pipe, for its exit status.
    replies: OwnedFd,
}

/// How often children without a pidfd are checked.
const UNWATCHED_CHECK: std::time::Duration = std::time::Duration::from_millis(20);

/// Sends one reply; a parent that stopped listening (its end of the pipe closed) is no
/// concern of the server's.
fn reply(pipe: &OwnedFd, tag: u8, value: i32) {
    let mut message = [0u8; 5];
    message[0] = tag;
    message[1..5].copy_from_slice(&value.to_le_bytes());
    // Five bytes go into a pipe at once (at most `PIPE_BUF` bytes are written whole).
    while let Err(rustix::io::Errno::INTR) = rustix::io::write(pipe, &message) {}
}

/// A child forked ahead of the next request, waiting on its hand-off socket for the
/// control socket of its conversation: starting a child then costs the server one
/// `sendmsg` instead of a `fork`, and the server forks the next spare while the child
/// runs.
struct Spare {
    pid: Pid,
    /// The server's end; the spare exits when it closes unused (the server is gone).
    handoff: UnixStream,
}

/// Forks a spare child, which closes everything of the server's and waits.
fn fork_spare(control: &UnixStream, children: &[Child]) -> io::Result<Spare> {
    let (handoff, spare_end) = UnixStream::pair()?;
    let pid = sys::fork_child(ForkPermit::single_threaded(), || {
        // As for any child of the server: none of its descriptors (the control socket
        // would keep the server's parent from seeing it gone; reply pipes and pidfds
        // belong to the siblings).
        let mut inherited = vec![control.as_fd(), handoff.as_fd()];
        for c in children {
            inherited.push(c.replies.as_fd());
            inherited.extend(c.pidfd.as_ref().map(|p| p.as_fd()));
        }
        sys::close_inherited(&inherited);
        match sys::recv_with_fds(&spare_end).map(Vec::into_iter) {
            Ok(mut fds) => match (fds.next(), fds.next()) {
                (Some(socket), None) => {
                    child::serve(&UnixStream::from(socket), ParentCheck::ViaServer)
                }
                _ => 1,
            },
            // The server went away before it needed this spare.
            Err(_) => 0,
        }
    })?;
    drop(spare_end);
    Ok(Spare { pid, handoff })
}

/// Starts a child for the conversation on `socket`: hands it to the spare if there is a
/// live one, or forks one now.
fn start_child(
    control: &UnixStream,
    children: &[Child],
    spare: Option<Spare>,
    socket: UnixStream,
) -> io::Result<Pid> {
    let socket = match spare {
        Some(spare) => {
            let message = 1u32.to_le_bytes();
            let fds = [OwnedFd::from(socket)];
            let handed = sys::send_vectored_with_fds(
                &spare.handoff,
                &fds,
                &[io::IoSlice::new(&message)],
                true,
            );
            if handed.is_ok_and(|sent| sent == message.len()) {
                return Ok(spare.pid);
            }
            // The spare died (killed from outside): reap it and fork the child now.
            drop(spare.handoff);
            let _ = sys::reap_blocking(spare.pid);
            let [fd] = fds;
            UnixStream::from(fd)
        }
        None => socket,
    };
    sys::fork_child(ForkPermit::single_threaded(), || {
        let mut inherited = vec![control.as_fd()];
        for c in children {
            inherited.push(c.replies.as_fd());
            inherited.extend(c.pidfd.as_ref().map(|p| p.as_fd()));
        }
        sys::close_inherited(&inherited);
        child::serve(&socket, ParentCheck::ViaServer)
    })
}

fn serve(control: UnixStream) -> ! {
    let mut children: Vec<Child> = Vec::new();
    let mut spare = fork_spare(&control, &children).ok();
    loop {
        let watched: Vec<usize> = (0..children.len())
            .filter(|&i| children[i].pidfd.is_some())
            .collect();
        let unwatched = watched.len() < children.len();
        let ready = {
            let mut fds = vec![control.as_fd()];
            fds.extend(
                children
                    .iter()
                    .filter_map(|c| c.pidfd.as_ref().map(|p| p.as_fd())),
            );
            match sys::poll_many(&fds, unwatched.then_some(UNWATCHED_CHECK)) {
                Ok(ready) => ready,
                Err(_) => std::process::exit(1),
            }
        };
        let mut exited: Vec<usize> = ready
            .iter()
            .skip(1)
            .zip(&watched)
            .filter(|(r, _)| **r)
            .map(|(_, &i)| i)
            .collect();
        let mut codes = Vec::new();
        for (i, child) in children.iter().enumerate() {
            if child.pidfd.is_none()
                && let Ok(Some(code)) = sys::try_reap(child.pid)
            {
                exited.push(i);
                codes.push((i, code));
            }
        }
        exited.sort_unstable();
        for &i in exited.iter().rev() {
            let child = children.swap_remove(i);
            let code = match codes.iter().find(|(j, _)| *j == i) {
                Some(&(_, code)) => code,
                None => sys::reap_blocking(child.pid).unwrap_or(-libc::SIGKILL),
            };
            reply(&child.replies, EXITED, code);
        }
        if !ready[0] {
            continue;
        }
        let request = (|| {
            let mut message = [0u8; 5];
            let fds = sys::recv_exact_with_fds(&control, &mut message)?;
            let count = u32::from_le_bytes(message[..4].try_into().expect("4 bytes"));
            let mut fds = fds.into_iter();
            match (count, fds.next(), fds.next(), fds.next()) {
                (2, Some(socket), Some(replies), None) => {
                    Ok((UnixStream::from(socket), replies, message[4] != 0))
                }
                _ => Err(io::Error::other("bad request")),
            }
        })();
        let (socket, replies, daemon) = match request {
            Ok(request) => request,
            // The parent is gone: its daemon children go with it (Python terminates them
            // at exit; here the parent may have been killed).
            Err(_) => {
                for child in children.iter().filter(|c| c.daemon) {
                    let pidfd = child.pidfd.as_ref().map(|p| p.as_fd());
                    let _ = sys::kill(child.pid, pidfd, libc::SIGKILL);
                }
                std::process::exit(0)
            }
        };
        let forked = start_child(&control, &children, spare.take(), socket);
        match forked {
            Ok(pid) => {
                reply(&replies, STARTED, pid.as_raw_nonzero().get());
                // Without a pidfd (too many open files, say), the child is still tracked,
                // by pid, and reaped when `waitpid` sees it exit.
                let pidfd = sys::pidfd_open(pid).ok();
                children.push(Child {
                    pid,
                    pidfd,
                    daemon,
                    replies,
                });
                // While the child runs, the next one gets ready.
                spare = fork_spare(&control, &children).ok();
            }
            Err(e) => reply(&replies, FAILED, e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }
}
