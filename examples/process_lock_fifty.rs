//! Seed 001 (例子8, "进程锁") and seed 003 ("进程同步"): processes printing under a lock.
//!
//! Seed 001 starts fifty processes; each takes the shared lock, prints, and releases it:
//!
//! ```python
//! def fun1(lock, i):
//!     lock.acquire()
//!     print("Hello world ", i)
//!     lock.release()
//! lock = Lock()
//! for i in range(50):
//!     p = Process(target=fun1, args=(lock, i,))
//!     pList.append(p)
//!     p.start()
//! for p in pList:
//!     p.join()
//! ```
//!
//! Seed 003 does the same with ten processes and `try: ... finally: l.release()`; here the
//! guard releases the lock when it goes out of scope, also on a panic. The `Lock` is an
//! argument of each child like any other: its shared memory travels as a file descriptor.

use std::io::Write;

use tripod::multiprocessing::{Lock, Process};

fn fun1(lock: Lock, i: u32) -> u32 {
    let _held = lock.acquire().unwrap();
    // Under the lock, one whole line at a time reaches the shared stdout.
    let mut out = std::io::stdout().lock();
    writeln!(out, "Hello world  {i}").unwrap();
    out.flush().unwrap();
    i
}
tripod::task!(fun1);

fn main() {
    let lock = Lock::new().unwrap();
    let p_list: Vec<_> = (0..50)
        .map(|i| Process::new(fun1, (lock.clone(), i)).start().unwrap())
        .collect();
    let mut done: Vec<u32> = p_list.into_iter().map(|p| p.join().unwrap()).collect();
    done.sort();
    assert_eq!(done, (0..50).collect::<Vec<_>>());
    assert!(!lock.locked());
    println!("all 50 processes printed under the lock");
}
