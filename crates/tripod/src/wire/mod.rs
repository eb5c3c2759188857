//! `wire`: the one serialization codec of tripod, its framing and size limits.
//!
//! Everything that crosses a process boundary (a task's arguments and result, a message on
//! a connection between processes) is encoded here and nowhere else:
//!
//! - `encode` / `decode`: serde values to bytes and back, with postcard (compact,
//!   stable, well kept) behind a one-byte format version, so a peer speaking another version
//!   is a clear error instead of garbage.
//! - `frame_header` / `read_frame`: a frame is an 8-byte little-endian length followed by
//!   that many bytes; the reader refuses a frame longer than its limit before allocating.
//! - `fds`: file descriptors (pipes, sockets, shared memory) that travel beside the bytes
//!   when a value is sent to a child process.
//!
//! Errors are one opaque [`WireError`] with a [`WireErrorKind`].
#![forbid(unsafe_code)]

mod codec;
mod error;
pub(crate) mod fds;
mod frame;

pub(crate) use codec::{
    FORMAT_VERSION, begin_raw, check_version, clear_custom_error, decode, encode, encode_into,
    encode_raw_into, note_custom_error, take_raw,
};
pub use error::{WireError, WireErrorKind};
pub(crate) use frame::{DEFAULT_MAX_FRAME, HEADER_LEN, frame_header, frame_len, read_frame};
