//! call_soon, call_later, call_at (seed 004): plain functions scheduled on the loop beside
//! coroutines.
//!
//! ```python
//! def main():
//!     loop = asyncio.get_event_loop()
//!     start = loop.time()
//!     asyncio.ensure_future(work(1, 'A'))
//!     loop.call_at(start + 1.2, hello, 'Tom')     # or loop.call_later(1.2, hello, 'Tom')
//!     loop.call_soon(hello, 'Kitty')
//!     task4 = loop.create_task(work(2, 'B'))
//!     loop.call_at(start + 1, hello, 'Jerry')     # or loop.call_later(1, hello, 'Jerry')
//!     loop.run_until_complete(task4)
//! ```
//!
//! Seconds become tenths of seconds. Kitty comes first (call_soon), then A starts, B
//! starts, Jerry at 0.1, Tom at 0.12, A stops at 0.1, B stops at 0.2.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tripod::asyncio::{self, EventLoop};

fn hello(log: &Mutex<Vec<String>>, name: &str) {
    println!("[hello] Hello, {name}");
    log.lock().unwrap().push(name.to_owned());
}

async fn work(t: u64, name: &'static str) {
    println!("[work{name}] start");
    asyncio::sleep(Duration::from_millis(t * 100)).await;
    println!("[work{name}] stop");
}

fn main() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let event_loop = EventLoop::new();

    // call_later: delays counted from the call.
    let start = event_loop.time();
    event_loop.create_task(work(1, "A"));
    let l = Arc::clone(&log);
    event_loop.call_later(Duration::from_millis(120), move || hello(&l, "Tom"));
    let l = Arc::clone(&log);
    event_loop.call_soon(move || hello(&l, "Kitty"));
    let task4 = event_loop.create_task(work(2, "B"));
    let l = Arc::clone(&log);
    event_loop.call_later(Duration::from_millis(100), move || hello(&l, "Jerry"));
    event_loop.run_until_complete(task4).unwrap();
    assert!(event_loop.time() - start >= Duration::from_millis(200));
    assert_eq!(*log.lock().unwrap(), ["Kitty", "Jerry", "Tom"]);

    // call_at: absolute times on the loop's clock.
    log.lock().unwrap().clear();
    let start = event_loop.time();
    let l = Arc::clone(&log);
    event_loop.call_at(start + Duration::from_millis(120), move || hello(&l, "Tom"));
    let l = Arc::clone(&log);
    event_loop.call_soon(move || hello(&l, "Kitty"));
    let l = Arc::clone(&log);
    let jerry = event_loop.call_at(start + Duration::from_millis(100), move || {
        hello(&l, "Jerry")
    });
    println!("Jerry is due {:?} after start", jerry.when() - start);
    event_loop.run_until_complete(work(2, "B"));
    assert_eq!(*log.lock().unwrap(), ["Kitty", "Jerry", "Tom"]);
    event_loop.close();
}
