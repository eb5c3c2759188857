//! `TaskGroup`: structured concurrency, Python 3.11's `asyncio.TaskGroup`.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use event_listener::Event;
use parking_lot::Mutex;

use super::scheduler::{AbortHandle, Id};
use super::task::{Task, create_task};
use crate::PanicError;

#[derive(Default)]
struct GroupState {
    running: usize,
    failed: usize,
    panics: Vec<PanicError>,
    /// The tasks running, to cancel them (a task leaves when it ends, so a long-lived
    /// group does not keep one per task it ever ran).
    aborts: HashMap<Id, AbortHandle>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<GroupState>,
    event: Event,
}

impl Shared {
    /// Records a failure; the first one cancels every other task of the group.
    fn fail(&self, panic: Option<PanicError>) {
        let mut state = self.state.lock();
        state.failed += 1;
        state.panics.extend(panic);
        if state.failed == 1 {
            for abort in state.aborts.values() {
                abort.abort();
            }
        }
    }

    fn cancel_all(&self) {
        for abort in self.state.lock().aborts.values() {
            abort.abort();
        }
    }
}

/// A group of tasks that live and die together: Python's `asyncio.TaskGroup`.
///
/// [`join`](TaskGroup::join) (Python: leaving `async with TaskGroup() as tg:`) waits for
/// every task. The first task to fail (panic, or return `Err` if made with
/// [`create_fallible_task`](TaskGroup::create_fallible_task)) cancels all the others, and
/// `join` then returns a [`TaskGroupError`] (Python's `ExceptionGroup`). Dropping the group
/// without joining it cancels its tasks, so no task outlives its group.
///
/// Each task's own outcome stays in its [`Task`] handle.
///
/// ```
/// use tripod::asyncio::{self, TaskGroup};
///
/// asyncio::run(async {
///     let group = TaskGroup::new();
///     let a = group.create_task(async { 1 });
///     let b = group.create_task(async { 2 });
///     group.join().await.unwrap();
///     assert_eq!(a.await.unwrap() + b.await.unwrap(), 3);
/// });
/// ```
pub struct TaskGroup {
    shared: Arc<Shared>,
}

impl Default for TaskGroup {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl TaskGroup {
    /// An empty group.
    ///
    /// ```
    /// let group = tripod::asyncio::TaskGroup::new();
    /// assert_eq!(group.len(), 0);
    /// ```
    pub fn new() -> TaskGroup {
        TaskGroup {
            shared: Arc::new(Shared::default()),
        }
    }

    /// Starts `future` as a task of the group; a panic in it fails the group.
    ///
    /// A task added after the group failed is cancelled at once (Python refuses it).
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// use tripod::asyncio::{self, TaskGroup};
    ///
    /// asyncio::run(async {
    ///     let group = TaskGroup::new();
    ///     let task = group.create_task(async { "x" });
    ///     group.join().await.unwrap();
    ///     assert_eq!(task.await, Ok("x"));
    /// });
    /// ```
    pub fn create_task<F>(&self, future: F) -> Task<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.add(create_task(future))
    }

