//! asyncio.wait (seed 004): run tasks, then look at the done ones' results.
//!
//! ```python
//! async def do_some_work(x):
//!     print('Waiting: ', x)
//!     await asyncio.sleep(x)
//!     return 'Done after {}s'.format(x)
//!
//! async def main():
//!     tasks = [asyncio.ensure_future(do_some_work(x)) for x in (1, 2, 4)]
//!     return await asyncio.wait(tasks)
//!
//! loop = asyncio.get_event_loop()
//! done, pending = loop.run_until_complete(main())
//! for task in done:
//!     print('Task ret: ', task.result())
//! ```
//!
//! Seconds become tens of milliseconds. A second round shows `FIRST_COMPLETED` and a
//! timeout, which leave the slow tasks pending (not cancelled).

use std::time::Duration;

use tripod::asyncio::{self, EventLoop, ReturnWhen};

async fn do_some_work(x: u64) -> String {
    println!("Waiting: {x}");
    asyncio::sleep(Duration::from_millis(x * 20)).await;
    format!("Done after {x}s")
}

fn main() {
    let event_loop = EventLoop::new();
    let (done, pending) = event_loop.run_until_complete(async {
        let tasks: Vec<_> = [1, 2, 4]
            .map(|x| asyncio::ensure_future(do_some_work(x)))
            .into();
        asyncio::wait(tasks, ReturnWhen::AllCompleted, None).await
    });
    for task in &done {
        println!("Task ret: {}", task.result().unwrap().unwrap());
    }
    assert_eq!((done.len(), pending.len()), (3, 0));

    let (done, pending) = event_loop.run_until_complete(async {
        let tasks: Vec<_> = [1, 2, 4]
            .map(|x| asyncio::ensure_future(do_some_work(x)))
            .into();
        asyncio::wait(
            tasks,
            ReturnWhen::FirstCompleted,
            Some(Duration::from_secs(1)),
        )
        .await
    });
    println!(
        "first completed: {} done, {} pending",
        done.len(),
        pending.len()
    );
    assert_eq!(done.len(), 1);
    event_loop.close(); // cancels the pending ones
    assert!(pending.iter().all(|t| t.cancelled()));
}
