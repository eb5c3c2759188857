//! Python 3.13's `Queue.shutdown(immediate=False)`, for the seed 003 queue.
//!
//! ```python
//! q.shutdown()                # put raises ShutDown; get drains, then raises ShutDown
//! q.shutdown(immediate=True)  # also drops what is left (each counted as task_done,
//!                             # so join() returns) and get raises ShutDown at once
//! ```
//!
//! Shows a graceful shutdown that lets a worker drain the queue, a blocked producer woken
//! with its item handed back, and an immediate shutdown that releases `join()`.

use tripod::queue::{Queue, ShutDown};
use tripod::threading::Thread;

fn main() {
    // Graceful: the worker still gets everything that was put, then ShutDown.
    let q = Queue::new(0);
    for i in 0..5 {
        q.put(i).unwrap();
    }
    q.shutdown(false);
    println!("after shutdown(): put(99) -> {:?}", q.put(99));
    let worker = {
        let q = q.clone();
        Thread::new(move || {
            let mut got = Vec::new();
            while let Ok(i) = q.get() {
                got.push(i);
            }
            got
        })
        .start()
        .expect("start worker")
    };
    println!(
        "worker drained {:?}, then got ShutDown",
        worker.join().expect("worker panicked")
    );

    // A producer blocked on a full queue is woken with its item handed back.
    let q = Queue::new(1);
    q.put("first").unwrap();
    let producer = {
        let q = q.clone();
        Thread::new(move || q.put("second"))
            .start()
            .expect("start producer")
    };
    q.shutdown(false);
    match producer.join().expect("producer panicked") {
        Err(ShutDown(item)) => println!("blocked put woken by shutdown, {item:?} handed back"),
        Ok(()) => unreachable!("the queue stayed full"),
    }

    // Immediate: what is left is dropped and counted as done, so join() returns.
    let q = Queue::new(0);
    for i in 0..5 {
        q.put(i).unwrap();
    }
    let joiner = {
        let q = q.clone();
        Thread::new(move || {
            q.join();
            "join() returned"
        })
        .start()
        .expect("start joiner")
    };
    q.shutdown(true);
    println!(
        "after shutdown(immediate=True): qsize = {}, get() -> {:?}",
        q.len(),
        q.get()
    );
    println!("{}", joiner.join().expect("joiner panicked"));
}
