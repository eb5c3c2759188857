//! `multiprocessing.shared_memory`: a block of bytes shared by processes.
//!
//! [`SharedMemory::create`] makes a zero-filled block of a given size; other processes
//! reach it either as a child's argument (the handle itself travels: the robust way) or
//! by its [`name`](SharedMemory::name) with [`SharedMemory::attach`]. All of them read
//! and write the same bytes.
//!
//! ```
//! use tripod::multiprocessing::Process;
//! use tripod::multiprocessing::shared_memory::SharedMemory;
//!
//! fn shout(name: String) {
//!     let shm = SharedMemory::attach(&name).unwrap();
//!     let mut buf = [0u8; 5];
//!     shm.read(0, &mut buf).unwrap();
//!     buf.make_ascii_uppercase();
//!     shm.write(0, &buf).unwrap();
//! }
//! tripod::task!(shout);
//!
//! let shm = SharedMemory::create(5).unwrap();
//! shm.write(0, b"hello").unwrap();
//! Process::new(shout, (shm.name().to_owned(),)).start().unwrap().join().unwrap();
//! assert_eq!(shm.to_vec(), b"HELLO");
//! shm.unlink().unwrap();
//! ```
//!
//! # Lifetime: no leak, no early unlink
//!
//! The memory is a memfd: the kernel frees it when the last process holding it (by a
//! handle, a descriptor or a mapping) has let go, whether it closed it or crashed. There
//! is no file in `/dev/shm` to leak and no resource tracker to unlink it too early or too
//! late (cpython#82300). [`close`](SharedMemory::close) (or dropping the handle) lets go
//! of this handle; [`unlink`](SharedMemory::unlink) removes the name.
//!
//! # What a name survives
//!
//! A memfd has no name in any file system. A tripod name, `tripod_PID_FD_NONCE`, says
//! where to find the block: descriptor `FD` of the creating process `PID`, which must
//! carry the random `NONCE` in its label. [`attach`](SharedMemory::attach) opens it
//! through `/proc/PID/fd/FD`. So a name
//!
//! - resolves from `create` until `unlink` (from any process) or the creator's exit,
//!   whichever comes first, also after the creator has closed all its handles (the
//!   creator's process keeps the block for the name, as POSIX keeps a named block);
//! - does not outlive the creator, unlike a POSIX name: when the creator exits, the name
//!   is gone while processes already attached keep the memory;
//! - resolves only for processes that may open the creator's descriptors (same user, same
//!   PID namespace, a dumpable creator): otherwise
//!   [`PermissionDenied`](SharedMemoryErrorKind::PermissionDenied) or
//!   [`NotFound`](SharedMemoryErrorKind::NotFound);
//! - never resolves to anything else: a reused PID or descriptor number fails the nonce
//!   check.
//!
//! Passing the [`SharedMemory`] itself as a child's argument sends the descriptor and
//! depends on none of this: it works after `unlink` and after the creator's exit.
//!
//! # Concurrent access
//!
//! Other processes may write the block at any moment, so it is never handed out as a
//! plain `&[u8]` or `&mut [u8]` (that would be a data race). [`read`](SharedMemory::read)
//! and [`write`](SharedMemory::write) copy through the block's aligned 8-byte words, each
//! an atomic access, so racing copies are well defined: every aligned word is read or
//! written whole (a `u64` at a multiple of 8 never tears), a longer copy may mix old and
//! new words, and a write is a release, a read an acquire. [`words`](SharedMemory::words)
//! views the same words as [`AtomicU64`]s, for lock-free counters and flags in the block.
//! [`as_ptr`](SharedMemory::as_ptr) is for `unsafe` code that synchronises on its own.
#![forbid(unsafe_code)]

mod error;
mod name;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

pub use error::{SharedMemoryError, SharedMemoryErrorKind};
use name::Name;

use crate::shm::{Segment, words};
use crate::wire;

/// Header, in the first bytes of the segment: magic, requested size, nonce, unlinked flag.
const MAGIC_AT: usize = 0;
const SIZE_AT: usize = 8;
const NONCE_AT: usize = 16;
const UNLINKED_AT: usize = 24;
/// Where the caller's bytes start (a cache line in, 8-aligned for the word copies).
const DATA: usize = 64;
const MAGIC: u64 = u64::from_le_bytes(*b"tripodSM");

