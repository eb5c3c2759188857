//! Starting a child with each start method, up to a connected control socket.

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};

use rustix::process::Pid;

use super::child::{self, CHILD_FD_ENV, ParentCheck};
use super::forkserver::{self, Replies};
use super::monitor::Outgoing;
use super::start_method::StartMethod;
use crate::sys;

/// Who can reap a child: this process (`Spawn`, `Fork`) or the fork server (whose
/// children they are).
pub(crate) enum Reaper {
    Own,
    /// The fork server's replies about the child: its exit status.
    Server(Replies),
}

/// A started child, before the conversation.
pub(crate) struct Launched {
    pub pid: Pid,
    pub pidfd: Option<OwnedFd>,
    pub socket: UnixStream,
    pub reaper: Reaper,
}

/// Starts a child with `method`; it waits on the returned socket for the conversation.
///
/// What of `outgoing` the socket takes at once is written before the child starts, so the
/// child finds its arguments (small ones whole) as soon as it runs, without waiting for
/// this thread to be scheduled again.
pub(crate) fn launch(
    method: StartMethod,
    daemon: bool,
    outgoing: &mut Outgoing,
) -> io::Result<Launched> {
    // Keep the child entry referenced from the code that needs it (rust-lang/rust#47384).
    std::hint::black_box(sys::child_entry_anchor());
    if std::env::var_os(CHILD_FD_ENV).is_some() {
        // The child entry removes the variable before `main`: if it is still set, the
        // entry did not run, and this would start children forever.
        return Err(io::Error::other(
            "tripod's child entry did not run in this process (was the constructor \
             removed by the linker?); refusing to start a child",
        ));
    }
    let (socket, child_end) = UnixStream::pair()?;
    // Without waiting; whatever goes wrong here shows again when the monitor carries on.
    let _ = outgoing.send_some(&socket, false);
    match method {
        StartMethod::Spawn => {
            let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
            let mut command = Command::new(exe);
            // The child's end goes in as its stdin (the child entry moves it away and puts
            // /dev/null there): no `pre_exec`, so std can start the child with
            // `posix_spawn` (a vfork) instead of copying this process with `fork`.
            command
                .env(CHILD_FD_ENV, "0")
                .stdin(Stdio::from(OwnedFd::from(child_end)));
            let started = command.spawn()?;
            let pid = Pid::from_raw(started.id() as i32).expect("a child's pid is positive");
            Ok(Launched {
                pid,
                pidfd: sys::pidfd_open(pid).ok(),
                socket,
                reaper: Reaper::Own,
            })
        }
        StartMethod::Fork(permit) => {
            let pid = sys::fork_child(permit, || {
                let _ = sys::set_cloexec(&child_end);
                child::serve(&child_end, ParentCheck::IsParent)
            })?;
            drop(child_end);
            Ok(Launched {
                pid,
                pidfd: sys::pidfd_open(pid).ok(),
                socket,
                reaper: Reaper::Own,
            })
        }
        StartMethod::ForkServer => {
            let server = forkserver::server()?;
            let (pid, replies) = server.fork_child(child_end, daemon)?;
            Ok(Launched {
                pid,
                pidfd: sys::pidfd_open(pid).ok(),
                socket,
                reaper: Reaper::Server(replies),
            })
        }
    }
}
