//! The event loop: `run`, `EventLoop` (a tokio runtime with Python's loop surface), and the
//! callback handles.
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::runtime::{Builder, Runtime};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::scheduler::{AbortHandle, CatchPanic, Scheduler};
use super::task::{Task, spawn_on};
use crate::PanicError;
use crate::futures::{FutureError, Promise};

thread_local! {
    /// The loop running on this thread (set by `run_*` and on a multi-thread loop's workers).
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
}

/// What a thread running a loop knows of it: the loop, and (for `create_task`, without
/// upgrading a `Weak`) its scheduler.
#[derive(Clone)]
struct Current {
    event_loop: Weak<Inner>,
    scheduler: Arc<Scheduler>,
}

impl Current {
    fn of(inner: &Arc<Inner>) -> Current {
        Current {
            event_loop: Arc::downgrade(inner),
            scheduler: Arc::clone(&inner.scheduler),
        }
    }
}

/// The scheduler of the loop running on this thread.
pub(crate) fn current_scheduler() -> Option<Arc<Scheduler>> {
    CURRENT.with(|c| c.borrow().as_ref().map(|c| Arc::clone(&c.scheduler)))
}

struct Inner {
    runtime: Mutex<Option<Arc<Runtime>>>,
    handle: tokio::runtime::Handle,
    /// The loop's tasks and callbacks (see `scheduler.rs`), run by drivers on `runtime`.
    scheduler: Arc<Scheduler>,
    running: AtomicBool,
    closed: AtomicBool,
    // Python's `_stopping`: set by `stop`, cleared when `run_forever` returns (a `Notify`
    // permit alone would outlive the run and end the next `run_forever` at once).
    stopping: AtomicBool,
    stop: Notify,
}

/// Runs `future` on a new event loop until it completes, then cancels the tasks it left
/// behind and closes the loop: Python's `asyncio.run`.
///
/// Leftover tasks are cancelled by dropping their futures (their `Drop` guards run) before
/// `run` returns. The loop is a single-threaded tokio runtime, as asyncio's loop is
/// single-threaded.
///
/// # Panics
///
/// If `future` panics (the panic propagates, as an exception out of `asyncio.run`), or if
/// called from inside a running loop (Python: "asyncio.run() cannot be called from a running
/// event loop").
///
/// ```
/// use std::time::Duration;
/// use tripod::asyncio;
///
/// let greeting = asyncio::run(async {
///     asyncio::sleep(Duration::from_millis(1)).await;
///     "Hello again!"
/// });
/// assert_eq!(greeting, "Hello again!");
/// ```
pub fn run<F: IntoFuture>(future: F) -> F::Output {
    let event_loop = EventLoop::new();
    let out = event_loop.run_until_complete(future);
    event_loop.close();
    out
}

/// An event loop: Python's `asyncio.AbstractEventLoop`, on a tokio runtime.
///
/// `EventLoop` is a cheap handle (cloning it gives another handle to the same loop); it is
/// `Send + Sync`, so a loop can run in a thread of its own while other threads hand it work
/// with [`call_soon_threadsafe`](EventLoop::call_soon_threadsafe) and
/// [`run_coroutine_threadsafe`](EventLoop::run_coroutine_threadsafe).
///
/// Tasks and callbacks run only while some thread runs the loop
/// ([`run_until_complete`](EventLoop::run_until_complete) or
/// [`run_forever`](EventLoop::run_forever)); between runs they stay suspended, as in Python.
/// [`close`](EventLoop::close) drops (cancels) whatever is left. Dropping the last handle
/// closes the loop too.
///
/// Tasks and callbacks share one FIFO ready queue, as in asyncio: a new task's first step
/// and a `call_soon` callback run in the order they were scheduled. The loop's driver (a
/// tokio task on each of the runtime's threads) runs up to 128 of them, then lets tokio
/// poll its timers and sockets, as asyncio polls its selector between rounds.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use tripod::asyncio::EventLoop;
///
/// let event_loop = EventLoop::new();
/// let log = Arc::new(Mutex::new(Vec::new()));
/// let l = Arc::clone(&log);
/// event_loop.call_soon(move || l.lock().unwrap().push("callback"));
/// let value = event_loop.run_until_complete(async { 7 });
/// assert_eq!(value, 7);
/// event_loop.run_until_complete(tripod::asyncio::sleep(std::time::Duration::ZERO));
/// assert_eq!(*log.lock().unwrap(), ["callback"]);
/// event_loop.close();
/// ```
#[derive(Clone)]
pub struct EventLoop {
    inner: Arc<Inner>,
}

