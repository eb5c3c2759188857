//! Threads: the [`Thread`] builder, [`JoinHandle`], [`ThreadRef`] and the process-wide
//! registry behind `current_thread`, `enumerate` and friends.

mod builder;
mod join_handle;
mod os;
mod registry;
mod thread_ref;

pub use builder::Thread;
pub use join_handle::JoinHandle;
pub use registry::{
    active_count, current_thread, enumerate, get_ident, main_thread, wait_for_non_daemon,
    wait_for_non_daemon_deadline, wait_for_non_daemon_timeout,
};
pub use thread_ref::ThreadRef;
