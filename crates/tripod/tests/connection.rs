//! Tests of `tripod::multiprocessing::connection`: Pipe, Connection, Listener, Client.
#![cfg(unix)]

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tripod::multiprocessing::connection::{
    Address, Client, Connection, ConnectionError, ConnectionErrorKind, Listener, Pipe, pipe,
};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tripod-conn-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn duplex_sends_typed_values_both_ways() {
    let (a, b) = Pipe(true);
    a.send(&(42, None::<i32>, "hello")).unwrap();
    b.send(&vec![1.5f64, 2.5]).unwrap();
    assert_eq!(
        b.recv::<(i32, Option<i32>, String)>().unwrap(),
        (42, None, "hello".to_owned())
    );
    assert_eq!(a.recv::<Vec<f64>>().unwrap(), [1.5, 2.5]);
    assert!(a.readable() && a.writable() && b.readable() && b.writable());
}

#[test]
fn simplex_pipe_has_a_direction() {
    let (reader, writer) = pipe(false).unwrap();
    assert!(reader.readable() && !reader.writable());
    assert!(!writer.readable() && writer.writable());
    let err = reader.send(&1u8).unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::NotWritable);
    let err = writer.recv_bytes().unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::NotReadable);
    assert_eq!(
        writer.poll(Some(Duration::ZERO)).unwrap_err().kind(),
        ConnectionErrorKind::NotReadable
    );
    writer.send(&"one way").unwrap();
    assert_eq!(reader.recv::<String>().unwrap(), "one way");
    drop(writer);
    assert_eq!(
        reader.recv_bytes().unwrap_err().kind(),
        ConnectionErrorKind::Eof
    );
}

#[test]
fn bytes_empty_and_large_without_deadlock() {
    for duplex in [true, false] {
        let (reader, writer) = pipe(duplex).unwrap();
        let big: Vec<u8> = (0..8 << 20).map(|i| (i % 251) as u8).collect();
        let expected = big.clone();
        let sender = thread::spawn(move || {
            writer.send_bytes(b"").unwrap();
            writer.send_bytes(&big).unwrap();
            writer.send_bytes(b"end").unwrap();
        });
        assert!(reader.recv_bytes().unwrap().is_empty());
        assert_eq!(reader.recv_bytes().unwrap(), expected);
        assert_eq!(reader.recv_bytes().unwrap(), b"end");
        sender.join().unwrap();
    }
}

#[test]
fn poll_times_out_then_sees_data() {
    let (a, b) = Pipe(true);
    let start = Instant::now();
    assert!(!b.poll(Some(Duration::from_millis(20))).unwrap());
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert!(!b.poll(Some(Duration::ZERO)).unwrap());

    let (go, wait) = mpsc::channel();
    let sender = thread::spawn(move || {
        wait.recv().unwrap();
        a.send(&"data").unwrap();
        a
    });
    go.send(()).unwrap();
    assert!(b.poll(None).unwrap());
    assert!(
        b.poll(Some(Duration::ZERO)).unwrap(),
        "data stays until received"
    );
    assert_eq!(b.recv::<String>().unwrap(), "data");
    let a = sender.join().unwrap();
    drop(a);
    // A closed peer makes poll true: the next receive does not block.
    assert!(b.poll(Some(Duration::from_secs(5))).unwrap());
    assert_eq!(b.recv_bytes().unwrap_err().kind(), ConnectionErrorKind::Eof);
}

#[test]
fn recv_after_the_peer_is_gone_is_eof() {
    let (a, b) = Pipe(true);
    a.send(&1u8).unwrap();
    drop(a);
    assert_eq!(
        b.recv::<u8>().unwrap(),
        1,
        "what was sent before still arrives"
    );
    let err = b.recv::<u8>().unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::Eof);
    assert!(err.is_eof());
    // Sending to a gone peer is an error of the same kind, not a signal.
    let err = b.send(&2u8).unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::Eof, "{err}");

    let (mut c, d) = Pipe(true);
    c.close();
    assert!(c.closed());
    assert_eq!(
        c.recv_bytes().unwrap_err().kind(),
        ConnectionErrorKind::Closed
    );
    assert_eq!(c.fileno().unwrap_err().kind(), ConnectionErrorKind::Closed);
    c.close();
    assert_eq!(d.recv_bytes().unwrap_err().kind(), ConnectionErrorKind::Eof);
}