/// A block of shared memory: Python's `multiprocessing.shared_memory.SharedMemory`.
///
/// Cloning gives another handle to the same mapping; a handle can be an argument of a
/// child process (the block's descriptor travels with it). See the
/// [module documentation](self) for the lifetime of the memory and of its name, and for
/// what concurrent access guarantees.
///
/// ```
/// use tripod::multiprocessing::shared_memory::SharedMemory;
///
/// let shm = SharedMemory::create(10).unwrap();
/// assert_eq!(shm.size(), 10);
/// shm.write(3, &[1, 2, 3]).unwrap();
/// let other = SharedMemory::attach(shm.name()).unwrap();
/// assert_eq!(other.to_vec(), [0, 0, 0, 1, 2, 3, 0, 0, 0, 0]);
/// other.close();
/// shm.unlink().unwrap();
/// ```
#[derive(Clone)]
pub struct SharedMemory {
    segment: Arc<Segment>,
    name: String,
    size: usize,
}

impl SharedMemory {
    /// Creates a zero-filled block of `size` bytes, with a new name (Python's
    /// `SharedMemory(create=True, size=size)`). Names are chosen by tripod, not by the
    /// caller: see the [module documentation](self).
    ///
    /// The memory lives until every handle to it is gone and it is unlinked (or its
    /// creator, this process, has exited).
    ///
    /// # Errors
    ///
    /// [`InvalidSize`](SharedMemoryErrorKind::InvalidSize) for a size of zero or one that
    /// does not fit in the address space; [`Io`](SharedMemoryErrorKind::Io) when the
    /// system refuses the memory.
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::{SharedMemory, SharedMemoryErrorKind};
    ///
    /// let shm = SharedMemory::create(1 << 20).unwrap();
    /// assert_eq!(shm.size(), 1 << 20);
    /// assert!(shm.name().starts_with("tripod_"));
    /// assert_eq!(SharedMemory::create(0).unwrap_err().kind(), SharedMemoryErrorKind::InvalidSize);
    /// assert_eq!(
    ///     SharedMemory::create(usize::MAX).unwrap_err().kind(),
    ///     SharedMemoryErrorKind::InvalidSize
    /// );
    /// shm.unlink().unwrap();
    /// ```
    pub fn create(size: usize) -> Result<SharedMemory, SharedMemoryError> {
        let invalid = |why: &str| {
            SharedMemoryError::new(
                SharedMemoryErrorKind::InvalidSize,
                format!("cannot create shared memory of {size} bytes: {why}"),
            )
        };
        if size == 0 {
            return Err(invalid("the size must be above zero"));
        }
        let total = size
            .checked_add(DATA)
            .filter(|&total| total <= isize::MAX as usize)
            .ok_or_else(|| invalid("too large"))?;
        let nonce =
            name::nonce().map_err(|err| SharedMemoryError::io("cannot draw a random name", err))?;
        let segment = Segment::create(&Name::label(nonce), total).map_err(|err| {
            SharedMemoryError::io(format!("cannot create shared memory of {size} bytes"), err)
        })?;
        segment
            .at::<AtomicU64>(SIZE_AT)
            .store(size as u64, Ordering::Relaxed);
        segment
            .at::<AtomicU64>(NONCE_AT)
            .store(nonce, Ordering::Relaxed);
        segment
            .at::<AtomicU64>(MAGIC_AT)
            .store(MAGIC, Ordering::Release);
        let name = Name::for_segment(&segment, nonce).to_string();
        let segment = Arc::new(segment);
        name::hold(nonce, Arc::clone(&segment), is_unlinked);
        Ok(SharedMemory {
            segment,
            name,
            size,
        })
    }

    /// Attaches to the block called `name` (Python's `SharedMemory(name)`).
    ///
    /// # Errors
    ///
    /// [`NotFound`](SharedMemoryErrorKind::NotFound) if no block goes by that name (a
    /// malformed name, or its creator has exited); [`Unlinked`](SharedMemoryErrorKind::Unlinked)
    /// if it was unlinked; [`PermissionDenied`](SharedMemoryErrorKind::PermissionDenied)
    /// if the creator's descriptors may not be opened from this process.
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::{SharedMemory, SharedMemoryErrorKind};
    ///
    /// let shm = SharedMemory::create(8).unwrap();
    /// let same = SharedMemory::attach(shm.name()).unwrap();
    /// same.write(0, b"shared!!").unwrap();
    /// assert_eq!(shm.to_vec(), b"shared!!");
    ///
    /// shm.unlink().unwrap();
    /// let err = SharedMemory::attach(shm.name()).unwrap_err();
    /// assert_eq!(err.kind(), SharedMemoryErrorKind::Unlinked);
    /// assert_eq!(same.to_vec(), b"shared!!"); // handles keep the memory
    /// ```
    pub fn attach(name: &str) -> Result<SharedMemory, SharedMemoryError> {
        let (parsed, segment) = name::resolve(name)?;
        let shm = SharedMemory::open(segment, name.to_owned())
            .filter(|shm| shm.nonce() == parsed.nonce)
            .ok_or_else(|| {
                SharedMemoryError::new(
                    SharedMemoryErrorKind::NotFound,
                    format!("no shared memory named {name:?}: it names another block"),
                )
            })?;
        if is_unlinked(&shm.segment) {
            return Err(SharedMemoryError::new(
                SharedMemoryErrorKind::Unlinked,
                format!("shared memory {name:?} was unlinked"),
            ));
        }
        Ok(shm)
    }

