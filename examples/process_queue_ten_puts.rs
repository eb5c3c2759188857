//! Seed 001 (Queue, 例子4): ten processes each put their number into one queue; the parent
//! joins them and prints what the queue holds.
//!
//! ```python
//! def fun1(q, i):
//!     q.put(i)
//! # 通过Queue()来实现进程间通信
//! def method1():
//!     queue = Queue()
//!     pList = []
//!     for i in range(10):
//!         p = Process(target=fun1, args=(queue, i,))
//!         pList.append(p)
//!         p.start()
//!     for p in pList:
//!         p.join()
//!     while not queue.empty():
//!         print(queue.get())
//! ```
//!
//! The seed explains that the queue is not shared like a thread's: it is serialised and
//! passed to each process. In tripod that is literally so, and cheap: the queue's shared
//! memory travels to each child as a file descriptor. There is no feeder thread, so when a
//! child's `put` returns its number is in the queue; joining the children first (which can
//! deadlock in Python when a child has unflushed data) is safe. The numbers come out in the
//! order the children ran, as in Python.

use tripod::multiprocessing::{Process, Queue};

fn fun1(q: Queue<u32>, i: u32) {
    q.put(i).unwrap();
}
tripod::task!(fun1);

fn method1() {
    let queue = Queue::new().unwrap();
    let p_list: Vec<_> = (0..10)
        .map(|i| Process::new(fun1, (queue.clone(), i)).start().unwrap())
        .collect();
    for p in p_list {
        p.join().unwrap();
    }
    let mut seen = Vec::new();
    while !queue.is_empty() {
        let i = queue.get().unwrap();
        println!("{i}");
        seen.push(i);
    }
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

fn main() {
    method1();
}
