//! The fork server: a single-threaded process that forks the children of one parent.
//!
//! Started on first use of [`StartMethod::ForkServer`](super::StartMethod::ForkServer) by
//! running the current executable again with [`SERVER_FD_ENV`] naming its control socket;
//! the child entry (before `main`) then runs [`run_server`], so the server has a single
//! thread and `fork` is safe in it. Per request (a child's control socket, passed with
//! `SCM_RIGHTS`, and its daemon flag) it forks a child that holds the usual conversation
//! with the parent directly, and reports the child's pid; when the child exits, the server
//! reaps it and reports its exit status, which the parent could not get otherwise (the
//! child is the server's, not the parent's). When the parent goes away, the server kills
//! its daemon children and exits.
//!
//! Server -> parent messages are 9 bytes: a tag (`STARTED`, `EXITED`, `FAILED`), a pid
//! and a status or errno, little-endian.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use rustix::process::Pid;

use super::child::{self, ParentCheck};
use super::protocol::NoSigPipe;
use crate::sys::{self, ExitCode, ForkPermit};

/// The environment variable that names the control socket of a fork server.
pub(crate) const SERVER_FD_ENV: &str = "TRIPOD_FORKSERVER_FD";

const STARTED: u8 = 0;
const EXITED: u8 = 1;
const FAILED: u8 = 2;

/// The parent's side of its fork server.
pub(crate) struct ForkServer {
    /// Requests go out one at a time: the socket and the channel of `STARTED` replies.
    requests: Mutex<(UnixStream, mpsc::Receiver<Result<Pid, io::Error>>)>,
    exits: Mutex<Exits>,
    exited: Condvar,
}

struct Exits {
    codes: HashMap<i32, ExitCode>,
    server_gone: bool,
}

static SERVER: Mutex<Option<Arc<ForkServer>>> = Mutex::new(None);

/// The fork server of this process, started on first use.
pub(crate) fn server() -> io::Result<Arc<ForkServer>> {
    let mut slot = SERVER.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(server) = slot.as_ref()
        && !server
            .exits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .server_gone
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
    // earlier, the reply reader notices (through its pidfd) and reaps it.
    let process = command.spawn()?;
    drop(server_end);
    let pid = Pid::from_raw(process.id() as i32).expect("a child's pid is positive");
    let pidfd = sys::pidfd_open(pid).ok();
    let (started_tx, started_rx) = mpsc::channel();
    let server = Arc::new(ForkServer {
        requests: Mutex::new((socket.try_clone()?, started_rx)),
        exits: Mutex::new(Exits {
            codes: HashMap::new(),
            server_gone: false,
        }),
        exited: Condvar::new(),
    });
    let inside = Arc::clone(&server);
    std::thread::Builder::new()
        .name("tripod-forkserver".to_owned())
        .spawn(move || {
            inside.read_replies(&socket, pidfd, started_tx);
            // The server is gone (or going): reap it.
            let _ = sys::reap_blocking(pid);
        })?;
    Ok(server)
}

impl ForkServer {
    fn read_replies(
        &self,
        mut socket: &UnixStream,
        pidfd: Option<OwnedFd>,
        started: mpsc::Sender<io::Result<Pid>>,
    ) {
        let mut message = [0u8; 9];
        loop {
            // The server's children hold copies of its end of the socket, so its death
            // shows as the end of the stream only once they have all exited: watch the
            // server itself too, and stop when it is gone and has nothing left to say.
            if let Some(pidfd) = &pidfd {
                let ready = sys::poll_many(&[socket.as_fd(), pidfd.as_fd()], None);
                let more = |ready: Vec<bool>| {
                    ready[0]
                        || sys::poll_readable(socket.as_fd(), Some(Instant::now())).is_ok_and(|r| r)
                };
                if !ready.is_ok_and(more) {
                    break;
                }
            }
            if socket.read_exact(&mut message).is_err() {
                break;
            }
            let pid = i32::from_le_bytes(message[1..5].try_into().unwrap());
            let value = i32::from_le_bytes(message[5..9].try_into().unwrap());
            match message[0] {
                STARTED => {
                    let pid = Pid::from_raw(pid)
                        .ok_or_else(|| io::Error::other("the fork server sent pid 0"));
                    let _ = started.send(pid);
                }
                EXITED => {
                    self.exits
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .codes
                        .insert(pid, value);
                    self.exited.notify_all();
                }
                _ => {
                    let _ = started.send(Err(io::Error::from_raw_os_error(value)));
                }
            }
        }
        self.exits
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .server_gone = true;
        self.exited.notify_all();
        let _ = started.send(Err(io::Error::other("the fork server exited")));
    }

