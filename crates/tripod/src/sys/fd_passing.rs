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

/// Sends `fds` (possibly none) to the peer of `socket`.
pub(crate) fn send_with_fds(socket: impl AsFd, fds: &[OwnedFd]) -> io::Result<()> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} OS handles in one message, at most {MAX_FDS}", fds.len()),
        ));
    }
    let count = (fds.len() as u32).to_le_bytes();
    let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|fd| fd.as_fd()).collect();
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut control = SendAncillaryBuffer::new(&mut space);
    if !borrowed.is_empty() && !control.push(SendAncillaryMessage::ScmRights(&borrowed)) {
        return Err(io::Error::other("control buffer too small"));
    }
    let iov = [IoSlice::new(&count)];
    let sent = loop {
        match sendmsg(&socket, &iov, &mut control, SendFlags::NOSIGNAL) {
            Err(rustix::io::Errno::INTR) => continue,
            other => break other?,
        }
    };
    // Four bytes fit in any socket buffer not already full; a short write would be a
    // broken peer.
    if sent != count.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "short descriptor transfer",
        ));
    }
    Ok(())
}

/// Receives one transfer sent by [`send_with_fds`]. The descriptors arrive with
/// `FD_CLOEXEC` set.
pub(crate) fn recv_with_fds(socket: impl AsFd) -> io::Result<Vec<OwnedFd>> {
    let mut count = [0u8; 4];
    let mut filled = 0;
    let mut fds = Vec::new();
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    while filled < count.len() {
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let mut iov = [IoSliceMut::new(&mut count[filled..])];
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
    let expected = u32::from_le_bytes(count) as usize;
    if fds.len() != expected {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("expected {expected} descriptors, received {}", fds.len()),
        ));
    }
    Ok(fds)
}
