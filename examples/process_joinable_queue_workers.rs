//! Seed 004 (asyncio.Queue, "queue.task_done()的功能"): a producer fills a bounded queue
//! for two consumers, adds one stop signal per consumer, and waits with `join()` until
//! every item was marked done; here with processes and a `JoinableQueue` (Python's
//! `multiprocessing.JoinableQueue`) instead of coroutines.
//!
//! ```python
//! async def consumer(n, q):
//!     print('consumer {}: waiting for item'.format(n))
//!     while True:
//!         print('consumer {}: waiting for item'.format(n))
//!         item = await q.get()
//!         print('consumer {}: has item {}'.format(n, item))
//!         if item is None:
//!             q.task_done()
//!             break
//!         else:
//!             await asyncio.sleep(0.01 * item)
//!             q.task_done()
//!     print('consumer {}: ending'.format(n))
//! async def producer(q, num_workers):
//!     print('producer: starting')
//!     for i in range(num_workers * 3):
//!         await q.put(i)
//!         print('producer: added task {} to the queue'.format(i))
//!     print('producer: adding stop signals to the queue')
//!     for i in range(num_workers):
//!         await q.put(None)
//!     print('producer: waiting for queue to empty')
//!     await q.join()
//!     print('producer: ending')
//! async def main(loop, num_consumers):
//!     q = asyncio.Queue(maxsize=num_consumers)
//!     ...
//! ```
//!
//! `None` is `Option::None`: the queue carries `Option<u32>`. The bound (`maxsize` = the
//! number of consumers) makes the producer wait for the consumers, across processes. The
//! lines of the processes interleave differently from run to run.

use std::time::Duration;

use tripod::multiprocessing::{JoinableQueue, Process};

fn consumer(n: u32, q: JoinableQueue<Option<u32>>) -> u32 {
    println!("consumer {n}: waiting for item");
    let mut handled = 0;
    loop {
        println!("consumer {n}: waiting for item");
        let item = q.get().unwrap();
        match item {
            Some(i) => println!("consumer {n}: has item {i}"),
            None => println!("consumer {n}: has item None"),
        }
        let Some(i) = item else {
            q.task_done().unwrap();
            break;
        };
        std::thread::sleep(Duration::from_millis(10 * u64::from(i)));
        handled += 1;
        q.task_done().unwrap();
    }
    println!("consumer {n}: ending");
    handled
}
tripod::task!(consumer);

fn producer(q: &JoinableQueue<Option<u32>>, num_workers: u32) {
    println!("producer: starting");
    for i in 0..num_workers * 3 {
        q.put(Some(i)).unwrap();
        println!("producer: added task {i} to the queue");
    }
    println!("producer: adding stop signals to the queue");
    for _ in 0..num_workers {
        q.put(None).unwrap();
    }
    println!("producer: waiting for queue to empty");
    q.join();
    println!("producer: ending");
}

fn main() {
    let num_consumers = 2;
    let q = JoinableQueue::with_maxsize(num_consumers as usize).unwrap();
    let consumers: Vec<_> = (0..num_consumers)
        .map(|n| Process::new(consumer, (n, q.clone())).start().unwrap())
        .collect();
    producer(&q, num_consumers);
    let handled: u32 = consumers.into_iter().map(|c| c.join().unwrap()).sum();
    assert_eq!(handled, num_consumers * 3);
}
