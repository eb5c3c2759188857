//! asyncio.as_completed (seed 004): handle each task's result as soon as it finishes.
//!
//! ```python
//! async def main():
//!     tasks = [asyncio.ensure_future(do_some_work(x)) for x in (1, 2, 4)]
//!     for task in asyncio.as_completed(tasks):
//!         result = await task
//!         print('Task ret: {}'.format(result))
//! ```
//!
//! The tasks are created slowest first and come out fastest first.

use std::time::Duration;

use tripod::asyncio;

async fn do_some_work(x: u64) -> String {
    println!("Waiting: {x}");
    asyncio::sleep(Duration::from_millis(x * 20)).await;
    format!("Done after {x}s")
}

fn main() {
    let order = asyncio::run(async {
        let tasks: Vec<_> = [4, 2, 1]
            .map(|x| asyncio::ensure_future(do_some_work(x)))
            .into();
        let mut order = Vec::new();
        let mut completed = asyncio::as_completed(tasks, None);
        while let Some(task) = completed.next().await {
            let result = task.unwrap().await.unwrap();
            println!("Task ret: {result}");
            order.push(result);
        }
        order
    });
    assert_eq!(order, ["Done after 1s", "Done after 2s", "Done after 4s"]);
}
