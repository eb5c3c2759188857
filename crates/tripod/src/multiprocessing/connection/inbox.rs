//! [`Inbox`]: a connection's receive buffer, from which whole frames are taken.
//!
//! A receive reads as much as is there (up to [`INBOX_SIZE`]) in one system call and
//! parses frames out of the buffer, so a stream of small messages costs far less than one
//! system call each. A frame too large for the buffer gets its own `Vec` of the announced
//! size: what is buffered is copied in, the rest is read straight into it.
//!
//! Before a read that would block, a receiver checks for a few microseconds whether data
//! arrives (a non-blocking `recv`, then `sched_yield`): a peer answering quickly is then
//! received without the cost of sleeping and being woken up, which dominates a round trip
//! between two processes. The spin adapts between [`SPIN_MIN_NS`] and [`SPIN_MAX_NS`]:
//! doubling while data keeps arriving during it, halving while it does not, so that a
//! receiver that usually waits long hardly spins.

use std::io;
use std::time::{Duration, Instant};

use rustix::event::PollFlags;

use super::error::ConnectionError;
use super::stream::{ReadMode, Stream, wait_ready};
use crate::wire::{self, HEADER_LEN, WireError, WireErrorKind};

/// The receive buffer's size: frames up to this size (with their header) are read through
/// it, larger ones straight into their own `Vec`.
pub(crate) const INBOX_SIZE: usize = 64 << 10;

/// The most reserved at once for a large frame, so that a lying header costs little.
const GROW_STEP: usize = 64 << 20;

/// How long a receive keeps checking for data before it sleeps, at most and at least.
const SPIN_MAX_NS: u32 = 50_000;
const SPIN_MIN_NS: u32 = 2_000;

fn spinning_helps() -> bool {
    static MULTI_CORE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *MULTI_CORE.get_or_init(|| std::thread::available_parallelism().is_ok_and(|n| n.get() > 1))
}

/// Bytes received and not yet handed out.
pub(crate) struct Inbox {
    /// Received bytes; those before `start` were handed out. Allocated on first use.
    buf: Vec<u8>,
    start: usize,
    /// A frame too large for `buf` whose payload is being read: the bytes so far, and the
    /// announced length.
    large: Option<(Vec<u8>, usize)>,
    /// The current spin budget.
    spin_ns: u32,
}

impl Inbox {
    /// An inbox holding `pending` bytes already received (by the process that sent this
    /// connection here).
    pub(crate) fn new(pending: Vec<u8>) -> Inbox {
        Inbox {
            buf: pending,
            start: 0,
            large: None,
            spin_ns: SPIN_MAX_NS,
        }
    }

    /// Whether no received bytes wait here.
    pub(crate) fn is_empty(&self) -> bool {
        self.large.is_none() && self.start == self.buf.len()
    }

    /// The bytes received and not handed out, as they came from the stream.
    pub(crate) fn pending(&self) -> Vec<u8> {
        match &self.large {
            Some((payload, len)) => [&wire::frame_header(*len)[..], payload].concat(),
            None => self.buf[self.start..].to_vec(),
        }
    }

    /// Takes the next frame of at most `max` bytes, reading from `stream` as needed, until
    /// `deadline` (`None`: as long as it takes). A timeout leaves what was read here.
    pub(crate) fn recv_frame(
        &mut self,
        stream: &Stream,
        max: usize,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>, ConnectionError> {
        loop {
            if self.large.is_some() {
                return self.finish_large(stream, deadline);
            }
            let have = self.buf.len() - self.start;
            if have >= HEADER_LEN {
                let header = self.buf[self.start..self.start + HEADER_LEN]
                    .try_into()
                    .expect("a header's worth of bytes");
                let len = wire::frame_len(header, max)?;
                let body = self.start + HEADER_LEN;
                if self.buf.len() - body >= len {
                    let payload = self.buf[body..body + len].to_vec();
                    self.consume(HEADER_LEN + len);
                    return Ok(payload);
                }
                if HEADER_LEN + len > INBOX_SIZE {
                    let mut payload = Vec::with_capacity(len.min(GROW_STEP));
                    payload.extend_from_slice(&self.buf[body..]);
                    self.consume(self.buf.len() - self.start);
                    self.large = Some((payload, len));
                    continue;
                }
            }
            self.make_room();
            if self.read(stream, deadline)? == 0 {
                return Err(if have == 0 {
                    WireError::new(WireErrorKind::Eof, "").into()
                } else {
                    truncated(have, None)
                });
            }
        }
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
    }

    /// Moves the unread bytes to the front, and allocates the buffer on first use.
    fn make_room(&mut self) {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        if self.buf.capacity() < INBOX_SIZE {
            self.buf.reserve_exact(INBOX_SIZE - self.buf.len());
        }
    }

    /// Reads what is there (at least one byte, waiting for it) into the buffer: the number
    /// of bytes read, 0 at the end of the stream.
    fn read(
        &mut self,
        stream: &Stream,
        deadline: Option<Instant>,
    ) -> Result<usize, ConnectionError> {
        let io = io_error;
        if stream.is_socket() {
            // The first try costs what a blocking read would when the data is there.
            match stream.read_into(&mut self.buf, ReadMode::NonBlocking) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => return other.map_err(io),
            }
        }
        if spinning_helps()
            && deadline.is_none_or(|d| Instant::now() < d)
            && let Some(n) = self.spin(stream).map_err(io)?
        {
            return Ok(n);
        }
        read_waiting(stream, &mut self.buf, deadline).map_err(io)
    }