    /// Starts `future` as a task of the group; an `Err` from it fails the group, as a
    /// panic does. The error itself stays in the task's outcome.
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::asyncio::{self, TaskError, TaskGroup};
    ///
    /// asyncio::run(async {
    ///     let group = TaskGroup::new();
    ///     let slow = group.create_task(asyncio::sleep(Duration::from_secs(3600)));
    ///     let bad = group.create_fallible_task(async { Err::<(), _>("bad input") });
    ///     let err = group.join().await.unwrap_err();
    ///     assert_eq!(err.failed(), 1);
    ///     assert_eq!(bad.await, Ok(Err("bad input")));
    ///     assert_eq!(slow.await, Err(TaskError::Cancelled));
    /// });
    /// ```
    pub fn create_fallible_task<F, T, E>(&self, future: F) -> Task<Result<T, E>>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        self.add(create_task(async move {
            let result = future.await;
            if result.is_err() {
                shared.fail(None);
            }
            result
        }))
    }

    fn add<T: Send + 'static>(&self, task: Task<T>) -> Task<T> {
        let abort = task.abort_handle();
        let id = abort.as_ref().map(AbortHandle::id);
        {
            let mut state = self.shared.state.lock();
            state.running += 1;
            if let (Some(id), Some(abort)) = (id, abort) {
                state.aborts.insert(id, abort);
            }
            if state.failed > 0 {
                task.cancel();
            }
        }
        let shared = Arc::clone(&self.shared);
        task.mark_retrieved();
        task.watch(Box::new(move |panic| {
            if let Some(panic) = panic {
                shared.fail(Some(panic.clone()));
            }
            let mut state = shared.state.lock();
            state.running -= 1;
            if let Some(id) = id {
                state.aborts.remove(&id);
            }
            drop(state);
            shared.event.notify(usize::MAX);
        }));
        task
    }

    /// How many tasks of the group are still running.
    ///
    /// ```
    /// use tripod::asyncio::{self, TaskGroup};
    ///
    /// asyncio::run(async {
    ///     let group = TaskGroup::new();
    ///     group.create_task(std::future::pending::<()>());
    ///     assert_eq!(group.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.shared.state.lock().running
    }

    /// Whether no task of the group is running.
    ///
    /// ```
    /// assert!(tripod::asyncio::TaskGroup::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits until every task of the group is done (Python: leaving the `async with`
    /// block). `Ok` if none failed; otherwise the [`TaskGroupError`], after the failure
    /// cancelled the rest and they all finished.
    ///
    /// # Cancel safety
    ///
    /// Dropping it before it returns cancels every task of the group (as cancelling the
    /// body of Python's `async with TaskGroup()` does).
    ///
    /// ```
    /// use tripod::asyncio::{self, TaskGroup};
    ///
    /// asyncio::run(async {
    ///     let group = TaskGroup::new();
    ///     group.create_task(async { panic!("child failed") });
    ///     let err = group.join().await.unwrap_err();
    ///     assert_eq!(err.panics()[0].message(), "child failed");
    /// });
    /// ```
    pub async fn join(self) -> Result<(), TaskGroupError> {
        loop {
            let listener = self.shared.event.listen();
            if self.shared.state.lock().running == 0 {
                break;
            }
            listener.await;
        }
        let mut state = self.shared.state.lock();
        if state.failed == 0 {
            Ok(())
        } else {
            Err(TaskGroupError {
                failed: state.failed,
                panics: std::mem::take(&mut state.panics),
            })
        }
    }
}

impl Drop for TaskGroup {
    fn drop(&mut self) {
        self.shared.cancel_all();
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.state.lock();
        f.debug_struct("TaskGroup")
            .field("running", &state.running)
            .field("failed", &state.failed)
            .finish()
    }
}

/// Tasks of a [`TaskGroup`] failed: Python's `ExceptionGroup` from a task group.
///
/// ```
/// use tripod::asyncio::{self, TaskGroup};
///
/// asyncio::run(async {
///     let group = TaskGroup::new();
///     group.create_task(async { panic!("a") });
///     let err = group.join().await.unwrap_err();
///     assert_eq!(err.failed(), 1);
///     assert!(err.to_string().contains("1 task"));
/// });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskGroupError {
    failed: usize,
    panics: Vec<PanicError>,
}

impl TaskGroupError {
    /// How many tasks failed (panicked or returned `Err`); at least 1.
    ///
    /// ```
    /// use tripod::asyncio::{self, TaskGroup};
    ///
    /// asyncio::run(async {
    ///     let group = TaskGroup::new();
    ///     group.create_fallible_task(async { Err::<(), _>(()) });
    ///     assert_eq!(group.join().await.unwrap_err().failed(), 1);
    /// });
    /// ```
    pub fn failed(&self) -> usize {
        self.failed
    }

    /// The panics among the failures, in the order they happened.
    ///
    /// ```
    /// use tripod::asyncio::{self, TaskGroup};
    ///
    /// asyncio::run(async {
    ///     let group = TaskGroup::new();
    ///     group.create_task(async { panic!("p") });
    ///     assert_eq!(group.join().await.unwrap_err().panics().len(), 1);
    /// });
    /// ```
    pub fn panics(&self) -> &[PanicError] {
        &self.panics
    }
}

impl fmt::Display for TaskGroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} task(s) of the group failed", self.failed)?;
        if let Some(first) = self.panics.first() {
            write!(f, "; first: {first}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TaskGroupError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_lived_group_keeps_no_handle_of_the_tasks_that_ended() {
        // Its watched tasks make cells, which a test in `task` counts.
        let _serial = crate::asyncio::task::tests::WARNINGS.lock();
        crate::asyncio::run(async {
            let group = TaskGroup::new();
            for i in 0..200u32 {
                assert_eq!(group.create_task(async move { i }).await, Ok(i));
            }
            let _running = group.create_task(std::future::pending::<()>());
            assert_eq!(group.shared.state.lock().aborts.len(), 1);
            assert_eq!(group.len(), 1);
        });
    }
}
