//! [`Process`]: the builder that configures and starts a child process (Python's
//! `multiprocessing.Process(target=..., args=..., name=..., daemon=...)` and `start()`).
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{ProcessError, ProcessErrorKind};
use super::handle::ProcessHandle;
use crate::spawn::{
    self, Header, Monitor, Outgoing, PROTOCOL_VERSION, Request, StartMethod, Target,
};
use crate::wire;

/// A child process to be started: a registered task, its arguments, and optionally a
/// name, a daemon flag and a start method. [`start`](Process::start) starts it and
/// returns a [`ProcessHandle`].
///
/// The target is a plain `fn` registered once with [`tripod::task!`](crate::task); the
/// arguments are a tuple (0 to 6 elements) of values that serde can encode, and the
/// function's return value comes back through [`ProcessHandle::join`].
///
/// ```
/// use tripod::multiprocessing::Process;
///
/// fn adder(a: i32, b: i32) -> i32 {
///     a + b
/// }
/// tripod::task!(adder);
///
/// let child = Process::new(adder, (2, 2)).name("adder-1").start().unwrap();
/// assert_eq!(child.name(), "adder-1");
/// assert_eq!(child.join().unwrap(), 4);
/// ```
#[must_use = "a Process does nothing until it is started with `.start()`"]
pub struct Process<F, A> {
    target: F,
    args: A,
    name: Option<String>,
    daemon: bool,
    start_method: Option<StartMethod>,
}

static COUNTER: AtomicU64 = AtomicU64::new(1);

impl<F, A> Process<F, A>
where
    F: Target<A>,
    A: Serialize,
    F::Output: DeserializeOwned,
{
    /// A process that will run `target(args...)`: `args` is the tuple of arguments,
    /// `()` for none and `(x,)` for one.
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn greet(name: String, times: usize) -> String {
    ///     format!("hello {name}! ").repeat(times)
    /// }
    /// tripod::task!(greet);
    ///
    /// let child = Process::new(greet, ("bob".to_owned(), 2)).start().unwrap();
    /// assert_eq!(child.join().unwrap(), "hello bob! hello bob! ");
    /// ```
    pub fn new(target: F, args: A) -> Self {
        Process {
            target,
            args,
            name: None,
            daemon: false,
            start_method: None,
        }
    }

    /// Names the process. Without a name it is called `Process-N`, N counting up from 1
    /// in the parent, as in Python. The child sees its name in
    /// [`current_process`](super::current_process).
    ///
    /// ```
    /// use tripod::multiprocessing::{Process, current_process};
    ///
    /// fn my_name() -> String {
    ///     current_process().name().to_owned()
    /// }
    /// tripod::task!(my_name);
    ///
    /// let child = Process::new(my_name, ()).name("worker").start().unwrap();
    /// assert_eq!(child.join().unwrap(), "worker");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Makes the process a daemon (`true`) or not (`false`, the default). A daemon child
    /// dies when its parent exits, also when the parent is killed (it watches the parent
    /// through a pidfd), and [`tripod::main`](crate::main) terminates it at exit instead of
    /// waiting for it. A non-daemon child keeps running if its parent dies, as in Python.
    ///
    /// ```
    /// use tripod::multiprocessing::{Process, current_process};
    ///
    /// fn am_i_daemon() -> bool {
    ///     current_process().daemon()
    /// }
    /// tripod::task!(am_i_daemon);
    ///
    /// let child = Process::new(am_i_daemon, ()).daemon(true).start().unwrap();
    /// assert!(child.join().unwrap());
    /// ```
    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = daemon;
        self
    }

    /// Chooses how this child starts; without it, the process-wide method
    /// ([`set_start_method`](crate::multiprocessing::set_start_method), `Spawn` unless changed).
    ///
    /// ```
    /// use tripod::multiprocessing::{Process, StartMethod};
    ///
    /// fn double(x: u64) -> u64 { 2 * x }
    /// tripod::task!(double);
    ///
    /// let child = Process::new(double, (21,)).start_method(StartMethod::Spawn).start().unwrap();
    /// assert_eq!(child.join().unwrap(), 42);
    /// ```
    pub fn start_method(mut self, method: StartMethod) -> Self {
        self.start_method = Some(method);
        self
    }

    /// Starts the child and returns its handle. The arguments are encoded here and sent
    /// to the child by a small thread of the parent, which also reads the result and reaps
    /// the child (so `start` returns as soon as the child exists, whatever the size of
    /// the arguments).
    ///
    /// # Errors
    ///
    /// - [`NotRegistered`](ProcessErrorKind::NotRegistered): the target was not
    ///   registered with `tripod::task!` (no child is started);
    /// - [`Encode`](ProcessErrorKind::Encode): the arguments could not be encoded;
    /// - [`Start`](ProcessErrorKind::Start): the operating system could not start it.
    ///
    /// ```
    /// use tripod::multiprocessing::Process;
    ///
    /// fn pid_of_child() -> u32 { std::process::id() }
    /// tripod::task!(pid_of_child);
    ///
    /// let child = Process::new(pid_of_child, ()).start().unwrap();
    /// let pid = child.pid();
    /// assert_eq!(child.join().unwrap(), pid);
    /// ```
    pub fn start(self) -> Result<ProcessHandle<F::Output>, ProcessError> {
        // The target travels by name: its type finds the registry entry.
        let _target = &self.target;
        let Some(entry) = spawn::task_by_type::<F>() else {
            return Err(ProcessError::new(
                ProcessErrorKind::NotRegistered,
                format!(
                    "`{}` is not registered as a task: add `tripod::task!(name);` next to it",
                    std::any::type_name::<F>()
                ),
            ));
        };
        let (encoded, fds) = wire::fds::collect(|| wire::encode(&self.args));
        let args = encoded.map_err(|e| {
            ProcessError::new(
                ProcessErrorKind::Encode,
                format!("cannot encode the arguments: {e}"),
            )
            .with_source(e)
        })?;
        let name = self
            .name
            .unwrap_or_else(|| format!("Process-{}", COUNTER.fetch_add(1, Ordering::Relaxed)));
        let me = spawn::current_identity();
        let header = Header {
            version: PROTOCOL_VERSION,
            task: entry.name().to_owned(),
            name: name.clone(),
            daemon: self.daemon,
            parent_pid: std::process::id(),
            parent_name: me.name,
        };
        let header = wire::encode(&header).map_err(|e| {
            ProcessError::new(ProcessErrorKind::Encode, e.to_string()).with_source(e)
        })?;
        let start_error = |e: std::io::Error| {
            ProcessError::new(
                ProcessErrorKind::Start,
                format!("cannot start the child process: {e}"),
            )
            .with_source(e)
        };
        let method = self.start_method.unwrap_or_else(spawn::get_start_method);
        let mut outgoing = Outgoing::new(Request { fds, header, args });
        let launched = spawn::launch(method, self.daemon, &mut outgoing).map_err(start_error)?;
        let monitor = Monitor::start(launched, outgoing, self.daemon).map_err(start_error)?;
        Ok(ProcessHandle::new(name, self.daemon, monitor))
    }
}

impl<F, A> fmt::Debug for Process<F, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Process")
            .field("target", &std::any::type_name::<F>())
            .field("name", &self.name)
            .field("daemon", &self.daemon)
            .field("start_method", &self.start_method)
            .finish_non_exhaustive()
    }
}
