//! The worker's side: the loop a pool worker process runs, registered as a tripod task.
//!
//! A worker is an ordinary child [`Process`](crate::multiprocessing::Process) whose task is
//! [`worker_main`]: it runs the initializer, then reads chunks from its connection, runs
//! each item through the task registry (as a child process runs its one task: decode,
//! call under `catch_unwind`, encode: one trampoline call per chunk), and replies. It runs
//! its chunks in the order it receives them and answers each as soon as it is done, so
//! the parent knows which chunk it runs: the first it has not answered.
#![forbid(unsafe_code)]

use std::os::fd::{AsFd, OwnedFd};
use std::sync::{Arc, Mutex};

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::protocol::{self, Request};
use crate::multiprocessing::connection::Connection;
use crate::spawn::{self, Outcome};
use crate::wire;

/// How a worker is set up: the initializer call and its task limit.
#[derive(Serialize, Deserialize)]
pub(crate) struct WorkerSetup {
    pub init: Option<InitCall>,
    pub maxtasks: Option<u64>,
}

/// The initializer: a registered task's name and its encoded arguments, with the OS
/// handles the arguments hold (a process-shared `Event`, a `Connection`...), which travel
/// to each worker beside its start arguments.
#[derive(Clone)]
pub(crate) struct InitCall(Arc<InitInner>);

struct InitInner {
    task: String,
    args: Vec<u8>,
    /// In the parent: the handles, exported again to each worker. In a worker: taken
    /// once, when the initializer runs.
    fds: Mutex<Vec<OwnedFd>>,
}

impl InitCall {
    pub(crate) fn new(task: &str, args: Vec<u8>, fds: Vec<OwnedFd>) -> InitCall {
        InitCall(Arc::new(InitInner {
            task: task.to_owned(),
            args,
            fds: Mutex::new(fds),
        }))
    }
}

impl Serialize for InitCall {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let fds = self.0.fds.lock().unwrap_or_else(|e| e.into_inner());
        let mut indices = Vec::with_capacity(fds.len());
        for fd in fds.iter() {
            let index = wire::fds::export(fd.as_fd()).map_err(|e| {
                wire::note_custom_error(&e);
                S::Error::custom(e)
            })?;
            indices.push(index);
        }
        (&self.0.task, &self.0.args, indices).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for InitCall {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (task, args, indices): (String, Vec<u8>, Vec<u32>) =
            Deserialize::deserialize(deserializer)?;
        let fds = indices
            .into_iter()
            .map(|i| {
                wire::fds::import(i).map_err(|e| {
                    wire::note_custom_error(&e);
                    D::Error::custom(e)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InitCall::new(&task, args, fds))
    }
}

/// The pool worker's task (registered in `sys::tasks`): runs in each worker process, until the parent says stop, goes
/// away, or the task limit is reached.
pub(crate) fn worker_main(conn: Connection, setup: WorkerSetup) {
    if let Some(init) = setup.init
        && let Err(message) = run_initializer(&init)
    {
        let mut buf = Vec::new();
        protocol::put_init_failed(&mut buf, &message);
        let _ = conn.send_bytes(&buf);
        return;
    }
    serve(&conn, setup.maxtasks);
}

/// Runs chunks until the parent says stop, goes away, or the task limit is reached.
fn serve(conn: &Connection, maxtasks: Option<u64>) {
    let mut chunks_done: u64 = 0;
    let mut reply: Vec<u8> = Vec::new();
    loop {
        let Ok(frame) = conn.recv_bytes() else {
            // The parent is gone (or closed our connection): nothing more to do.
            return;
        };
        let Ok(requests) = protocol::parse_requests(&frame) else {
            // The parent broke the protocol: leave; it sees the end of this connection.
            return;
        };
        for request in requests {
            let Request::Run {
                chunk,
                task,
                n,
                args,
            } = request
            else {
                return;
            };
            // The task is looked up once per chunk; its trampoline decodes, runs and
            // encodes the whole chunk into the reply.
            reply.clear();
            let mark = protocol::begin_done(&mut reply, chunk, n);
            match spawn::task_by_name(task) {
                Some(entry) => entry.run_chunk(args, n, Vec::new(), &mut reply),
                None => {
                    reply.push(wire::FORMAT_VERSION);
                    let message = format!("this worker does not know the task `{task}`");
                    for _ in 0..n {
                        spawn::put_chunk_failure(&mut reply, spawn::CHUNK_UNKNOWN_TASK, &message);
                    }
                }
            }
            protocol::end_done(&mut reply, mark);
            chunks_done += 1;
            // Sent at once, even when the next chunk waits: a reply held back would be lost
            // with the worker if a later chunk crashed it, and would make the parent think
            // this chunk still runs.
            if conn.send_bytes(&reply).is_err() {
                return;
            }
            if maxtasks.is_some_and(|max| chunks_done >= max) {
                // Retire: the parent sent no more than this and starts a replacement.
                return;
            }
        }
    }
}

fn run_initializer(init: &InitCall) -> Result<(), String> {
    let Some(entry) = spawn::task_by_name(&init.0.task) else {
        return Err(format!(
            "this worker does not know the initializer `{}`",
            init.0.task
        ));
    };
    let fds = std::mem::take(&mut *init.0.fds.lock().unwrap_or_else(|e| e.into_inner()));
    match entry.run(&init.0.args, fds) {
        Outcome::Ok(_) => Ok(()),
        Outcome::Panicked(message) => Err(format!("the initializer panicked: {message}")),
        Outcome::Failed(_, message) => Err(format!("the initializer could not run: {message}")),
    }
}
