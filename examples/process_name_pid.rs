//! Seeds 001 and 003: a child's name, its pid and its parent's pid.
//!
//! ```python
//! def task(name):
//!     print("子进程名称:" + name, "子进程ID:", os.getpid(), "父进程ID:", os.getppid())
//! print("主进程ID:", os.getpid())
//! ```
//!
//! `current_process()` gives the name (`MainProcess` in the parent, the given or default
//! `Process-N` name in a child), `getpid()`/`getppid()` are `os.getpid()`/`os.getppid()`,
//! and `parent_process()` describes the parent from inside the child.

use tripod::multiprocessing::{
    Process, cpu_count, current_process, getpid, getppid, parent_process,
};

fn task(label: String) -> u32 {
    let me = current_process();
    let parent = parent_process().expect("a child has a parent");
    println!(
        "child {label}: name {}, pid {}, parent pid {} ({})",
        me.name(),
        getpid(),
        getppid(),
        parent.name()
    );
    getppid()
}
tripod::task!(task);

fn main() {
    println!(
        "main: name {}, pid {}, {} CPUs",
        current_process().name(),
        getpid(),
        cpu_count()
    );
    let named = Process::new(task, ("a".to_owned(),))
        .name("worker-a")
        .start()
        .unwrap();
    let unnamed = Process::new(task, ("b".to_owned(),)).start().unwrap();
    println!(
        "started {} (pid {}) and {} (pid {})",
        named.name(),
        named.pid(),
        unnamed.name(),
        unnamed.pid()
    );
    assert_eq!(named.join().unwrap(), getpid());
    assert_eq!(unnamed.join().unwrap(), getpid());
}
