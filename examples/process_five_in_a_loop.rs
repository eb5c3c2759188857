//! Seed 004 ("使用Process类") and seed 001 (例子1): processes started in a loop.
//!
//! Seed 004 starts ten processes; process `each` prints 0..each, a second apart:
//!
//! ```python
//! def func(num):
//!     for n in range(num):
//!         print(n)
//!         time.sleep(1)
//! for each in range(10):
//!     Process(target=func, args=(each,)).start()
//! ```
//!
//! Seed 001 starts five, each printing its name and pid, and does not join them: the
//! interpreter waits for them at exit.
//!
//! ```python
//! for i in range(5):
//!     p = multiprocessing.Process(target=task, args=(i,))
//!     p.start()
//! print('主程序代码执行完毕。')
//! ```
//!
//! Here the sleeps are 10 ms, each line names the child's pid, and the five processes of
//! seed 001 are left to `tripod::main`, which waits for non-daemon children at exit as
//! Python does.

use std::time::Duration;

use tripod::multiprocessing::{Process, current_process, getpid};

fn func(num: u32) {
    for n in 0..num {
        println!("{n} (process {num}, pid {})", getpid());
        std::thread::sleep(Duration::from_millis(10));
    }
}
tripod::task!(func);

fn task(i: u32) {
    let me = current_process();
    println!("child {i}: name {} pid {}", me.name(), me.pid());
}
tripod::task!(task);

fn main() {
    tripod::main(|| {
        let handles: Vec<_> = (0..10)
            .map(|each| Process::new(func, (each,)).start().unwrap())
            .collect();
        for handle in handles {
            handle.join().unwrap();
        }
        println!("seed 004: all ten processes done");

        for i in 0..5 {
            // Not joined: tripod::main waits for these non-daemon children.
            Process::new(task, (i,)).start().unwrap();
        }
        println!("main code finished; tripod::main waits for the children.");
    });
}