impl Default for EventLoop {
    fn default() -> Self {
        EventLoop::new()
    }
}

impl EventLoop {
    /// A new single-threaded loop (a tokio `current_thread` runtime): Python's
    /// `asyncio.new_event_loop()`.
    ///
    /// # Panics
    ///
    /// If the operating system refuses the runtime's resources (a timer driver).
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// assert!(!event_loop.is_running());
    /// assert!(!event_loop.is_closed());
    /// ```
    pub fn new() -> EventLoop {
        Self::build(Builder::new_current_thread(), 1)
    }

    /// A loop whose tasks run on `workers` threads (a tokio multi-thread runtime): not in
    /// Python, for CPU-heavy task sets. Callbacks and tasks then run in parallel, so their
    /// order is no longer the single-threaded loop's FIFO order.
    ///
    /// # Panics
    ///
    /// If `workers` is 0, or the operating system refuses the threads.
    ///
    /// ```
    /// use tripod::asyncio::{self, EventLoop};
    ///
    /// let event_loop = EventLoop::multi_thread(2);
    /// let sum = event_loop.run_until_complete(async {
    ///     let tasks: Vec<_> = (1..=4).map(|i| asyncio::create_task(async move { i })).collect();
    ///     asyncio::gather(tasks).await.unwrap().iter().sum::<i32>()
    /// });
    /// assert_eq!(sum, 10);
    /// ```
    pub fn multi_thread(workers: usize) -> EventLoop {
        let mut builder = Builder::new_multi_thread();
        builder.worker_threads(workers);
        Self::build(builder, workers)
    }

    /// A loop on the runtime `builder` makes, with `drivers` drivers of its tasks (one per
    /// worker thread).
    fn build(mut builder: Builder, drivers: usize) -> EventLoop {
        let scheduler = Scheduler::new();
        let slot: Arc<Mutex<Weak<Inner>>> = Arc::new(Mutex::new(Weak::new()));
        let on_start = Arc::clone(&slot);
        let on_start_scheduler = Arc::clone(&scheduler);
        builder
            .enable_time()
            .enable_io()
            .thread_name("tripod-asyncio")
            .on_thread_start(move || {
                let current = Current {
                    event_loop: on_start.lock().clone(),
                    scheduler: Arc::clone(&on_start_scheduler),
                };
                CURRENT.with(|c| *c.borrow_mut() = Some(current));
            });
        let runtime = builder
            .build()
            .expect("tripod::asyncio: cannot build the event loop");
        for _ in 0..drivers {
            runtime.spawn(Arc::clone(&scheduler).drive());
        }
        let inner = Arc::new(Inner {
            handle: runtime.handle().clone(),
            scheduler,
            runtime: Mutex::new(Some(Arc::new(runtime))),
            running: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            stopping: AtomicBool::new(false),
            stop: Notify::new(),
        });
        *slot.lock() = Arc::downgrade(&inner);
        EventLoop { inner }
    }

    /// The loop running the current task or callback: Python's `asyncio.get_running_loop()`,
    /// `None` outside a loop (where Python raises `RuntimeError`).
    ///
    /// ```
    /// use tripod::asyncio::{self, EventLoop};
    ///
    /// assert!(EventLoop::current().is_none());
    /// asyncio::run(async {
    ///     let here = EventLoop::current().expect("inside a loop");
    ///     assert!(here.is_running());
    /// });
    /// ```
    pub fn current() -> Option<EventLoop> {
        CURRENT.with(|c| {
            c.borrow()
                .as_ref()
                .and_then(|c| c.event_loop.upgrade())
                .map(|inner| EventLoop { inner })
        })
    }

