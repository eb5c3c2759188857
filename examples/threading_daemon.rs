//! Seed 003 ("守护线程"): a daemon "main" thread starts two children; when the program
//! ends, daemon threads are killed, while non-daemon threads are waited for.
//!
//! ```python
//! def child(n):
//!     print('[%s]------running----\n' % n)
//!     time.sleep(2)
//!     print('--done--')
//! def main():
//!     for i in range(2):
//!         t = threading.Thread(target=child, args=[i, ])
//!         t.start()
//!         print('starting thread', t.getName())
//! m = threading.Thread(target=main, args=[])
//! m.setDaemon(True)   # children inherit it: they die when the program exits
//! m.start()
//! m.join()
//! print("---main thread done----")
//! ```
//!
//! Rust's own rule is harsher than Python's: when `main` returns, every thread dies,
//! daemon or not. `tripod::main` restores Python's rule: after its closure it waits for
//! the non-daemon threads. Here round 1 is the seed (the children inherit the daemon flag
//! from `m`, so nobody waits for them and their `--done--` never prints); round 2 marks
//! the children `.daemon(false)`, so `tripod::main` waits for them. The 2 s sleep is 2 s
//! for the daemon children (they are cut short anyway) and 100 ms for the others.

use std::time::Duration;

use tripod::threading::{Thread, current_thread, enumerate};

fn child(n: i32, work: Duration) {
    println!(
        "[{n}]------running---- (in {}, daemon: {})",
        current_thread().name(),
        current_thread().is_daemon()
    );
    std::thread::sleep(work);
    println!("--done-- [{n}]");
}

/// The seed's `main()` function, run by the thread `m`.
fn start_children(round: i32, daemon: Option<bool>, work: Duration) {
    for i in 0..2 {
        let mut t = Thread::new(move || child(round * 10 + i, work));
        if let Some(daemon) = daemon {
            t = t.daemon(daemon);
        }
        let t = t.start().expect("start child");
        println!("starting thread {} (daemon: {})", t.name(), t.is_daemon());
    }
}

fn main() {
    tripod::main(|| {
        println!("round 1: m is a daemon and its children inherit that");
        let m = Thread::new(|| start_children(1, None, Duration::from_secs(2)))
            .daemon(true)
            .start()
            .expect("start m");
        m.join().expect("m panicked");

        println!("round 2: children explicitly non-daemon");
        let m = Thread::new(|| start_children(2, Some(false), Duration::from_millis(100)))
            .daemon(true)
            .start()
            .expect("start m");
        m.join().expect("m panicked");

        println!("---main thread done----");
        for t in enumerate() {
            println!("  still alive: {} (daemon: {})", t.name(), t.is_daemon());
        }
        println!("tripod::main now waits for the non-daemon children...");
    });
    println!("...they are done; the process exits and the daemon children die unfinished.");
}
