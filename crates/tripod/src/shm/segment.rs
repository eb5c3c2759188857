//! [`Segment`]: a memfd-backed shared mapping that travels between processes as a file
//! descriptor.

use std::ffi::c_void;
use std::fmt;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr::NonNull;

use rustix::fs::{MemfdFlags, SealFlags};
use rustix::mm::{MapFlags, ProtFlags};
use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use super::Shared;
use crate::wire;

/// A zero-filled, page-aligned `MAP_SHARED` mapping of a memfd.
///
/// - The size is fixed at creation and sealed (`F_SEAL_SHRINK | F_SEAL_GROW`), so no
///   holder of the descriptor can truncate it under another process's mapping; a memfd
///   without those seals is refused by [`from_fd`](Self::from_fd).
/// - The kernel frees the memory when the last descriptor and the last mapping are gone,
///   whatever way the processes holding them ended.
/// - It is `Serialize`/`Deserialize` through [`wire::fds`]: as a child process's argument
///   (or inside one), the descriptor travels beside the encoded bytes and the receiver maps
///   it again, at an address of its own.
///
/// Everything in it is shared with other processes that may write at any time, so it is
/// only ever viewed through [`Shared`] types ([`at`](Self::at),
/// [`slice_at`](Self::slice_at)) or copied through raw pointers by `unsafe` code in `shm`.
pub(crate) struct Segment {
    fd: OwnedFd,
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain shared memory owned by this value; it is only accessed
// through `Shared` types (which are `Sync` and race-free by their contract) or by `unsafe`
// code that justifies its own accesses, from any thread.
unsafe impl Send for Segment {}
// SAFETY: as above: `&Segment` hands out only `&T` for `T: Shared` and a raw pointer.
unsafe impl Sync for Segment {}

impl Segment {
    /// A new zero-filled segment of at least `len` bytes (rounded up to whole pages);
    /// `name` shows in `/proc/PID/fd` and `/proc/PID/maps` as `memfd:NAME`.
    pub(crate) fn create(name: &str, len: usize) -> io::Result<Segment> {
        if len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a shared memory segment needs a size above zero",
            ));
        }
        let page = rustix::param::page_size();
        let len = len.checked_next_multiple_of(page).ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "shared memory size too large")
        })?;
        let fd = rustix::fs::memfd_create(
            format!("tripod-{name}"),
            MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING,
        )?;
        rustix::fs::ftruncate(&fd, len as u64)?;
        rustix::fs::fcntl_add_seals(&fd, SealFlags::SHRINK | SealFlags::GROW | SealFlags::SEAL)?;
        Segment::map(fd, len)
    }

    /// Maps the memfd `fd` (as sent by [`Serialize`]); its sealed size is the length.
    pub(crate) fn from_fd(fd: OwnedFd) -> io::Result<Segment> {
        let seals = rustix::fs::fcntl_get_seals(&fd)?;
        if !seals.contains(SealFlags::SHRINK | SealFlags::GROW) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a tripod shared memory segment (its size is not sealed)",
            ));
        }
        let len = usize::try_from(rustix::fs::fstat(&fd)?.st_size).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "shared memory size out of range",
            )
        })?;
        if len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "empty shared memory segment",
            ));
        }
        Segment::map(fd, len)
    }

    fn map(fd: OwnedFd, len: usize) -> io::Result<Segment> {
        // SAFETY: a fresh mapping chosen by the kernel (null hint), of `len` bytes of a
        // memfd whose size is sealed at `len`, so every byte of it stays backed (no
        // SIGBUS); nothing else refers to that address range yet.
        let ptr = unsafe {
            rustix::mm::mmap(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::SHARED,
                &fd,
                0,
            )?
        };
        let ptr =
            NonNull::new(ptr.cast::<u8>()).ok_or_else(|| io::Error::other("mmap gave null"))?;
        Ok(Segment { fd, ptr, len })
    }

    /// Another mapping of the same memory, with its own descriptor.
    #[cfg(test)]
    pub(crate) fn try_clone(&self) -> io::Result<Segment> {
        Segment::map(self.fd.try_clone()?, self.len)
    }

    /// The mapping's length in bytes (a whole number of pages).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The start of the mapping, valid for [`len`](Self::len) bytes while `self` lives.
    /// Other processes may write any byte at any time: access it only in ways that are
    /// sound under that (atomics, or copies whose torn results the caller tolerates).
    pub(crate) fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// The memfd.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The `T` at byte `offset`.
    ///
    /// # Panics
    ///
    /// If `T` does not fit there or `offset` is not aligned for `T`: a layout bug.
    pub(crate) fn at<T: Shared>(&self, offset: usize) -> &T {
        &self.slice_at::<T>(offset, 1)[0]
    }

    /// `n` consecutive `T`s from byte `offset`.
    ///
    /// # Panics
    ///
    /// If they do not fit or `offset` is not aligned for `T`: a layout bug.
    pub(crate) fn slice_at<T: Shared>(&self, offset: usize, n: usize) -> &[T] {
        let size = std::mem::size_of::<T>()
            .checked_mul(n)
            .and_then(|bytes| bytes.checked_add(offset));
        assert!(
            size.is_some_and(|end| end <= self.len),
            "{n} x {} at offset {offset} overruns a segment of {} bytes",
            std::any::type_name::<T>(),
            self.len
        );
        assert!(
            offset.is_multiple_of(std::mem::align_of::<T>()),
            "offset {offset} is not aligned for {}",
            std::any::type_name::<T>()
        );
        // SAFETY: the range is inside the mapping (checked above), aligned (the mapping is
        // page aligned and `offset` is a multiple of T's alignment), and lives as long as
        // `&self`. `T: Shared` makes any bit pattern valid and allows concurrent mutation
        // through `&T` only by race-free interior mutability.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr().add(offset).cast::<T>(), n) }
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` are the mapping made in `map`, unmapped only here; every
        // reference handed out borrows `self`, so none outlives it.
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast::<c_void>(), self.len) };
    }
}

impl fmt::Debug for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Segment")
            .field("fd", &self.fd)
            .field("len", &self.len)
            .finish()
    }
}

/// How a segment travels: the index of its descriptor in the side table.
#[derive(Serialize, Deserialize)]
struct Exported {
    fd: u32,
}

impl Serialize for Segment {
    /// Exports the descriptor into the side table of the encoding around it; anywhere
    /// descriptors cannot travel this is an error.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let fd = wire::fds::export(self.fd()).map_err(|err| {
            wire::note_custom_error(&err);
            S::Error::custom(err)
        })?;
        Exported { fd }.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Segment {
    /// Takes the descriptor back from the side table and maps it.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let exported = Exported::deserialize(deserializer)?;
        let fail = |detail: String| {
            wire::note_custom_error(&detail);
            D::Error::custom(detail)
        };
        let fd = wire::fds::import(exported.fd).map_err(|e| fail(e.to_string()))?;
        Segment::from_fd(fd).map_err(|e| fail(format!("cannot map shared memory: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

    #[test]
    fn a_segment_is_zeroed_page_sized_and_shared_by_its_clones() {
        let a = Segment::create("test", 10).unwrap();
        assert_eq!(a.len(), rustix::param::page_size());
        assert_eq!(a.at::<AtomicU64>(8).load(Ordering::Relaxed), 0);
        let b = a.try_clone().unwrap();
        assert_ne!(a.as_ptr(), b.as_ptr());
        a.at::<AtomicU32>(4).store(7, Ordering::Release);
        assert_eq!(b.at::<AtomicU32>(4).load(Ordering::Acquire), 7);
        assert_eq!(b.slice_at::<AtomicU32>(0, 2)[1].load(Ordering::Acquire), 7);
    }

    #[test]
    fn bad_sizes_and_layouts_are_refused() {
        assert_eq!(
            Segment::create("test", 0).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        let seg = Segment::create("test", 1).unwrap();
        let len = seg.len();
        assert!(std::panic::catch_unwind(|| seg.at::<AtomicU64>(len - 4)).is_err());
        assert!(std::panic::catch_unwind(|| seg.at::<AtomicU64>(4)).is_err());
        // A memfd whose size is not sealed could be truncated under the mapping.
        let loose = rustix::fs::memfd_create("loose", MemfdFlags::CLOEXEC).unwrap();
        rustix::fs::ftruncate(&loose, 4096).unwrap();
        assert_eq!(
            Segment::from_fd(loose).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let file = std::fs::File::open("/dev/null").unwrap();
        assert!(Segment::from_fd(file.into()).is_err());
    }

    #[test]
    fn a_segment_travels_through_the_fd_table() {
        let seg = Segment::create("test", 100).unwrap();
        seg.at::<AtomicU32>(0).store(42, Ordering::Release);
        let (bytes, fds) = wire::fds::collect(|| wire::encode(&seg));
        let back: Segment = wire::fds::provide(fds, || wire::decode(&bytes.unwrap())).unwrap();
        assert_eq!(back.len(), seg.len());
        assert_eq!(back.at::<AtomicU32>(0).load(Ordering::Acquire), 42);
        back.at::<AtomicU32>(0).store(43, Ordering::Release);
        assert_eq!(seg.at::<AtomicU32>(0).load(Ordering::Acquire), 43);
        // Outside a child's arguments a segment cannot travel.
        assert!(wire::encode(&seg).is_err());
    }
}
