//! The child side: from the control socket to the task's outcome and the exit status.

use std::io::{self, BufReader, Write};
use std::os::unix::net::UnixStream;

use rustix::process::Pid;

use super::identity::{self, Identity};
use super::protocol::{self, FailKind, Header, NoSigPipe, Outcome, PROTOCOL_VERSION};
use super::registry;
use crate::sys;
use crate::wire;

/// The environment variable that names the control socket of a spawned child.
pub(crate) const CHILD_FD_ENV: &str = "TRIPOD_CHILD_FD";

/// Runs in the constructor before `main`: returns at once in an ordinary process; in a
/// child started by tripod runs the task and exits; in a fork server serves and exits.
pub(crate) fn entry_before_main() {
    if let Some(value) = std::env::var_os(CHILD_FD_ENV) {
        sys::remove_env(CHILD_FD_ENV);
        run_spawned(value.to_str().and_then(|v| v.parse().ok()));
    }
    if let Some(value) = std::env::var_os(super::forkserver::SERVER_FD_ENV) {
        sys::remove_env(super::forkserver::SERVER_FD_ENV);
        super::forkserver::run_server(value.to_str().and_then(|v| v.parse().ok()));
    }
}

fn run_spawned(fd: Option<i32>) -> ! {
    sys::ignore_sigpipe();
    let socket = fd
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "bad descriptor number"))
        .and_then(sys::take_inherited_fd)
        .and_then(sys::move_off_stdin)
        .and_then(|fd| {
            // Started processes of this child must not inherit it.
            sys::set_cloexec(&fd)?;
            Ok(UnixStream::from(fd))
        });
    let code = match socket {
        Ok(socket) => serve(&socket, ParentCheck::IsParent),
        Err(e) => {
            eprintln!("tripod: cannot start the child process: {e}");
            1
        }
    };
    let _ = io::stdout().flush();
    std::process::exit(code)
}

/// How a daemon child makes sure its parent is still the one that started it, after it
/// opened a pidfd on the parent's pid.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ParentCheck {
    /// The parent is this process's parent (`Spawn`, `Fork`): `getppid` must still be it.
    IsParent,
    /// A fork server is in between, which kills its daemon children when the parent goes.
    ViaServer,
}

/// Runs the conversation over `socket` and returns the exit status: 0 when the task
/// returned, 1 when it panicked or could not run (Python: an exception gives exit code 1).
pub(crate) fn serve(socket: &UnixStream, check: ParentCheck) -> i32 {
    let outcome = run(socket, check);
    let code = match outcome {
        Outcome::Ok(_) => 0,
        _ => 1,
    };
    // The parent may be gone; nothing more to do then.
    let _ = protocol::write_outcome(&mut NoSigPipe(socket), &outcome);
    code
}

fn run(socket: &UnixStream, check: ParentCheck) -> Outcome {
    let fds = match sys::recv_with_fds(socket) {
        Ok(fds) => fds,
        Err(e) => return Outcome::Failed(FailKind::Protocol, e.to_string()),
    };
    // Buffered: the header and small arguments arrive in one read.
    let mut input = BufReader::new(socket);
    let header: Header =
        match wire::read_frame(&mut input, 1 << 20).and_then(|bytes| wire::decode(&bytes)) {
            Ok(header) => header,
            Err(e) => return Outcome::Failed(FailKind::Protocol, format!("bad header: {e}")),
        };
    let args = wire::read_frame(&mut input, wire::DEFAULT_MAX_FRAME);
    if header.version != PROTOCOL_VERSION {
        return Outcome::Failed(
            FailKind::Protocol,
            format!(
                "the parent speaks protocol version {}, this child {PROTOCOL_VERSION}",
                header.version
            ),
        );
    }
    identity::set(Identity {
        name: header.name.clone(),
        daemon: header.daemon,
        parent: Some((header.parent_pid, header.parent_name.clone())),
    });
    if header.daemon {
        watch_parent(header.parent_pid, check);
    }
    let Some(entry) = registry::by_name(&header.task) else {
        return Outcome::Failed(
            FailKind::UnknownTask,
            format!(
                "no task named `{}` is registered in the child (is it the same program?)",
                header.task
            ),
        );
    };
    let args = match args {
        Ok(args) => args,
        Err(e) => return Outcome::Failed(FailKind::DecodeArgs, e.to_string()),
    };
    entry.run(&args, fds)
}

/// Makes this daemon child exit when its parent exits (also when the parent is killed):
/// a thread waits on a pidfd of the parent.
fn watch_parent(parent_pid: u32, check: ParentCheck) {
    let gone = || -> ! { sys::exit_now(1) };
    let Some(pid) = Pid::from_raw(parent_pid as i32) else {
        return;
    };
    let pidfd = match sys::pidfd_open(pid) {
        Ok(pidfd) => pidfd,
        // The parent is already gone.
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => gone(),
        // No pidfds (Linux before 5.3): the watch is not possible; the child lives on.
        Err(_) => return,
    };
    // If the parent died before the pidfd was opened, its pid may name another process
    // now; but then this child was re-parented, which getppid shows.
    if let ParentCheck::IsParent = check
        && rustix::process::getppid() != Some(pid)
    {
        gone()
    }
    let spawned = std::thread::Builder::new()
        .name("tripod-parent-watch".to_owned())
        .spawn(move || {
            let _ = sys::poll_readable(std::os::fd::AsFd::as_fd(&pidfd), None);
            gone()
        });
    if spawned.is_err() {
        gone()
    }
}