    /// Runs the loop until `future` completes and returns its output: Python's
    /// `loop.run_until_complete`. Other tasks and callbacks run meanwhile; those not done
    /// when `future` completes stay suspended until the loop runs again.
    ///
    /// # Panics
    ///
    /// If the loop is closed, already running, or if this thread is already inside a
    /// loop; and if `future` panics.
    ///
    /// ```
    /// use tripod::asyncio::{self, EventLoop};
    ///
    /// let event_loop = EventLoop::new();
    /// let task = event_loop.create_task(async { "write" });
    /// assert_eq!(event_loop.run_until_complete(task), Ok("write"));
    /// ```
    pub fn run_until_complete<F: IntoFuture>(&self, future: F) -> F::Output {
        let runtime = self.enter_run();
        let _running = RunningGuard { event_loop: self };
        let previous = CURRENT.with(|c| c.replace(Some(Current::of(&self.inner))));
        let _restore = RestoreCurrent(previous);
        runtime.block_on(future.into_future())
    }

    /// Runs the loop until [`stop`](EventLoop::stop) is called: Python's
    /// `loop.run_forever`. A `stop` that came before this call makes it return after one
    /// round of the ready tasks.
    ///
    /// # Panics
    ///
    /// As [`run_until_complete`](EventLoop::run_until_complete).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::asyncio::{self, EventLoop};
    ///
    /// let event_loop = EventLoop::new();
    /// let handle = event_loop.clone();
    /// event_loop.create_task(async move {
    ///     asyncio::sleep(Duration::from_millis(5)).await;
    ///     handle.stop(); // loop.stop() from inside a task
    /// });
    /// event_loop.run_forever();
    /// event_loop.close();
    /// ```
    pub fn run_forever(&self) {
        let inner = Arc::clone(&self.inner);
        self.run_until_complete(async move {
            loop {
                let mut notified = std::pin::pin!(inner.stop.notified());
                notified.as_mut().enable();
                if inner.stopping.load(Ordering::Acquire) {
                    break;
                }
                notified.await;
            }
            tokio::task::yield_now().await;
            // Stops asked for during this run end this run only, as in Python.
            inner.stopping.store(false, Ordering::Release);
        });
    }

    /// Asks [`run_forever`](EventLoop::run_forever) to return: Python's `loop.stop()`.
    /// Callable from any thread, and from tasks and callbacks on the loop.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// event_loop.stop();
    /// event_loop.run_forever(); // returns at once: stop came first
    /// ```
    pub fn stop(&self) {
        self.inner.stopping.store(true, Ordering::Release);
        self.inner.stop.notify_waiters();
    }

