//! [`StartMethod`] and the process-wide default.

use std::sync::Mutex;

use crate::sys::ForkPermit;

/// How a child process comes to life (Python's start methods).
///
/// - [`Spawn`](StartMethod::Spawn), the default: the current executable is started again;
///   tripod's child entry (a constructor that runs before `main`) takes over and runs the
///   task, so nothing of the program runs twice. About a millisecond per child.
/// - [`ForkServer`](StartMethod::ForkServer): on first use, the current executable is
///   started once more as a fork server, a process with a single thread; each child is a
///   `fork` of that server. Faster than `Spawn`, and safe to use from a multithreaded
///   parent.
/// - [`Fork`](StartMethod::Fork): the child is a `fork` of the parent itself. Fastest,
///   but only sound under the conditions of [`StartMethod::fork`], the `unsafe`
///   constructor that is the only way to choose it.
///
/// ```
/// use tripod::multiprocessing::{StartMethod, get_start_method};
///
/// assert_eq!(StartMethod::default(), StartMethod::Spawn);
/// assert_eq!(get_start_method(), StartMethod::Spawn);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StartMethod {
    /// Start the current executable again (the default).
    #[default]
    Spawn,
    /// Fork each child from a single-threaded fork server started on first use.
    ForkServer,
    /// Fork the parent (Linux). Chosen through the `unsafe` [`StartMethod::fork`].
    Fork(ForkPermit),
}

static DEFAULT: Mutex<StartMethod> = Mutex::new(StartMethod::Spawn);

/// Sets the start method that processes use unless they choose their own (Python's
/// `multiprocessing.set_start_method`, which may be called again here).
///
/// ```
/// use tripod::multiprocessing::{StartMethod, get_start_method, set_start_method};
///
/// set_start_method(StartMethod::ForkServer);
/// assert_eq!(get_start_method(), StartMethod::ForkServer);
/// set_start_method(StartMethod::Spawn);
/// ```
pub fn set_start_method(method: StartMethod) {
    *DEFAULT.lock().unwrap_or_else(|e| e.into_inner()) = method;
}

/// The start method that processes use unless they choose their own.
///
/// ```
/// use tripod::multiprocessing::{StartMethod, get_start_method};
///
/// assert_ne!(get_start_method(), StartMethod::ForkServer);
/// ```
pub fn get_start_method() -> StartMethod {
    *DEFAULT.lock().unwrap_or_else(|e| e.into_inner())
}
