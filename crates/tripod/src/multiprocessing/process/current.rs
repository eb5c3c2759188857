//! [`current_process`], [`parent_process`], [`cpu_count`], [`getpid`], [`getppid`].
#![forbid(unsafe_code)]

use crate::spawn;

/// This process as tripod sees it (Python's `multiprocessing.current_process()`).
///
/// ```
/// use tripod::multiprocessing::current_process;
///
/// let me = current_process();
/// assert_eq!(me.name(), "MainProcess");
/// assert_eq!(me.pid(), std::process::id());
/// assert!(!me.daemon());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrentProcess {
    name: String,
    pid: u32,
    daemon: bool,
}

impl CurrentProcess {
    /// The name: `MainProcess` in a program's own process, the name given to
    /// [`Process::name`](super::Process::name) (or `Process-N`) in a child.
    ///
    /// ```
    /// assert_eq!(tripod::multiprocessing::current_process().name(), "MainProcess");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The process id (`os.getpid()`).
    ///
    /// ```
    /// assert_eq!(tripod::multiprocessing::current_process().pid(), std::process::id());
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether this process is a daemon child.
    ///
    /// ```
    /// assert!(!tripod::multiprocessing::current_process().daemon());
    /// ```
    pub fn daemon(&self) -> bool {
        self.daemon
    }
}

/// The process that started this one, for a child started by tripod (Python's
/// `multiprocessing.parent_process()`).
///
/// ```
/// use tripod::multiprocessing::{Process, getppid, parent_process};
///
/// fn parent_info() -> (u32, String, u32) {
///     let parent = parent_process().unwrap();
///     (parent.pid(), parent.name().to_owned(), getppid())
/// }
/// tripod::task!(parent_info);
///
/// assert!(parent_process().is_none());
/// let (pid, name, ppid) = Process::new(parent_info, ()).start().unwrap().join().unwrap();
/// assert_eq!((pid, name.as_str(), ppid), (std::process::id(), "MainProcess", std::process::id()));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentProcess {
    name: String,
    pid: u32,
}

impl ParentProcess {
    /// The parent's name (`MainProcess` unless the parent is itself a child).
    ///
    /// ```
    /// assert!(tripod::multiprocessing::parent_process().is_none());
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parent's process id.
    ///
    /// ```
    /// assert!(tripod::multiprocessing::parent_process().map(|p| p.pid()).is_none());
    /// ```
    pub fn pid(&self) -> u32 {
        self.pid
    }
}

/// This process: its name, pid and daemon flag.
///
/// ```
/// use tripod::multiprocessing::current_process;
///
/// assert_eq!(current_process().name(), "MainProcess");
/// ```
pub fn current_process() -> CurrentProcess {
    let identity = spawn::current_identity();
    CurrentProcess {
        name: identity.name,
        pid: std::process::id(),
        daemon: identity.daemon,
    }
}

/// The process that started this one, `None` in a program's own process.
///
/// ```
/// assert_eq!(tripod::multiprocessing::parent_process(), None);
/// ```
pub fn parent_process() -> Option<ParentProcess> {
    spawn::current_identity()
        .parent
        .map(|(pid, name)| ParentProcess { name, pid })
}

/// The number of CPUs this process may use (Python's `cpu_count`, from
/// [`std::thread::available_parallelism`], which honours affinity masks and cgroup quotas).
/// At least 1.
///
/// ```
/// assert!(tripod::multiprocessing::cpu_count() >= 1);
/// ```
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// This process's id (Python's `os.getpid()`).
///
/// ```
/// assert_eq!(tripod::multiprocessing::getpid(), std::process::id());
/// ```
pub fn getpid() -> u32 {
    std::process::id()
}

/// The parent process's id (Python's `os.getppid()`), 0 if the parent is outside this
/// process's pid namespace.
///
/// ```
/// assert_ne!(tripod::multiprocessing::getppid(), tripod::multiprocessing::getpid());
/// ```
pub fn getppid() -> u32 {
    rustix::process::getppid().map_or(0, |p| p.as_raw_nonzero().get() as u32)
}
