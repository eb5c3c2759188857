//! `tripod::main`: the entry point that gives a Rust program Python's exit behaviour.
#![forbid(unsafe_code)]

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

/// Runs `body`, then waits for every non-daemon thread to finish, then returns what `body`
/// returned: Python's program exit.
///
/// In Python the interpreter waits for non-daemon threads when the main module ends. In
/// Rust, returning from `main` ends the process at once and kills every thread still
/// running, daemon or not. Wrap `main`'s body in `tripod::main` to get Python's behaviour:
/// threads started with `.daemon(false)` (the default from the main thread) are waited for;
/// daemon threads are not, and die when the process exits.
///
/// If `body` panics, the non-daemon threads are still waited for, and then the panic
/// continues (as Python prints the traceback, waits, and exits with status 1).
///
/// Child processes get Python's exit behaviour too: daemon children still running are
/// terminated (SIGTERM), then every child is waited for (Python's `multiprocessing` does
/// this in its exit handler).
///
/// This is [`threading::wait_for_non_daemon`](crate::threading::wait_for_non_daemon)
/// called after `body`, then the children's turn; call that function directly if you
/// cannot wrap `main`.
///
/// ```
/// use std::sync::mpsc;
/// use tripod::threading::Thread;
///
/// fn main() {
///     let (tx, rx) = mpsc::channel();
///     let code = tripod::main(|| {
///         // Not joined: tripod::main waits for it because it is not a daemon.
///         Thread::new(move || tx.send("worker finished").unwrap())
///             .daemon(false)
///             .start()
///             .unwrap();
///         0
///     });
///     assert_eq!(code, 0);
///     assert_eq!(rx.try_recv(), Ok("worker finished"));
/// }
/// ```
///
/// # Panics
///
/// Resumes `body`'s panic, after the wait.
pub fn main<R>(body: impl FnOnce() -> R) -> R {
    let outcome = catch_unwind(AssertUnwindSafe(body));
    crate::threading::wait_for_non_daemon();
    #[cfg(unix)]
    crate::spawn::at_exit();
    match outcome {
        Ok(value) => value,
        Err(payload) => resume_unwind(payload),
    }
}
