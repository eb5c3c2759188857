//! Seed 003 ("Events"): a traffic light thread and car threads talking through an Event.
//!
//! ```python
//! def light():
//!     if not event.isSet():
//!         event.set()              # start green
//!     count = 0
//!     while True:
//!         if count < 10:   print('--green light on--')
//!         elif count < 13: print('--yellow light on--')
//!         elif count < 20:
//!             if event.isSet(): event.clear()
//!             print('--red light on--')
//!         else:
//!             count = 0
//!             if not event.isSet(): event.set()
//!         time.sleep(1)
//!         count += 1
//! def car(n):
//!     while True:
//!         time.sleep(1)
//!         if event.isSet(): print('car [%s] is running...' % n)
//!         else:
//!             print('car [%s] is waiting for the red light...' % n)
//!             event.wait()
//! event = threading.Event()
//! threading.Thread(target=light).start()
//! for i in range(3):
//!     threading.Thread(target=car, args=[i,]).start()
//! ```
//!
//! Changes to make it finish: a tick is 30 ms instead of a second, the light runs two full
//! cycles, and a second event, `closed`, tells the cars to go home (the light sets it, then
//! turns green so that no car is left waiting). The threads are named `light` and
//! `car-N`, and the cars print their thread name when they head home.

use std::sync::Arc;
use std::time::Duration;

use tripod::threading::{Event, Thread, current_thread};

const TICK: Duration = Duration::from_millis(30);
const CYCLES: usize = 2;

fn light(green: &Event, closed: &Event) {
    if !green.is_set() {
        green.set(); // start green
    }
    for count in (0..20).cycle().take(20 * CYCLES) {
        if count < 10 {
            if !green.is_set() {
                green.set();
            }
            println!("--green light on--");
        } else if count < 13 {
            println!("--yellow light on--");
        } else {
            if green.is_set() {
                green.clear();
            }
            println!("--red light on--");
        }
        std::thread::sleep(TICK);
    }
    closed.set();
    green.set(); // let any waiting car go home
}

fn car(n: usize, green: &Event, closed: &Event) -> usize {
    let mut stops = 0;
    while !closed.is_set() {
        std::thread::sleep(TICK);
        if green.is_set() {
            println!("car [{n}] is running...");
        } else {
            println!("car [{n}] is waiting for the red light...");
            stops += 1;
            green.wait();
        }
    }
    println!("{} heads home", current_thread().name());
    stops
}

fn main() {
    let green = Arc::new(Event::new());
    let closed = Arc::new(Event::new());
    let light_thread = {
        let (green, closed) = (Arc::clone(&green), Arc::clone(&closed));
        Thread::new(move || light(&green, &closed))
            .name("light")
            .start()
            .expect("start light")
    };
    let cars: Vec<_> = (0..3)
        .map(|n| {
            let (green, closed) = (Arc::clone(&green), Arc::clone(&closed));
            // threading.Thread(target=car, args=[n,])
            Thread::new(move || car(n, &green, &closed))
                .name(format!("car-{n}"))
                .start()
                .expect("start car")
        })
        .collect();
    light_thread.join().expect("light panicked");
    for c in cars {
        let name = c.name().to_owned();
        let stops = c.join().expect("car panicked");
        println!("{name} stopped at {stops} red lights");
    }
    assert!(closed.is_set() && green.is_set());
}
