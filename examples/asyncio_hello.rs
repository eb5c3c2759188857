//! asyncio hello and gather (seed 000): a coroutine that sleeps, then three run together.
//!
//! ```python
//! async def hello():
//!     print('Hello world!')
//!     await asyncio.sleep(1)
//!     print('Hello again!')
//! asyncio.run(hello())
//!
//! async def task(name):
//!     print(f'Task {name} is running...')
//!     await asyncio.sleep(1)
//!     print(f'Task {name} is done.')
//! async def main():
//!     await asyncio.gather(task('A'), task('B'), task('C'))
//! asyncio.run(main())
//! ```
//!
//! Sleeps are scaled down to 100 ms; the three tasks sleep at the same time, so the gather
//! takes about 100 ms, not 300.

use std::time::{Duration, Instant};

use tripod::asyncio;

async fn hello() {
    println!("Hello world!");
    asyncio::sleep(Duration::from_millis(100)).await;
    println!("Hello again!");
}

async fn task(name: &str) {
    println!("Task {name} is running...");
    asyncio::sleep(Duration::from_millis(100)).await;
    println!("Task {name} is done.");
}

fn main() {
    asyncio::run(hello());

    let start = Instant::now();
    asyncio::run(async {
        // gather of plain futures: they run concurrently inside the gather.
        asyncio::gather_all([task("A"), task("B"), task("C")]).await;
    });
    let elapsed = start.elapsed();
    println!("gather took {elapsed:.2?}");
    assert!(elapsed < Duration::from_millis(250));

    // The seed 004 form: tasks made with ensure_future, gathered for their results, and
    // groups of gathers gathered together.
    let results = asyncio::run(async {
        let group1 = asyncio::gather((1..3).map(|i| asyncio::ensure_future(work("A", i))));
        let group2 = asyncio::gather((1..5).map(|i| asyncio::ensure_future(work("B", i))));
        let (a, b) = (group1.await.unwrap(), group2.await.unwrap());
        [a, b].concat()
    });
    for result in &results {
        println!("Task ret: {result}");
    }
    assert_eq!(results.len(), 6);
}

async fn work(group: &'static str, i: u64) -> String {
    asyncio::sleep(Duration::from_millis(10 * i)).await;
    format!("{group}{i} done after {}ms", 10 * i)
}
