//! Names for memfd-backed shared memory, which has none in any file system.
//!
//! A name is `tripod_<pid>_<fd>_<nonce>`: the creating process, the descriptor that holds
//! the memory there, and 64 random bits that the memfd also carries in its own label
//! (`memfd:tripod-shm-<nonce>`). Attaching by name opens `/proc/<pid>/fd/<fd>` (which
//! reopens the memfd itself), after checking through `readlink` that the descriptor still
//! is that memfd, and once more on the opened descriptor, so a reused pid or descriptor
//! number is told apart from the block (and a device is never opened by mistake).
//!
//! The creator keeps the block named while it lives: a process-wide registry holds its
//! segment from `create` until `unlink` (or the creator's exit), whether or not the
//! creator still has a handle, as a POSIX name would. Unlike a POSIX name, nothing of it
//! outlives the creator, so a crash leaks nothing.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, LazyLock};

use parking_lot::Mutex;

use super::error::{SharedMemoryError, SharedMemoryErrorKind};
use crate::shm::Segment;

const PREFIX: &str = "tripod_";

/// The parts of a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Name {
    pub(super) pid: u32,
    pub(super) fd: i32,
    pub(super) nonce: u64,
}

impl Name {
    /// The name of a block this process creates, held by `segment`'s descriptor.
    pub(super) fn for_segment(segment: &Segment, nonce: u64) -> Name {
        Name {
            pid: std::process::id(),
            fd: segment.fd().as_raw_fd(),
            nonce,
        }
    }

    pub(super) fn parse(name: &str) -> Option<Name> {
        let mut parts = name.strip_prefix(PREFIX)?.split('_');
        let pid = parts.next()?.parse().ok()?;
        let fd: i32 = parts.next()?.parse().ok()?;
        let nonce = parts.next()?;
        if parts.next().is_some() || fd < 0 || nonce.len() != 16 {
            return None;
        }
        let nonce = u64::from_str_radix(nonce, 16).ok()?;
        Some(Name { pid, fd, nonce })
    }

    /// The memfd label a block with this nonce is created with.
    pub(super) fn label(nonce: u64) -> String {
        format!("shm-{nonce:016x}")
    }

    /// What `readlink` shows for the memfd (`Segment::create` prefixes `tripod-`).
    fn link(&self) -> String {
        format!("/memfd:tripod-{} (deleted)", Name::label(self.nonce))
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{PREFIX}{}_{}_{:016x}", self.pid, self.fd, self.nonce)
    }
}

/// A fresh random nonce.
pub(super) fn nonce() -> io::Result<u64> {
    let mut bytes = [0u8; 8];
    let mut filled = 0;
    while filled < bytes.len() {
        filled +=
            rustix::rand::getrandom(&mut bytes[filled..], rustix::rand::GetRandomFlags::empty())?;
    }
    Ok(u64::from_ne_bytes(bytes))
}

/// The blocks this process created and has not unlinked, by nonce.
static NAMED: LazyLock<Mutex<HashMap<u64, Arc<Segment>>>> = LazyLock::new(Default::default);

/// Keeps `segment` (and so its descriptor, the one in the name) open until [`release`].
/// First drops the blocks that another process has unlinked since (`unlinked` says which).
pub(super) fn hold(nonce: u64, segment: Arc<Segment>, unlinked: impl Fn(&Segment) -> bool) {
    let mut named = NAMED.lock();
    named.retain(|_, held| !unlinked(held));
    named.insert(nonce, segment);
}

/// Stops holding the block with `nonce`, if this process created it.
pub(super) fn release(nonce: u64) {
    let held = NAMED.lock().remove(&nonce);
    drop(held);
}

/// Opens the block called `name` in the process that created it.
pub(super) fn resolve(name: &str) -> Result<(Name, Segment), SharedMemoryError> {
    let not_found = |why: &str| {
        SharedMemoryError::new(
            SharedMemoryErrorKind::NotFound,
            format!("no shared memory named {name:?}: {why}"),
        )
    };
    let parsed = Name::parse(name)
        .ok_or_else(|| not_found("not a tripod shared memory name (tripod_PID_FD_NONCE)"))?;
    let path = format!("/proc/{}/fd/{}", parsed.pid, parsed.fd);
    let gone = "its creator has exited or unlinked it";
    let check = |link: io::Result<std::path::PathBuf>| match link {
        Ok(link) if link.as_os_str() == parsed.link().as_str() => Ok(()),
        Ok(_) => Err(not_found(gone)),
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => Err(SharedMemoryError::io(
            format!(
                "cannot open shared memory {name:?} of process {}",
                parsed.pid
            ),
            err,
        )),
        Err(_) => Err(not_found(gone)),
    };
    check(std::fs::read_link(&path))?;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|err| match err.kind() {
            io::ErrorKind::PermissionDenied => SharedMemoryError::io(
                format!(
                    "cannot open shared memory {name:?} of process {}",
                    parsed.pid
                ),
                err,
            ),
            _ => not_found(gone),
        })?;
    let fd = OwnedFd::from(file);
    // The descriptor may have been replaced between the check and the open.
    check(std::fs::read_link(format!(
        "/proc/self/fd/{}",
        fd.as_raw_fd()
    )))?;
    let segment = Segment::from_fd(fd)
        .map_err(|err| SharedMemoryError::io(format!("cannot map shared memory {name:?}"), err))?;
    Ok((parsed, segment))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back() {
        let name = Name {
            pid: 42,
            fd: 7,
            nonce: 0xdead_beef,
        };
        let text = name.to_string();
        assert_eq!(text, "tripod_42_7_00000000deadbeef");
        assert_eq!(Name::parse(&text), Some(name));
        for bad in [
            "",
            "psm_42",
            "tripod_42_7",
            "tripod_42_-1_00000000deadbeef",
            "tripod_42_7_deadbeef",
            "tripod_42_7_00000000deadbeef_1",
            "tripod_x_7_00000000deadbeef",
        ] {
            assert_eq!(Name::parse(bad), None, "{bad}");
        }
    }
}
