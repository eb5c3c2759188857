//! Framing: an 8-byte little-endian length, then the bytes.

use std::io::{self, Read};

use super::error::{WireError, WireErrorKind};

/// Bytes of the length header.
pub(crate) const HEADER_LEN: usize = 8;

/// The default largest frame a reader accepts: 1 GiB (larger values pass through shared
/// memory instead, or with a raised limit).
pub(crate) const DEFAULT_MAX_FRAME: usize = 1 << 30;

/// The length header of a frame of `len` bytes.
pub(crate) fn frame_header(len: usize) -> [u8; HEADER_LEN] {
    (len as u64).to_le_bytes()
}

/// The length a frame header announces; a length over `max` is
/// [`WireErrorKind::TooLarge`].
pub(crate) fn frame_len(header: [u8; HEADER_LEN], max: usize) -> Result<usize, WireError> {
    let len = u64::from_le_bytes(header);
    if len > max as u64 {
        return Err(WireError::new(
            WireErrorKind::TooLarge,
            format!("{len} bytes announced, at most {max} accepted"),
        ));
    }
    Ok(len as usize)
}

/// Writes one frame: the length header and `payload` (the writers of the crate build
/// frames with [`frame_header`] into their own vectored writes; this is the plain form,
/// for the tests), gathered into one `writev` where
/// the writer supports it (no copy of the payload), continuing after short writes.
#[cfg(test)]
pub(crate) fn write_frame(out: &mut impl std::io::Write, payload: &[u8]) -> Result<(), WireError> {
    let header = frame_header(payload.len());
    let mut slices = [io::IoSlice::new(&header), io::IoSlice::new(payload)];
    let mut bufs = &mut slices[..];
    while !bufs.is_empty() {
        match out.write_vectored(bufs) {
            Ok(0) => return Err(WireError::io(io::ErrorKind::WriteZero.into())),
            Ok(n) => io::IoSlice::advance_slices(&mut bufs, n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(WireError::io(e)),
        }
    }
    out.flush().map_err(WireError::io)
}

/// Reads one frame of at most `max` bytes.
///
/// A clean end of stream before the header is [`WireErrorKind::Eof`]; an end inside the
/// header or the payload is [`WireErrorKind::Truncated`]; a header announcing more than
/// `max` bytes is [`WireErrorKind::TooLarge`], reported before anything is allocated.
pub(crate) fn read_frame(input: &mut impl Read, max: usize) -> Result<Vec<u8>, WireError> {
    let mut header = [0u8; HEADER_LEN];
    let mut filled = 0;
    while filled < HEADER_LEN {
        match input.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Err(WireError::new(WireErrorKind::Eof, "")),
            Ok(0) => {
                return Err(WireError::new(
                    WireErrorKind::Truncated,
                    format!("{filled} of {HEADER_LEN} header bytes"),
                ));
            }
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(WireError::io(e)),
        }
    }
    let len = frame_len(header, max)?;
    // Reserve what was announced, up to a bound, so a lying header costs little.
    let mut payload = Vec::with_capacity(len.min(64 << 20));
    input
        .take(len as u64)
        .read_to_end(&mut payload)
        .map_err(WireError::io)?;
    if payload.len() < len {
        return Err(WireError::new(
            WireErrorKind::Truncated,
            format!("{} of {len} bytes", payload.len()),
        ));
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut buf = Vec::new();
        write_frame(&mut buf, b"hello").unwrap();
        write_frame(&mut buf, &vec![7u8; 100_000]).unwrap();
        let mut input = &buf[..];
        assert_eq!(read_frame(&mut input, 1 << 20).unwrap(), b"hello");
        assert_eq!(read_frame(&mut input, 1 << 20).unwrap().len(), 100_000);
        assert!(read_frame(&mut input, 1 << 20).unwrap_err().is_eof());
    }

    #[test]
    fn oversized_and_truncated_frames_are_errors() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &[1u8; 64]).unwrap();
        let err = read_frame(&mut &buf[..], 63).unwrap_err();
        assert_eq!(err.kind(), WireErrorKind::TooLarge);
        let err = read_frame(&mut &buf[..buf.len() - 1], 64).unwrap_err();
        assert_eq!(err.kind(), WireErrorKind::Truncated);
        let err = read_frame(&mut &buf[..3], 64).unwrap_err();
        assert_eq!(err.kind(), WireErrorKind::Truncated);
    }
}