    /// Checks for data for up to the spin budget, yielding in between: the bytes read if
    /// some came, `None` if the budget ran out.
    fn spin(&mut self, stream: &Stream) -> io::Result<Option<usize>> {
        let budget = self.spin_ns;
        let start = Instant::now();
        loop {
            // Yielding rather than busy-looping lets the peer run if it shares this core
            // (measured: on a loaded 2-core machine a pure spin was 2-3x slower).
            std::thread::yield_now();
            let got = if stream.is_socket() {
                match stream.read_into(&mut self.buf, ReadMode::NonBlocking) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
                    other => Some(other?),
                }
            } else if wait_ready(stream.fd(), PollFlags::IN, Some(start))? {
                Some(stream.read_into(&mut self.buf, ReadMode::Block)?)
            } else {
                None
            };
            if let Some(n) = got {
                self.spin_ns = budget.saturating_mul(2).min(SPIN_MAX_NS);
                return Ok(Some(n));
            }
            if start.elapsed() >= Duration::from_nanos(budget.into()) {
                self.spin_ns = (budget / 2).max(SPIN_MIN_NS);
                return Ok(None);
            }
        }
    }

    /// Reads the rest of a large frame's payload straight into its `Vec`.
    fn finish_large(
        &mut self,
        stream: &Stream,
        deadline: Option<Instant>,
    ) -> Result<Vec<u8>, ConnectionError> {
        let (payload, len) = self.large.as_mut().expect("checked by the caller");
        let len = *len;
        while payload.len() < len {
            if payload.capacity() == payload.len() {
                payload.reserve_exact((len - payload.len()).min(GROW_STEP));
            }
            let n = match deadline {
                // One call that returns when the frame is complete.
                None if stream.is_socket() => stream.read_into(payload, ReadMode::WaitAll),
                _ => read_waiting(stream, payload, deadline),
            }
            .map_err(io_error)?;
            if n == 0 {
                return Err(truncated(payload.len(), Some(len)));
            }
        }
        let (mut payload, _) = self.large.take().expect("checked above");
        if payload.len() > len {
            // The allocator gave more room than asked and the read went past this frame:
            // the excess is the start of the next one.
            self.buf = payload.split_off(len);
            self.start = 0;
        }
        Ok(payload)
    }
}

/// Reads into `buf`, waiting for data until `deadline` (`TimedOut` after it).
fn read_waiting(
    stream: &Stream,
    buf: &mut Vec<u8>,
    deadline: Option<Instant>,
) -> io::Result<usize> {
    if deadline.is_none() {
        return stream.read_into(buf, ReadMode::Block);
    }
    loop {
        if !wait_ready(stream.fd(), PollFlags::IN, deadline)? {
            return Err(io::ErrorKind::TimedOut.into());
        }
        if !stream.is_socket() {
            return stream.read_into(buf, ReadMode::Block);
        }
        match stream.read_into(buf, ReadMode::NonBlocking) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            other => return other,
        }
    }
}

fn io_error(err: io::Error) -> ConnectionError {
    if err.kind() == io::ErrorKind::TimedOut {
        ConnectionError::timeout("no whole message arrived in time")
    } else {
        ConnectionError::io(err)
    }
}

/// The error for a stream that ended `got` bytes into a frame (of `len` payload bytes, if
/// its header was read).
fn truncated(got: usize, len: Option<usize>) -> ConnectionError {
    let detail = match len {
        Some(len) => format!("{got} of {len} bytes"),
        None if got < HEADER_LEN => format!("{got} of {HEADER_LEN} header bytes"),
        None => format!("{} bytes of a message", got - HEADER_LEN),
    };
    WireError::new(WireErrorKind::Truncated, detail).into()
}
