//! Seed 000 ("进程间通信", 使用 Queue 进行进程间通信): a writer process puts 'A', 'B', 'C'
//! into a queue; a reader process gets from it forever; the parent joins the writer, then
//! terminates the reader.
//!
//! ```python
//! def write(q):
//!     print('Process to write: %s' % os.getpid())
//!     for value in ['A', 'B', 'C']:
//!         print('Put %s to queue...' % value)
//!         q.put(value)
//!         time.sleep(random.random())
//! def read(q):
//!     print('Process to read: %s' % os.getpid())
//!     while True:
//!         value = q.get(True)
//!         print('Get %s from queue.' % value)
//! if __name__ == '__main__':
//!     q = Queue()
//!     pw = Process(target=write, args=(q,))
//!     pr = Process(target=read, args=(q,))
//!     pw.start()
//!     pr.start()
//!     pw.join()
//!     pr.terminate()
//! ```
//!
//! The seed counts on the writer's random sleeps to give the reader time to print the last
//! value before it is terminated. Here the queue is a `JoinableQueue`: the reader calls
//! `task_done()` after printing each value and the parent `join()`s the queue before
//! terminating the reader, so every value is printed, every time. The writer's sleeps are
//! kept, shorter (up to 0.1 s), to show the two processes interleaving.

use std::time::Duration;

use tripod::multiprocessing::{JoinableQueue, Process, getpid};

/// A pause of 0 to 99 ms, different for each value (the seed's `random.random()` seconds).
fn pause(value: char) -> Duration {
    let seed = u64::from(getpid()) * 31 + u64::from(value);
    Duration::from_millis(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57)
}

fn write(q: JoinableQueue<char>) {
    println!("Process to write: {}", getpid());
    for value in ['A', 'B', 'C'] {
        println!("Put {value} to queue...");
        q.put(value).unwrap();
        std::thread::sleep(pause(value));
    }
}
tripod::task!(write);

fn read(q: JoinableQueue<char>) {
    println!("Process to read: {}", getpid());
    loop {
        let value = q.get().unwrap();
        println!("Get {value} from queue.");
        q.task_done().unwrap();
    }
}
tripod::task!(read);

fn main() {
    let q = JoinableQueue::new().unwrap();
    let pw = Process::new(write, (q.clone(),)).start().unwrap();
    let pr = Process::new(read, (q.clone(),)).start().unwrap();
    pw.join().unwrap();
    // Every value put has been printed (the seed hopes so; here it is so).
    q.join();
    pr.terminate().unwrap();
    assert!(pr.join().is_err(), "the reader loops until terminated");
}
