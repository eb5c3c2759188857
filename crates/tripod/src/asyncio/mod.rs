//! Coroutines on an event loop: Python's `asyncio`, on tokio.
//!
//! A Rust `async` block or `async fn` is a coroutine; tripod runs it on an event loop built
//! on a tokio runtime (single-threaded by default, as asyncio's loop is): tokio gives the
//! timers and sockets, and the loop runs its tasks from a FIFO ready queue of its own, as
//! asyncio's loop runs its `call_soon` queue (a task costs one allocation of about 200
//! bytes, and 100k tasks are created and gathered about twice as fast as tokio tasks). It
//! adds what asyncio has and tokio lacks: tasks with done callbacks and Python's cancellation
//! surface, `wait` with `return_when`, `as_completed`, `TaskGroup`, `Event`, `Condition`,
//! queues with `task_done`/`join`/`shutdown`, `call_soon`/`call_later`/`call_at`,
//! `run_coroutine_threadsafe` into a [`tripod::futures::Future`](crate::futures::Future),
//! and generator-style coroutines with `send`.
//!
//! | Python | tripod |
//! |---|---|
//! | `async def f(): ...` / `await x` | `async fn f() { ... }` / `x.await` |
//! | `asyncio.run(main())` | [`run(main())`](run) |
//! | `asyncio.new_event_loop()`, `get_running_loop()` | [`EventLoop::new`], [`EventLoop::current`] |
//! | `loop.run_until_complete(c)`, `run_forever()`, `stop()`, `close()`, `time()` | [`EventLoop::run_until_complete`], [`run_forever`](EventLoop::run_forever), [`stop`](EventLoop::stop), [`close`](EventLoop::close), [`time`](EventLoop::time) |
//! | `loop.call_soon(f)`, `call_later(d, f)`, `call_at(t, f)`, `call_soon_threadsafe(f)` | [`EventLoop::call_soon`], [`call_later`](EventLoop::call_later), [`call_at`](EventLoop::call_at), [`call_soon_threadsafe`](EventLoop::call_soon_threadsafe) → [`Handle`] / [`TimerHandle`] |
//! | `asyncio.run_coroutine_threadsafe(c, loop)` | [`run_coroutine_threadsafe`] → [`futures::Future`](crate::futures::Future) |
//! | `asyncio.create_task(c)`, `ensure_future(c)`, `loop.create_task(c)` | [`create_task`], [`ensure_future`], [`EventLoop::create_task`] → [`Task`] |
//! | `task.done()`, `cancelled()`, `result()`, `exception()`, `cancel()`, `add_done_callback(cb)` | [`Task::done`], [`cancelled`](Task::cancelled), [`result`](Task::result), [`exception`](Task::exception), [`cancel`](Task::cancel), [`add_done_callback`](Task::add_done_callback) |
//! | `CancelledError`, a task's exception | [`TaskError::Cancelled`], [`TaskError::Panicked`] |
//! | `await asyncio.gather(*aws)`, `return_exceptions=True` | [`gather`], [`gather_all`] |
//! | `await asyncio.wait(tasks, timeout, return_when)` | [`wait`] with [`ReturnWhen`] → `(done, pending)` |
//! | `asyncio.as_completed(tasks, timeout)` | [`as_completed`] → [`AsCompleted`] |
//! | `asyncio.wait_for(aw, timeout)`, `TimeoutError` | [`wait_for`], [`TimeoutError`] |
//! | `asyncio.sleep(d)` | [`sleep`], [`sleep_until`] |
//! | `async with asyncio.TaskGroup() as tg:` | [`TaskGroup`], [`TaskGroup::join`], [`TaskGroupError`] |
//! | `asyncio.to_thread(f)`, `loop.run_in_executor(pool, f)`, `wrap_future(f)` | [`to_thread`], [`run_in_executor`], [`wrap_future`] |
//! | `asyncio.Lock`, `Event`, `Condition`, `Semaphore`, `BoundedSemaphore`, `Barrier` | [`Lock`], [`Event`], [`Condition`], [`Semaphore`], [`BoundedSemaphore`], [`Barrier`] |
//! | `async with lock:` | `let guard = lock.acquire().await;` (released when dropped) |
//! | `asyncio.Queue`, `LifoQueue`, `PriorityQueue` (`put`, `get`, `put_nowait`, `get_nowait`, `task_done`, `join`, `shutdown`) | [`Queue`], [`LifoQueue`], [`PriorityQueue`] ([`put`](BaseQueue::put), [`get`](BaseQueue::get), [`try_put`](BaseQueue::try_put), [`try_get`](BaseQueue::try_get), [`task_done`](BaseQueue::task_done), [`join`](BaseQueue::join), [`shutdown`](BaseQueue::shutdown)) |
//! | a generator coroutine: `c.send(None)`, `r = c.send(n)`, `c.close()` | [`Generator`]: [`start`](Generator::start), [`send`](Generator::send), drop |
//! | `async for x in aiter` | `while let Some(x) = stream.next().await` (a [`Stream`](futures_core::Stream), e.g. [`AsCompleted`]) |
//! | awaiting a process queue / a process join | [`AsyncQueueExt`], [`AsyncJoinExt`] |
//! | `asyncio.start_server(cb, host, port, backlog=n)`, `open_connection(host, port)`, gevent's `StreamServer` | [`net::listen`], [`net::TcpListener`], [`net::TcpStream`] (tokio's sockets, see [`net`]) |
//!
//! # Tutorial
//!
//! [`run`] starts a loop, runs a coroutine to its end, cancels whatever tasks it left
//! behind and closes the loop. Tasks run concurrently on the one thread:
//!
//! ```
//! use std::time::Duration;
//! use tripod::asyncio;
//!
//! async fn task(name: &'static str) -> String {
//!     println!("Task {name} is running...");
//!     asyncio::sleep(Duration::from_millis(10)).await;
//!     format!("Task {name} is done.")
//! }
//!
//! let done = asyncio::run(async {
//!     let tasks: Vec<_> = ["A", "B", "C"].map(|n| asyncio::create_task(task(n))).into();
//!     asyncio::gather(tasks).await.unwrap()
//! });
//! // The three slept at the same time; gather gives the results in the tasks' order.
//! assert_eq!(done, ["Task A is done.", "Task B is done.", "Task C is done."]);
//! ```
//!
//! # Cancellation, compared with Python's
//!
//! Python cancels a task by raising `CancelledError` inside it at its current `await`; the
//! coroutine can catch it, `await` in `finally`, or refuse. A Rust future cannot be
//! resumed with an exception, so [`Task::cancel`] drops the future at its next suspension
//! point: every destructor runs (lock guards release, `Drop` guards clean up, as `finally`
//! blocks would), but no further `.await` runs and the cancellation cannot be refused.
//! Awaiting a cancelled task gives [`TaskError::Cancelled`]. As in Python, dropping the
//! *await* of a task (a timeout in [`wait_for`], a dropped [`gather`]) cancels the task,
//! while dropping the [`Task`] handle alone does not. Each async method documents its
//! cancel safety; the primitives pass a wake-up received by a cancelled waiter on to the
//! next one, so nothing is lost.
//!
//! # Send
//!
//! Tasks must be `Send + 'static` (a loop may be multi-threaded, see
//! [`EventLoop::multi_thread`], and its tasks may be woken on any thread). [`run`] and [`EventLoop::run_until_complete`] take any
//! future.
#![forbid(unsafe_code)]