    /// Asks the server for a child that talks to this process over `socket`.
    pub(crate) fn fork_child(&self, socket: UnixStream, daemon: bool) -> io::Result<Pid> {
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let (control, started) = &*requests;
        // One message: the descriptor count, the daemon flag, the socket attached.
        let mut message = [0u8; 5];
        message[..4].copy_from_slice(&1u32.to_le_bytes());
        message[4] = u8::from(daemon);
        let sent = sys::send_vectored_with_fds(
            control,
            &[OwnedFd::from(socket)],
            &[io::IoSlice::new(&message)],
            true,
        )?;
        if sent != message.len() {
            // Five bytes fit in any socket buffer that the server keeps emptying.
            return Err(io::Error::other("short request to the fork server"));
        }
        started
            .recv()
            .unwrap_or_else(|_| Err(io::Error::other("the fork server exited")))
    }

    /// Waits for the exit status of child `pid`, as the server reports it.
    pub(crate) fn wait_exit(&self, pid: Pid) -> io::Result<ExitCode> {
        let mut exits = self.exits.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(code) = exits.codes.remove(&pid.as_raw_nonzero().get()) {
                return Ok(code);
            }
            if exits.server_gone {
                return Err(io::Error::other("the fork server exited"));
            }
            exits = self.exited.wait(exits).unwrap_or_else(|e| e.into_inner());
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
}

/// How often children without a pidfd are checked.
const UNWATCHED_CHECK: std::time::Duration = std::time::Duration::from_millis(20);

fn serve(control: UnixStream) -> ! {
    let mut children: Vec<Child> = Vec::new();
    let report = |tag: u8, pid: i32, value: i32| {
        let mut message = [0u8; 9];
        message[0] = tag;
        message[1..5].copy_from_slice(&pid.to_le_bytes());
        message[5..9].copy_from_slice(&value.to_le_bytes());
        if NoSigPipe(&control).write_all(&message).is_err() {
            std::process::exit(0);
        }
    };
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
        // Exited children first, so their pids are reported before any reuse.
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
            report(EXITED, child.pid.as_raw_nonzero().get(), code);
        }
        if !ready[0] {
            continue;
        }
        let request = (|| {
            let mut message = [0u8; 5];
            let fds = sys::recv_exact_with_fds(&control, &mut message)?;
            let count = u32::from_le_bytes(message[..4].try_into().expect("4 bytes"));
            let socket = fds
                .into_iter()
                .next()
                .filter(|_| count == 1)
                .ok_or_else(|| io::Error::other("no socket in the request"))?;
            Ok::<_, io::Error>((UnixStream::from(socket), message[4] != 0))
        })();
        let (socket, daemon) = match request {
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
        let forked = sys::fork_child(ForkPermit::single_threaded(), || {
            // The child needs none of the server's descriptors: not its control socket
            // (which would keep the server's parent from seeing it gone), not its
            // siblings' pidfds.
            let mut inherited = vec![control.as_fd()];
            inherited.extend(
                children
                    .iter()
                    .filter_map(|c| c.pidfd.as_ref().map(|p| p.as_fd())),
            );
            sys::close_inherited(&inherited);
            child::serve(&socket, ParentCheck::ViaServer)
        });
        drop(socket);
        match forked {
            Ok(pid) => {
                report(STARTED, pid.as_raw_nonzero().get(), 0);
                // Without a pidfd (too many open files, say), the child is still tracked,
                // by pid, and reaped when `waitpid` sees it exit.
                let pidfd = sys::pidfd_open(pid).ok();
                children.push(Child { pid, pidfd, daemon });
            }
            Err(e) => report(FAILED, 0, e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }
}
