//! The conversation between a parent and its child over their control socket.
//!
//! 1. parent -> child: the descriptors that travel with the arguments (`SCM_RIGHTS`,
//!    see `sys::send_with_fds`), possibly none;
//! 2. parent -> child: one frame with the [`Header`];
//! 3. parent -> child: one frame with the encoded arguments tuple;
//! 4. child -> parent: one frame with the [`Outcome`]: a tag byte, then the encoded result,
//!    the panic message, or a failure kind and message.
//!
//! The child reads everything the parent sends before it writes, and the parent reads the
//! outcome only after writing everything, so payloads of any size stream through the
//! socket without deadlock. Frames are `wire`'s: an 8-byte little-endian length, then the
//! bytes.

use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};

use crate::wire::{self, WireError};

/// Bumped when the conversation changes; a child of another version reports an error.
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// What the child needs to know about itself before it runs the task.
#[derive(Serialize, Deserialize, Debug)]
pub(crate) struct Header {
    pub version: u32,
    pub task: String,
    pub name: String,
    pub daemon: bool,
    pub parent_pid: u32,
    pub parent_name: String,
}

/// Why a child could not run its task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[doc(hidden)]
pub enum FailKind {
    /// The task name is not registered in the child (another binary, another version).
    UnknownTask = 1,
    /// The arguments could not be decoded.
    DecodeArgs = 2,
    /// The result could not be encoded.
    EncodeResult = 3,
    /// The parent broke the protocol (bad header, other version).
    Protocol = 4,
}

impl FailKind {
    fn from_byte(b: u8) -> Option<FailKind> {
        Some(match b {
            1 => FailKind::UnknownTask,
            2 => FailKind::DecodeArgs,
            3 => FailKind::EncodeResult,
            4 => FailKind::Protocol,
            _ => return None,
        })
    }
}

/// How a task call ended, as the child reports it.
#[doc(hidden)]
#[derive(Debug)]
pub enum Outcome {
    /// The encoded return value.
    Ok(Vec<u8>),
    /// The task panicked with this message.
    Panicked(String),
    /// The task could not run, or its result could not be encoded.
    Failed(FailKind, String),
}

const TAG_OK: u8 = 0;
const TAG_PANICKED: u8 = 1;
const TAG_FAILED: u8 = 2;

/// The outcome as the parent receives it: the whole frame, the tag at index 0.
pub(crate) struct RawOutcome(Vec<u8>);

impl RawOutcome {
    /// Splits into the outcome; an `Ok` keeps the frame and gives the result's bytes as
    /// the range after the tag, to decode without copying.
    pub(crate) fn parse(&self) -> Result<ParsedOutcome<'_>, WireError> {
        let Some((&tag, rest)) = self.0.split_first() else {
            return Err(WireError::decode("empty outcome frame"));
        };
        match tag {
            TAG_OK => Ok(ParsedOutcome::Ok(rest)),
            TAG_PANICKED => Ok(ParsedOutcome::Panicked(
                String::from_utf8_lossy(rest).into_owned(),
            )),
            TAG_FAILED => {
                let Some((&kind, message)) = rest.split_first() else {
                    return Err(WireError::decode("empty failure"));
                };
                let kind = FailKind::from_byte(kind)
                    .ok_or_else(|| WireError::decode(format!("unknown failure kind {kind}")))?;
                Ok(ParsedOutcome::Failed(
                    kind,
                    String::from_utf8_lossy(message).into_owned(),
                ))
            }
            other => Err(WireError::decode(format!("unknown outcome tag {other}"))),
        }
    }
}

pub(crate) enum ParsedOutcome<'a> {
    Ok(&'a [u8]),
    Panicked(String),
    Failed(FailKind, String),
}

/// Writes the child's outcome as one frame, without copying a large result.
pub(crate) fn write_outcome(out: &mut impl Write, outcome: &Outcome) -> io::Result<()> {
    let (head, body): (Vec<u8>, &[u8]) = match outcome {
        Outcome::Ok(bytes) => (vec![TAG_OK], bytes),
        Outcome::Panicked(message) => (vec![TAG_PANICKED], message.as_bytes()),
        Outcome::Failed(kind, message) => (vec![TAG_FAILED, *kind as u8], message.as_bytes()),
    };
    let mut first = wire::frame_header(head.len() + body.len()).to_vec();
    first.extend_from_slice(&head);
    // A small outcome goes in one write (one wake-up of the reader); a large one is not
    // copied.
    if body.len() <= 16 << 10 {
        first.extend_from_slice(body);
        out.write_all(&first)?;
    } else {
        out.write_all(&first)?;
        out.write_all(body)?;
    }
    out.flush()
}

/// Reads the child's outcome frame.
pub(crate) fn read_outcome(input: &mut impl Read) -> Result<RawOutcome, WireError> {
    wire::read_frame(input, wire::DEFAULT_MAX_FRAME).map(RawOutcome)
}

/// A `Write` over a socket that never raises SIGPIPE: a closed peer is an `EPIPE` error.
pub(crate) struct NoSigPipe<'a>(pub &'a std::os::unix::net::UnixStream);

impl Write for NoSigPipe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        loop {
            match rustix::net::send(self.0, buf, rustix::net::SendFlags::NOSIGNAL) {
                Err(rustix::io::Errno::INTR) => {}
                other => return other.map_err(io::Error::from),
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
