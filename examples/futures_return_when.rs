//! Seed 000 (线程池): `wait(..., return_when=...)`.
//!
//! > 使用 wait 方法可以等待所有线程执行完毕,同时可以传入 return_when 参数来指定等待条件,
//! > 例如 FIRST_COMPLETED 表示只要有一个线程完成就返回,FIRST_EXCEPTION 表示只要有一个线程
//! > 抛出异常就返回,ALL_COMPLETED 表示所有线程都完成才返回。
//!
//! ```python
//! done, not_done = wait(tasks, return_when=FIRST_COMPLETED)
//! done, not_done = wait(tasks, return_when=FIRST_EXCEPTION)
//! done, not_done = wait(tasks, return_when=ALL_COMPLETED)
//! ```
//!
//! Each part submits tasks with pseudo-random short sleeps (one of them panics in the
//! FIRST_EXCEPTION part) and prints which futures were done when `wait` returned.

use std::thread;
use std::time::Duration;

use tripod::futures::{DoneAndNotDone, Future, ReturnWhen, ThreadPoolExecutor, wait};

/// A pseudo-random delay in 20..220 ms for task `i` (a linear congruential generator).
fn delay(i: u64) -> Duration {
    let x = i
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Duration::from_millis(20 + (x >> 33) % 200)
}

fn task(name: u64, fail: bool) -> u64 {
    println!("  Task {name} is running...");
    thread::sleep(delay(name));
    if fail {
        println!("  Task {name} raises.");
        panic!("task {name} failed");
    }
    println!("  Task {name} is done.");
    name * 2
}

fn names(futures: &[Future<u64>], all: &[Future<u64>]) -> Vec<usize> {
    futures
        .iter()
        .map(|f| all.iter().position(|g| g.ptr_eq(f)).unwrap())
        .collect()
}

fn run(return_when: ReturnWhen, failing: Option<u64>) {
    println!("{return_when:?}:");
    let pool = ThreadPoolExecutor::new(4);
    let tasks: Vec<_> = (0..4)
        .map(|i| pool.submit(move || task(i, Some(i) == failing)))
        .collect();
    let DoneAndNotDone { done, not_done } = wait(&tasks, None, return_when);
    println!(
        "  wait returned: done {:?}, not done {:?}",
        names(&done, &tasks),
        names(&not_done, &tasks)
    );
    for f in &done {
        match f.result() {
            Ok(v) => println!("  result {v}"),
            Err(e) => println!("  error: {e}"),
        }
    }
    match return_when {
        ReturnWhen::FirstCompleted => assert!(!done.is_empty()),
        ReturnWhen::FirstException => assert!(done.iter().any(|f| f.exception().is_some())),
        ReturnWhen::AllCompleted => assert_eq!(done.len(), 4),
    }
    // Dropping the pool waits for the rest.
}

fn main() {
    std::panic::set_hook(Box::new(|_| {})); // the failing task's error is printed below
    run(ReturnWhen::FirstCompleted, None);
    run(ReturnWhen::FirstException, Some(3));
    run(ReturnWhen::AllCompleted, None);
}
