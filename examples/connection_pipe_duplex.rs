//! Seed 002 (listing 12-5, "进程间的通信") and seed 003 (Pipe with `strinfo`): a pipe is
//! full duplex, and a child works on a copy of its arguments, so changing them does not
//! change the parent's; only what goes through the pipe comes back.
//!
//! ```python
//! def func(pipe_end):
//!     pipe_end.send(['hello', 'world'])
//!     pipe_end.close()
//! parent_end, child_end = multiprocessing.Pipe()
//! proc1 = multiprocessing.Process(target=func, args=(child_end,))
//! proc1.start(); print(parent_end.recv()); proc1.join()   # ['hello', 'world']
//!
//! def f(conn, strinfo):
//!     conn.send([42, None, 'hello']); conn.close()
//!     strinfo.append('child')
//! strinfo = ['parent']
//! p = Process(target=f, args=(child_conn, strinfo)); p.start()
//! print(parent_conn.recv()); print(strinfo); p.join()    # strinfo is still ['parent']
//! ```
//!
//! The first part also sends a reply back to the child (the pipe is duplex); the second
//! shows that the child's `strinfo.push("child")` changes only the child's copy.

use tripod::multiprocessing::Process;
use tripod::multiprocessing::connection::{Connection, Pipe};

fn func(pipe_end: Connection) -> String {
    pipe_end.send(&vec!["hello", "world"]).unwrap();
    // Duplex: the child also receives on the same end.
    pipe_end.recv::<String>().unwrap()
}
tripod::task!(func);

fn f(conn: Connection, mut strinfo: Vec<String>) -> Vec<String> {
    conn.send(&(42, None::<i32>, "hello")).unwrap();
    drop(conn); // conn.close()
    strinfo.push("child".to_owned());
    strinfo // returned only to show what the child's copy became
}
tripod::task!(f);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Listing 12-5, both directions.
    let (parent_end, child_end) = Pipe(true);
    let proc1 = Process::new(func, (child_end,)).start()?;
    let words: Vec<String> = parent_end.recv()?;
    println!("{words:?}");
    parent_end.send(&"thanks, child")?;
    println!("the child received: {:?}", proc1.join()?);

    // Seed 003: arguments are copies.
    let (parent_conn, child_conn) = Pipe(true);
    let strinfo = vec!["parent".to_owned()];
    let p = Process::new(f, (child_conn, strinfo.clone())).start()?;
    let got: (i32, Option<i32>, String) = parent_conn.recv()?;
    println!("{got:?}");
    let childs_copy = p.join()?;
    println!("{strinfo:?}");
    println!("(the child's copy was {childs_copy:?})");
    assert_eq!(strinfo, ["parent"]);
    assert_eq!(childs_copy, ["parent", "child"]);
    Ok(())
}
