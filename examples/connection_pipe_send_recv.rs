//! Seeds 000 and 003 ("进程通信 Pipe"): a child process sends a list through a pipe and
//! closes its end; the parent receives and prints it.
//!
//! ```python
//! from multiprocessing import Process, Pipe
//! def f(conn):
//!     conn.send([42, None, 'hello'])
//!     conn.close()
//! if __name__ == '__main__':
//!     parent_conn, child_conn = Pipe()
//!     p = Process(target=f, args=(child_conn,))
//!     p.start()
//!     print(parent_conn.recv())   # [42, None, 'hello']
//!     p.join()
//! ```
//!
//! Python's heterogeneous list becomes a tuple `(i32, Option<i32>, String)`: the receiver
//! names the type it expects, and a mismatch is a `Decode` error, not a surprise later.
//! The connection travels to the child as an argument (its file descriptor goes along).
//! After the child closed its end, a second `recv` is an `Eof` error instead of a hang.

use tripod::multiprocessing::Process;
use tripod::multiprocessing::connection::{Connection, ConnectionErrorKind, Pipe};

fn f(mut conn: Connection) {
    conn.send(&(42, None::<i32>, "hello")).unwrap();
    conn.close();
}
tripod::task!(f);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (parent_conn, child_conn) = Pipe(true);
    let p = Process::new(f, (child_conn,)).start()?;
    let (number, nothing, word): (i32, Option<i32>, String) = parent_conn.recv()?;
    println!("[{number}, {nothing:?}, {word:?}]");
    p.join()?;
    // The child's end is closed and the parent's copy went with the Process: nothing more.
    let end = parent_conn.recv::<String>().unwrap_err();
    assert_eq!(end.kind(), ConnectionErrorKind::Eof);
    println!("then: {end}");
    Ok(())
}