/// A connection whose peer is a raw socket, to write malformed frames.
fn raw_peer() -> (Connection, UnixStream) {
    // A listener is the public way to wrap a socket into a connection.
    let dir = temp_dir(&format!("raw-{:?}", thread::current().id()));
    let path = dir.join("raw.sock");
    let listener = Listener::bind(path.as_path(), None).unwrap();
    let raw_client = UnixStream::connect(&path).unwrap();
    let conn = listener.accept().unwrap();
    drop(listener);
    let _ = std::fs::remove_dir_all(&dir);
    (conn, raw_client)
}

#[test]
fn a_peer_closing_mid_message_is_truncated() {
    let (conn, mut raw) = raw_peer();
    raw.write_all(&1000u64.to_le_bytes()).unwrap();
    raw.write_all(&[0u8; 10]).unwrap();
    drop(raw);
    let err = conn.recv_bytes().unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::Truncated, "{err}");
    assert!(err.is_eof());
    assert_eq!(
        conn.recv_bytes().unwrap_err().kind(),
        ConnectionErrorKind::Broken
    );
}

#[test]
fn an_oversized_message_is_refused_and_breaks_the_connection() {
    let (a, mut b) = Pipe(true);
    b.set_max_message_size(1024);
    a.send_bytes(&[0u8; 1024]).unwrap();
    assert_eq!(
        b.recv_bytes().unwrap().len(),
        1024,
        "the limit itself is fine"
    );
    a.send_bytes(&[0u8; 1025]).unwrap();
    let err = b.recv_bytes().unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::TooLarge);
    assert_eq!(
        b.recv_bytes().unwrap_err().kind(),
        ConnectionErrorKind::Broken
    );
    assert_eq!(b.send(&1).unwrap_err().kind(), ConnectionErrorKind::Broken);
    // The peer is told: its next message fails instead of waiting for a reader.
    assert!(a.send_bytes(&[0u8; 10]).is_err());

    // A lying header (1 TiB announced) costs nothing.
    let (conn, mut raw) = raw_peer();
    raw.write_all(&(1u64 << 40).to_le_bytes()).unwrap();
    assert_eq!(
        conn.recv_bytes().unwrap_err().kind(),
        ConnectionErrorKind::TooLarge
    );
}

#[test]
fn decoding_the_wrong_type_is_a_decode_error() {
    let (a, b) = Pipe(true);
    a.send(&"a string").unwrap();
    let err = b.recv::<u64>().unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::Decode);
    a.send(&(1u8, 2u8)).unwrap();
    assert_eq!(
        b.recv::<(u8, u8, u8)>().unwrap_err().kind(),
        ConnectionErrorKind::Decode
    );
    // Raw bytes that are not an encoded value.
    a.send_bytes(&[0xff, 1, 2]).unwrap();
    assert_eq!(
        b.recv::<u8>().unwrap_err().kind(),
        ConnectionErrorKind::Decode
    );
    // The stream is still in step.
    a.send(&5u8).unwrap();
    assert_eq!(b.recv::<u8>().unwrap(), 5);
}

/// Runs a server thread that accepts `clients` connections and echoes one message on
/// each successful one; returns what each accept returned.
fn echo_server(
    listener: Listener,
    clients: usize,
) -> thread::JoinHandle<Vec<Result<(), ConnectionError>>> {
    thread::spawn(move || {
        (0..clients)
            .map(|_| {
                let conn = listener.accept()?;
                let msg: String = conn.recv()?;
                conn.send(&format!("echo {msg}"))
            })
            .collect()
    })
}

fn talk(address: &Address, key: Option<&[u8]>) -> Result<String, ConnectionError> {
    let conn = Client::connect(address, key)?;
    conn.send(&"hi")?;
    conn.recv()
}

fn check_listener(address: Address) {
    let listener = Listener::bind(address, Some(b"secret")).unwrap();
    let address = listener.address().clone();
    let server = echo_server(listener, 3);
    assert_eq!(talk(&address, Some(b"secret")).unwrap(), "echo hi");
    let err = talk(&address, Some(b"wrong")).unwrap_err();
    assert_eq!(
        err.kind(),
        ConnectionErrorKind::AuthenticationFailed,
        "{err}"
    );
    assert_eq!(talk(&address, Some(b"secret")).unwrap(), "echo hi");
    let results = server.join().unwrap();
    assert!(results[0].is_ok());
    assert_eq!(
        results[1].as_ref().unwrap_err().kind(),
        ConnectionErrorKind::AuthenticationFailed
    );
    assert!(results[2].is_ok());
}

#[test]
fn listener_and_client_over_tcp() {
    check_listener(Address::from("127.0.0.1:0"));
}

