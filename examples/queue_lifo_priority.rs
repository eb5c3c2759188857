//! Seed 003, "queue": the other orders.
//!
//! ```python
//! class queue.LifoQueue(maxsize=0)      # last in first out
//! class queue.PriorityQueue(maxsize=0)  # entries retrieved lowest first;
//!                                       # a typical entry is (priority_number, data)
//! ```
//!
//! Shows `LifoQueue` returning items in reverse, and `PriorityQueue` with
//! `(priority, data)` tuples returning the lowest priority number first.

use tripod::queue::{LifoQueue, PriorityQueue};

fn main() {
    let lifo = LifoQueue::new(0);
    for i in 0..5 {
        lifo.put(i).unwrap();
    }
    print!("LifoQueue:");
    while let Ok(i) = lifo.try_get() {
        print!(" {i}");
    }
    println!();

    let jobs = PriorityQueue::new(0);
    jobs.put((3, "write the report")).unwrap();
    jobs.put((1, "fix the outage")).unwrap();
    jobs.put((5, "tidy the desk")).unwrap();
    jobs.put((2, "answer the customer")).unwrap();
    println!("PriorityQueue (lowest first):");
    let mut last = 0;
    while let Ok((priority, job)) = jobs.try_get() {
        assert!(priority >= last);
        last = priority;
        println!("  {priority}: {job}");
    }
}