mod barrier;
mod condition;
mod event_loop;
mod executor;
mod generator;
mod group;
mod locks;
pub mod net;
#[cfg(unix)]
mod process;
mod queue;
mod scheduler;
mod task;
mod wait;

pub use barrier::{Barrier, BrokenBarrierError};
pub use condition::{Condition, ConditionGuard};
pub use event_loop::{EventLoop, Handle, TimerHandle, run, run_coroutine_threadsafe};
pub use executor::{WrapFuture, run_in_executor, to_thread, wrap_future};
pub use generator::{Co, Generator, GeneratorError, GeneratorState};
pub use group::{TaskGroup, TaskGroupError};
pub use locks::{
    BoundedSemaphore, Event, Lock, LockGuard, Semaphore, SemaphoreGuard, TooManyReleasesError,
};
#[cfg(unix)]
pub use process::{AsyncJoinExt, AsyncQueueExt};
pub use queue::{BaseQueue, LifoQueue, PriorityQueue, Queue};
pub use task::{Task, TaskError, TaskJoin, create_task, ensure_future};
pub use wait::{
    AsCompleted, Awaitable, Gather, GatherAll, ReturnWhen, TimeoutError, as_completed, gather,
    gather_all, results, sleep, sleep_until, wait, wait_for,
};
