//! Seed 000 ("ThreadLocal"): each thread stores its own student in one shared
//! `local_school`, and a helper reads it back without being passed it.
//!
//! ```python
//! local_school = threading.local()
//! def process_student():
//!     std = local_school.student
//!     print('Hello, %s (in %s)' % (std, threading.current_thread().name))
//! def process_thread(name):
//!     local_school.student = name
//!     process_student()
//! t1 = threading.Thread(target=process_thread, args=('Alice',), name='Thread-A')
//! t2 = threading.Thread(target=process_thread, args=('Bob',), name='Thread-B')
//! t1.start(); t2.start(); t1.join(); t2.join()
//! ```
//!
//! A `static` `Local` plays the module-level `threading.local()`; each thread sets and
//! reads its own value, and the main thread, which set none, sees none.

use std::sync::LazyLock;

use tripod::threading::{Local, Thread, current_thread};

/// One attribute, `student`; several attributes would be a struct.
static LOCAL_SCHOOL: LazyLock<Local<String>> = LazyLock::new(Local::new);

fn process_student() {
    let std = LOCAL_SCHOOL.get().expect("student set by this thread");
    println!("Hello, {std} (in {})", current_thread().name());
}

fn process_thread(name: &str) {
    LOCAL_SCHOOL.set(name.to_owned());
    process_student();
}

fn main() {
    let t1 = Thread::new(|| process_thread("Alice"))
        .name("Thread-A")
        .start()
        .expect("start Thread-A");
    let t2 = Thread::new(|| process_thread("Bob"))
        .name("Thread-B")
        .start()
        .expect("start Thread-B");
    t1.join().expect("Thread-A panicked");
    t2.join().expect("Thread-B panicked");
    println!(
        "student in {}: {:?}",
        current_thread().name(),
        LOCAL_SCHOOL.get()
    );
}
