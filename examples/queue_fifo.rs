//! Seed 003, "queue": a first-in, first-out queue.
//!
//! ```python
//! import queue
//! q = queue.Queue()
//! for i in range(10):
//!     q.put(i)
//! for t in range(10):
//!     print(q.get())   # 0 1 2 ... 9
//! ```
//!
//! Shows `Queue::new(0)` (unbounded, Python's `maxsize=0`), `put`, `get` and `len`, then the
//! same exchange between a producer thread and the main thread.

use tripod::queue::Queue;
use tripod::threading::Thread;

fn main() {
    let q = Queue::new(0);
    for i in 0..10 {
        q.put(i).unwrap();
    }
    println!("qsize after 10 puts: {}", q.len());
    for _ in 0..10 {
        println!("{}", q.get().unwrap());
    }
    assert!(q.is_empty());

    // The point of a queue: handing items safely from one thread to another.
    let q = Queue::new(0);
    let producer = {
        let q = q.clone();
        Thread::new(move || {
            for i in 0..5 {
                q.put(format!("message {i}")).unwrap();
            }
        })
        .name("producer")
        .start()
        .expect("start producer")
    };
    for _ in 0..5 {
        println!("main thread got {:?}", q.get().unwrap());
    }
    producer.join().expect("producer panicked");
}
