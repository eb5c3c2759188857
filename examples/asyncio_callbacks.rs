//! Task callbacks and results (seed 004): create_task / ensure_future, add_done_callback,
//! task.result() after run_until_complete, and loop.stop() from inside a task.
//!
//! ```python
//! async def coroutine(x):
//!     return 'Done after {}s'.format(x)
//! def callback(future):
//!     print('Callback: ', future.result())
//! loop = asyncio.get_event_loop()
//! task = asyncio.ensure_future(coroutine(2))
//! task.add_done_callback(callback)
//! loop.run_until_complete(task)
//! print('Task ret: {}'.format(task.result()))
//!
//! async def work(loop, t):
//!     print('start')
//!     await asyncio.sleep(t)
//!     print('after {}s stop'.format(t))
//!     loop.stop()
//! task = asyncio.ensure_future(work(loop, 1))
//! loop.run_forever()
//! loop.close()
//! ```

use std::future::IntoFuture;
use std::sync::mpsc;
use std::time::Duration;

use tripod::asyncio::{self, EventLoop};

async fn coroutine(x: u64) -> String {
    asyncio::sleep(Duration::from_millis(x * 10)).await;
    format!("Done after {x}s")
}

fn main() {
    let event_loop = EventLoop::new();
    let (tx, rx) = mpsc::channel();
    let task = event_loop.create_task(coroutine(2));
    task.add_done_callback(move |outcome| {
        let result = outcome.as_ref().unwrap();
        println!("Callback: {result}");
        tx.send(result.clone()).unwrap();
    });
    // Await a clone-free view: run until the task is done, then read its result.
    let ret = event_loop.run_until_complete(task.into_future()).unwrap();
    println!("Task ret: {ret}");
    assert_eq!(rx.recv().unwrap(), ret);

    let handle = event_loop.clone();
    let work = event_loop.create_task(async move {
        println!("start");
        asyncio::sleep(Duration::from_millis(50)).await;
        println!("after 50ms stop");
        handle.stop();
    });
    event_loop.run_forever();
    assert!(work.done());
    event_loop.close();
}
