//! Seeds 003 ("递归锁") and 004 ("使用RLock 可重入锁"): a lock taken again by the thread that
//! holds it.
//!
//! Seed 003: `run3` holds the lock and calls `run1` and `run2`, which take it again.
//!
//! ```python
//! def run1():
//!     lock.acquire(); global num; num += 1; lock.release(); return num
//! def run2():
//!     lock.acquire(); global num2; num2 += 1; lock.release(); return num2
//! def run3():
//!     lock.acquire()
//!     res = run1()
//!     print('--------between run1 and run2-----')
//!     res2 = run2()
//!     lock.release()
//!     print(res, res2)
//! lock = threading.RLock()
//! for i in range(10):
//!     threading.Thread(target=run3).start()
//! while threading.active_count() != 1:
//!     print(threading.active_count())
//! else:
//!     print('----all threads done---')
//!     print(num, num2)
//! ```
//!
//! Seed 004: nested `with lock:` blocks in one thread.
//!
//! ```python
//! def fun():
//!     global num
//!     for _ in range(10000):
//!         with lock:
//!             num += 1
//!             with lock:
//!                 print(num)
//! ```
//!
//! Because one thread may hold several guards of an `RLock` at once, a guard gives shared
//! access only; the counters are `Cell`s inside the lock.
//!
//! As in the seed, the main thread starts the ten threads without keeping them and then
//! watches `active_count()` until only itself is left. The seed's loop spins and prints
//! on every turn; here it prints the count when it changes, naps a millisecond between
//! looks, and gives up (exit code 1) if the threads are not done within five seconds.

use std::cell::Cell;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tripod::threading::{RLock, Thread, active_count};

struct Counters {
    num: Cell<u32>,
    num2: Cell<u32>,
}

fn run1(lock: &RLock<Counters>) -> u32 {
    println!("grab the first part data");
    let c = lock.acquire();
    c.num.set(c.num.get() + 1);
    c.num.get()
}

fn run2(lock: &RLock<Counters>) -> u32 {
    println!("grab the second part data");
    let c = lock.acquire();
    c.num2.set(c.num2.get() + 1);
    c.num2.get()
}

fn run3(lock: &RLock<Counters>) {
    // The explicit pair, as in the seed: acquire ... release.
    lock.acquire_raw();
    let res = run1(lock); // takes the lock again: fine, it is reentrant
    println!("--------between run1 and run2-----");
    let res2 = run2(lock);
    lock.release().expect("this thread acquired the lock");
    println!("{res} {res2}");
}

/// The seed's `while threading.active_count() != 1: print(threading.active_count())`,
/// printing only changes and bounded by `deadline`. `Err(count)` if threads other than
/// the main one are still alive at the deadline.
fn wait_until_only_main_thread(deadline: Instant) -> Result<(), usize> {
    let mut last_printed = None;
    loop {
        let count = active_count();
        if count == 1 {
            return Ok(());
        }
        if last_printed != Some(count) {
            println!("{count}");
            last_printed = Some(count);
        }
        if Instant::now() >= deadline {
            return Err(count);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn main() -> ExitCode {
    // Seed 003.
    let lock = Arc::new(RLock::new(Counters {
        num: Cell::new(0),
        num2: Cell::new(0),
    }));
    for _ in 0..10 {
        let lock = Arc::clone(&lock);
        // t = threading.Thread(target=run3); t.start()  (the handle is not kept)
        Thread::new(move || run3(&lock))
            .start()
            .expect("start run3");
    }
    if let Err(count) = wait_until_only_main_thread(Instant::now() + Duration::from_secs(5)) {
        eprintln!("gave up after 5 s: {count} threads still alive");
        return ExitCode::FAILURE;
    }
    // The while loop's `else:`.
    println!("----all threads done---");
    let c = lock.acquire();
    println!("{} {}", c.num.get(), c.num2.get());
    assert_eq!((c.num.get(), c.num2.get()), (10, 10));
    drop(c);

    // A release by a thread that does not hold the lock is an error, not a crash.
    let other = {
        let lock = Arc::clone(&lock);
        Thread::new(move || lock.release())
            .start()
            .expect("start thread")
    };
    println!(
        "release from a non-owner: {:?}",
        other.join().expect("release panicked")
    );

    // Seed 004: nested `with lock:`.
    let lock = Arc::new(RLock::new(Cell::new(0u32)));
    let t = {
        let lock = Arc::clone(&lock);
        Thread::new(move || {
            for i in 0..10_000 {
                let num = lock.acquire(); // with lock:
                num.set(num.get() + 1);
                let again = lock.acquire(); //     with lock:
                if i % 2_500 == 2_499 {
                    println!("{}", again.get());
                }
            }
        })
        .start()
        .expect("start fun")
    };
    t.join().expect("fun panicked");
    let num = lock.acquire().get();
    println!("num = {num}");
    assert_eq!(num, 10_000);
    ExitCode::SUCCESS
}
