//! Seed 001 (回调函数 例子7) and seed 003 (进程池, Foo/Bar): `apply_async` with a
//! callback, which runs in the parent (on the pool's result thread), not in the worker.
//!
//! ```python
//! # seed 003
//! def Foo(i):
//!     time.sleep(2)
//!     return i + 100
//! def Bar(arg):
//!     print('-->exec done:', arg)
//! pool = Pool(5)
//! for i in range(10):
//!     pool.apply_async(func=Foo, args=(i,), callback=Bar)
//!     # pool.apply(func=Foo, args=(i,))
//! print('end')
//! pool.close()
//! pool.join()
//!
//! # seed 001, 例子7
//! def fun1(i):
//!     print(os.getpid())
//! def cbFun(arg):
//!     print(" ---> I am done.", arg)
//! pool = Pool(3)
//! for i in range(3):
//!     pool.apply_async(fun1, args=(i,), callback=cbFun("A"))
//! pool.close()
//! pool.join()
//! ```
//!
//! Example 7 passes `cbFun("A")`, the callback's *result* (None), so its "I am done" lines
//! print in the parent before the tasks run; here the callback is passed as intended, and
//! prints the parent's pid beside the worker's. Foo sleeps 50 ms instead of 2 s; the
//! commented-out blocking `apply` runs once at the end.

use std::time::Duration;

use tripod::multiprocessing::{AsyncOptions, Pool, getpid};

#[allow(non_snake_case)]
fn Foo(i: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(50));
    i + 100
}
tripod::task!(Foo);

#[allow(non_snake_case)]
fn Bar(arg: &u64) {
    println!("-->exec done: {arg}");
}

fn fun1(i: u32) -> u32 {
    println!("task {i} in worker {}", getpid());
    i
}
tripod::task!(fun1);

fn main() {
    let pool = Pool::new(5).unwrap();
    for i in 0..10 {
        pool.apply_async_with(Foo, (i,), AsyncOptions::new().callback(Bar))
            .unwrap();
    }
    println!("end");
    // The blocking form, for comparison.
    println!("apply: {}", pool.apply(Foo, (41,)).unwrap());
    pool.close();
    pool.join().unwrap();

    // Seed 001, example 7.
    let parent = getpid();
    let pool = Pool::new(3).unwrap();
    for i in 0..3 {
        let options = AsyncOptions::new().callback(move |arg: &u32| {
            println!(" ---> I am done. {arg} (callback in the parent, {parent})");
        });
        pool.apply_async_with(fun1, (i,), options).unwrap();
    }
    pool.close();
    pool.join().unwrap();
}
