//! Seed 003, "queue": `task_done()` and `join()`.
//!
//! The seed: "For each get() used to fetch a task, a subsequent call to task_done() tells the
//! queue that the processing on the task is complete. If a join() is currently blocking, it
//! will resume when all items have been processed. Raises a ValueError if called more times
//! than there were items placed in the queue." In Python:
//!
//! ```python
//! def worker():
//!     while True:
//!         item = q.get()
//!         do_work(item)
//!         q.task_done()
//! for i in range(3): threading.Thread(target=worker, daemon=True).start()
//! for item in source(): q.put(item)
//! q.join()   # block until all tasks are done
//! ```
//!
//! Shows a producer thread, three worker threads calling `task_done`, the main thread in
//! `join()`, then `shutdown` to stop the workers (instead of daemon threads left running),
//! and the typed error for one `task_done` too many.

use std::time::Duration;

use tripod::queue::Queue;
use tripod::threading::Thread;

fn main() {
    let q: Queue<u32> = Queue::new(0);

    let workers: Vec<_> = (0..3)
        .map(|w| {
            let q = q.clone();
            // threading.Thread(target=worker).start()
            Thread::new(move || {
                let mut done = 0;
                // get() fails with ShutDown once the queue is shut down and empty.
                while let Ok(item) = q.get() {
                    std::thread::sleep(Duration::from_millis(10)); // "do_work(item)"
                    println!("worker {w}: processed item {item}");
                    q.task_done().unwrap();
                    done += 1;
                }
                println!("worker {w}: queue shut down, exiting after {done} items");
            })
            .start()
            .expect("start worker")
        })
        .collect();

    let producer = {
        let q = q.clone();
        Thread::new(move || {
            for item in 0..12 {
                q.put(item).unwrap();
            }
            println!("producer: put 12 items");
        })
        .start()
        .expect("start producer")
    };
    producer.join().expect("producer panicked");

    q.join();
    println!(
        "main: join() returned, unfinished tasks = {}",
        q.unfinished_tasks()
    );
    assert_eq!(q.unfinished_tasks(), 0);

    q.shutdown(false);
    for w in workers {
        w.join().expect("worker panicked");
    }

    match q.task_done() {
        Err(err) => println!("one task_done() too many: {err}"),
        Ok(()) => unreachable!("every task was already done"),
    }
}
