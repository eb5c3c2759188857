//! Seed 002 (12-6, 创建进程池): `map` blocks until all results are in; `map_async` returns
//! a result object to `wait` on.
//!
//! ```python
//! import multiprocessing
//! def adder(a):
//!     return a+a
//! pool1 = multiprocessing.Pool(processes=4)
//! # This method blocks untill all processes return
//! pool1.map(adder, range(10))
//! # This method returns a result object
//! results = pool1.map_async(adder, range(10))
//! results.wait()
//! ```
//!
//! tripod adds what the seed leaves out: printing the values, `imap` (lazy, in order) over
//! an endless input, and a worker that crashes without taking the pool down.

use tripod::multiprocessing::Pool;

fn adder(a: u64) -> u64 {
    a + a
}
tripod::task!(adder);

fn crash(a: u64) -> u64 {
    if a == 3 {
        std::process::abort();
    }
    a
}
tripod::task!(crash);

fn main() {
    let pool1 = Pool::new(4).unwrap();
    // This method blocks until all processes return.
    println!("map: {:?}", pool1.map(adder, 0..10, None).unwrap());
    // This method returns a result object.
    let results = pool1.map_async(adder, 0..10, None).unwrap();
    results.wait();
    println!(
        "map_async: ready={} {:?}",
        results.ready(),
        results.get().unwrap()
    );

    let first: Vec<u64> = pool1
        .imap(adder, 0.., 8)
        .unwrap()
        .take(5)
        .map(Result::unwrap)
        .collect();
    println!("imap over 0.. (endless), first five: {first:?}");

    for (a, result) in (0..5).zip(pool1.imap(crash, 0..5, None).unwrap()) {
        match result {
            Ok(v) => println!("crash({a}) = {v}"),
            Err(e) => println!("crash({a}) failed: {e}"),
        }
    }
    println!(
        "the pool goes on: {:?}",
        pool1.map(adder, 0..3, None).unwrap()
    );
}
