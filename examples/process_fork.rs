//! Seed 000 ("多进程", fork): `os.fork()` returns twice, once in the parent and once in
//! the child.
//!
//! ```python
//! print('Process (%s) start...' % os.getpid())
//! pid = os.fork()
//! if pid == 0:
//!     print('I am child process (%s) and my parent is %s.' % (os.getpid(), os.getppid()))
//! else:
//!     print('I (%s) just created a child process (%s).' % (os.getpid(), pid))
//! ```
//!
//! tripod does not return twice: the child runs a registered function, here with the
//! `Fork` start method (the child is a `fork` of this process), chosen through the
//! `unsafe` `StartMethod::fork()`, whose hazards this single-threaded program avoids.

use tripod::multiprocessing::{Process, StartMethod, getpid, getppid};

fn child() -> (u32, u32) {
    println!(
        "I am child process ({}) and my parent is {}.",
        getpid(),
        getppid()
    );
    (getpid(), getppid())
}
tripod::task!(child);

fn main() {
    println!("Process ({}) start...", getpid());
    // SAFETY: this program has no other thread that could hold a lock while it forks.
    let fork = unsafe { StartMethod::fork() };
    let p = Process::new(child, ()).start_method(fork).start().unwrap();
    println!(
        "I ({}) just created a child process ({}).",
        getpid(),
        p.pid()
    );
    let (child_pid, its_parent) = p.join().unwrap();
    assert_eq!(its_parent, getpid());
    assert_ne!(child_pid, getpid());
}