    /// Whether a thread is running the loop now: Python's `loop.is_running()`.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// let handle = event_loop.clone();
    /// assert!(event_loop.run_until_complete(async move { handle.is_running() }));
    /// assert!(!event_loop.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        self.inner.running.load(Ordering::Acquire)
    }

    /// Whether [`close`](EventLoop::close) was called: Python's `loop.is_closed()`.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// event_loop.close();
    /// assert!(event_loop.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Closes the loop: Python's `loop.close()`. Tasks and callbacks not done are cancelled
    /// (their futures dropped, here, on this thread, or on a multi-thread loop by the
    /// thread finishing the task's current step, before `close` returns; a task that a
    /// thread outside the loop wakes at the very moment of the close is dropped right
    /// after, on a helper thread, never inside that thread's wake); blocking jobs of
    /// [`to_thread`](super::to_thread) are waited for, except when closing from inside
    /// another loop's task (which must not block: the jobs then finish on their own).
    /// Closing twice is harmless.
    ///
    /// # Panics
    ///
    /// If the loop is running (Python: "Cannot close a running event loop").
    ///
    /// ```
    /// use tripod::asyncio::{EventLoop, TaskError};
    ///
    /// let event_loop = EventLoop::new();
    /// let task = event_loop.create_task(std::future::pending::<()>());
    /// event_loop.close();
    /// assert!(task.cancelled());
    /// ```
    pub fn close(&self) {
        assert!(!self.is_running(), "cannot close a running event loop");
        self.inner.closed.store(true, Ordering::Release);
        let runtime = self.inner.runtime.lock().take();
        shut_down(&self.inner.scheduler, runtime);
    }

    /// The loop's clock: Python's `loop.time()`, as a tokio [`Instant`] (it follows tokio's
    /// paused clock in tests). Use it with [`call_at`](EventLoop::call_at).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// let start = event_loop.time();
    /// event_loop.run_until_complete(tripod::asyncio::sleep(Duration::from_millis(2)));
    /// assert!(event_loop.time() - start >= Duration::from_millis(2));
    /// ```
    pub fn time(&self) -> Instant {
        let _enter = self.inner.handle.enter();
        Instant::now()
    }

    /// Schedules `future` on this loop as a [`Task`]: Python's `loop.create_task`. Callable
    /// from any thread; the task runs when the loop runs.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// let task = event_loop.create_task(async { 2 + 2 });
    /// assert_eq!(event_loop.run_until_complete(task), Ok(4));
    /// ```
    pub fn create_task<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.assert_open();
        spawn_on(&self.inner.scheduler, future)
    }

    /// Schedules `callback` to run soon on the loop, after the callbacks and tasks already
    /// scheduled: Python's `loop.call_soon`. Returns a [`Handle`] that can cancel it.
    ///
    /// In tripod it is callable from any thread (it is the same as
    /// [`call_soon_threadsafe`](EventLoop::call_soon_threadsafe)). A callback that panics
    /// is reported on stderr, as asyncio logs "Exception in callback".
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tripod::asyncio::EventLoop;
    ///
    /// let event_loop = EventLoop::new();
    /// let names = Arc::new(Mutex::new(Vec::new()));
    /// for name in ["Tom", "Kitty"] {
    ///     let names = Arc::clone(&names);
    ///     event_loop.call_soon(move || names.lock().unwrap().push(name));
    /// }
    /// let skipped = event_loop.call_soon(|| panic!("cancelled, never runs"));
    /// skipped.cancel();
    /// event_loop.run_until_complete(tripod::asyncio::sleep(std::time::Duration::ZERO));
    /// assert_eq!(*names.lock().unwrap(), ["Tom", "Kitty"]);
    /// ```
    pub fn call_soon<F>(&self, callback: F) -> Handle
    where
        F: FnOnce() + Send + 'static,
    {
        self.schedule(None, callback)
    }

    /// [`call_soon`](EventLoop::call_soon) from another thread: Python's
    /// `loop.call_soon_threadsafe`, the way a plain thread hands work to a loop running in
    /// a thread of its own.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use tripod::asyncio::EventLoop;
    ///
    /// let event_loop = EventLoop::new();
    /// let runner = event_loop.clone();
    /// let thread = std::thread::spawn(move || runner.run_forever());
    /// let (tx, rx) = mpsc::channel();
    /// event_loop.call_soon_threadsafe(move || tx.send("more work").unwrap());
    /// assert_eq!(rx.recv().unwrap(), "more work");
    /// event_loop.stop();
    /// thread.join().unwrap();
    /// ```
    pub fn call_soon_threadsafe<F>(&self, callback: F) -> Handle
    where
        F: FnOnce() + Send + 'static,
    {
        self.schedule(None, callback)
    }

    /// Schedules `callback` to run after `delay`, counted from now: Python's
    /// `loop.call_later`.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use tripod::asyncio::{self, EventLoop};
    ///
    /// let event_loop = EventLoop::new();
    /// let order = Arc::new(Mutex::new(Vec::new()));
    /// let (a, b) = (Arc::clone(&order), Arc::clone(&order));
    /// event_loop.call_later(Duration::from_millis(20), move || a.lock().unwrap().push("Tom"));
    /// event_loop.call_later(Duration::from_millis(10), move || b.lock().unwrap().push("Jerry"));
    /// event_loop.run_until_complete(asyncio::sleep(Duration::from_millis(30)));
    /// assert_eq!(*order.lock().unwrap(), ["Jerry", "Tom"]);
    /// ```
    pub fn call_later<F>(&self, delay: Duration, callback: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        self.call_at(self.time() + delay, callback)
    }

    /// Schedules `callback` to run at `when`, a time of the loop's clock
    /// ([`time`](EventLoop::time)): Python's `loop.call_at`.
    ///
    /// # Panics
    ///
    /// If the loop is closed.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use tripod::asyncio::{self, EventLoop};
    ///
    /// let event_loop = EventLoop::new();
    /// let fired = Arc::new(AtomicBool::new(false));
    /// let f = Arc::clone(&fired);
    /// let when = event_loop.time() + Duration::from_millis(5);
    /// let handle = event_loop.call_at(when, move || f.store(true, Ordering::SeqCst));
    /// assert_eq!(handle.when(), when);
    /// event_loop.run_until_complete(asyncio::sleep(Duration::from_millis(10)));
    /// assert!(fired.load(Ordering::SeqCst));
    /// ```
    pub fn call_at<F>(&self, when: Instant, callback: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        TimerHandle {
            handle: self.schedule(Some(when), callback),
            when,
        }
    }

    /// Schedules `future` on this loop from any thread and returns a
    /// [`tripod::futures::Future`](crate::futures::Future) of its output that a plain thread
    /// can wait on (with a timeout): Python's `asyncio.run_coroutine_threadsafe`.
    ///
    /// Cancelling the returned future cancels the task. If the task panics, the future
    /// fails with [`FutureErrorKind::Panicked`](crate::futures::FutureErrorKind::Panicked);
    /// if the loop is closed (now or before the task ends), it fails with
    /// [`ShutDown`](crate::futures::FutureErrorKind::ShutDown) or
    /// [`Broken`](crate::futures::FutureErrorKind::Broken), so a waiting thread never
    /// hangs on a dead loop.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::asyncio::{self, EventLoop};
    ///
    /// let event_loop = EventLoop::new();
    /// let runner = event_loop.clone();
    /// let thread = std::thread::spawn(move || runner.run_forever());
    /// let second = event_loop.run_coroutine_threadsafe(async {
    ///     asyncio::sleep(Duration::from_millis(3)).await;
    ///     "second"
    /// });
    /// assert_eq!(second.result_timeout(Duration::from_secs(5)), Ok("second"));
    /// event_loop.stop();
    /// thread.join().unwrap();
    /// ```
    pub fn run_coroutine_threadsafe<F>(&self, future: F) -> crate::futures::Future<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let promise = Promise::new();
        let result = promise.future();
        if self.is_closed() {
            promise.set_error(FutureError::shut_down());
            return result;
        }
        let join =
            self.inner
                .scheduler
                .spawn(CatchPanic::new(future, move |outcome| match outcome {
                    Ok(value) => promise.set_result(value),
                    Err(payload) => {
                        promise.set_error(FutureError::panicked(PanicError::from_payload(payload)))
                    }
                }));
        let abort = join.abort_handle();
        result.add_done_callback(move |f| {
            if f.cancelled() {
                abort.abort();
            }
        });
        result
    }

    fn schedule<F>(&self, when: Option<Instant>, callback: F) -> Handle
    where
        F: FnOnce() + Send + 'static,
    {
        self.assert_open();
        let cancelled = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cancelled);
        let join = self.inner.scheduler.spawn(async move {
            if let Some(when) = when {
                tokio::time::sleep_until(when).await;
            }
            if flag.load(Ordering::Acquire) {
                return;
            }
            if let Err(payload) = std::panic::catch_unwind(AssertUnwindSafe(callback)) {
                eprintln!(
                    "tripod::asyncio: exception in callback: {}",
                    PanicError::from_payload(payload)
                );
            }
        });
        Handle {
            cancelled,
            abort: join.abort_handle(),
        }
    }

    fn assert_open(&self) {
        assert!(!self.is_closed(), "the event loop is closed");
    }

    fn enter_run(&self) -> Arc<Runtime> {
        let runtime = self
            .inner
            .runtime
            .lock()
            .clone()
            .expect("the event loop is closed");
        assert!(
            !self.inner.running.swap(true, Ordering::AcqRel),
            "this event loop is already running"
        );
        runtime
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("running", &self.is_running())
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        shut_down(&self.scheduler, self.runtime.get_mut().take());
    }
}

