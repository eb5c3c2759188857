//! An `Event` across processes, after seed 004's `asyncio.Event` example ("类似
//! threading.Event"), with processes instead of coroutines:
//!
//! ```python
//! async def coro1(event):
//!     print('coro1 waiting for event')
//!     await event.wait()
//!     print('coro1 triggered')
//! async def main(loop):
//!     event = asyncio.Event()
//!     print('event start state: {}'.format(event.is_set()))
//!     loop.call_later(0.1, functools.partial(set_event, event))
//!     await asyncio.wait([coro1(event), coro2(event)])
//!     print('event end state: {}'.format(event.is_set()))
//! ```
//!
//! Two child processes wait for one `multiprocessing::Event`; the parent sets it once both
//! are waiting (they say so through a `Semaphore`, instead of the seed's 0.1 s delay), and
//! both wake.

use std::time::Duration;

use tripod::multiprocessing::{Event, Process, Semaphore};

fn coro(name: String, event: Event, waiting: Semaphore) -> bool {
    println!("{name} waiting for event");
    waiting.release(1);
    let triggered = event.wait_timeout(Duration::from_secs(30));
    println!("{name} triggered");
    triggered
}
tripod::task!(coro);

fn main() {
    let event = Event::new().unwrap();
    let waiting = Semaphore::new(0).unwrap();
    println!("event start state: {}", event.is_set());
    let children: Vec<_> = ["coro1", "coro2"]
        .into_iter()
        .map(|name| {
            Process::new(coro, (name.to_owned(), event.clone(), waiting.clone()))
                .start()
                .unwrap()
        })
        .collect();
    for _ in 0..2 {
        waiting.acquire().forget();
    }
    println!("setting event in callback");
    event.set();
    for child in children {
        assert!(
            child.join().unwrap(),
            "a child timed out instead of being woken"
        );
    }
    println!("event end state: {}", event.is_set());
    assert!(event.is_set());
}
