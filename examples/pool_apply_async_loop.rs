//! Seed 000 (进程池) and seed 004 (使用Pool): `apply_async` in a loop, then `close` and
//! `join`.
//!
//! ```python
//! # seed 000
//! def long_time_task(name):
//!     print('Run task %s (%s)...' % (name, os.getpid()))
//!     start = time.time()
//!     time.sleep(random.random() * 3)
//!     end = time.time()
//!     print('Task %s runs %0.2f seconds.' % (name, (end - start)))
//! p = Pool(4)
//! for i in range(5):
//!     p.apply_async(long_time_task, args=(i,))
//! print('Waiting for all subprocesses done...')
//! p.close()
//! p.join()
//! print('All subprocesses done.')
//!
//! # seed 004
//! def func(num):
//!     for n in range(num):
//!         print(n)
//!         time.sleep(1)
//! p = Pool(10)
//! for n in range(10):
//!     p.apply_async(func, args=(n,))
//! p.close()
//! p.join()
//! ```
//!
//! The random sleeps are at most 300 ms (a pseudo-random number from the task's name and
//! pid), seed 004's second becomes 20 ms. As in Python, the fifth task of seed 000 waits
//! for one of the four workers to be free.

use std::time::{Duration, Instant};

use tripod::multiprocessing::{Pool, getpid};

fn long_time_task(name: u32) {
    println!("Run task {name} ({})...", getpid());
    let start = Instant::now();
    // A pseudo-random 0..300 ms, different per task.
    let millis = (u64::from(name) * 7919 + u64::from(getpid())) % 300;
    std::thread::sleep(Duration::from_millis(millis));
    println!(
        "Task {name} runs {:.2} seconds.",
        start.elapsed().as_secs_f64()
    );
}
tripod::task!(long_time_task);

fn func(num: u32) {
    for n in 0..num {
        println!("{n}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
tripod::task!(func);

fn main() {
    println!("Parent process {}.", getpid());
    let p = Pool::new(4).unwrap();
    for i in 0..5 {
        p.apply_async(long_time_task, (i,)).unwrap();
    }
    println!("Waiting for all subprocesses done...");
    p.close();
    p.join().unwrap();
    println!("All subprocesses done.");

    // Seed 004.
    let p = Pool::new(10).unwrap();
    for n in 0..10 {
        p.apply_async(func, (n,)).unwrap();
    }
    p.close();
    p.join().unwrap();
}
