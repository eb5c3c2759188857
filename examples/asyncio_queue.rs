//! asyncio.Queue with task_done and join (seed 004): workers take jobs from a queue and
//! mark each done; the producer waits until every job is processed.
//!
//! ```python
//! async def worker(name, queue):
//!     while True:
//!         sleep_for = await queue.get()
//!         await asyncio.sleep(sleep_for)
//!         queue.task_done()
//!         print(f'{name} has slept for {sleep_for:.2f} seconds')
//!
//! async def main():
//!     queue = asyncio.Queue()
//!     for _ in range(20):
//!         queue.put_nowait(random.uniform(0.05, 1.0))
//!     tasks = [asyncio.create_task(worker(f'worker-{i}', queue)) for i in range(3)]
//!     await queue.join()
//!     for task in tasks:
//!         task.cancel()
//!     await asyncio.gather(*tasks, return_exceptions=True)
//! ```
//!
//! Sleeps are a few milliseconds. After the join, the queue is shut down (Python 3.13)
//! instead of cancelling the workers: their `get` then ends and they return their totals.

use std::time::{Duration, Instant};

use tripod::asyncio::{self, Queue};

async fn worker(name: String, queue: Queue<u64>) -> u64 {
    let mut slept = 0;
    while let Ok(sleep_for) = queue.get().await {
        asyncio::sleep(Duration::from_millis(sleep_for)).await;
        queue.task_done().unwrap();
        println!("{name} has slept for {sleep_for} ms");
        slept += sleep_for;
    }
    slept
}

fn main() {
    asyncio::run(async {
        let queue = Queue::new(0);
        let mut total = 0;
        for i in 0..20u64 {
            let ms = 5 + (i * 37) % 20;
            total += ms;
            queue.try_put(ms).unwrap();
        }
        let tasks: Vec<_> = (0..3)
            .map(|i| asyncio::create_task(worker(format!("worker-{i}"), queue.clone())))
            .collect();
        let started = Instant::now();
        queue.join().await;
        let elapsed = started.elapsed();
        queue.shutdown(false);
        let per_worker = asyncio::gather(tasks).await.unwrap();
        println!("====");
        println!("3 workers slept in parallel for {elapsed:.2?}");
        println!("total expected sleep time: {total} ms");
        assert_eq!(per_worker.iter().sum::<u64>(), total);
    });
}