#[test]
fn listener_and_client_over_a_unix_socket() {
    let dir = temp_dir("unix");
    let path = dir.join("server.sock");
    check_listener(Address::from(path.as_path()));
    assert!(
        !path.exists(),
        "dropping the listener removes the socket file"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn no_key_on_either_side_means_no_handshake() {
    let listener = Listener::bind("127.0.0.1:0", None).unwrap();
    assert!(matches!(listener.address(), Address::Tcp(a) if a.port() != 0));
    let address = listener.address().clone();
    let server = echo_server(listener, 1);
    assert_eq!(talk(&address, None).unwrap(), "echo hi");
    assert!(server.join().unwrap()[0].is_ok());
}

#[test]
fn garbage_instead_of_the_handshake_fails_only_that_connection() {
    let listener = Listener::bind("127.0.0.1:0", Some(b"secret")).unwrap();
    let Address::Tcp(addr) = listener.address().clone() else {
        unreachable!()
    };
    let server = echo_server(listener, 3);

    // A huge announced length: refused without allocating.
    let mut raw = std::net::TcpStream::connect(addr).unwrap();
    raw.write_all(&(1u64 << 40).to_le_bytes()).unwrap();
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut raw, &mut rest); // the server hangs up
    // A well-framed message that is not a digest.
    let mut raw = std::net::TcpStream::connect(addr).unwrap();
    raw.write_all(&5u64.to_le_bytes()).unwrap();
    raw.write_all(b"hello").unwrap();
    let _ = std::io::Read::read_to_end(&mut raw, &mut rest);

    assert_eq!(
        talk(&Address::Tcp(addr), Some(b"secret")).unwrap(),
        "echo hi"
    );
    let results = server.join().unwrap();
    for bad in &results[..2] {
        let kind = bad.as_ref().unwrap_err().kind();
        assert_eq!(kind, ConnectionErrorKind::AuthenticationFailed);
    }
    assert!(results[2].is_ok());
}

#[test]
fn a_connection_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Connection>();
    check::<Listener>();
    check::<ConnectionError>();
    check::<Address>();
    // Shared by reference: one thread receives while another sends.
    let (a, b) = Pipe(true);
    thread::scope(|s| {
        s.spawn(|| {
            for i in 0..100u32 {
                a.send(&i).unwrap();
            }
        });
        s.spawn(|| {
            for i in 0..100u32 {
                assert_eq!(b.recv::<u32>().unwrap(), i);
                b.send(&i).unwrap();
            }
        });
        s.spawn(|| {
            for i in 0..100u32 {
                assert_eq!(a.recv::<u32>().unwrap(), i);
            }
        });
    });
}

#[test]
fn error_converts_to_io_error() {
    let (a, b) = Pipe(true);
    drop(a);
    let err: std::io::Error = b.recv_bytes().unwrap_err().into();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
}

#[test]
fn a_key_on_one_side_only_fails_within_the_handshake_timeout() {
    let listener = Listener::bind("127.0.0.1:0", None).unwrap();
    let address = listener.address().clone();
    let server = thread::spawn(move || {
        let conn = listener.accept().unwrap(); // no key: no handshake
        conn.recv_bytes().unwrap_err().kind()
    });
    let err = Client::builder(&address)
        .authkey(b"secret")
        .handshake_timeout(Some(Duration::from_millis(100)))
        .connect()
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ConnectionErrorKind::AuthenticationFailed,
        "{err}"
    );
    assert_eq!(server.join().unwrap(), ConnectionErrorKind::Eof);
}

