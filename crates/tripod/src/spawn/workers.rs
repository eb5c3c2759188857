//! The threads that run the monitors: a cache of threads, so that starting a child does
//! not cost a new thread each time.
//!
//! A thread runs one monitor job (which lasts as long as its child), then waits for the
//! next job for [`IDLE_LIFETIME`] and exits if none comes. A job goes to an idle thread
//! when there is one, else to a new thread. The count of idle threads is claimed before a
//! job is queued, and a thread that times out leaves only if it can take itself off that
//! count, so a queued job always has a thread to run it.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

/// A monitor's work.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// How long an idle thread waits for the next job before it exits.
const IDLE_LIFETIME: Duration = Duration::from_secs(10);

struct Pool {
    /// The process the threads belong to: a forked child has a copy of this pool but none
    /// of its threads.
    pid: u32,
    jobs: Sender<Job>,
    queue: Receiver<Job>,
    idle: AtomicUsize,
}

static POOL: Mutex<Option<Arc<Pool>>> = Mutex::new(None);

fn pool() -> Arc<Pool> {
    let mut slot = POOL.lock().unwrap_or_else(|e| e.into_inner());
    let pid = std::process::id();
    match slot.as_ref() {
        Some(pool) if pool.pid == pid => Arc::clone(pool),
        _ => {
            // In a forked child, the parent's pool has no threads here: start afresh, and
            // leave the copy alone (its channel may be in any state).
            if let Some(inherited) = slot.take() {
                std::mem::forget(inherited);
            }
            let (jobs, queue) = crossbeam_channel::unbounded();
            let pool = Arc::new(Pool {
                pid,
                jobs,
                queue,
                idle: AtomicUsize::new(0),
            });
            *slot = Some(Arc::clone(&pool));
            pool
        }
    }
}

/// Takes one from `count` if it is not zero.
fn claim(count: &AtomicUsize) -> bool {
    count
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
        .is_ok()
}

/// Runs `job` on an idle thread, or on a new one.
///
/// # Errors
///
/// A new thread was needed and could not be started; `job` is dropped.
pub(crate) fn run(job: Job) -> io::Result<()> {
    let pool = pool();
    if claim(&pool.idle) {
        // A claimed thread is waiting (or about to wait) on the queue, and does not leave
        // before it has taken a job.
        pool.jobs
            .send(job)
            .expect("the pool holds its own receiver");
        return Ok(());
    }
    let inside = Arc::clone(&pool);
    std::thread::Builder::new()
        .name("tripod-monitor".to_owned())
        .spawn(move || inside.work(job))
        .map(drop)
}

impl Pool {
    fn work(&self, first: Job) {
        first();
        loop {
            self.idle.fetch_add(1, Ordering::AcqRel);
            let job = match self.queue.recv_timeout(IDLE_LIFETIME) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) => {
                    if claim(&self.idle) {
                        return;
                    }
                    // Every idle thread has been claimed: a job is on its way.
                    match self.queue.recv() {
                        Ok(job) => job,
                        Err(_) => return,
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            job();
        }
    }
}
