//! [`Connection`]: one end of a message stream between threads or processes.

use std::fmt;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rustix::event::PollFlags;
use serde::de::{DeserializeOwned, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::error::{ConnectionError, ConnectionErrorKind};
use super::inbox::Inbox;
pub(crate) use super::stream::Stream;
use super::stream::wait_ready;
use crate::wire;

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
    /// Received bytes not yet handed out; its lock is also the receivers' turn.
    inbox: Mutex<Inbox>,
    /// Whether the inbox holds bytes (so that `poll` need not take its lock).
    buffered: AtomicBool,
    broken: AtomicBool,
}

impl Connection {
    pub(crate) fn new(stream: Stream) -> Connection {
        Connection::with_pending(stream, Vec::new())
    }

    /// A connection whose first received bytes are `pending`, then what `stream` brings.
    fn with_pending(stream: Stream, pending: Vec<u8>) -> Connection {
        Connection {
            stream: Some(stream),
            max_message_size: wire::DEFAULT_MAX_FRAME,
            send_lock: Mutex::new(()),
            buffered: AtomicBool::new(!pending.is_empty()),
            inbox: Mutex::new(Inbox::new(pending)),
            broken: AtomicBool::new(false),
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
    /// The length header and the bytes go out in one gathering write, without copying. A
    /// large message blocks until the peer has read enough of it.
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
        self.send_frame(bytes, None)
    }

    /// Sends one frame, waiting for room in the stream at most until `deadline`.
    pub(crate) fn send_frame(
        &self,
        bytes: &[u8],
        deadline: Option<Instant>,
    ) -> Result<(), ConnectionError> {
        let stream = self.writer()?;
        let _turn = self.send_lock.lock();
        self.check_broken()?;
        stream.write_frame(bytes, deadline).map_err(|err| {
            let err = if err.kind() == std::io::ErrorKind::TimedOut {
                // Part of the frame may be out: the stream is out of step.
                ConnectionError::new(ConnectionErrorKind::Io, "timed out sending a message")
            } else {
                ConnectionError::io(err)
            };
            self.break_on(stream, &err);
            err
        })
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
        self.recv_frame(self.max_message_size, None)
    }

    /// [`recv`](Self::recv), waiting at most `timeout` for the message.
    ///
    /// # Errors
    ///
    /// [`Timeout`](ConnectionErrorKind::Timeout) if no whole message arrived in time (the
    /// connection stays usable; a message that arrived in part is received whole by a later
    /// call); otherwise as [`recv`](Self::recv).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
    ///
    /// let (a, b) = Pipe(true);
    /// let err = b.recv_timeout::<u32>(Duration::from_millis(5)).unwrap_err();
    /// assert_eq!(err.kind(), ConnectionErrorKind::Timeout);
    /// a.send(&7u32).unwrap();
    /// assert_eq!(b.recv_timeout::<u32>(Duration::from_secs(5)).unwrap(), 7);
    /// ```
    pub fn recv_timeout<T: DeserializeOwned>(
        &self,
        timeout: Duration,
    ) -> Result<T, ConnectionError> {
        self.recv_until(deadline_after(timeout))
    }

    /// [`recv`](Self::recv), waiting for the message until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// As [`recv_timeout`](Self::recv_timeout).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
    ///
    /// let (a, b) = Pipe(true);
    /// a.send(&"hi").unwrap();
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// assert_eq!(b.recv_deadline::<String>(deadline).unwrap(), "hi");
    /// let err = b.recv_deadline::<String>(Instant::now()).unwrap_err();
    /// assert_eq!(err.kind(), ConnectionErrorKind::Timeout);
    /// ```
    pub fn recv_deadline<T: DeserializeOwned>(
        &self,
        deadline: Instant,
    ) -> Result<T, ConnectionError> {
        self.recv_until(Some(deadline))
    }

    fn recv_until<T: DeserializeOwned>(
        &self,
        deadline: Option<Instant>,
    ) -> Result<T, ConnectionError> {
        let bytes = self.recv_frame(self.max_message_size, deadline)?;
        Ok(wire::decode(&bytes)?)
    }

    /// [`recv_bytes`](Self::recv_bytes), waiting at most `timeout` for the message.
    ///
    /// # Errors
    ///
    /// [`Timeout`](ConnectionErrorKind::Timeout) if no whole message arrived in time (the
    /// connection stays usable); otherwise as [`recv_bytes`](Self::recv_bytes).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::connection::{ConnectionErrorKind, Pipe};
    ///
    /// let (reader, writer) = Pipe(false);
    /// let err = reader.recv_bytes_timeout(Duration::ZERO).unwrap_err();
    /// assert_eq!(err.kind(), ConnectionErrorKind::Timeout);
    /// writer.send_bytes(b"late").unwrap();
    /// assert_eq!(reader.recv_bytes_timeout(Duration::from_secs(5)).unwrap(), b"late");
    /// ```
    pub fn recv_bytes_timeout(&self, timeout: Duration) -> Result<Vec<u8>, ConnectionError> {
        self.recv_frame(self.max_message_size, deadline_after(timeout))
    }

    /// [`recv_bytes`](Self::recv_bytes), waiting for the message until `deadline` at the
    /// latest.
    ///
    /// # Errors
    ///
    /// As [`recv_bytes_timeout`](Self::recv_bytes_timeout).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, b) = Pipe(true);
    /// a.send_bytes(b"x").unwrap();
    /// let deadline = Instant::now() + Duration::from_secs(5);
    /// assert_eq!(b.recv_bytes_deadline(deadline).unwrap(), b"x");
    /// ```
    pub fn recv_bytes_deadline(&self, deadline: Instant) -> Result<Vec<u8>, ConnectionError> {
        self.recv_frame(self.max_message_size, Some(deadline))
    }

    /// Receives one frame of at most `max` bytes, waiting until `deadline` (`None`: as long
    /// as it takes). The handshake uses a small `max`.
    pub(crate) fn recv_frame(
        &self,
        max: usize,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>, ConnectionError> {
        let stream = self.reader()?;
        let mut inbox = self.inbox.lock();
        self.check_broken()?;
        let result = inbox.recv_frame(stream, max, deadline);
        self.buffered.store(!inbox.is_empty(), Ordering::Release);
        result.inspect_err(|e| self.break_on(stream, e))
    }

    /// Whether a message (or the end of the stream) can be received without blocking,
    /// waiting up to `timeout` for one: Python's `poll(timeout)`.
    ///
    /// `Some(Duration::ZERO)` checks and returns at once (Python's `poll()`), `None` waits
    /// as long as it takes (Python's `poll(None)`). `true` also when the peer has closed:
    /// the next receive then returns [`Eof`](ConnectionErrorKind::Eof) at once. As in
    /// Python, `true` means some bytes are there: if the peer is in the middle of sending a
    /// message, a receive waits for the rest. See also [`poll_timeout`](Self::poll_timeout)
    /// and [`poll_deadline`](Self::poll_deadline).
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
        self.poll_until(timeout.and_then(deadline_after))
    }

    /// [`poll`](Self::poll) with a time limit: whether a message can be received, waiting
    /// up to `timeout` for one (`Duration::ZERO`: check and return).
    ///
    /// # Errors
    ///
    /// As [`poll`](Self::poll).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, b) = Pipe(true);
    /// assert!(!b.poll_timeout(Duration::ZERO).unwrap());
    /// a.send(&1u8).unwrap();
    /// assert!(b.poll_timeout(Duration::from_secs(5)).unwrap());
    /// ```
    pub fn poll_timeout(&self, timeout: Duration) -> Result<bool, ConnectionError> {
        self.poll_until(deadline_after(timeout))
    }

    /// [`poll`](Self::poll) until a deadline: whether a message can be received, waiting
    /// until `deadline` at the latest.
    ///
    /// # Errors
    ///
    /// As [`poll`](Self::poll).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::connection::Pipe;
    ///
    /// let (a, b) = Pipe(true);
    /// assert!(!b.poll_deadline(Instant::now()).unwrap());
    /// drop(a);
    /// assert!(b.poll_deadline(Instant::now() + Duration::from_secs(5)).unwrap(), "EOF is ready");
    /// ```
    pub fn poll_deadline(&self, deadline: Instant) -> Result<bool, ConnectionError> {
        self.poll_until(Some(deadline))
    }

    /// Whether received bytes wait in this end's buffer (a receive then starts without a
    /// system call, though it may wait for the rest of a message).
    pub(crate) fn has_buffered(&self) -> bool {
        self.buffered.load(Ordering::Acquire)
    }

    fn poll_until(&self, deadline: Option<Instant>) -> Result<bool, ConnectionError> {
        let stream = self.reader()?;
        self.check_broken()?;
        if self.buffered.load(Ordering::Acquire) {
            return Ok(true);
        }
        wait_ready(stream.fd(), PollFlags::IN, deadline).map_err(ConnectionError::io)
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
}

/// The deadline `timeout` from now; `None` if that is too far to represent (as good as
/// never).
fn deadline_after(timeout: Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
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
    /// Bytes this end had received and not handed out yet: they go along.
    pending: Vec<u8>,
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
        let pending = if self.buffered.load(Ordering::Acquire) {
            match self.inbox.try_lock() {
                Some(inbox) => inbox.pending(),
                None => {
                    return Err(fail(ConnectionError::new(
                        ConnectionErrorKind::Encode,
                        "another thread is receiving on this connection",
                    )));
                }
            }
        } else {
            Vec::new()
        };
        let fd = wire::fds::export(stream.fd()).map_err(|e| fail(e.into()))?;
        Exported {
            fd,
            stream: stream.code(),
            max_message_size: self.max_message_size as u64,
            pending,
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
        Ok(Connection::with_pending(stream, exported.pending).with_max_message_size(max))
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
    fn a_connection_takes_its_buffered_messages_along() {
        let (a, b) = pipe(true).unwrap();
        for i in 0..3u8 {
            a.send(&i).unwrap();
        }
        // The first receive buffers the other two.
        assert_eq!(b.recv::<u8>().unwrap(), 0);
        let (bytes, fds) = wire::fds::collect(|| wire::encode(&b));
        drop(b);
        let b2: Connection = wire::fds::provide(fds, || wire::decode(&bytes.unwrap())).unwrap();
        assert!(b2.poll(Some(Duration::ZERO)).unwrap());
        assert_eq!(b2.recv::<u8>().unwrap(), 1);
        assert_eq!(b2.recv::<u8>().unwrap(), 2);
        a.send(&3u8).unwrap();
        assert_eq!(b2.recv::<u8>().unwrap(), 3);
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
            pending: Vec::new(),
        })
        .unwrap();
        let err = wire::decode::<Connection>(&bytes).unwrap_err();
        assert_eq!(err.kind(), wire::WireErrorKind::Decode);
        assert!(err.to_string().contains("OS handle"), "{err}");
    }
}
