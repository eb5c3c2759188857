//! [`Connection`]: one end of a message stream between threads or processes.

use std::fmt;
use std::io::{PipeReader, PipeWriter};
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustix::event::{PollFd, PollFlags, Timespec};
use serde::de::{DeserializeOwned, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::error::{ConnectionError, ConnectionErrorKind};
use crate::wire;

/// The byte stream under a connection.
pub(crate) enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
    PipeReader(PipeReader),
    PipeWriter(PipeWriter),
}

impl Stream {
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Unix(s) => s.as_fd(),
            Stream::Tcp(s) => s.as_fd(),
            Stream::PipeReader(p) => p.as_fd(),
            Stream::PipeWriter(p) => p.as_fd(),
        }
    }

    fn readable(&self) -> bool {
        !matches!(self, Stream::PipeWriter(_))
    }

    fn writable(&self) -> bool {
        !matches!(self, Stream::PipeReader(_))
    }

    /// A code for [`Exported`]: which kind of stream a descriptor is.
    fn code(&self) -> u8 {
        match self {
            Stream::Unix(_) => 0,
            Stream::Tcp(_) => 1,
            Stream::PipeReader(_) => 2,
            Stream::PipeWriter(_) => 3,
        }
    }

    fn from_code(code: u8, fd: OwnedFd) -> Option<Stream> {
        Some(match code {
            0 => Stream::Unix(fd.into()),
            1 => Stream::Tcp(fd.into()),
            2 => Stream::PipeReader(fd.into()),
            3 => Stream::PipeWriter(fd.into()),
            _ => return None,
        })
    }

    /// Reads one frame of at most `max` bytes, straight into a `Vec` of the announced size.
    fn read_frame(&self, max: usize) -> Result<Vec<u8>, ConnectionError> {
        let frame = match self {
            Stream::Unix(s) => wire::read_frame(&mut &*s, max),
            Stream::Tcp(s) => wire::read_frame(&mut &*s, max),
            Stream::PipeReader(p) => wire::read_frame(&mut &*p, max),
            Stream::PipeWriter(_) => unreachable!("checked by the caller"),
        };
        Ok(frame?)
    }

    /// Writes one frame: header and payload in one `writev`.
    fn write_frame(&self, payload: &[u8]) -> Result<(), ConnectionError> {
        match self {
            Stream::Unix(s) => wire::write_frame(&mut &*s, payload),
            Stream::Tcp(s) => wire::write_frame(&mut &*s, payload),
            Stream::PipeWriter(p) => wire::write_frame(&mut &*p, payload),
            Stream::PipeReader(_) => unreachable!("checked by the caller"),
        }?;
        Ok(())
    }

    /// Stops both directions of a socket, so that a peer blocked on it wakes up with an
    /// error instead of waiting for a reader that will never read again.
    fn shut_down(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::PipeReader(_) | Stream::PipeWriter(_) => Ok(()),
        };
    }
}

/// How long a receive keeps checking for data before it sleeps, at most and at least
/// (it adapts in between: doubling while data keeps arriving during the spin, halving
/// while it does not).
const SPIN_MAX_NS: u32 = 50_000;
const SPIN_MIN_NS: u32 = 2_000;

