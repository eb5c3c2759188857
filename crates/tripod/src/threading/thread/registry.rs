//! The process-wide table of live threads (Python's `threading._active`), the counters
//! behind idents and default names, and the functions that read the table:
//! `current_thread`, `main_thread`, `active_count`, `enumerate`, `get_ident`,
//! `wait_for_non_daemon`.
#![forbid(unsafe_code)]

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};

use super::os;
use super::thread_ref::{Kind, ThreadRef};

/// Live threads known to tripod, by ident (so `enumerate` lists them in start order).
static ACTIVE: Mutex<BTreeMap<u64, ThreadRef>> = Mutex::new(BTreeMap::new());
/// Source of idents; never reused.
static NEXT_IDENT: AtomicU64 = AtomicU64::new(1);
/// Python's `threading._counter`: the N of `Thread-N` and `Dummy-N`.
static NAME_COUNTER: AtomicU64 = AtomicU64::new(1);
static MAIN: OnceLock<ThreadRef> = OnceLock::new();

thread_local! {
    static CURRENT: OnceCell<Current> = const { OnceCell::new() };
}

/// The calling thread's entry; for a dummy, leaving the thread unregisters it.
struct Current {
    thread: ThreadRef,
}

impl Drop for Current {
    fn drop(&mut self) {
        if self.thread.kind() == Kind::Dummy {
            unregister(&self.thread);
        }
    }
}

pub(crate) fn next_ident() -> u64 {
    NEXT_IDENT.fetch_add(1, Ordering::Relaxed)
}

/// `Thread-N` / `Dummy-N` with the next number of Python's shared counter.
pub(crate) fn new_name(prefix: &str) -> String {
    format!("{prefix}-{}", NAME_COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The main thread's entry, created (and registered) by whoever asks first.
fn main_ref() -> &'static ThreadRef {
    MAIN.get_or_init(|| {
        let main = ThreadRef::new("MainThread".to_owned(), next_ident(), false, Kind::Main);
        ACTIVE.lock().insert(main.ident(), main.clone());
        main
    })
}

/// The table, with the main thread in it.
fn active() -> MutexGuard<'static, BTreeMap<u64, ThreadRef>> {
    main_ref();
    ACTIVE.lock()
}

pub(crate) fn register(thread: &ThreadRef) {
    active().insert(thread.ident(), thread.clone());
}

/// Removes a finished thread from the table and wakes its joiners.
pub(crate) fn unregister(thread: &ThreadRef) {
    let mut table = active();
    table.remove(&thread.ident());
    thread.mark_stopped();
}

/// Called first thing on a thread started by tripod.
pub(crate) fn enter(thread: ThreadRef) {
    CURRENT.with(|current| {
        // A fresh OS thread has no entry yet, so this cannot fail.
        let _ = current.set(Current { thread });
    });
}

fn identify_current() -> Current {
    let main = main_ref();
    if os::is_main_thread() {
        return Current {
            thread: main.clone(),
        };
    }
    let name = match std::thread::current().name() {
        Some(name) => name.to_owned(),
        None => new_name("Dummy"),
    };
    let dummy = ThreadRef::new(name, next_ident(), true, Kind::Dummy);
    register(&dummy);
    Current { thread: dummy }
}

/// Runs `f` on the calling thread's entry without cloning it.
fn with_current<R>(f: impl FnOnce(&ThreadRef) -> R) -> R {
    let mut f = Some(f);
    let result = CURRENT.try_with(|current| {
        let f = f.take().expect("called once");
        f(&current.get_or_init(identify_current).thread)
    });
    match result {
        Ok(r) => r,
        // The thread is being torn down and its entry is gone: describe it as a fresh,
        // unregistered dummy rather than panicking in a destructor.
        Err(_) => {
            let f = f.take().expect("called once");
            let name = std::thread::current()
                .name()
                .map_or_else(|| new_name("Dummy"), str::to_owned);
            let ghost = ThreadRef::new(name, next_ident(), true, Kind::Dummy);
            ghost.mark_stopped();
            f(&ghost)
        }
    }
}

/// The thread that calls it (Python's `threading.current_thread()`).
///
/// On a thread started by [`Thread`](super::Thread) this is the same thread as
/// [`JoinHandle::thread`](super::JoinHandle::thread); on the process's main thread it is
/// [`main_thread`]. On a thread tripod did not start (one from `std::thread`, a test
/// harness, another library's pool) it is a *dummy* entry, as in Python: named after the
/// std thread name, else `Dummy-N`, daemon, listed by [`enumerate`] and counted by
/// [`active_count`] until that thread exits.
///
/// ```
/// use tripod::threading::{current_thread, Thread};
///
/// let handle = Thread::new(|| current_thread().name().to_owned())
///     .name("LoopThread")
///     .start()
///     .unwrap();
/// assert_eq!(handle.join().unwrap(), "LoopThread");
///
/// let from_std = std::thread::Builder::new()
///     .name("plain-std".into())
///     .spawn(|| current_thread())
///     .unwrap()
///     .join()
///     .unwrap();
/// assert_eq!(from_std.name(), "plain-std");
/// assert!(from_std.is_daemon());
/// assert!(!from_std.is_alive());
/// ```
pub fn current_thread() -> ThreadRef {
    with_current(ThreadRef::clone)
}

