//! Pools over their whole life: many pools made and dropped, workers recycled many times,
//! and pools whose workers are forked. What leaks (threads, descriptors, memory) or
//! hangs shows here.
//!
//! The tests of this file run one at a time (`serial`): they count the process's threads
//! and descriptors, which another test's pool would change, and `StartMethod::Fork`
//! must not fork while another test's thread holds a lock (see `StartMethod::fork`).
#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use tripod::multiprocessing::{Pool, PoolErrorKind, StartMethod, getpid};

/// Long enough never to expire on a loaded machine; tests finish long before.
const LONG: Duration = Duration::from_secs(30);

fn square(x: u64) -> u64 {
    x * x
}
tripod::task!(square);

fn pid_of_worker() -> u32 {
    getpid()
}
tripod::task!(pid_of_worker);

fn abort_now() -> u32 {
    std::process::abort()
}
tripod::task!(abort_now);

fn sleep_forever() -> u32 {
    loop {
        // Sleeping only until the pool kills this worker.
        std::thread::sleep(Duration::from_secs(60));
    }
}
tripod::task!(sleep_forever);

fn serial() -> std::sync::MutexGuard<'static, ()> {
    static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// The pool's threads in this process (their names start with `tripod-pool`).
fn pool_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with("tripod-pool"))
        .count()
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// The process's virtual memory size, in KiB: an exited thread that nobody joined keeps
/// its stack mapped.
fn vm_size_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmSize:"))
        .expect("VmSize in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// The pid is gone: no process, not even a zombie.
fn assert_reaped(pid: u32) {
    let path = format!("/proc/{pid}/stat");
    let deadline = Instant::now() + LONG;
    while let Ok(stat) = std::fs::read_to_string(&path) {
        assert!(Instant::now() < deadline, "{pid} still there: {stat}");
        std::thread::yield_now();
    }
}

#[test]
fn two_hundred_pool_lifetimes_leak_no_thread_nor_descriptor() {
    let _serial = serial();
    // Warm up: whatever is made once per process (the registry, the fork server...).
    drop(Pool::new(2).unwrap());
    let (threads, fds) = (pool_threads(), open_fds());
    assert_eq!(threads, 0);
    let mut pids = Vec::new();
    for i in 0..200u64 {
        let pool = Pool::new(2).unwrap();
        pids.extend(pool.worker_pids());
        match i % 4 {
            // Dropped with work pending.
            0 => drop(pool.apply_async(sleep_forever, ()).unwrap()),
            // Closed and joined after work.
            1 => {
                assert_eq!(pool.apply(square, (i,)).unwrap(), i * i);
                pool.close();
                pool.join().unwrap();
            }
            // Terminated, then dropped.
            2 => pool.terminate(),
            // With a watchdog (a timeout) and a lost worker.
            _ => {
                let options = tripod::multiprocessing::AsyncOptions::new().timeout(LONG);
                let r = pool.apply_async_with(abort_now, (), options).unwrap();
                assert_eq!(r.get().unwrap_err().kind(), PoolErrorKind::WorkerLost);
            }
        }
    }
    assert_eq!(pool_threads(), threads, "pool threads left behind");
    assert_eq!(open_fds(), fds, "descriptors left open");
    for pid in pids {
        assert_reaped(pid);
    }
}

#[test]
fn recycled_workers_leave_no_thread_behind() {
    let _serial = serial();
    let pool = Pool::builder()
        .processes(1)
        .maxtasksperchild(1)
        .build()
        .unwrap();
    // Warm up, then measure over many recycles.
    for _ in 0..20 {
        pool.apply(pid_of_worker, ()).unwrap();
    }
    let (vm, fds) = (vm_size_kib(), open_fds());
    let mut pids = Vec::new();
    for _ in 0..300 {
        pids.push(pool.apply(pid_of_worker, ()).unwrap());
    }
    // Each recycle ends a worker's reader and writer threads: 600 threads here, whose
    // stacks (2 MiB each) stay mapped unless they are joined.
    let grown = vm_size_kib().saturating_sub(vm);
    assert!(
        grown < 256 << 10,
        "VmSize grew by {grown} KiB over 300 recycles"
    );
    // The last recycle may still be under way (a worker retiring, its replacement
    // starting, with their sockets and pidfds): wait for it to settle, within a deadline.
    let deadline = Instant::now() + LONG;
    while pool_threads() > 3 || open_fds() > fds + 2 {
        assert!(
            Instant::now() < deadline,
            "{} pool threads, {} fds ({fds} before)",
            pool_threads(),
            open_fds()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    pool.close();
    pool.join().unwrap();
    for pid in pids {
        assert_reaped(pid);
    }
}

#[test]
fn a_pool_of_forked_workers() {
    let _serial = serial();
    // SAFETY: the tests of this file run one at a time (`serial`), so when a worker is
    // forked the only other threads are libtest's idle ones and this pool's own, which
    // hold no lock the worker needs (the pool forks one worker at a time, outside its
    // state lock); glibc's malloc has fork handlers for the allocator's locks.
    let method = unsafe { StartMethod::fork() };
    let pool = Pool::builder()
        .processes(2)
        .start_method(method)
        .build()
        .unwrap();
    let pids = pool.worker_pids();
    assert_eq!(pids.len(), 2);
    assert_eq!(
        pool.map(square, 0..1000, None).unwrap(),
        (0..1000).map(|i| i * i).collect::<Vec<_>>()
    );
    // A lost worker fails its task alone and is replaced by a new fork.
    let err = pool.apply(abort_now, ()).unwrap_err();
    assert_eq!(
        (err.kind(), err.signal()),
        (PoolErrorKind::WorkerLost, Some(6))
    );
    let lost = err.pid().unwrap();
    assert_eq!(pool.apply(square, (7,)).unwrap(), 49);
    // Timeouts and cancels kill and replace forked workers as well.
    let options = tripod::multiprocessing::AsyncOptions::new().timeout(Duration::from_millis(50));
    let err = pool
        .apply_async_with(sleep_forever, (), options)
        .unwrap()
        .get_timeout(LONG)
        .unwrap_err();
    assert_eq!(err.kind(), PoolErrorKind::TaskTimeout);
    let timed_out = err.pid().unwrap();
    assert_eq!(pool.map(square, 0..10, 1).unwrap()[9], 81);
    pool.close();
    pool.join().unwrap();
    assert!(pool.worker_pids().is_empty());
    for pid in pids.into_iter().chain([lost, timed_out]) {
        assert_reaped(pid);
    }
    // Recycled forked workers (maxtasksperchild).
    // SAFETY: as above.
    let method = unsafe { StartMethod::fork() };
    let pool = Pool::builder()
        .processes(1)
        .maxtasksperchild(1)
        .start_method(method)
        .build()
        .unwrap();
    let a = pool.apply(pid_of_worker, ()).unwrap();
    let b = pool.apply(pid_of_worker, ()).unwrap();
    assert_ne!(a, b);
    assert_ne!(a, getpid());
    drop(pool);
    assert_reaped(a);
    assert_reaped(b);
}
