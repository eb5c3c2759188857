//! `spawn`: how a child process comes to run a Rust function of the same program.
//!
//! - [`registry`]: the tasks, registered by name with `tripod::task!`;
//! - the child entry (in `sys`, a constructor that runs before `main`) and [`child`], the
//!   child's side of the conversation;
//! - [`launch`]: the start methods, up to a connected control socket;
//! - [`monitor`]: the parent's side: send the arguments, read the outcome, reap;
//! - [`protocol`]: what travels over the control socket.
#![forbid(unsafe_code)]

mod child;
mod forkserver;
mod identity;
mod launch;
mod monitor;
mod protocol;
mod registry;
mod start_method;
mod target;
mod workers;

pub(crate) use child::entry_before_main;
pub(crate) use identity::current as current_identity;
pub(crate) use launch::launch;
pub(crate) use monitor::{Monitor, Outgoing, Request, at_exit};
#[doc(hidden)]
pub use protocol::Outcome;
pub(crate) use protocol::{FailKind, Header, PROTOCOL_VERSION, ParsedOutcome};
pub(crate) use registry::{
    CHUNK_DECODE_ARGS, CHUNK_ENCODE_RESULT, CHUNK_OK, CHUNK_PANICKED, CHUNK_PROTOCOL,
    CHUNK_UNKNOWN_TASK, put_chunk_failure,
};
pub use registry::{TaskEntry, register, run_chunk, run_task, type_id_of};
pub(crate) use registry::{by_name as task_by_name, by_type as task_by_type};
pub use start_method::{StartMethod, get_start_method, set_start_method};
pub use target::Target;