    /// Wraps a segment received from elsewhere, if its header is a block's.
    fn open(segment: Segment, name: String) -> Option<SharedMemory> {
        if segment.len() < DATA
            || segment.at::<AtomicU64>(MAGIC_AT).load(Ordering::Acquire) != MAGIC
        {
            return None;
        }
        let size = usize::try_from(segment.at::<AtomicU64>(SIZE_AT).load(Ordering::Relaxed))
            .ok()
            .filter(|&size| size > 0 && size <= segment.len() - DATA)?;
        Some(SharedMemory {
            segment: Arc::new(segment),
            name,
            size,
        })
    }

    fn nonce(&self) -> u64 {
        self.segment
            .at::<AtomicU64>(NONCE_AT)
            .load(Ordering::Relaxed)
    }

    /// The block's name, for [`attach`](Self::attach) (Python's `name`).
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::SharedMemory;
    ///
    /// let shm = SharedMemory::create(1).unwrap();
    /// assert_eq!(SharedMemory::attach(shm.name()).unwrap().name(), shm.name());
    /// shm.unlink().unwrap();
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The block's size in bytes, as asked of [`create`](Self::create) (Python's `size`).
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::SharedMemory;
    ///
    /// let shm = SharedMemory::create(100).unwrap();
    /// assert_eq!(shm.size(), 100);
    /// shm.unlink().unwrap();
    /// ```
    pub fn size(&self) -> usize {
        self.size
    }

    fn range(&self, offset: usize, len: usize, what: &str) -> Result<usize, SharedMemoryError> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(DATA + offset),
            _ => Err(SharedMemoryError::new(
                SharedMemoryErrorKind::OutOfRange,
                format!(
                    "cannot {what} {len} bytes at offset {offset} of shared memory of {} bytes",
                    self.size
                ),
            )),
        }
    }

    /// Copies `buf.len()` bytes from byte `offset` of the block into `buf` (Python's
    /// `buf[offset:offset + len]`). See the [module documentation](self#concurrent-access)
    /// for what a read racing with a write sees.
    ///
    /// # Errors
    ///
    /// [`OutOfRange`](SharedMemoryErrorKind::OutOfRange) if the range goes past the end;
    /// nothing is copied then.
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::SharedMemory;
    ///
    /// let shm = SharedMemory::create(6).unwrap();
    /// shm.write(0, b"abcdef").unwrap();
    /// let mut buf = [0u8; 3];
    /// shm.read(2, &mut buf).unwrap();
    /// assert_eq!(&buf, b"cde");
    /// assert!(shm.read(4, &mut buf).is_err());
    /// shm.unlink().unwrap();
    /// ```
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<(), SharedMemoryError> {
        let at = self.range(offset, buf.len(), "read")?;
        words::read(&self.segment, at, buf);
        Ok(())
    }

    /// Copies `data` into the block from byte `offset` (Python's
    /// `buf[offset:offset + len] = data`).
    ///
    /// # Errors
    ///
    /// [`OutOfRange`](SharedMemoryErrorKind::OutOfRange) if the range goes past the end;
    /// nothing is written then.
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::{SharedMemory, SharedMemoryErrorKind};
    ///
    /// let shm = SharedMemory::create(4).unwrap();
    /// shm.write(1, b"xy").unwrap();
    /// assert_eq!(shm.to_vec(), b"\0xy\0");
    /// let err = shm.write(usize::MAX, b"z").unwrap_err();
    /// assert_eq!(err.kind(), SharedMemoryErrorKind::OutOfRange);
    /// shm.unlink().unwrap();
    /// ```
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<(), SharedMemoryError> {
        let at = self.range(offset, data.len(), "write")?;
        words::write(&self.segment, at, data);
        Ok(())
    }

    /// A copy of the whole block (Python's `bytes(shm.buf)`).
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::SharedMemory;
    ///
    /// let shm = SharedMemory::create(3).unwrap();
    /// assert_eq!(shm.to_vec(), [0, 0, 0]);
    /// shm.unlink().unwrap();
    /// ```
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = vec![0; self.size];
        words::read(&self.segment, DATA, &mut out);
        out
    }

    /// The block as `size / 8` atomic 64-bit words (word `i` is bytes `8 * i .. 8 * i + 8`),
    /// for lock-free counters and flags shared between processes. These are the very words
    /// [`read`](Self::read) and [`write`](Self::write) copy through, so mixing the two is
    /// well defined.
    ///
    /// ```
    /// use std::sync::atomic::Ordering;
    /// use tripod::multiprocessing::shared_memory::SharedMemory;
    ///
    /// let shm = SharedMemory::create(16).unwrap();
    /// shm.words()[1].fetch_add(5, Ordering::AcqRel);
    /// let mut buf = [0u8; 8];
    /// shm.read(8, &mut buf).unwrap();
    /// assert_eq!(u64::from_ne_bytes(buf), 5);
    /// shm.unlink().unwrap();
    /// ```
    pub fn words(&self) -> &[AtomicU64] {
        self.segment.slice_at::<AtomicU64>(DATA, self.size / 8)
    }

    /// The address of the block's first byte in this process, valid for
    /// [`size`](Self::size) bytes while this handle (or a clone) lives.
    ///
    /// For `unsafe` code only, which must keep to the rules of the
    /// [module documentation](self#concurrent-access): other processes may write any byte
    /// at any time, so a `&[u8]` made from it is a data race unless the processes
    /// synchronise by other means (a lock, or atomics of 8 bytes).
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::SharedMemory;
    ///
    /// let shm = SharedMemory::create(64).unwrap();
    /// assert_eq!(shm.as_ptr() as usize % 8, 0);
    /// shm.unlink().unwrap();
    /// ```
    pub fn as_ptr(&self) -> *mut u8 {
        self.segment.as_ptr().wrapping_add(DATA)
    }

    /// Lets go of this handle (Python's `close()`); the same as dropping it. The memory
    /// stays for the other handles, and for the name until [`unlink`](Self::unlink).
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::SharedMemory;
    ///
    /// let shm = SharedMemory::create(4).unwrap();
    /// let name = shm.name().to_owned();
    /// shm.close();
    /// let again = SharedMemory::attach(&name).unwrap(); // still named
    /// again.unlink().unwrap();
    /// ```
    pub fn close(self) {}

    /// Removes the block's name (Python's `unlink()`), from any process that has a handle:
    /// [`attach`](Self::attach) by name fails from then on, and the creating process stops
    /// keeping the block for the name (at once if it is the caller, otherwise the next time
    /// it creates a block, or when it exits). Handles keep the memory until they are
    /// closed.
    ///
    /// # Errors
    ///
    /// [`Unlinked`](SharedMemoryErrorKind::Unlinked) if it was unlinked already (Python
    /// raises `FileNotFoundError`).
    ///
    /// ```
    /// use tripod::multiprocessing::shared_memory::{SharedMemory, SharedMemoryErrorKind};
    ///
    /// let shm = SharedMemory::create(4).unwrap();
    /// shm.unlink().unwrap();
    /// assert_eq!(shm.unlink().unwrap_err().kind(), SharedMemoryErrorKind::Unlinked);
    /// shm.write(0, b"ok").unwrap(); // the handle still works
    /// ```
    pub fn unlink(&self) -> Result<(), SharedMemoryError> {
        let was = self
            .segment
            .at::<AtomicU64>(UNLINKED_AT)
            .swap(1, Ordering::AcqRel);
        name::release(self.nonce());
        if was != 0 {
            return Err(SharedMemoryError::new(
                SharedMemoryErrorKind::Unlinked,
                format!("shared memory {:?} was unlinked already", self.name),
            ));
        }
        Ok(())
    }
}

fn is_unlinked(segment: &Segment) -> bool {
    segment.at::<AtomicU64>(UNLINKED_AT).load(Ordering::Acquire) != 0
}

impl fmt::Debug for SharedMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedMemory")
            .field("name", &self.name)
            .field("size", &self.size)
            .finish()
    }
}

impl Serialize for SharedMemory {
    /// Exports the descriptor into the side table of the encoding around it: a handle can
    /// travel as (part of) a child process's argument, and nowhere else.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&*self.segment, &self.name).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SharedMemory {
    /// Maps the descriptor received beside the encoded bytes.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let (segment, name) = <(Segment, String)>::deserialize(deserializer)?;
        SharedMemory::open(segment, name).ok_or_else(|| {
            let detail = "the received memory is not a tripod shared memory block";
            wire::note_custom_error(detail);
            D::Error::custom(detail)
        })
    }
}
