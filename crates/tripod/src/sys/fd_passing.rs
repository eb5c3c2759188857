//! Passing file descriptors over a Unix stream socket (`SCM_RIGHTS`).
//!
//! A transfer is a 4-byte little-endian count of descriptors, sent in one `sendmsg` with
//! the descriptors attached; the receiver reads exactly those 4 bytes with `recvmsg`,
//! which delivers the descriptors attached to the first byte.

use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use rustix::net::{
    RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags, recvmsg, sendmsg,
};

/// The most descriptors one transfer carries (Linux's `SCM_MAX_FD`).
pub(crate) const MAX_FDS: usize = 253;

/// Sends as much of `bufs` as the socket takes in one `sendmsg`, with `fds` (possibly
/// none) attached to the first byte; without `wait`, returns `WouldBlock` instead of
/// waiting for room. Returns the number of bytes sent. The receiver takes the descriptors
/// with [`recv_exact_with_fds`].
pub(crate) fn send_vectored_with_fds(
    socket: impl AsFd,
    fds: &[OwnedFd],
    bufs: &[IoSlice<'_>],
    wait: bool,
) -> io::Result<usize> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} OS handles in one message, at most {MAX_FDS}", fds.len()),
        ));
    }
    let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|fd| fd.as_fd()).collect();
    let mut space = if borrowed.is_empty() {
        Vec::new()
    } else {
        vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(borrowed.len()))]
    };
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !borrowed.is_empty() && !control.push(SendAncillaryMessage::ScmRights(&borrowed)) {
        return Err(io::Error::other("control buffer too small"));
    }
    let mut flags = SendFlags::NOSIGNAL;
    if !wait {
        flags |= SendFlags::DONTWAIT;
    }
    loop {
        match sendmsg(&socket, bufs, &mut control, flags) {
            Err(rustix::io::Errno::INTR) => continue,
            other => return other.map_err(io::Error::from),
        }
    }
}

/// Receives one transfer sent by [`send_vectored_with_fds`] (a 4-byte count, then the
/// descriptors). The descriptors arrive with
/// `FD_CLOEXEC` set.
pub(crate) fn recv_with_fds(socket: impl AsFd) -> io::Result<Vec<OwnedFd>> {
    let mut count = [0u8; 4];
    let fds = recv_exact_with_fds(socket, &mut count)?;
    let expected = u32::from_le_bytes(count) as usize;
    if fds.len() != expected {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("expected {expected} descriptors, received {}", fds.len()),
        ));
    }
    Ok(fds)
}

/// Fills `buf` from `socket` with `recvmsg`, collecting the descriptors attached to those
/// bytes (they arrive with `FD_CLOEXEC` set).
pub(crate) fn recv_exact_with_fds(socket: impl AsFd, buf: &mut [u8]) -> io::Result<Vec<OwnedFd>> {
    let mut filled = 0;
    let mut fds = Vec::new();
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    while filled < buf.len() {
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let mut iov = [IoSliceMut::new(&mut buf[filled..])];
        let got = match recvmsg(&socket, &mut iov, &mut control, RecvFlags::CMSG_CLOEXEC) {
            Err(rustix::io::Errno::INTR) => continue,
            other => other?,
        };
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(received) = message {
                fds.extend(received);
            }
        }
        if got.bytes == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the socket before sending its descriptors",
            ));
        }
        filled += got.bytes;
    }
    Ok(fds)
}
