//! Seed 004 ("使用Condition"): two threads wake each other in turn.
//!
//! ```python
//! def fun1():
//!     while True:
//!         with cond:
//!             cond.wait()
//!             print('--------')
//!             time.sleep(1)
//!             cond.notify()
//! def fun2():
//!     while True:
//!         with cond:
//!             cond.notify()
//!             print('*******')
//!             time.sleep(1)
//!             cond.wait()
//! cond = Condition()
//! Thread(target=fun1).start(); Thread(target=fun2).start()
//! ```
//!
//! Changes: five rounds each, 50 ms instead of a second. The seed depends on `fun1`
//! reaching `wait()` before `fun2` notifies (otherwise both wait forever); here the
//! condition protects whose turn it is, and each thread waits for its turn with
//! `wait_for`, so it works whatever the start order. `notify(1)` wakes the other thread;
//! it can only be called on the guard, that is, with the lock held.

use std::sync::Arc;
use std::time::Duration;

use tripod::threading::{Condition, Thread};

const ROUNDS: usize = 5;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Turn {
    Fun1,
    Fun2,
}

fn player(cond: &Condition<(Turn, usize)>, me: Turn, other: Turn, text: &str) {
    for _ in 0..ROUNDS {
        let mut g = cond.acquire(); // with cond:
        g.wait_for(|(turn, _)| *turn == me); //     cond.wait()
        println!("{text}");
        std::thread::sleep(Duration::from_millis(50));
        g.1 += 1;
        g.0 = other;
        g.notify(1); //     cond.notify()
    }
}

fn main() {
    // fun2 speaks first, as in the seed.
    let cond = Arc::new(Condition::new((Turn::Fun2, 0usize)));
    let t1 = {
        let cond = Arc::clone(&cond);
        Thread::new(move || player(&cond, Turn::Fun1, Turn::Fun2, "--------"))
            .name("fun1")
            .start()
            .expect("start fun1")
    };
    let t2 = {
        let cond = Arc::clone(&cond);
        Thread::new(move || player(&cond, Turn::Fun2, Turn::Fun1, "*******"))
            .name("fun2")
            .start()
            .expect("start fun2")
    };
    t1.join().expect("fun1 panicked");
    t2.join().expect("fun2 panicked");
    let (turn, lines) = *cond.acquire();
    println!("{lines} lines, next turn: {turn:?}");
    assert_eq!(lines, 2 * ROUNDS);
}
