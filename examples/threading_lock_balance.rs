//! Seed 000 ("Lock"): two threads change a shared balance under a lock.
//!
//! ```python
//! balance = 0
//! lock = threading.Lock()
//! def change_it(n):
//!     global balance
//!     balance = balance + n
//!     balance = balance - n
//! def run_thread(n):
//!     for i in range(100000):
//!         lock.acquire()
//!         change_it(n)
//!         lock.release()
//! t1 = threading.Thread(target=run_thread, args=(5,)); t2 = ... args=(8,)
//! t1.start(); t2.start(); t1.join(); t2.join()
//! print(balance)
//! ```
//!
//! In tripod the balance lives *inside* the lock, so `change_it` cannot touch it without
//! holding it: `acquire()` returns a guard that dereferences to the balance and releases
//! the lock when dropped (or explicitly with `guard.release()`, the spelling of the seed).
//! `Thread::new(move || run_thread(&lock, n))` is `threading.Thread(target=run_thread,
//! args=(n,))`: the closure carries the arguments.

use std::sync::Arc;
use tripod::threading::{Lock, Thread};

fn change_it(balance: &mut i64, n: i64) {
    *balance += n;
    *balance -= n;
}

fn run_thread(lock: &Lock<i64>, n: i64) {
    for _ in 0..100_000 {
        let mut balance = lock.acquire(); // lock.acquire()
        change_it(&mut balance, n);
        balance.release(); // lock.release()
    }
}

fn main() {
    let lock = Arc::new(Lock::new(0i64));
    let handles: Vec<_> = [5, 8]
        .into_iter()
        .map(|n| {
            let lock = Arc::clone(&lock);
            Thread::new(move || run_thread(&lock, n))
                .name(format!("run_thread({n})"))
                .start()
                .expect("start thread")
        })
        .collect();
    for h in handles {
        h.join().expect("thread panicked");
    }
    let balance = *lock.acquire();
    println!("{balance}");
    assert_eq!(balance, 0, "the lock keeps the balance consistent");
}
