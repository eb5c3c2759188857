//! Seeds 000 (线程池) and 004 (使用ThreadPoolExecutor): `Executor.map`, whose results come
//! in the order of the inputs even when later inputs finish first.
//!
//! ```python
//! # seed 000
//! with ThreadPoolExecutor(max_workers=4) as pool:
//!     results = pool.map(task, ['A', 'B', 'C', 'D'])
//!     print('Results: %s' % list(results))
//!
//! # seed 004
//! def func(num):
//!     print('---', num)
//!     time.sleep(1)
//! with ThreadPoolExecutor(3) as e:
//!     e.map(func, range(10))
//! ```
//!
//! Sleeps are shortened (pseudo-random up to 150 ms; 1 s becomes 50 ms). In the first part,
//! 'A' sleeps longest, so it finishes last, yet it is the first result.

use std::thread;
use std::time::Duration;

use tripod::futures::ThreadPoolExecutor;

fn task(name: &str) -> String {
    println!("Task {name} is running...");
    // 'A' takes longest, 'D' the least: the items finish in reverse order.
    let delay = match name {
        "A" => 150,
        "B" => 100,
        "C" => 50,
        _ => 10,
    };
    thread::sleep(Duration::from_millis(delay));
    println!("Task {name} is done.");
    name.repeat(2)
}

fn func(num: u32) {
    println!("--- {num}");
    thread::sleep(Duration::from_millis(50));
}

fn main() {
    {
        let pool = ThreadPoolExecutor::new(4);
        let results: Vec<String> = pool
            .map(task, ["A", "B", "C", "D"])
            .map(|r| r.expect("task panicked"))
            .collect();
        println!("Results: {results:?}");
        assert_eq!(results, ["AA", "BB", "CC", "DD"]);
    }

    // Seed 004: the results are not read; leaving the block (dropping the pool) still
    // waits for all ten calls, three at a time.
    {
        let e = ThreadPoolExecutor::new(3);
        let _ = e.map(func, 0..10);
    }
    println!("all ten calls are done");
}