/// The calling thread's ident (Python's `threading.get_ident()`): the same number as
/// `current_thread().ident()`, unique for the life of the process.
///
/// ```
/// use tripod::threading::{current_thread, get_ident, Thread};
///
/// assert_eq!(get_ident(), current_thread().ident());
/// let other = Thread::new(get_ident).start().unwrap().join().unwrap();
/// assert_ne!(other, get_ident());
/// ```
pub fn get_ident() -> u64 {
    with_current(ThreadRef::ident)
}

/// The process's main thread, named `MainThread` (Python's `threading.main_thread()`).
///
/// On Linux tripod recognises the main thread as the one whose thread id equals the
/// process id (`gettid() == getpid()`), so the answer is right whichever thread touches
/// tripod first, also under a test harness whose tests run on other threads. Elsewhere it
/// is the thread std names `"main"`. The main thread is never a daemon and is alive for as
/// long as the process runs.
///
/// ```
/// use tripod::threading::{main_thread, Thread};
///
/// let seen_from_a_thread = Thread::new(main_thread).start().unwrap().join().unwrap();
/// assert_eq!(seen_from_a_thread, main_thread());
/// assert_eq!(main_thread().name(), "MainThread");
/// ```
pub fn main_thread() -> ThreadRef {
    main_ref().clone()
}

/// How many threads are alive (Python's `threading.active_count()`): the main thread,
/// every running thread started by [`Thread`](super::Thread) (timers included) and every
/// live dummy entry (see [`current_thread`]). Equal to `enumerate().len()` at the same
/// instant.
///
/// ```
/// use std::sync::mpsc;
/// use tripod::threading::{active_count, Thread};
///
/// let (release, wait) = mpsc::channel::<()>();
/// let handle = Thread::new(move || wait.recv()).start().unwrap();
/// assert!(active_count() >= 2); // at least the main thread and this one
/// release.send(()).unwrap();
/// handle.join().unwrap().unwrap();
/// ```
pub fn active_count() -> usize {
    active().len()
}

/// Every live thread (Python's `threading.enumerate()`), in the order they became known
/// to tripod; see [`active_count`] for which threads count.
///
/// ```
/// use tripod::threading::{enumerate, main_thread};
///
/// assert!(enumerate().contains(&main_thread()));
/// ```
pub fn enumerate() -> Vec<ThreadRef> {
    active().values().cloned().collect()
}

/// Blocks until every non-daemon thread started by tripod has finished, including ones
/// started meanwhile (Python's interpreter shutdown, `threading._shutdown`).
///
/// [`tripod::main`](crate::main) calls this after its closure returns; call it yourself at
/// the end of a plain `main` to get Python's exit behaviour. It does not wait for daemon
/// threads, for the main thread, for dummy entries, or for the calling thread itself.
///
/// ```
/// use tripod::threading::{wait_for_non_daemon, Thread};
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// Thread::new(move || tx.send("done").unwrap()).daemon(false).start().unwrap();
/// wait_for_non_daemon();
/// assert_eq!(rx.try_recv(), Ok("done"));
/// ```
pub fn wait_for_non_daemon() {
    wait_for_non_daemon_until(None);
}

/// [`wait_for_non_daemon`] giving up after `timeout`; true if every non-daemon thread
/// finished in time.
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use tripod::threading::{wait_for_non_daemon_timeout, Thread};
///
/// let (release, wait) = mpsc::channel::<()>();
/// let handle = Thread::new(move || wait.recv()).daemon(false).start().unwrap();
/// assert!(!wait_for_non_daemon_timeout(Duration::from_millis(20)));
/// release.send(()).unwrap();
/// assert!(wait_for_non_daemon_timeout(Duration::from_secs(10)));
/// assert!(!handle.is_alive());
/// ```
pub fn wait_for_non_daemon_timeout(timeout: Duration) -> bool {
    wait_for_non_daemon_until(Instant::now().checked_add(timeout))
}

/// [`wait_for_non_daemon`] giving up at `deadline`; true if every non-daemon thread
/// finished in time.
///
/// ```
/// use std::time::{Duration, Instant};
/// use tripod::threading::{wait_for_non_daemon_deadline, Thread};
///
/// Thread::new(|| ()).daemon(false).start().unwrap();
/// assert!(wait_for_non_daemon_deadline(Instant::now() + Duration::from_secs(10)));
/// ```
pub fn wait_for_non_daemon_deadline(deadline: Instant) -> bool {
    wait_for_non_daemon_until(Some(deadline))
}

fn wait_for_non_daemon_until(deadline: Option<Instant>) -> bool {
    let me = get_ident();
    loop {
        let pending: Vec<ThreadRef> = active()
            .values()
            .filter(|t| t.kind() == Kind::Started && !t.is_daemon() && t.ident() != me)
            .cloned()
            .collect();
        if pending.is_empty() {
            return true;
        }
        for thread in pending {
            if !thread.wait_stopped(deadline) {
                return false;
            }
        }
    }
}
