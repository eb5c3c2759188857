//! Tests of the process-shared synchronisation primitives of `tripod::multiprocessing`
//! (Lock, RLock, Semaphore, BoundedSemaphore, Event, Condition, Barrier), each passed to
//! child processes as an argument.
//!
//! Nothing here orders events with sleeps: children report through events, semaphores and
//! files; the only sleeps are in children waiting to be killed.
#![cfg(target_os = "linux")]

use std::fmt::Debug;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tripod::multiprocessing::{
    AcquireTimeoutError, Barrier, BoundedSemaphore, Condition, Event, Lock, OwnerDied, Process,
    RLock, Semaphore, TryAcquireError,
};
use tripod::threading::{BrokenBarrierError, TooManyReleasesError};

/// Long enough never to expire on a loaded machine; tests finish long before.
const LONG: Duration = Duration::from_secs(30);

fn temp_file(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("tripod-mpsync-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// Appends one line with one `write` (O_APPEND: the kernel orders whole writes).
fn append_line(path: &Path, line: &str) {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    file.write_all(format!("{line}\n").as_bytes()).unwrap();
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Waits, as a child, until the parent kills it.
fn wait_to_be_killed() -> ! {
    loop {
        // Sleeping only until the parent's SIGKILL arrives.
        std::thread::sleep(Duration::from_secs(60));
    }
}

#[test]
fn handles_are_send_sync_clone_debug_and_serde() {
    fn check<T: Send + Sync + Clone + Debug + Serialize + DeserializeOwned>() {}
    check::<Lock>();
    check::<RLock>();
    check::<Semaphore>();
    check::<BoundedSemaphore>();
    check::<Event>();
    check::<Condition>();
    check::<Barrier>();
}

// ---------------------------------------------------------------- Lock

fn append_under_lock(lock: Lock, start: Barrier, path: PathBuf, me: u32, rounds: u32) {
    start.wait_timeout(LONG).unwrap(); // all together, so they contend
    for round in 0..rounds {
        let _held = lock.acquire().unwrap();
        append_line(&path, &format!("start {me} {round}"));
        std::thread::yield_now(); // invite the others in, were the lock not excluding them
        append_line(&path, &format!("end {me} {round}"));
    }
}
tripod::task!(append_under_lock);

#[test]
fn lock_excludes_across_processes() {
    let path = temp_file("exclusion");
    let lock = Lock::new().unwrap();
    let start = Barrier::new(4).unwrap();
    let children: Vec<_> = (0..4)
        .map(|me| {
            let args = (lock.clone(), start.clone(), path.clone(), me, 200);
            Process::new(append_under_lock, args).start().unwrap()
        })
        .collect();
    for child in children {
        child.join().unwrap();
    }
    let lines = lines(&path);
    assert_eq!(lines.len(), 4 * 200 * 2);
    for pair in lines.chunks(2) {
        // Every start is followed at once by its own end: no section interleaved another.
        let start = pair[0].strip_prefix("start ").expect(&pair[0]);
        let end = pair[1].strip_prefix("end ").expect(&pair[1]);
        assert_eq!(start, end);
    }
    assert!(!lock.locked());
    std::fs::remove_file(&path).unwrap();
}

fn hold_lock_until_killed(lock: Lock, holding: Event) {
    let _guard = lock.acquire().unwrap();
    holding.set();
    wait_to_be_killed();
}
tripod::task!(hold_lock_until_killed);

#[test]
fn a_killed_lock_owner_hands_over_owner_died_then_the_lock_works() {
    let lock = Lock::new().unwrap();
    let holding = Event::new().unwrap();
    let child = Process::new(hold_lock_until_killed, (lock.clone(), holding.clone()))
        .start()
        .unwrap();
    assert!(holding.wait_timeout(LONG), "the child never took the lock");
    assert!(lock.locked());
    assert!(matches!(
        lock.try_acquire(),
        Err(TryAcquireError::WouldBlock)
    ));
    assert!(matches!(
        lock.acquire_timeout(Duration::from_millis(10)),
        Err(AcquireTimeoutError::Timeout)
    ));

    // Wait for it on another thread while the owner is killed.
    let waiter = {
        let lock = lock.clone();
        std::thread::spawn(move || {
            let start = Instant::now();
            let died = match lock.acquire_timeout(LONG) {
                Err(AcquireTimeoutError::OwnerDied(died)) => died,
                Err(AcquireTimeoutError::Timeout) => panic!("timed out"),
                Ok(_) => panic!("no owner-died signal"),
            };
            assert!(lock.locked());
            drop(died); // releases it
            start.elapsed()
        })
    };
    child.kill().unwrap();
    assert!(child.join().is_err());
    assert!(waiter.join().unwrap() < LONG);

    // The signal went to one acquirer only; the lock is clean again.
    assert!(!lock.locked());
    let guard = lock.acquire().unwrap();
    assert!(matches!(
        lock.try_acquire(),
        Err(TryAcquireError::WouldBlock)
    ));
    drop(guard);
    let guard = lock.try_acquire().unwrap();
    drop(guard);
}

// ---------------------------------------------------------------- RLock

fn rlock_nested(lock: RLock, depth: u32) -> (bool, bool) {
    let guards: Vec<_> = (0..depth).map(|_| lock.acquire().unwrap()).collect();
    let owned = lock.is_owned();
    drop(guards);
    (owned, lock.locked())
}
tripod::task!(rlock_nested);

fn hold_rlock_twice_until_killed(lock: RLock, holding: Event) {
    let _outer = lock.acquire().unwrap();
    let _inner = lock.try_acquire().unwrap();
    assert!(lock.is_owned());
    holding.set();
    wait_to_be_killed();
}
tripod::task!(hold_rlock_twice_until_killed);

#[test]
fn rlock_recursion_in_a_child_and_owner_death() {
    let lock = RLock::new().unwrap();
    let child = Process::new(rlock_nested, (lock.clone(), 5))
        .start()
        .unwrap();
    assert_eq!(child.join().unwrap(), (true, false));

    let holding = Event::new().unwrap();
    let child = Process::new(
        hold_rlock_twice_until_killed,
        (lock.clone(), holding.clone()),
    )
    .start()
    .unwrap();
    assert!(holding.wait_timeout(LONG));
    assert!(lock.locked());
    assert!(!lock.is_owned());
    assert!(matches!(
        lock.try_acquire(),
        Err(TryAcquireError::WouldBlock)
    ));
    child.kill().unwrap();
    assert!(child.join().is_err());

    // The child held it at depth two; we get it at depth one, with the signal.
    let died: OwnerDied<_> = match lock.acquire_timeout(LONG) {
        Err(AcquireTimeoutError::OwnerDied(died)) => died,
        other => panic!("expected OwnerDied, got {other:?}"),
    };
    assert!(lock.is_owned());
    let again = lock.acquire().unwrap(); // still reentrant
    drop(again);
    drop(died);
    assert!(!lock.locked());
    // And another process can take it normally.
    let child = Process::new(rlock_nested, (lock.clone(), 2))
        .start()
        .unwrap();
    assert_eq!(child.join().unwrap(), (true, false));
}

// ---------------------------------------------------------------- Semaphores

fn inside_semaphore(sem: Semaphore, start: Barrier, path: PathBuf, rounds: u32) {
    start.wait_timeout(LONG).unwrap(); // all together, so they contend
    for _ in 0..rounds {
        let _permit = sem.acquire();
        append_line(&path, "in");
        std::thread::yield_now(); // invite the others in, were the permits not limiting them
        append_line(&path, "out");
    }
}
tripod::task!(inside_semaphore);

fn release_to_parent(sem: Semaphore, n: usize) {
    sem.release(n);
}
tripod::task!(release_to_parent);

fn over_release(sem: BoundedSemaphore) -> (bool, bool) {
    let first = sem.release(1) == Ok(());
    let second = sem.release(1) == Err(TooManyReleasesError);
    (first, second)
}
tripod::task!(over_release);

#[test]
fn semaphore_bounds_holders_across_processes() {
    let path = temp_file("semaphore");
    let sem = Semaphore::new(2).unwrap();
    let start = Barrier::new(4).unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            Process::new(
                inside_semaphore,
                (sem.clone(), start.clone(), path.clone(), 200),
            )
            .start()
            .unwrap()
        })
        .collect();
    for child in children {
        child.join().unwrap();
    }
    // A line "in" is written after the acquire and "out" before the release, so the depth
    // of the file never exceeds the number of holders at that moment.
    let mut depth = 0i32;
    let mut deepest = 0;
    for line in lines(&path) {
        depth += if line == "in" { 1 } else { -1 };
        deepest = deepest.max(depth);
    }
    assert_eq!(depth, 0);
    assert!(deepest <= 2, "{deepest} holders at once");
    assert_eq!(sem.value(), 2);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn semaphore_released_by_a_child_wakes_the_parent() {
    let sem = Semaphore::new(0).unwrap();
    assert!(sem.try_acquire().is_none());
    let child = Process::new(release_to_parent, (sem.clone(), 2))
        .start()
        .unwrap();
    let a = sem.acquire_timeout(LONG).expect("first permit");
    let b = sem.acquire_timeout(LONG).expect("second permit");
    child.join().unwrap();
    a.forget();
    b.forget();
    assert_eq!(sem.value(), 0);
    assert!(sem.acquire_timeout(Duration::from_millis(5)).is_none());
}

#[test]
fn bounded_semaphore_refuses_over_release_from_a_child() {
    let sem = BoundedSemaphore::new(1).unwrap();
    sem.acquire().forget();
    assert_eq!(sem.value(), 0);
    let child = Process::new(over_release, (sem.clone(),)).start().unwrap();
    assert_eq!(child.join().unwrap(), (true, true));
    assert_eq!(sem.value(), 1);
}

// ---------------------------------------------------------------- Event

fn wait_then_answer(go: Event, answer: Semaphore) -> bool {
    let woke = go.wait_timeout(LONG);
    answer.release(1);
    woke
}
tripod::task!(wait_then_answer);

fn set_clear_check(ev: Event) -> (bool, bool) {
    let was = ev.is_set();
    ev.clear();
    (was, ev.is_set())
}
tripod::task!(set_clear_check);

#[test]
fn event_set_by_the_parent_wakes_every_child() {
    let go = Event::new().unwrap();
    let answers = Semaphore::new(0).unwrap();
    let children: Vec<_> = (0..3)
        .map(|_| {
            Process::new(wait_then_answer, (go.clone(), answers.clone()))
                .start()
                .unwrap()
        })
        .collect();
    // Nobody answers before the event is set.
    assert!(answers.acquire_timeout(Duration::from_millis(20)).is_none());
    go.set();
    for child in children {
        assert!(child.join().unwrap());
    }
    assert_eq!(answers.value(), 3);

    // The flag is shared both ways.
    let child = Process::new(set_clear_check, (go.clone(),))
        .start()
        .unwrap();
    assert_eq!(child.join().unwrap(), (true, false));
    assert!(!go.is_set());
    assert!(!go.wait_timeout(Duration::from_millis(5)));
}

// ---------------------------------------------------------------- Condition

/// Registers as a waiter (signalling `ready` with the lock held, so once the parent holds
/// the lock the child is waiting), then reports through `woken` whether it was notified.
fn condition_waiter(cond: Condition, ready: Semaphore, woken: Semaphore, timeout_ms: u64) -> bool {
    let mut guard = cond.acquire().unwrap();
    ready.release(1);
    let notified = guard
        .wait_timeout(Duration::from_millis(timeout_ms))
        .unwrap();
    drop(guard);
    woken.release(1);
    notified
}
tripod::task!(condition_waiter);

fn wait_for_flag(cond: Condition, flag: Event, ready: Semaphore) -> bool {
    let mut guard = cond.acquire().unwrap();
    ready.release(1);
    guard.wait_for_timeout(|| flag.is_set(), LONG).unwrap()
}
tripod::task!(wait_for_flag);

#[test]
fn condition_notify_and_notify_all_across_processes() {
    let cond = Condition::new().unwrap();
    let ready = Semaphore::new(0).unwrap();
    let woken = Semaphore::new(0).unwrap();
    let children: Vec<_> = (0..3)
        .map(|_| {
            Process::new(
                condition_waiter,
                (
                    cond.clone(),
                    ready.clone(),
                    woken.clone(),
                    LONG.as_millis() as u64,
                ),
            )
            .start()
            .unwrap()
        })
        .collect();
    for _ in 0..3 {
        ready
            .acquire_timeout(LONG)
            .expect("a child never waited")
            .forget();
    }
    // Each child signalled `ready` holding the lock and released it only by waiting.
    assert_eq!(cond.acquire().unwrap().notify(1), 1);
    woken.acquire_timeout(LONG).expect("nobody woke").forget();
    assert_eq!(woken.value(), 0, "notify(1) woke more than one");
    assert_eq!(cond.acquire().unwrap().notify_all(), 2);
    for _ in 0..2 {
        woken
            .acquire_timeout(LONG)
            .expect("notify_all left one")
            .forget();
    }
    for child in children {
        assert!(child.join().unwrap(), "a child timed out instead");
    }
    assert_eq!(cond.acquire().unwrap().notify_all(), 0);
}

#[test]
fn condition_wait_times_out_across_processes_and_wait_for_sees_shared_state() {
    let cond = Condition::new().unwrap();
    let ready = Semaphore::new(0).unwrap();
    let woken = Semaphore::new(0).unwrap();
    // Nobody notifies: the child's wait times out, and it is no longer a waiter.
    let child = Process::new(
        condition_waiter,
        (cond.clone(), ready.clone(), woken.clone(), 20),
    )
    .start()
    .unwrap();
    assert!(!child.join().unwrap());
    ready.acquire_timeout(LONG).unwrap().forget();
    assert_eq!(cond.acquire().unwrap().notify_all(), 0);

    let flag = Event::new().unwrap();
    let child = Process::new(wait_for_flag, (cond.clone(), flag.clone(), ready.clone()))
        .start()
        .unwrap();
    ready.acquire_timeout(LONG).unwrap().forget();
    {
        let guard = cond.acquire().unwrap();
        // A notification while the predicate is false: the child waits on.
        assert_eq!(guard.notify_all(), 1);
    }
    {
        let guard = cond.acquire().unwrap();
        flag.set();
        // The child is registered again, or about to re-check the predicate: either way
        // it returns true.
        guard.notify_all();
    }
    assert!(child.join().unwrap());
}

// ---------------------------------------------------------------- Barrier

fn barrier_rounds(barrier: Barrier, rounds: u32) -> Vec<usize> {
    (0..rounds)
        .map(|_| barrier.wait_timeout(LONG).unwrap())
        .collect()
}
tripod::task!(barrier_rounds);

/// The arrival index, or `None` if the barrier was broken.
fn barrier_wait(barrier: Barrier) -> Option<usize> {
    barrier.wait_timeout(LONG).ok()
}
tripod::task!(barrier_wait);

#[test]
fn barrier_cycles_across_processes() {
    let barrier = Barrier::new(3).unwrap();
    let children: Vec<_> = (0..2)
        .map(|_| {
            Process::new(barrier_rounds, (barrier.clone(), 5))
                .start()
                .unwrap()
        })
        .collect();
    let mine: Vec<usize> = (0..5)
        .map(|_| barrier.wait_timeout(LONG).unwrap())
        .collect();
    let theirs: Vec<Vec<usize>> = children.into_iter().map(|c| c.join().unwrap()).collect();
    for round in 0..5 {
        let mut indexes = vec![mine[round], theirs[0][round], theirs[1][round]];
        indexes.sort();
        assert_eq!(indexes, [0, 1, 2]);
    }
    assert_eq!(barrier.parties(), 3);
    assert_eq!(barrier.n_waiting(), 0);
}

#[test]
fn barrier_timeout_breaks_it_for_a_waiting_child_and_reset_repairs() {
    let barrier = Barrier::new(3).unwrap();
    let child = Process::new(barrier_wait, (barrier.clone(),))
        .start()
        .unwrap();
    let deadline = Instant::now() + LONG;
    while barrier.n_waiting() < 1 {
        assert!(Instant::now() < deadline, "the child never arrived");
        std::thread::yield_now();
    }
    // Only two of three parties come: our timeout breaks the barrier for the child too.
    assert_eq!(
        barrier.wait_timeout(Duration::from_millis(20)),
        Err(BrokenBarrierError)
    );
    assert_eq!(child.join().unwrap(), None);
    assert!(barrier.is_broken());
    // Later arrivals fail at once, until a reset.
    let child = Process::new(barrier_wait, (barrier.clone(),))
        .start()
        .unwrap();
    assert_eq!(child.join().unwrap(), None);
    barrier.reset();
    assert!(!barrier.is_broken());

    // Abort from the parent while a child waits.
    let child = Process::new(barrier_wait, (barrier.clone(),))
        .start()
        .unwrap();
    while barrier.n_waiting() < 1 {
        assert!(Instant::now() < deadline, "the child never arrived");
        std::thread::yield_now();
    }
    barrier.abort();
    assert_eq!(child.join().unwrap(), None);
    barrier.reset();

    // Whole again: three parties pass.
    let children: Vec<_> = (0..2)
        .map(|_| {
            Process::new(barrier_wait, (barrier.clone(),))
                .start()
                .unwrap()
        })
        .collect();
    let mut indexes = vec![barrier.wait_timeout(LONG).unwrap()];
    indexes.extend(children.into_iter().map(|c| c.join().unwrap().unwrap()));
    indexes.sort();
    assert_eq!(indexes, [0, 1, 2]);
}
