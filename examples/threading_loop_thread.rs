//! Seed 000 ("多线程"): a thread named `LoopThread` counts to 5 while the main thread,
//! `MainThread`, waits for it.
//!
//! ```python
//! def loop():
//!     print('thread %s is running...' % threading.current_thread().name)
//!     n = 0
//!     while n < 5:
//!         n = n + 1
//!         print('thread %s >>> %s' % (threading.current_thread().name, n))
//!         time.sleep(1)
//!     print('thread %s ended.' % threading.current_thread().name)
//!
//! print('thread %s is running...' % threading.current_thread().name)
//! t = threading.Thread(target=loop, name='LoopThread')
//! t.start()
//! t.join()
//! print('thread %s ended.' % threading.current_thread().name)
//! ```
//!
//! Shows `Thread::new(..).name(..).start()`, `join`, and `current_thread().name()` on both
//! threads (the main thread is `MainThread`, as in Python). The 1 s sleep is 50 ms here.

use std::time::Duration;

use tripod::threading::{Thread, current_thread};

fn the_loop() {
    println!("thread {} is running...", current_thread().name());
    let mut n = 0;
    while n < 5 {
        n += 1;
        println!("thread {} >>> {}", current_thread().name(), n);
        std::thread::sleep(Duration::from_millis(50));
    }
    println!("thread {} ended.", current_thread().name());
}

fn main() {
    println!("thread {} is running...", current_thread().name());
    let t = Thread::new(the_loop)
        .name("LoopThread")
        .start()
        .expect("start LoopThread");
    t.join().expect("LoopThread panicked");
    println!("thread {} ended.", current_thread().name());
}
