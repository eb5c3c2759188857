//! Seed 003 (进程间通信, Queue): a child puts a list into a queue and the parent prints it.
//!
//! ```python
//! from multiprocessing import Process, Queue
//! def f(q):
//!     q.put([42, None, 'hello'])
//! if __name__ == '__main__':
//!     q = Queue()
//!     p = Process(target=f, args=(q,))
//!     p.start()
//!     print(q.get())    # prints "[42, None, 'hello']"
//!     p.join()
//! ```
//!
//! Python's list mixes types; Rust's queue is typed, so the message is a tuple
//! `(i32, Option<i32>, String)` (any `Serialize + Deserialize` type goes). A wrong type on
//! the receiving side is a decode error, not a surprise later.

use tripod::multiprocessing::{Process, Queue};

type Message = (i32, Option<i32>, String);

fn f(q: Queue<Message>) {
    q.put((42, None, "hello".to_owned())).unwrap();
}
tripod::task!(f);

fn main() {
    let q = Queue::new().unwrap();
    let p = Process::new(f, (q.clone(),)).start().unwrap();
    let (n, none, hello) = q.get().unwrap();
    // Printed as the seed prints it.
    let none = none.map_or("None".to_owned(), |v| v.to_string());
    println!("[{n}, {none}, '{hello}']");
    p.join().unwrap();
}
