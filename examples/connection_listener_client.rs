//! `multiprocessing.connection.Listener` / `Client` with an authentication key (the
//! connection half of seeds 000-003's "进程通信"): a server thread accepts clients, a
//! client with the right key exchanges messages, a client with a wrong key is refused on
//! both sides with a typed error, and the server goes on serving.
//!
//! ```python
//! from multiprocessing.connection import Listener, Client
//! with Listener(('127.0.0.1', 0), authkey=b'secret password') as listener:
//!     conn = listener.accept()          # raises AuthenticationError for a wrong key
//!     conn.send(['hello', 'world'])
//! # in another process:
//! conn = Client(address, authkey=b'secret password')
//! print(conn.recv())
//! ```
//!
//! Before any message, each side proves it knows the key (HMAC-SHA256 challenge-response
//! in both directions); a peer that cannot prove it is never read from.

use std::thread;

use tripod::multiprocessing::connection::{Client, ConnectionErrorKind, Listener};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = Listener::bind("127.0.0.1:0", Some(b"secret password"))?;
    let address = listener.address().clone();
    println!("listening on {address}");

    let server = thread::spawn(move || {
        for _ in 0..3 {
            match listener.accept() {
                Ok(conn) => {
                    conn.send(&vec!["hello", "world"]).unwrap();
                    // Serve requests until the client hangs up.
                    while let Ok(n) = conn.recv::<u64>() {
                        conn.send(&(n * n)).unwrap();
                    }
                    println!("server: client hung up");
                }
                Err(err) if err.kind() == ConnectionErrorKind::AuthenticationFailed => {
                    println!("server: refused a client: {err}");
                }
                Err(err) => println!("server: accept failed: {err}"),
            }
        }
    });

    // The right key.
    let conn = Client::connect(&address, Some(b"secret password"))?;
    println!("client: {:?}", conn.recv::<Vec<String>>()?);
    for n in [2u64, 3, 4] {
        conn.send(&n)?;
        println!("client: {n}^2 = {}", conn.recv::<u64>()?);
    }
    drop(conn);

    // A wrong key: refused on both sides, nothing is exchanged.
    let err = Client::connect(&address, Some(b"guess")).unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::AuthenticationFailed);
    println!("client with a wrong key: {err}");

    // The server is still serving.
    let conn = Client::connect(&address, Some(b"secret password"))?;
    println!("client again: {:?}", conn.recv::<Vec<String>>()?);
    drop(conn);

    server.join().unwrap();
    Ok(())
}
