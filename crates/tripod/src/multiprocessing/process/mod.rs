//! Processes: the [`Process`] builder, [`ProcessHandle`], [`ProcessError`] and the
//! functions that describe the current process.

mod builder;
mod current;
mod error;
mod handle;

pub use builder::Process;
pub use current::{
    CurrentProcess, ParentProcess, cpu_count, current_process, getpid, getppid, parent_process,
};
pub use error::{ProcessError, ProcessErrorKind};
pub use handle::ProcessHandle;
