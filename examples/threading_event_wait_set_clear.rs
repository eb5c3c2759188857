//! Seed 004 ("使用Event"): wait - set - clear, i.e. block - unblock - block again.
//!
//! ```python
//! def fun():
//!     while True:
//!         event.wait()
//!         print('--------')
//!         event.clear()
//! event = Event()
//! t = Thread(target=fun)
//! t.start()
//! for _ in range(5):
//!     time.sleep(1)
//!     event.set()
//!     print('********')
//! ```
//!
//! Changes: 100 ms instead of a second, and the worker stops after five rounds. The seed
//! has a race (a `set` that comes before the worker's `clear` is lost, and the worker then
//! waits forever); here the main thread waits for the flag to be cleared before setting it
//! again, so the five sets always make five rounds.

use std::sync::Arc;
use std::time::Duration;

use tripod::threading::{Event, Thread};

const ROUNDS: usize = 5;

fn main() {
    let event = Arc::new(Event::new());
    let t = {
        let event = Arc::clone(&event);
        Thread::new(move || {
            for _ in 0..ROUNDS {
                event.wait(); // block until set
                println!("--------");
                event.clear(); // block again next time
            }
        })
        .start()
        .expect("start fun")
    };
    for _ in 0..ROUNDS {
        std::thread::sleep(Duration::from_millis(100));
        while event.is_set() {
            std::thread::yield_now(); // the worker has not taken the previous set yet
        }
        event.set(); // unblock
        println!("********");
    }
    t.join().expect("worker panicked");
    // A timed wait tells whether the flag was set.
    println!(
        "wait(0.05) on a cleared event -> {}",
        event.wait_timeout(Duration::from_millis(50))
    );
    assert!(!event.is_set());
}