#[test]
fn a_dribbling_client_cannot_hold_accept_past_the_handshake_deadline() {
    // The deadline covers the whole handshake: a client sending a byte now and then (each
    // well within the timeout of a single read) is still cut off when it passes.
    let timeout = Duration::from_millis(200);
    let listener = Listener::builder("127.0.0.1:0")
        .authkey(b"secret")
        .handshake_timeout(Some(timeout))
        .bind()
        .unwrap();
    let Address::Tcp(addr) = listener.address().clone() else {
        unreachable!()
    };
    let (stop, stopped) = mpsc::channel::<()>();
    let client = thread::spawn(move || {
        let mut raw = std::net::TcpStream::connect(addr).unwrap();
        let mut sent = 0;
        // One byte of a response header, then another every 50 ms, until told to stop (or
        // for at most 5 s, so that a failing test ends).
        while sent < 100 {
            if raw.write_all(&[0]).is_err() {
                break; // the server hung up
            }
            sent += 1;
            // Pacing of the dribble, not synchronisation: the server's verdict does not
            // depend on when these bytes arrive.
            if stopped.recv_timeout(Duration::from_millis(50)).is_ok() {
                break;
            }
        }
        sent
    });
    let start = Instant::now();
    let err = listener.accept().unwrap_err();
    let took = start.elapsed();
    stop.send(()).unwrap();
    assert_eq!(
        err.kind(),
        ConnectionErrorKind::AuthenticationFailed,
        "{err}"
    );
    assert!(took >= timeout, "gave up after {took:?}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert!(client.join().unwrap() >= 1);
}

#[test]
fn recv_timeout_times_out_and_keeps_a_partial_message() {
    let (conn, mut raw) = raw_peer();
    // Nothing at all.
    let err = conn
        .recv_bytes_timeout(Duration::from_millis(10))
        .unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::Timeout, "{err}");
    let io_err: std::io::Error = err.into();
    assert_eq!(io_err.kind(), std::io::ErrorKind::TimedOut);
    // A small message and a large one (over the receive buffer), each in two parts: the
    // first part waits in the connection while the receive times out.
    for len in [100usize, 200_000] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        raw.write_all(&(len as u64).to_le_bytes()).unwrap();
        raw.write_all(&payload[..len / 2]).unwrap();
        let err = conn
            .recv_bytes_timeout(Duration::from_millis(10))
            .unwrap_err();
        assert_eq!(err.kind(), ConnectionErrorKind::Timeout, "{err}");
        assert!(conn.poll_timeout(Duration::ZERO).unwrap());
        raw.write_all(&payload[len / 2..]).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        assert_eq!(conn.recv_bytes_deadline(deadline).unwrap(), payload);
    }
    // Typed values too, and the connection is still in step.
    let err = conn.recv_timeout::<u32>(Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::Timeout);
    drop(raw);
    let err = conn
        .recv_timeout::<u32>(Duration::from_secs(10))
        .unwrap_err();
    assert_eq!(err.kind(), ConnectionErrorKind::Eof, "{err}");
}

#[test]
fn poll_sees_messages_already_received_into_the_buffer() {
    let (a, b) = Pipe(true);
    for i in 0..3u8 {
        a.send(&i).unwrap();
    }
    // The first receive reads all three from the socket at once.
    assert_eq!(b.recv::<u8>().unwrap(), 0);
    assert!(b.poll_timeout(Duration::ZERO).unwrap());
    assert!(b.poll(Some(Duration::ZERO)).unwrap());
    assert_eq!(b.recv::<u8>().unwrap(), 1);
    assert_eq!(b.recv::<u8>().unwrap(), 2);
    assert!(!b.poll_deadline(Instant::now()).unwrap());
}

#[test]
fn many_small_and_large_messages_interleaved_stay_in_order() {
    for duplex in [true, false] {
        let (reader, writer) = pipe(duplex).unwrap();
        let sizes: Vec<usize> = (0..200)
            .map(|i| match i % 5 {
                0 => 0,
                1 => 65_536 - 8, // exactly fills the receive buffer with its header
                2 => 65_536 - 7, // one byte too many for it
                3 => 300_000,
                _ => i,
            })
            .collect();
        let expected = sizes.clone();
        let sender = thread::spawn(move || {
            for (i, &len) in sizes.iter().enumerate() {
                writer.send_bytes(&vec![i as u8; len]).unwrap();
            }
        });
        for (i, &len) in expected.iter().enumerate() {
            assert_eq!(
                reader.recv_bytes().unwrap(),
                vec![i as u8; len],
                "message {i}"
            );
        }
        sender.join().unwrap();
        assert_eq!(
            reader.recv_bytes().unwrap_err().kind(),
            ConnectionErrorKind::Eof
        );
    }
}

/// Restores SIGPIPE's default action, then sends to a peer that is gone: with
/// `MSG_NOSIGNAL` the send fails with Eof instead of killing the process.
fn send_with_default_sigpipe(conn: Connection) -> String {
    // SAFETY: setting a signal's disposition to its default is sound at any time; this
    // child process runs only this task.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    match conn.send_bytes(b"anyone there?") {
        Ok(()) => "sent".to_owned(),
        Err(err) => format!("{:?}", err.kind()),
    }
}
tripod::task!(send_with_default_sigpipe);

#[test]
fn a_send_to_a_gone_peer_does_not_raise_sigpipe() {
    let (a, b) = Pipe(true);
    drop(a);
    let child = tripod::multiprocessing::Process::new(send_with_default_sigpipe, (b,))
        .start()
        .unwrap();
    assert_eq!(child.join().unwrap(), "Eof");
}
