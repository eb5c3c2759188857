//! [`pipe`] / [`Pipe`]: a connected pair of [`Connection`]s.

use std::io;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;

use super::connection::{Connection, Stream};

/// Socket and pipe buffer size asked for: large messages then move in few system calls.
/// The kernel caps it (`net.core.wmem_max`, `fs.pipe-max-size`); a refusal is ignored.
pub(crate) const BUFFER_SIZE: usize = 4 << 20;
const PIPE_BUFFER_SIZE: usize = 1 << 20;

/// Asks for large socket buffers; what the kernel refuses only costs throughput.
pub(crate) fn enlarge_socket_buffers(fd: impl AsFd) {
    let _ = rustix::net::sockopt::set_socket_send_buffer_size(&fd, BUFFER_SIZE);
    let _ = rustix::net::sockopt::set_socket_recv_buffer_size(&fd, BUFFER_SIZE);
}

/// Returns a pair of connected [`Connection`]s: Python's `Pipe(duplex)`, Rust-style.
///
/// - `duplex == true`: both ends send and receive (a Unix socket pair).
/// - `duplex == false`: `(receiver, sender)`, as in Python: the first end only receives,
///   the second only sends (an OS pipe); the wrong direction is an error of kind
///   [`NotWritable`](super::ConnectionErrorKind::NotWritable) /
///   [`NotReadable`](super::ConnectionErrorKind::NotReadable).
///
/// # Errors
///
/// The operating system's error if it cannot create the pair (out of file descriptors).
///
/// ```
/// use tripod::multiprocessing::connection::pipe;
///
/// let (reader, writer) = pipe(false)?;
/// writer.send(&[1, 2, 3])?;
/// assert_eq!(reader.recv::<[i32; 3]>()?, [1, 2, 3]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pipe(duplex: bool) -> io::Result<(Connection, Connection)> {
    if duplex {
        let (a, b) = UnixStream::pair()?;
        enlarge_socket_buffers(&a);
        enlarge_socket_buffers(&b);
        Ok((
            Connection::new(Stream::Unix(a)),
            Connection::new(Stream::Unix(b)),
        ))
    } else {
        let (reader, writer) = io::pipe()?;
        let _ = rustix::pipe::fcntl_setpipe_size(&writer, PIPE_BUFFER_SIZE);
        Ok((
            Connection::new(Stream::PipeReader(reader)),
            Connection::new(Stream::PipeWriter(writer)),
        ))
    }
}

/// Python's `Pipe(duplex)`: [`pipe`] under Python's name, so ported code reads the same.
///
/// The name breaks Rust's naming convention on purpose (hence
/// `#[allow(non_snake_case)]`): it is the name Python programmers look for.
///
/// # Panics
///
/// If the operating system cannot create the pair (out of file descriptors); use [`pipe`]
/// to get the error instead.
///
/// ```
/// use tripod::multiprocessing::connection::Pipe;
///
/// let (parent_conn, child_conn) = Pipe(true);
/// child_conn.send(&(42, None::<i32>, "hello")).unwrap();
/// let got: (i32, Option<i32>, String) = parent_conn.recv().unwrap();
/// assert_eq!(got.0, 42);
/// ```
#[allow(non_snake_case)]
pub fn Pipe(duplex: bool) -> (Connection, Connection) {
    match pipe(duplex) {
        Ok(pair) => pair,
        Err(err) => panic!("cannot create a pipe: {err}"),
    }
}
