//! [`Stream`]: the byte stream under a connection, and its system calls.
//!
//! Sockets are written with `sendmsg(MSG_NOSIGNAL)`, so a peer that went away is an `EPIPE`
//! error even in a program that restored `SIGPIPE`'s default action. Pipes cannot take that
//! flag: a one-way pipe's writer relies on `SIGPIPE` being ignored, which Rust's runtime
//! sets up before `main` (a program that sets it back to the default dies of `SIGPIPE`
//! when it writes to a pipe whose reader is gone, as any Rust program writing to a pipe).

use std::io::{self, IoSlice, PipeReader, PipeWriter, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Instant;

use rustix::event::{PollFd, PollFlags, Timespec};
use rustix::io::Errno;
use rustix::net::{RecvFlags, SendAncillaryBuffer, SendFlags};

use crate::wire;

/// The byte stream under a connection.
pub(crate) enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
    PipeReader(PipeReader),
    PipeWriter(PipeWriter),
}

/// Whether a read may block.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadMode {
    /// Block until something arrives.
    Block,
    /// Return `WouldBlock` at once if nothing is there.
    NonBlocking,
    /// Block until the whole buffer is filled (or the stream ends).
    WaitAll,
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

    pub(crate) fn readable(&self) -> bool {
        !matches!(self, Stream::PipeWriter(_))
    }

    pub(crate) fn writable(&self) -> bool {
        !matches!(self, Stream::PipeReader(_))
    }

    /// Whether this is a socket (which can read without blocking on its own, per call).
    pub(crate) fn is_socket(&self) -> bool {
        matches!(self, Stream::Unix(_) | Stream::Tcp(_))
    }

    /// A code for the exported form of a connection: which kind of stream a descriptor is.
    pub(crate) fn code(&self) -> u8 {
        match self {
            Stream::Unix(_) => 0,
            Stream::Tcp(_) => 1,
            Stream::PipeReader(_) => 2,
            Stream::PipeWriter(_) => 3,
        }
    }

    pub(crate) fn from_code(code: u8, fd: OwnedFd) -> Option<Stream> {
        Some(match code {
            0 => Stream::Unix(fd.into()),
            1 => Stream::Tcp(fd.into()),
            2 => Stream::PipeReader(fd.into()),
            3 => Stream::PipeWriter(fd.into()),
            _ => return None,
        })
    }

    /// Reads into the spare capacity of `buf` (appending, without zero-filling first); the
    /// number of bytes read, 0 at the end of the stream. `ReadMode::NonBlocking` must only be used
    /// on sockets (a pipe's read would block). Retries after `EINTR`.
    pub(crate) fn read_into(&self, buf: &mut Vec<u8>, wait: ReadMode) -> io::Result<usize> {
        debug_assert!(buf.capacity() > buf.len());
        let flags = match wait {
            ReadMode::Block => RecvFlags::empty(),
            ReadMode::NonBlocking => RecvFlags::DONTWAIT,
            ReadMode::WaitAll => RecvFlags::WAITALL,
        };
        let before = buf.len();
        loop {
            let spare = rustix::buffer::spare_capacity(&mut *buf);
            let result = match self {
                Stream::Unix(_) | Stream::Tcp(_) => {
                    rustix::net::recv(self.fd(), spare, flags).map(|(n, _)| n)
                }
                Stream::PipeReader(p) => {
                    debug_assert!(
                        wait != ReadMode::NonBlocking,
                        "a pipe cannot read without waiting"
                    );
                    rustix::io::read(p, spare)
                }
                Stream::PipeWriter(_) => unreachable!("checked by the caller"),
            };
            match result {
                Ok(_) => return Ok(buf.len() - before),
                Err(Errno::INTR) if buf.len() == before => continue,
                // MSG_WAITALL interrupted after some bytes: report those.
                Err(Errno::INTR) => return Ok(buf.len() - before),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Writes one frame: the length header and `payload` in one gathering call (no copy of
    /// the payload), continuing after short writes. With a deadline, waits for room at
    /// most until then (`TimedOut`).
    pub(crate) fn write_frame(&self, payload: &[u8], deadline: Option<Instant>) -> io::Result<()> {
        let header = wire::frame_header(payload.len());
        let mut slices = [IoSlice::new(&header), IoSlice::new(payload)];
        let mut bufs = &mut slices[..];
        while !bufs.is_empty() {
            if deadline.is_some() && !wait_ready(self.fd(), PollFlags::OUT, deadline)? {
                return Err(io::ErrorKind::TimedOut.into());
            }
            let written = match self {
                Stream::Unix(_) | Stream::Tcp(_) => {
                    let mut flags = SendFlags::NOSIGNAL;
                    if deadline.is_some() {
                        flags |= SendFlags::DONTWAIT;
                    }
                    let mut control = SendAncillaryBuffer::default();
                    rustix::net::sendmsg(self.fd(), bufs, &mut control, flags)
                        .map_err(io::Error::from)
                }
                Stream::PipeWriter(p) => (&*p).write_vectored(bufs),
                Stream::PipeReader(_) => unreachable!("checked by the caller"),
            };
            match written {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut bufs, n),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::WouldBlock
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Stops both directions of a socket, so that a peer blocked on it wakes up with an
    /// error instead of waiting for a reader that will never read again.
    pub(crate) fn shut_down(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::PipeReader(_) | Stream::PipeWriter(_) => Ok(()),
        };
    }
}

/// Waits until `fd` is ready for `events` (or hung up, or in error), at most until
/// `deadline` (`None`: as long as it takes); `false` if the deadline passed first.
pub(crate) fn wait_ready(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    deadline: Option<Instant>,
) -> io::Result<bool> {
    loop {
        let timeout = deadline.map(|deadline| {
            Timespec::try_from(deadline.saturating_duration_since(Instant::now())).unwrap_or(
                Timespec {
                    tv_sec: i64::MAX,
                    tv_nsec: 0,
                },
            )
        });
        let mut fds = [PollFd::new(&fd, events)];
        match rustix::event::poll(&mut fds, timeout.as_ref()) {
            Ok(_) => return Ok(!fds[0].revents().is_empty()),
            Err(Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}
