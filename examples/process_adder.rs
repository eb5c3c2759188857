//! Seed 002 (recipe 12-4, "创建新流程"): a process that adds two numbers.
//!
//! ```python
//! def adder(a, b):
//!     return a+b
//! proc1 = multiprocessing.Process(target=adder, args=(2,2))
//! proc1.start()
//! proc1.join()
//! ```
//!
//! In Python the sum is lost (`join` returns `None`); tripod's `join` returns the
//! target's value, so the child's result reaches the parent without a queue or pipe.

use tripod::multiprocessing::Process;

fn adder(a: i32, b: i32) -> i32 {
    a + b
}
tripod::task!(adder);

fn main() {
    let proc1 = Process::new(adder, (2, 2)).start().unwrap();
    let sum = proc1.join().unwrap();
    println!("adder(2, 2) in a child process returned {sum}");
    assert_eq!(sum, 4);
}
