//! Seed 003, "queue": non-blocking and timed calls, `Full` and `Empty`.
//!
//! ```python
//! q.put_nowait(item)       # put(item, False): raises queue.Full if no free slot
//! q.get_nowait()           # get(False): raises queue.Empty if no item
//! q.put(item, timeout=t)   # blocks at most t seconds, then raises queue.Full
//! q.get(timeout=t)         # blocks at most t seconds, then raises queue.Empty
//! ```
//!
//! Shows `try_put` / `try_get` and `put_timeout` / `get_timeout` with their typed errors;
//! a refused item comes back inside the error.

use std::time::{Duration, Instant};

use tripod::queue::{GetTimeoutError, PutTimeoutError, Queue, TryGetError, TryPutError};
use tripod::threading::Thread;

fn main() {
    let q = Queue::new(2);
    q.try_put("a").unwrap();
    q.try_put("b").unwrap();
    println!("full() = {}", q.is_full());

    match q.try_put("c") {
        Err(TryPutError::Full(item)) => {
            println!("put_nowait({item:?}): queue.Full, item handed back")
        }
        other => panic!("unexpected {other:?}"),
    }

    let start = Instant::now();
    match q.put_timeout("c", Duration::from_millis(200)) {
        Err(PutTimeoutError::Timeout(item)) => {
            println!(
                "put({item:?}, timeout=0.2): gave up after {:?}",
                start.elapsed()
            )
        }
        other => panic!("unexpected {other:?}"),
    }

    // A consumer frees a slot while we wait: the timed put succeeds.
    let consumer = {
        let q = q.clone();
        Thread::new(move || q.get().unwrap())
            .start()
            .expect("start consumer")
    };
    q.put_timeout("c", Duration::from_secs(5)).unwrap();
    println!(
        "consumer took {:?}; put('c', timeout=5) succeeded",
        consumer.join().expect("consumer panicked")
    );

    while let Ok(item) = q.try_get() {
        println!("get_nowait() -> {item:?}");
    }
    assert_eq!(q.try_get(), Err(TryGetError::Empty));
    println!("get_nowait() on an empty queue: queue.Empty");

    let start = Instant::now();
    assert_eq!(
        q.get_timeout(Duration::from_millis(200)),
        Err(GetTimeoutError::Timeout)
    );
    println!("get(timeout=0.2): gave up after {:?}", start.elapsed());
}
