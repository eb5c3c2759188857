//! Seed 004 (使用Queue): a writer process puts 1, 2, 3, ... forever, a reader process gets
//! and prints forever; the parent terminates both.
//!
//! ```python
//! def read(q):
//!     while True:
//!         res = q.get()
//!         print(res)
//!         time.sleep(1)
//! def write(q):
//!     num = 0
//!     while True:
//!         num += 1
//!         q.put(num)
//!         time.sleep(1)
//! if __name__ == '__main__':
//!     q = Queue()
//!     r = Process(target=read, args=(q,))
//!     w = Process(target=write, args=(q,))
//!     w.start()
//!     r.start()
//!     time.sleep(5)
//!     r.terminate()
//!     w.terminate()
//!     print('强制结束')
//! ```
//!
//! The seed's one-second pauses become 0.1 s, and instead of sleeping five seconds and
//! hoping the reader printed five numbers, the parent waits on an `Event` the reader sets
//! after printing the fifth. Terminating a process in the middle of a `put` or a `get` is
//! safe: tripod's queue discards a half-written message instead of corrupting the queue.

use std::time::Duration;

use tripod::multiprocessing::{Event, Process, Queue};

const PAUSE: Duration = Duration::from_millis(100);

fn read(q: Queue<u64>, printed_five: Event) {
    for printed in 1.. {
        let res = q.get().unwrap();
        println!("{res}");
        if printed == 5 {
            printed_five.set();
        }
        std::thread::sleep(PAUSE);
    }
}
tripod::task!(read);

fn write(q: Queue<u64>) {
    for num in 1.. {
        q.put(num).unwrap();
        std::thread::sleep(PAUSE);
    }
}
tripod::task!(write);

fn main() {
    let q = Queue::new().unwrap();
    let printed_five = Event::new().unwrap();
    let r = Process::new(read, (q.clone(), printed_five.clone()))
        .start()
        .unwrap();
    let w = Process::new(write, (q.clone(),)).start().unwrap();
    assert!(printed_five.wait_timeout(Duration::from_secs(10)));
    r.terminate().unwrap();
    w.terminate().unwrap();
    assert!(r.join().is_err() && w.join().is_err());
    println!("强制结束 (terminated)");
}