/// Closes a loop: cancels its tasks (their futures dropped here, inside the runtime's
/// context, as tokio drops its own tasks), then drops the runtime. Inside an async context
/// (another loop's task) tokio refuses to wait for the blocking pool, and panics if asked
/// to: there the runtime is shut down without waiting for its blocking jobs.
fn shut_down(scheduler: &Scheduler, runtime: Option<Arc<Runtime>>) {
    let Some(runtime) = runtime else { return };
    let closing = {
        let _enter = runtime.enter();
        scheduler.begin_close()
    };
    if tokio::runtime::Handle::try_current().is_err() {
        drop(runtime);
    } else if let Ok(runtime) = Arc::try_unwrap(runtime) {
        runtime.shutdown_background();
    }
    // Dropping the runtime waited for the drivers' last steps (unless in the background):
    // the tasks those woke are dropped now, before the close returns.
    if closing {
        scheduler.finish_close();
    }
}

struct RunningGuard<'a> {
    event_loop: &'a EventLoop,
}

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        self.event_loop
            .inner
            .running
            .store(false, Ordering::Release);
    }
}

struct RestoreCurrent(Option<Current>);

impl Drop for RestoreCurrent {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

/// A callback scheduled with [`call_soon`](EventLoop::call_soon): Python's
/// `asyncio.Handle`.
///
/// ```
/// let event_loop = tripod::asyncio::EventLoop::new();
/// let handle = event_loop.call_soon(|| unreachable!());
/// handle.cancel();
/// assert!(handle.cancelled());
/// event_loop.run_until_complete(async {});
/// ```
#[derive(Clone)]
pub struct Handle {
    cancelled: Arc<AtomicBool>,
    abort: AbortHandle,
}

impl Handle {
    /// Cancels the callback if it has not run yet: Python's `Handle.cancel()`.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// event_loop.call_soon(|| panic!("never")).cancel();
    /// event_loop.run_until_complete(tripod::asyncio::sleep(std::time::Duration::ZERO));
    /// ```
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.abort.abort();
    }

