//! [`PoolBuilder`]: the pool's settings (Python's `Pool(processes, initializer, initargs,
//! maxtasksperchild)`), plus tripod's start method, retries and timeout.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::Pool;
use super::engine::{Config, Engine};
use super::error::{PoolError, PoolErrorKind};
use super::worker::InitCall;
use crate::multiprocessing::{StartMethod, Target, cpu_count};
use crate::wire;

/// Configures and starts a [`Pool`]; get one from [`Pool::builder`].
///
/// ```
/// use tripod::multiprocessing::Pool;
///
/// fn square(x: u64) -> u64 { x * x }
/// tripod::task!(square);
///
/// let pool = Pool::builder().processes(2).maxtasksperchild(100).build().unwrap();
/// assert_eq!(pool.processes(), 2);
/// assert_eq!(pool.map(square, 0..5, None).unwrap(), [0, 1, 4, 9, 16]);
/// ```
#[must_use = "a PoolBuilder does nothing until `.build()`"]
pub struct PoolBuilder {
    processes: usize,
    maxtasks: Option<u64>,
    init: Option<Result<InitCall, PoolError>>,
    start_method: Option<StartMethod>,
    max_retries: u32,
    timeout: Option<Duration>,
}

impl PoolBuilder {
    pub(crate) fn new() -> Self {
        PoolBuilder {
            processes: 0,
            maxtasks: None,
            init: None,
            start_method: None,
            max_retries: 0,
            timeout: None,
        }
    }