fn spinning_helps() -> bool {
    static MULTI_CORE: OnceLock<bool> = OnceLock::new();
    *MULTI_CORE.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// One end of a connection: Python's `multiprocessing.connection.Connection`.
///
/// Messages are typed values ([`send`](Self::send) / [`recv`](Self::recv), encoded with
/// tripod's one wire codec) or raw bytes ([`send_bytes`](Self::send_bytes) /
/// [`recv_bytes`](Self::recv_bytes)); each message is one frame (an 8-byte length, then
/// the bytes). Get a pair from [`Pipe`](super::Pipe) / [`pipe`](super::pipe), or one end
/// from [`Listener::accept`](super::Listener::accept) and
/// [`Client::connect`](super::Client::connect).
///
/// - A receive whose peer is gone (closed, dropped, or its process died) returns an error of
///   kind [`Eof`](ConnectionErrorKind::Eof) (or [`Truncated`](ConnectionErrorKind::Truncated)
///   if it went away in the middle of a message) instead of blocking.
/// - A message larger than [`max_message_size`](Self::max_message_size) is refused before
///   anything is allocated ([`TooLarge`](ConnectionErrorKind::TooLarge)); since the rest of
///   that message is still in the stream, the connection is then
///   [`Broken`](ConnectionErrorKind::Broken) and later calls fail.
/// - A `Connection` is `Send + Sync`: one thread may send while another receives; two
///   senders (or two receivers) take turns, a message at a time.
/// - A `Connection` can be an argument of a child process: it travels as a file
///   descriptor beside the encoded arguments. Sending it anywhere else (for example over
///   another connection) is an [`Encode`](ConnectionErrorKind::Encode) error.
/// - Dropping it closes this end.
///
/// ```
/// use tripod::multiprocessing::connection::Pipe;
///
/// let (parent, child) = Pipe(true);
/// let worker = std::thread::spawn(move || {
///     let n: u64 = child.recv().unwrap();
///     child.send(&(n * 2)).unwrap();
/// });
/// parent.send(&21u64).unwrap();
/// assert_eq!(parent.recv::<u64>().unwrap(), 42);
/// worker.join().unwrap();
/// ```
pub struct Connection {
    stream: Option<Stream>,
    max_message_size: usize,
    send_lock: Mutex<()>,
    recv_lock: Mutex<()>,
    broken: AtomicBool,
    spin_ns: AtomicU32,
}

impl Connection {
    pub(crate) fn new(stream: Stream) -> Connection {
        Connection {
            stream: Some(stream),
            max_message_size: wire::DEFAULT_MAX_FRAME,
            send_lock: Mutex::new(()),
            recv_lock: Mutex::new(()),
            broken: AtomicBool::new(false),
            spin_ns: AtomicU32::new(SPIN_MAX_NS),
        }
    }

    /// Sends a value: encodes it with tripod's wire codec and writes it as one message.
    ///
    /// The receiver names the type; it must have the same shape as the value sent. Note
    /// that an array `[T; N]` is encoded like a tuple: receive it as `[T; N]`, or send a
    /// `Vec` or a slice (`&v[..]`) to receive a `Vec<T>`.
    ///
    /// # Errors
    ///
    /// [`Encode`](ConnectionErrorKind::Encode) if the value cannot be encoded (nothing is
    /// written); [`NotWritable`](ConnectionErrorKind::NotWritable) on the receiving end of a
    /// one-way pipe; [`Closed`](ConnectionErrorKind::Closed) after [`close`](Self::close);
    /// [`Eof`](ConnectionErrorKind::Eof) if the peer is gone; otherwise as
    /// [`send_bytes`](Self::send_bytes).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, b) = Pipe(true);
    /// a.send(&(42, None::<i32>, "hello")).unwrap();
    /// let got: (i32, Option<i32>, String) = b.recv().unwrap();
    /// assert_eq!(got, (42, None, "hello".to_owned()));
    /// ```
    pub fn send<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), ConnectionError> {
        self.writer()?;
        let bytes = wire::encode(value)?;
        self.send_bytes(&bytes)
    }

    /// Receives a value sent with [`send`](Self::send), blocking until one arrives.
    ///
    /// # Errors
    ///
    /// [`Decode`](ConnectionErrorKind::Decode) if the message is not a `T` (the message is
    /// consumed; the connection stays usable); otherwise as
    /// [`recv_bytes`](Self::recv_bytes).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
    ///
    /// let (a, b) = Pipe(true);
    /// a.send(&vec!["hello", "world"]).unwrap();
    /// assert_eq!(b.recv::<Vec<String>>().unwrap(), ["hello", "world"]);
    /// drop(a);
    /// assert_eq!(b.recv::<String>().unwrap_err().kind(), ConnectionErrorKind::Eof);
    /// ```
    pub fn recv<T: DeserializeOwned>(&self) -> Result<T, ConnectionError> {
        let bytes = self.recv_bytes()?;
        Ok(wire::decode(&bytes)?)
    }

    /// Sends `bytes` as one message (Python's `send_bytes`; for its `offset` and `size`,
    /// pass a sub-slice).
    ///
    /// The length header and the bytes go out in one `writev`, without copying. A large
    /// message blocks until the peer has read enough of it.
    ///
    /// # Errors
    ///
    /// [`Eof`](ConnectionErrorKind::Eof) if the peer is gone;
    /// [`NotWritable`](ConnectionErrorKind::NotWritable),
    /// [`Closed`](ConnectionErrorKind::Closed), [`Broken`](ConnectionErrorKind::Broken), or
    /// [`Io`](ConnectionErrorKind::Io).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, b) = Pipe(true);
    /// let data = b"abcdef";
    /// a.send_bytes(&data[1..4]).unwrap();
    /// a.send_bytes(b"").unwrap();
    /// assert_eq!(b.recv_bytes().unwrap(), b"bcd");
    /// assert!(b.recv_bytes().unwrap().is_empty());
    /// ```
    pub fn send_bytes(&self, bytes: &[u8]) -> Result<(), ConnectionError> {
        let stream = self.writer()?;
        let _turn = self.send_lock.lock();
        self.check_broken()?;
        stream
            .write_frame(bytes)
            .inspect_err(|e| self.break_on(stream, e))
    }

    /// Receives one message as bytes, blocking until it has arrived whole.
    ///
    /// # Errors
    ///
    /// [`Eof`](ConnectionErrorKind::Eof) when the peer closed its end (or died) and
    /// everything it sent has been received; [`Truncated`](ConnectionErrorKind::Truncated)
    /// when it went away in the middle of a message;
    /// [`TooLarge`](ConnectionErrorKind::TooLarge) for a message over
    /// [`max_message_size`](Self::max_message_size);
    /// [`NotReadable`](ConnectionErrorKind::NotReadable),
    /// [`Closed`](ConnectionErrorKind::Closed), [`Broken`](ConnectionErrorKind::Broken), or
    /// [`Io`](ConnectionErrorKind::Io).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (reader, writer) = Pipe(false);
    /// writer.send_bytes(&[1, 2, 3]).unwrap();
    /// assert_eq!(reader.recv_bytes().unwrap(), [1, 2, 3]);
    /// ```
    pub fn recv_bytes(&self) -> Result<Vec<u8>, ConnectionError> {
        self.recv_bytes_limited(self.max_message_size)
    }

    /// [`recv_bytes`](Self::recv_bytes) with another size limit (the handshake uses a small
    /// one).
    pub(crate) fn recv_bytes_limited(&self, max: usize) -> Result<Vec<u8>, ConnectionError> {
        let stream = self.reader()?;
        let _turn = self.recv_lock.lock();
        self.check_broken()?;
        self.spin_until_readable(stream.fd());
        stream
            .read_frame(max)
            .inspect_err(|e| self.break_on(stream, e))
    }

    /// Whether a message (or the end of the stream) can be received without blocking,
    /// waiting up to `timeout` for one: Python's `poll(timeout)`.
    ///
    /// `Some(Duration::ZERO)` checks and returns at once (Python's `poll()`), `None` waits
    /// as long as it takes (Python's `poll(None)`). `true` also when the peer has closed:
    /// the next receive then returns [`Eof`](ConnectionErrorKind::Eof) at once.
    ///
    /// # Errors
    ///
    /// [`NotReadable`](ConnectionErrorKind::NotReadable),
    /// [`Closed`](ConnectionErrorKind::Closed), [`Broken`](ConnectionErrorKind::Broken), or
    /// [`Io`](ConnectionErrorKind::Io).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, b) = Pipe(true);
    /// assert!(!b.poll(Some(Duration::from_millis(1))).unwrap());
    /// a.send(&1u8).unwrap();
    /// assert!(b.poll(None).unwrap());
    /// ```
    pub fn poll(&self, timeout: Option<Duration>) -> Result<bool, ConnectionError> {
        let stream = self.reader()?;
        self.check_broken()?;
        let deadline = timeout.map(|t| Instant::now().checked_add(t));
        let fd = stream.fd();
        loop {
            let wait = match deadline {
                None | Some(None) => None,
                Some(Some(deadline)) => Some(
                    Timespec::try_from(deadline.saturating_duration_since(Instant::now()))
                        .unwrap_or(Timespec {
                            tv_sec: i64::MAX,
                            tv_nsec: 0,
                        }),
                ),
            };
            match poll_fd(fd, wait.as_ref()) {
                Ok(ready) => return Ok(ready),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(ConnectionError::io(e.into())),
            }
        }
    }

    /// Closes this end (Python's `close()`); dropping the connection does the same. The
    /// peer's receives then return [`Eof`](ConnectionErrorKind::Eof) once they have
    /// received everything sent before. Closing twice is harmless.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
    ///
    /// let (mut a, b) = Pipe(true);
    /// a.send(&"bye").unwrap();
    /// a.close();
    /// assert!(a.closed());
    /// assert_eq!(a.send(&1).unwrap_err().kind(), ConnectionErrorKind::Closed);
    /// assert_eq!(b.recv::<String>().unwrap(), "bye");
    /// assert_eq!(b.recv::<String>().unwrap_err().kind(), ConnectionErrorKind::Eof);
    /// ```
    pub fn close(&mut self) {
        self.stream = None;
    }

    /// Whether [`close`](Self::close) was called (Python's `closed`).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (mut a, _b) = Pipe(true);
    /// assert!(!a.closed());
    /// a.close();
    /// assert!(a.closed());
    /// ```
    pub fn closed(&self) -> bool {
        self.stream.is_none()
    }

    /// Whether this end can receive (Python's `readable`): false only for the sending end
    /// of a one-way pipe.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (reader, writer) = Pipe(false);
    /// assert!(reader.readable() && !reader.writable());
    /// assert!(writer.writable() && !writer.readable());
    /// ```
    pub fn readable(&self) -> bool {
        self.stream.as_ref().is_none_or(Stream::readable)
    }

    /// Whether this end can send (Python's `writable`): false only for the receiving end
    /// of a one-way pipe.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, _b) = Pipe(true);
    /// assert!(a.writable());
    /// ```
    pub fn writable(&self) -> bool {
        self.stream.as_ref().is_none_or(Stream::writable)
    }

    /// The file descriptor of this end (Python's `fileno()`), for use with `poll`-style
    /// APIs; it stays owned by the connection.
    ///
    /// # Errors
    ///
    /// [`Closed`](ConnectionErrorKind::Closed) after [`close`](Self::close).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, b) = Pipe(true);
    /// assert_ne!(a.fileno().unwrap(), b.fileno().unwrap());
    /// ```
    pub fn fileno(&self) -> Result<RawFd, ConnectionError> {
        Ok(self.stream()?.fd().as_raw_fd())
    }

    /// The largest message this end accepts, in bytes (default 1 GiB).
    ///
    /// ```
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (mut a, _b) = Pipe(true);
    /// a.set_max_message_size(1 << 20);
    /// assert_eq!(a.max_message_size(), 1 << 20);
    /// ```
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Sets the largest message this end accepts. A longer message is refused with
    /// [`TooLarge`](ConnectionErrorKind::TooLarge) before anything is allocated, and breaks
    /// the connection.
    ///
    /// ```
    /// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
    ///
    /// let (a, mut b) = Pipe(true);
    /// b.set_max_message_size(4);
    /// a.send_bytes(b"12345").unwrap();
    /// assert_eq!(b.recv_bytes().unwrap_err().kind(), ConnectionErrorKind::TooLarge);
    /// assert_eq!(b.recv_bytes().unwrap_err().kind(), ConnectionErrorKind::Broken);
    /// ```
    pub fn set_max_message_size(&mut self, max: usize) {
        self.max_message_size = max;
    }

    pub(crate) fn with_max_message_size(mut self, max: usize) -> Connection {
        self.max_message_size = max;
        self
    }

    pub(crate) fn stream(&self) -> Result<&Stream, ConnectionError> {
        self.stream
            .as_ref()
            .ok_or_else(|| ConnectionError::new(ConnectionErrorKind::Closed, "this end was closed"))
    }

    fn reader(&self) -> Result<&Stream, ConnectionError> {
        let stream = self.stream()?;
        if !stream.readable() {
            return Err(ConnectionError::new(
                ConnectionErrorKind::NotReadable,
                "this is the sending end of a one-way pipe",
            ));
        }
        Ok(stream)
    }

    fn writer(&self) -> Result<&Stream, ConnectionError> {
        let stream = self.stream()?;
        if !stream.writable() {
            return Err(ConnectionError::new(
                ConnectionErrorKind::NotWritable,
                "this is the receiving end of a one-way pipe",
            ));
        }
        Ok(stream)
    }

    fn check_broken(&self) -> Result<(), ConnectionError> {
        if self.broken.load(Ordering::Acquire) {
            return Err(ConnectionError::new(
                ConnectionErrorKind::Broken,
                "an earlier error left the stream out of step",
            ));
        }
        Ok(())
    }

    /// Marks the connection broken after an error that leaves the stream out of step, and
    /// shuts a socket down so that the peer does not wait on it forever.
    fn break_on(&self, stream: &Stream, err: &ConnectionError) {
        if err.breaks_stream() {
            self.broken.store(true, Ordering::Release);
            stream.shut_down();
        }
    }

    /// Before a blocking read, checks for a few microseconds whether data is there
    /// (`poll` with a zero timeout, then `sched_yield`): a peer answering quickly is then
    /// received without the cost of sleeping and being woken up, which dominates a round
    /// trip (about 6-10 us with the spin against 12-45 us without, between two processes).
    fn spin_until_readable(&self, fd: BorrowedFd<'_>) {
        if !spinning_helps() {
            return;
        }
        let budget = self.spin_ns.load(Ordering::Relaxed);
        let start = Instant::now();
        let zero = Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        loop {
            if poll_fd(fd, Some(&zero)).unwrap_or(true) {
                let faster = budget.saturating_mul(2).min(SPIN_MAX_NS);
                self.spin_ns.store(faster, Ordering::Relaxed);
                return;
            }
            if start.elapsed() >= Duration::from_nanos(budget.into()) {
                self.spin_ns
                    .store((budget / 2).max(SPIN_MIN_NS), Ordering::Relaxed);
                return;
            }
            // Yielding rather than busy-looping lets the peer run if it shares this core
            // (measured: on a loaded 2-core machine a pure spin was 2-3x slower).
            std::thread::yield_now();
        }
    }
}

