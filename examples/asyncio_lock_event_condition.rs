//! asyncio.Lock, Event and Condition (seed 004).
//!
//! ```python
//! lock = asyncio.Lock()
//! async def work(name):
//!     async with lock:
//!         if 'x' in l: return name
//!         await asyncio.sleep(0)
//!         l.append('x')
//!         return name
//!
//! async def coro1(event):
//!     await event.wait()
//! loop.call_later(0.1, functools.partial(set_event, event))
//!
//! async def consumer(condition, n):
//!     async with condition:
//!         await condition.wait()
//! async def manipulate_condition(condition):
//!     for i in range(1, 3):
//!         async with condition:
//!             condition.notify(n=i)
//!         await asyncio.sleep(0.1)
//!     async with condition:
//!         condition.notify_all()
//! ```

use std::sync::Arc;
use std::time::Duration;

use tripod::asyncio::{self, Condition, Event, EventLoop, Lock, ReturnWhen};

async fn work(name: &'static str, lock: Arc<Lock<Vec<&'static str>>>) -> &'static str {
    println!(r"\\\\\\ {name}");
    let mut l = lock.acquire().await; // async with lock:
    println!("{name} start");
    if l.contains(&"x") {
        return name;
    }
    println!("++++++++++ {name}");
    asyncio::sleep(Duration::ZERO).await; // the other task runs, but cannot enter
    println!("---------- {name}");
    l.push("x");
    println!("{name} end");
    name
}

async fn consumer(condition: Arc<Condition>, n: usize) {
    let guard = condition.acquire().await;
    println!("consumer {n} is waiting");
    let _guard = guard.wait().await;
    println!("consumer {n} triggered");
}

async fn manipulate_condition(condition: Arc<Condition>) {
    println!("starting manipulate_condition");
    asyncio::sleep(Duration::from_millis(20)).await;
    for i in 1..3 {
        let guard = condition.acquire().await;
        println!("notifying {i} consumers");
        guard.notify(i);
        drop(guard);
        asyncio::sleep(Duration::from_millis(20)).await;
    }
    let guard = condition.acquire().await;
    println!("notifying remaining consumers");
    guard.notify_all();
    println!("ending manipulate_condition");
}

fn main() {
    // Lock
    let lock = Arc::new(Lock::new(Vec::new()));
    let names = asyncio::run(asyncio::gather_all([
        work("one", Arc::clone(&lock)),
        work("two", Arc::clone(&lock)),
    ]));
    println!("{names:?} ok");
    assert_eq!(Arc::try_unwrap(lock).unwrap().into_inner(), ["x"]);

    // Event
    let event_loop = EventLoop::new();
    let handle = event_loop.clone();
    event_loop.run_until_complete(async move {
        let event = Arc::new(Event::new());
        println!("event start state: {}", event.is_set());
        let setter = Arc::clone(&event);
        handle.call_later(Duration::from_millis(20), move || {
            println!("setting event in callback");
            setter.set();
        });
        let coros: Vec<_> = ["coro1", "coro2"]
            .map(|name| {
                let event = Arc::clone(&event);
                asyncio::create_task(async move {
                    println!("{name} waiting for event");
                    event.wait().await;
                    println!("{name} triggered");
                })
            })
            .into();
        let (done, _) = asyncio::wait(coros, ReturnWhen::AllCompleted, None).await;
        assert_eq!(done.len(), 2);
        println!("event end state: {}", event.is_set());
    });

    // Condition
    event_loop.run_until_complete(async {
        let condition = Arc::new(Condition::new(()));
        let consumers: Vec<_> = (0..5)
            .map(|i| asyncio::create_task(consumer(Arc::clone(&condition), i)))
            .collect();
        asyncio::create_task(manipulate_condition(condition));
        let (done, pending) = asyncio::wait(consumers, ReturnWhen::AllCompleted, None).await;
        assert_eq!((done.len(), pending.len()), (5, 0));
    });
    event_loop.close();
}
