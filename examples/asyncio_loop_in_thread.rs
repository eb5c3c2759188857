//! A loop in a thread of its own (seed 004): the main thread hands it plain callbacks with
//! call_soon_threadsafe and coroutines with run_coroutine_threadsafe, without blocking.
//!
//! ```python
//! def start_loop(loop):
//!     asyncio.set_event_loop(loop)
//!     loop.run_forever()
//!
//! new_loop = asyncio.new_event_loop()
//! t = Thread(target=start_loop, args=(new_loop,))
//! t.start()
//! new_loop.call_soon_threadsafe(more_work, 6)
//! new_loop.call_soon_threadsafe(more_work, 3)
//!
//! async def do_sleep(x, queue, msg=""):
//!     await asyncio.sleep(x)
//!     queue.put(msg)
//! asyncio.run_coroutine_threadsafe(do_sleep(6, queue, "第一个"), new_loop)
//! asyncio.run_coroutine_threadsafe(do_sleep(3, queue, "第二个"), new_loop)
//! while True:
//!     msg = queue.get()
//!     print("{} 协程运行完..".format(msg))
//! ```
//!
//! Seconds become tens of milliseconds. The callbacks block the loop thread while they
//! sleep (as `time.sleep` does in the seed), so they run one after the other; the
//! coroutines sleep together, so the second finishes first.

use std::time::{Duration, Instant};

use tripod::asyncio::{self, EventLoop};
use tripod::queue::Queue;

fn more_work(x: u64) {
    println!("More work {x}");
    std::thread::sleep(Duration::from_millis(x * 10));
    println!("Finished more work {x}");
}

async fn do_sleep(x: u64, queue: Queue<&'static str>, msg: &'static str) {
    asyncio::sleep(Duration::from_millis(x * 20)).await;
    queue.put(msg).unwrap();
}

fn main() {
    let start = Instant::now();
    let new_loop = EventLoop::new();
    let runner = new_loop.clone();
    let thread = std::thread::spawn(move || runner.run_forever());
    println!("TIME: {:.3?}", start.elapsed());

    let queue = Queue::new(0);
    new_loop.call_soon_threadsafe(move || more_work(6));
    let q = queue.clone();
    new_loop.call_soon_threadsafe(move || {
        more_work(3);
        q.put("callbacks").unwrap();
    });
    assert_eq!(queue.get(), Ok("callbacks"));

    let first = asyncio::run_coroutine_threadsafe(do_sleep(6, queue.clone(), "第一个"), &new_loop);
    let second = asyncio::run_coroutine_threadsafe(do_sleep(3, queue.clone(), "第二个"), &new_loop);
    let mut order = Vec::new();
    for _ in 0..2 {
        let msg = queue.get().unwrap();
        println!("{msg} 协程运行完..");
        order.push(msg);
    }
    assert_eq!(order, ["第二个", "第一个"]);
    // The futures a plain thread can wait on, with a timeout.
    assert!(first.result_timeout(Duration::from_secs(5)).is_ok());
    assert!(second.result_timeout(Duration::from_secs(5)).is_ok());

    new_loop.stop();
    thread.join().unwrap();
    new_loop.close();
}