/// Polls one descriptor for input (or hang-up, or error): `true` when a read would not block.
fn poll_fd(fd: BorrowedFd<'_>, timeout: Option<&Timespec>) -> rustix::io::Result<bool> {
    let mut fds = [PollFd::new(&fd, PollFlags::IN)];
    rustix::event::poll(&mut fds, timeout)?;
    Ok(!fds[0].revents().is_empty())
}

impl AsFd for Connection {
    /// The descriptor of this end.
    ///
    /// # Panics
    ///
    /// If the connection was closed; use [`Connection::fileno`] to get an error instead.
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self.stream() {
            Ok(stream) => stream.fd(),
            Err(err) => panic!("{err}"),
        }
    }
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Connection");
        match &self.stream {
            Some(stream) => d
                .field("fd", &stream.fd().as_raw_fd())
                .field("readable", &stream.readable())
                .field("writable", &stream.writable()),
            None => d.field("closed", &true),
        };
        d.field("broken", &self.broken.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// How a connection is encoded when it travels to a child process: the index of its
/// descriptor in the side table ([`wire::fds`]), the kind of stream, its size limit.
#[derive(Serialize, Deserialize)]
struct Exported {
    fd: u32,
    stream: u8,
    max_message_size: u64,
}

impl Serialize for Connection {
    /// Exports the descriptor into the side table of the encoding around it; outside the
    /// encoding of a child process's arguments this is an error.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let fail = |err: ConnectionError| {
            wire::note_custom_error(&err);
            S::Error::custom(err)
        };
        let stream = self.stream().map_err(fail)?;
        self.check_broken().map_err(fail)?;
        let fd = wire::fds::export(stream.fd()).map_err(|e| fail(e.into()))?;
        Exported {
            fd,
            stream: stream.code(),
            max_message_size: self.max_message_size as u64,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Connection {
    /// Takes the descriptor back from the side table of the decoding around it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let exported = Exported::deserialize(deserializer)?;
        let fail = |detail: String| {
            wire::note_custom_error(&detail);
            D::Error::custom(detail)
        };
        let fd = wire::fds::import(exported.fd).map_err(|e| fail(e.to_string()))?;
        let stream = Stream::from_code(exported.stream, fd)
            .ok_or_else(|| fail("unknown kind of connection".to_owned()))?;
        let max = usize::try_from(exported.max_message_size).unwrap_or(usize::MAX);
        Ok(Connection::new(stream).with_max_message_size(max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multiprocessing::connection::pipe;

    #[test]
    fn a_connection_travels_through_the_fd_table() {
        let (a, b) = pipe(true).unwrap();
        let (bytes, fds) = wire::fds::collect(|| wire::encode(&b));
        let bytes = bytes.unwrap();
        assert_eq!(fds.len(), 1);
        drop(b); // the table holds a duplicate
        let b2: Connection = wire::fds::provide(fds, || wire::decode(&bytes)).unwrap();
        a.send(&"over the copy").unwrap();
        assert_eq!(b2.recv::<String>().unwrap(), "over the copy");
        b2.send(&7u8).unwrap();
        assert_eq!(a.recv::<u8>().unwrap(), 7);
    }

    #[test]
    fn one_way_ends_keep_their_direction() {
        let (r, w) = pipe(false).unwrap();
        let (bytes, fds) = wire::fds::collect(|| wire::encode(&(r, w)));
        let (r2, w2): (Connection, Connection) =
            wire::fds::provide(fds, || wire::decode(&bytes.unwrap())).unwrap();
        assert!(r2.readable() && !r2.writable());
        w2.send_bytes(b"x").unwrap();
        assert_eq!(r2.recv_bytes().unwrap(), b"x");
    }

    #[test]
    fn outside_a_child_encoding_a_connection_does_not_encode() {
        let (a, b) = pipe(true).unwrap();
        let err = a.send(&b).unwrap_err();
        assert_eq!(err.kind(), ConnectionErrorKind::Encode);
        assert!(err.to_string().contains("OS handle"), "{err}");
        // A handle index without a table does not decode either.
        let bytes = wire::encode(&Exported {
            fd: 0,
            stream: 0,
            max_message_size: 10,
        })
        .unwrap();
        let err = wire::decode::<Connection>(&bytes).unwrap_err();
        assert_eq!(err.kind(), wire::WireErrorKind::Decode);
        assert!(err.to_string().contains("OS handle"), "{err}");
    }
}
