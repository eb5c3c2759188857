//! Seeds 000 and 003 ("multiprocessing模块"): create a child process and wait for it.
//!
//! ```python
//! def run_proc(name):
//!     print('Run child process %s (%s)...' % (name, os.getpid()))
//! if __name__ == '__main__':
//!     print('Parent process %s.' % os.getpid())
//!     p = Process(target=run_proc, args=('test',))
//!     print('Child process will start.')
//!     p.start()
//!     p.join()
//!     print('Child process end.')
//! ```
//!
//! The target is a plain `fn`, registered once with `tripod::task!`; the child runs it
//! (not `main`: tripod's child entry takes over before `main`, so no
//! `if __name__ == '__main__'` guard is needed).

use tripod::multiprocessing::{Process, getpid};

fn run_proc(name: String) {
    println!("Run child process {name} ({})...", getpid());
}
tripod::task!(run_proc);

fn main() {
    println!("Parent process {}.", getpid());
    let p = Process::new(run_proc, ("test".to_owned(),));
    println!("Child process will start.");
    let p = p.start().unwrap();
    p.join().unwrap();
    println!("Child process end.");
}
