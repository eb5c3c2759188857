//! Coroutines as generators with send (seed 000): a consumer yields results out and
//! receives items in; the producer drives it.
//!
//! ```python
//! def consumer():
//!     r = ''
//!     while True:
//!         n = yield r
//!         if not n:
//!             return
//!         print('[CONSUMER] Consuming %s...' % n)
//!         r = '200 OK'
//!
//! def produce(c):
//!     c.send(None)
//!     n = 0
//!     while n < 5:
//!         n = n + 1
//!         print('[PRODUCER] Producing %s...' % n)
//!         r = c.send(n)
//!         print('[PRODUCER] Consumer return: %s' % r)
//!     c.close()
//!
//! c = consumer()
//! produce(c)
//! ```

use tripod::asyncio::{Generator, GeneratorState};

fn consumer() -> Generator<String, Option<u32>, ()> {
    Generator::new(|co| async move {
        let mut r = String::new();
        loop {
            let n = co.yield_(r.clone()).await;
            let Some(n) = n else { return };
            println!("[CONSUMER] Consuming {n}...");
            r = "200 OK".to_owned();
        }
    })
}

fn produce(mut c: Generator<String, Option<u32>, ()>) {
    c.start(); // c.send(None)
    let mut n = 0;
    while n < 5 {
        n += 1;
        println!("[PRODUCER] Producing {n}...");
        match c.send(Some(n)).unwrap() {
            GeneratorState::Yielded(r) => {
                println!("[PRODUCER] Consumer return: {r}");
                assert_eq!(r, "200 OK");
            }
            GeneratorState::Complete(()) => unreachable!("the consumer loops until told to stop"),
        }
    }
    drop(c); // c.close()
}

fn main() {
    produce(consumer());
}