    /// The number of worker processes; 0 (the default) means
    /// [`cpu_count`](crate::multiprocessing::cpu_count), as Python's `processes=None`.
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, cpu_count};
    ///
    /// let pool = Pool::builder().processes(0).build().unwrap();
    /// assert_eq!(pool.processes(), cpu_count());
    /// ```
    pub fn processes(mut self, processes: usize) -> Self {
        self.processes = processes;
        self
    }

    /// Runs `initializer(args...)` in each worker when it starts, before any task (Python's
    /// `initializer` and `initargs`). It is a registered task like the others; its
    /// arguments may hold OS handles (a process-shared [`Event`](crate::multiprocessing::Event),
    /// [`Lock`](crate::multiprocessing::Lock), a [`Connection`](crate::multiprocessing::connection::Connection)),
    /// which is how such handles reach pool workers: tasks' own arguments cannot carry
    /// them. Keep what tasks need in a `static` (a `OnceLock`).
    ///
    /// If the initializer panics, the pool is broken: every task fails with
    /// [`Initializer`](PoolErrorKind::Initializer) (Python would start workers forever).
    ///
    /// ```
    /// use std::sync::OnceLock;
    /// use tripod::multiprocessing::Pool;
    ///
    /// static GREETING: OnceLock<String> = OnceLock::new();
    ///
    /// fn init(greeting: String) { GREETING.set(greeting).unwrap(); }
    /// fn greet(name: String) -> String { format!("{}, {name}", GREETING.get().unwrap()) }
    /// tripod::task!(init);
    /// tripod::task!(greet);
    ///
    /// let pool = Pool::builder()
    ///     .processes(1)
    ///     .initializer(init, ("hello".to_owned(),))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(pool.apply(greet, ("bob".to_owned(),)).unwrap(), "hello, bob");
    /// ```
    pub fn initializer<F, A>(mut self, initializer: F, args: A) -> Self
    where
        F: Target<A>,
        A: Serialize,
    {
        let _ = &initializer;
        self.init = Some(init_call::<F, A>(&args));
        self
    }

    /// Retires a worker after it ran `n` tasks, starting a fresh one in its place (Python's
    /// `maxtasksperchild`, which counts a chunk of a map as one task); `None`-like default:
    /// workers live as long as the pool.
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, getpid};
    ///
    /// fn pid() -> u32 { getpid() }
    /// tripod::task!(pid);
    ///
    /// let pool = Pool::builder().processes(1).maxtasksperchild(1).build().unwrap();
    /// let first = pool.apply(pid, ()).unwrap();
    /// let second = pool.apply(pid, ()).unwrap();
    /// assert_ne!(first, second);
    /// ```
    pub fn maxtasksperchild(mut self, n: u64) -> Self {
        self.maxtasks = Some(n);
        self
    }

    /// How workers start; without it, the process-wide method
    /// ([`set_start_method`](crate::multiprocessing::set_start_method), `Spawn` unless changed).
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, StartMethod};
    ///
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let pool = Pool::builder().processes(1).start_method(StartMethod::ForkServer).build().unwrap();
    /// assert_eq!(pool.apply(one, ()).unwrap(), 1);
    /// ```
    pub fn start_method(mut self, method: StartMethod) -> Self {
        self.start_method = Some(method);
        self
    }

    /// How many times a task whose worker died under it is run again on another worker
    /// before it fails with [`WorkerLost`](PoolErrorKind::WorkerLost); 0 (the default):
    /// never. A task killed for its timeout is not retried.
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// fn die() -> u8 { std::process::abort() }
    /// tripod::task!(die);
    ///
    /// let pool = Pool::builder().processes(1).max_retries(2).build().unwrap();
    /// assert_eq!(pool.apply(die, ()).unwrap_err().kind(), PoolErrorKind::WorkerLost);
    /// ```
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// A time limit for every task (a map's chunk gets it once per item): a task still
    /// running after it has its worker killed and replaced, and fails with
    /// [`TaskTimeout`](PoolErrorKind::TaskTimeout). A task's own
    /// [`AsyncOptions::timeout`](super::AsyncOptions::timeout) overrides it.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// fn forever() { loop { std::thread::sleep(Duration::from_secs(1)) } }
    /// tripod::task!(forever);
    ///
    /// let pool = Pool::builder().processes(1).timeout(Duration::from_millis(50)).build().unwrap();
    /// assert_eq!(pool.apply(forever, ()).unwrap_err().kind(), PoolErrorKind::TaskTimeout);
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Starts the workers and returns the pool.
    ///
    /// # Errors
    ///
    /// [`InvalidArgument`](PoolErrorKind::InvalidArgument) for `maxtasksperchild(0)`;
    /// [`NotRegistered`](PoolErrorKind::NotRegistered) or [`Encode`](PoolErrorKind::Encode)
    /// for the initializer; [`Start`](PoolErrorKind::Start) if a worker cannot start.
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// let err = Pool::builder().maxtasksperchild(0).build().unwrap_err();
    /// assert_eq!(err.kind(), PoolErrorKind::InvalidArgument);
    /// ```
    pub fn build(self) -> Result<Pool, PoolError> {
        if self.maxtasks == Some(0) {
            return Err(PoolError::new(
                PoolErrorKind::InvalidArgument,
                "maxtasksperchild must be at least 1",
            ));
        }
        let init = self.init.transpose()?;
        let processes = if self.processes == 0 {
            cpu_count()
        } else {
            self.processes
        };
        let engine = Engine::start(Config {
            processes,
            maxtasks: self.maxtasks,
            init,
            start_method: self.start_method,
            max_retries: self.max_retries,
            timeout: self.timeout,
        })?;
        Ok(Pool::from_engine(engine))
    }
}

fn init_call<F: 'static, A: Serialize>(args: &A) -> Result<InitCall, PoolError> {
    let task = super::pool::task_name::<F>()?;
    let (encoded, fds) = wire::fds::collect(|| wire::encode(args));
    let encoded = encoded.map_err(|e| {
        PoolError::new(
            PoolErrorKind::Encode,
            format!("cannot encode the initializer's arguments: {e}"),
        )
    })?;
    Ok(InitCall::new(task, encoded, fds))
}

impl fmt::Debug for PoolBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("processes", &self.processes)
            .field("maxtasksperchild", &self.maxtasks)
            .field("initializer", &self.init.is_some())
            .field("start_method", &self.start_method)
            .field("max_retries", &self.max_retries)
            .field("timeout", &self.timeout)
            .finish()
    }
}