    /// Whether [`cancel`](Handle::cancel) was called: Python's `Handle.cancelled()`.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// let handle = event_loop.call_soon(|| {});
    /// assert!(!handle.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

/// A callback scheduled for a time with [`call_later`](EventLoop::call_later) or
/// [`call_at`](EventLoop::call_at): Python's `asyncio.TimerHandle`.
///
/// ```
/// use std::time::Duration;
///
/// let event_loop = tripod::asyncio::EventLoop::new();
/// let timer = event_loop.call_later(Duration::from_secs(3600), || unreachable!());
/// assert!(timer.when() > event_loop.time());
/// timer.cancel();
/// assert!(timer.cancelled());
/// ```
#[derive(Clone, Debug)]
pub struct TimerHandle {
    handle: Handle,
    when: Instant,
}

impl TimerHandle {
    /// When the callback is due, on the loop's clock: Python's `TimerHandle.when()`.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// let at = event_loop.time();
    /// assert_eq!(event_loop.call_at(at, || {}).when(), at);
    /// ```
    pub fn when(&self) -> Instant {
        self.when
    }

    /// Cancels the callback if it has not run yet.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// event_loop.call_later(std::time::Duration::ZERO, || panic!("never")).cancel();
    /// event_loop.run_until_complete(tripod::asyncio::sleep(std::time::Duration::from_millis(1)));
    /// ```
    pub fn cancel(&self) {
        self.handle.cancel();
    }

    /// Whether [`cancel`](TimerHandle::cancel) was called.
    ///
    /// ```
    /// let event_loop = tripod::asyncio::EventLoop::new();
    /// assert!(!event_loop.call_later(std::time::Duration::ZERO, || {}).cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        self.handle.cancelled()
    }
}

/// Python's `asyncio.run_coroutine_threadsafe(coro, loop)`: the free-function form of
/// [`EventLoop::run_coroutine_threadsafe`].
///
/// ```
/// use std::time::Duration;
/// use tripod::asyncio::{self, EventLoop};
///
/// let event_loop = EventLoop::new();
/// let runner = event_loop.clone();
/// let thread = std::thread::spawn(move || runner.run_forever());
/// let fut = asyncio::run_coroutine_threadsafe(async { 1 + 1 }, &event_loop);
/// assert_eq!(fut.result_timeout(Duration::from_secs(5)), Ok(2));
/// event_loop.stop();
/// thread.join().unwrap();
/// ```
pub fn run_coroutine_threadsafe<F>(
    future: F,
    event_loop: &EventLoop,
) -> crate::futures::Future<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    event_loop.run_coroutine_threadsafe(future)
}
