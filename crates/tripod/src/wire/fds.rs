//! File descriptors that travel beside an encoded value.
//!
//! A value sent to a child process may hold operating-system handles: a connection's
//! socket, a shared memory segment. Their `Serialize` impls cannot put a descriptor into bytes, so they hand
//! it to the *sink* that the sender installed around the encoding ([`collect`]) and encode
//! its index; the transport then passes the collected descriptors (by `SCM_RIGHTS` or by
//! inheritance) and the receiver installs them as the *source* ([`provide`]) around the
//! decoding, where the `Deserialize` impls take them back by index.
//!
//! Outside [`collect`] / [`provide`], [`export`] and [`import`] fail with
//! [`WireErrorKind::Fd`]: such a value can only travel where descriptors can.
#![cfg(unix)]

use std::cell::RefCell;
use std::os::fd::{BorrowedFd, OwnedFd};

use super::error::{WireError, WireErrorKind};

thread_local! {
    static SINK: RefCell<Option<Vec<OwnedFd>>> = const { RefCell::new(None) };
    static SOURCE: RefCell<Option<Vec<Option<OwnedFd>>>> = const { RefCell::new(None) };
}

/// Runs `encode` with a sink installed, and returns its result with the descriptors that
/// the encoded value exported (duplicates, owned by the caller), in index order.
pub(crate) fn collect<R>(encode: impl FnOnce() -> R) -> (R, Vec<OwnedFd>) {
    let outer = SINK.with(|s| s.borrow_mut().replace(Vec::new()));
    let result = encode();
    let fds = SINK.with(|s| std::mem::replace(&mut *s.borrow_mut(), outer));
    (result, fds.unwrap_or_default())
}

/// How many descriptors the current sink holds (0 outside [`collect`]): a sender that
/// encodes several values in one sink tells which one exported a descriptor.
pub(crate) fn collected() -> usize {
    SINK.with(|s| s.borrow().as_ref().map_or(0, Vec::len))
}

/// Runs `decode` with `fds` available to [`import`]. Descriptors not taken are closed.
pub(crate) fn provide<R>(fds: Vec<OwnedFd>, decode: impl FnOnce() -> R) -> R {
    let table = fds.into_iter().map(Some).collect();
    let outer = SOURCE.with(|s| s.borrow_mut().replace(table));
    let result = decode();
    SOURCE.with(|s| *s.borrow_mut() = outer);
    result
}

/// Called by a `Serialize` impl: duplicates `fd` into the current sink and returns its
/// index.
pub(crate) fn export(fd: BorrowedFd<'_>) -> Result<u32, WireError> {
    let dup = fd.try_clone_to_owned().map_err(WireError::io)?;
    SINK.with(|s| match s.borrow_mut().as_mut() {
        Some(sink) => {
            sink.push(dup);
            Ok((sink.len() - 1) as u32)
        }
        None => Err(WireError::new(
            WireErrorKind::Fd,
            "a value holding an OS handle can only be sent where handles can travel \
             (as an argument of a child process, or over a Unix-socket connection)",
        )),
    })
}

/// Called by a `Deserialize` impl: takes the descriptor at `index` from the current source.
pub(crate) fn import(index: u32) -> Result<OwnedFd, WireError> {
    SOURCE.with(|s| {
        let mut source = s.borrow_mut();
        let Some(table) = source.as_mut() else {
            return Err(WireError::new(
                WireErrorKind::Fd,
                "the message refers to an OS handle, but none came with it",
            ));
        };
        table
            .get_mut(index as usize)
            .and_then(Option::take)
            .ok_or_else(|| {
                WireError::new(
                    WireErrorKind::Fd,
                    format!("OS handle {index} is missing or was taken twice"),
                )
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn descriptors_travel_by_index() {
        let file = std::fs::File::open("/dev/null").unwrap();
        let (index, fds) = collect(|| export(file.as_fd()).unwrap());
        assert_eq!((index, fds.len()), (0, 1));
        let back = provide(fds, || {
            let fd = import(0).unwrap();
            assert_eq!(import(0).unwrap_err().kind(), WireErrorKind::Fd);
            fd
        });
        drop(back);
        assert_eq!(export(file.as_fd()).unwrap_err().kind(), WireErrorKind::Fd);
        assert_eq!(import(0).unwrap_err().kind(), WireErrorKind::Fd);
    }
}
