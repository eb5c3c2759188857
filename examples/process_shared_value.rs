//! Seed 000 ("Lock"), across processes: two processes change a shared balance under its
//! lock, the shared counter of `multiprocessing.Value`.
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
//! Processes share no globals, so the balance lives in shared memory: Python writes
//! `balance = multiprocessing.Value('q', 0)` and `with balance.get_lock(): ...`. In tripod
//! the `Value<i64>` is an argument of each child (its memory travels as a descriptor), and
//! `balance.lock()` returns a guard that dereferences to the shared value and releases the
//! lock when dropped.

use tripod::multiprocessing::{Process, Value};

fn change_it(balance: &mut i64, n: i64) {
    *balance += n;
    *balance -= n;
}

fn run_process(balance: Value<i64>, n: i64) {
    for _ in 0..100_000 {
        let mut guard = balance.lock().expect("no process died holding the lock");
        change_it(&mut guard, n);
    }
}
tripod::task!(run_process);

/// The shared counter: each process adds one, many times, under the lock.
fn count(counter: Value<u64>, times: u32) {
    for _ in 0..times {
        *counter.lock().unwrap() += 1;
    }
}
tripod::task!(count);

fn main() {
    let balance = Value::new(0i64).unwrap();
    let processes: Vec<_> = [5, 8]
        .into_iter()
        .map(|n| {
            Process::new(run_process, (balance.clone(), n))
                .start()
                .unwrap()
        })
        .collect();
    for p in processes {
        p.join().unwrap();
    }
    println!("{}", balance.get());
    assert_eq!(balance.get(), 0, "the lock keeps the balance consistent");

    let counter = Value::new(0u64).unwrap();
    let processes: Vec<_> = (0..4)
        .map(|_| {
            Process::new(count, (counter.clone(), 10_000))
                .start()
                .unwrap()
        })
        .collect();
    for p in processes {
        p.join().unwrap();
    }
    println!("counter = {}", counter.get());
    assert_eq!(counter.get(), 40_000, "no increment is lost");
}
