//! Seed 004 ("使用ThreadLocal"): two threads each count to 1,000,000 in their own
//! thread-local `num`; neither disturbs the other nor the main thread's `num`.
//!
//! ```python
//! def fun(num):
//!     local.num = num
//!     for _ in range(1000000):
//!         local.num += 1
//!     print('-----', local.num)
//! local = local()
//! num = 0
//! t1 = Thread(target=fun, args=(num,)); t2 = Thread(target=fun, args=(num,))
//! t1.start(); t2.start(); t1.join(); t2.join()
//! print('-----', num)
//! ```
//!
//! Each thread ends with exactly 1000000 (compare the seed's unsynchronised global
//! counter, where two threads lose updates); `with_mut` changes the value in place.

use std::sync::Arc;

use tripod::threading::{Local, Thread};

fn fun(local: &Local<u64>, num: u64) -> u64 {
    local.set(num);
    for _ in 0..1_000_000 {
        local.with_mut(|n| *n.as_mut().expect("set above") += 1);
    }
    let mine = local.get().expect("set above");
    println!("----- {mine}");
    mine
}

fn main() {
    let local: Arc<Local<u64>> = Arc::new(Local::new());
    let num = 0;
    let (l1, l2) = (Arc::clone(&local), Arc::clone(&local));
    let t1 = Thread::new(move || fun(&l1, num))
        .start()
        .expect("start t1");
    let t2 = Thread::new(move || fun(&l2, num))
        .start()
        .expect("start t2");
    let r1 = t1.join().expect("t1 panicked");
    let r2 = t2.join().expect("t2 panicked");
    assert_eq!((r1, r2), (1_000_000, 1_000_000));
    println!("----- {num}");
    println!("main thread's local.num: {:?}", local.get());
}
