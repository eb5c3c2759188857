//! [`PodBlock`]: the memory behind `multiprocessing::Value` and `Array` (and their raw,
//! lock-free twins): `len` plain-old-data elements in a [`Segment`] of their own.
//!
//! Layout (offsets in bytes):
//!
//! | offset | what |
//! |---|---|
//! | 0 | a [`RobustMutex`] (initialised for locked blocks, unused for raw ones) |
//! | 64 | header: magic, access, element size, element alignment, length (five `u64`s) |
//! | 128, or the element alignment above it | the elements, packed as in a `[T]` |
//!
//! A block is either *locked* or *raw*, written in its header and checked when it is
//! opened in another process, so the two access disciplines never meet on one block:
//!
//! - **locked**: the elements are read and written only while the mutex is held, through
//!   a [`PodGuard`] that hands out `&mut [T]` (ordinary loads and stores: the mutex orders
//!   them across processes);
//! - **raw**: no lock; every access is a copy through [`words`](super::words), one
//!   atomic 64-bit word at a time, so racing accesses are not data races (a value wider
//!   than a word may tear).
#![deny(unsafe_op_in_unsafe_fn)]

use std::io;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use bytemuck::Pod;

use super::{RobustMutex, Segment, words};
use crate::multiprocessing::{AcquireTimeoutError, Lock, LockGuard, OwnerDied, TryAcquireError};

const MUTEX: usize = 0;
const HEADER: usize = 64;
const DATA: usize = 128;
const MAGIC: u64 = u64::from_le_bytes(*b"tripodPB");

const _: () = assert!(std::mem::size_of::<RobustMutex>() <= HEADER);

/// Header fields, each a `u64` at `HEADER + 8 * field`.
#[derive(Clone, Copy)]
enum Field {
    Magic = 0,
    Access = 1,
    Size = 2,
    Align = 3,
    Len = 4,
}

/// How the elements of a block are accessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Only under the block's mutex, through a [`PodGuard`].
    Locked,
    /// Only by word-atomic copies, without a lock.
    Raw,
}

impl Access {
    fn code(self) -> u64 {
        match self {
            Access::Locked => 1,
            Access::Raw => 2,
        }
    }
}

/// `len` elements of `T` in a segment of their own, shared between processes.
pub(crate) struct PodBlock<T> {
    segment: Arc<Segment>,
    access: Access,
    /// The mutex at offset 0 as a `Lock`, for locked blocks.
    lock: Option<Lock>,
    len: usize,
    _elements: PhantomData<T>,
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Where the elements start: past the header, aligned for `T`.
fn data_offset<T>() -> io::Result<usize> {
    let align = std::mem::align_of::<T>();
    if align > rustix::param::page_size() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("an alignment of {align} bytes is more than a page"),
        ));
    }
    Ok(DATA.next_multiple_of(align))
}

fn data_bytes<T>(len: usize) -> io::Result<usize> {
    std::mem::size_of::<T>()
        .checked_mul(len)
        .and_then(|bytes| bytes.checked_add(data_offset::<T>().ok()?))
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{len} elements do not fit in memory"),
            )
        })
}

impl<T> Clone for PodBlock<T> {
    /// Another handle to the same block.
    fn clone(&self) -> Self {
        PodBlock {
            segment: Arc::clone(&self.segment),
            access: self.access,
            lock: self.lock.clone(),
            len: self.len,
            _elements: PhantomData,
        }
    }
}

impl<T: Pod> PodBlock<T> {
    /// A new block holding a copy of `values`.
    pub(crate) fn create(access: Access, values: &[T]) -> io::Result<PodBlock<T>> {
        let block = PodBlock::create_zeroed(access, values.len())?;
        // Not shared yet; the word copy is only the one way this file writes elements
        // outside a lock.
        words::write(
            &block.segment,
            data_offset::<T>()?,
            bytemuck::cast_slice(values),
        );
        Ok(block)
    }

    /// A new block of `len` zeroed elements.
    pub(crate) fn create_zeroed(access: Access, len: usize) -> io::Result<PodBlock<T>> {
        let name = match access {
            Access::Locked => "value",
            Access::Raw => "raw-value",
        };
        let segment = Segment::create(name, data_bytes::<T>(len)?)?;
        if access == Access::Locked {
            // SAFETY: the segment was created just above and nobody else has seen it yet;
            // this is the one initialisation of its mutex.
            unsafe { segment.at::<RobustMutex>(MUTEX).init()? };
        }
        let header = |field: Field, value: u64| {
            segment
                .at::<AtomicU64>(HEADER + 8 * field as usize)
                .store(value, Ordering::Relaxed)
        };
        header(Field::Access, access.code());
        header(Field::Size, std::mem::size_of::<T>() as u64);
        header(Field::Align, std::mem::align_of::<T>() as u64);
        header(Field::Len, len as u64);
        header(Field::Magic, MAGIC);
        Ok(PodBlock::new(segment, access, len))
    }

    /// A block received from another process: checks that its header describes a block
    /// of `access` with elements of `T`'s size and alignment that fit in the segment.
    pub(crate) fn open(segment: Segment, access: Access) -> io::Result<PodBlock<T>> {
        let field = |field: Field| {
            segment
                .at::<AtomicU64>(HEADER + 8 * field as usize)
                .load(Ordering::Acquire)
        };
        if segment.len() < DATA || field(Field::Magic) != MAGIC {
            return Err(invalid(
                "the shared memory is not a tripod value or array".into(),
            ));
        }
        if field(Field::Access) != access.code() {
            return Err(invalid(format!(
                "the shared memory holds a {} value, expected a {} one",
                if access == Access::Locked {
                    "raw"
                } else {
                    "locked"
                },
                if access == Access::Locked {
                    "locked"
                } else {
                    "raw"
                },
            )));
        }
        let (size, align) = (field(Field::Size), field(Field::Align));
        if size != std::mem::size_of::<T>() as u64 || align != std::mem::align_of::<T>() as u64 {
            return Err(invalid(format!(
                "the shared elements have size {size} and alignment {align}, but {} has {} and {}",
                std::any::type_name::<T>(),
                std::mem::size_of::<T>(),
                std::mem::align_of::<T>()
            )));
        }
        let len = usize::try_from(field(Field::Len)).map_err(|_| invalid("bad length".into()))?;
        if data_bytes::<T>(len)? > segment.len() {
            return Err(invalid(format!(
                "{len} elements do not fit in a segment of {} bytes",
                segment.len()
            )));
        }
        Ok(PodBlock::new(segment, access, len))
    }
}

impl<T> PodBlock<T> {
    fn new(segment: Segment, access: Access, len: usize) -> PodBlock<T> {
        let segment = Arc::new(segment);
        let lock =
            (access == Access::Locked).then(|| Lock::in_segment(Arc::clone(&segment), MUTEX));
        PodBlock {
            segment,
            access,
            lock,
            len,
            _elements: PhantomData,
        }
    }

    /// The segment (to send it, or to view its mutex as a `Lock`).
    pub(crate) fn segment(&self) -> &Arc<Segment> {
        &self.segment
    }

    /// How many elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The lock of a locked block.
    ///
    /// # Panics
    ///
    /// If the block is raw.
    pub(crate) fn get_lock(&self) -> &Lock {
        self.lock.as_ref().expect("a raw block has no lock")
    }
}

impl<T: Pod> PodBlock<T> {
    fn raw_offset(&self, index: usize) -> usize {
        assert_eq!(
            self.access,
            Access::Raw,
            "a locked block is accessed under its lock"
        );
        assert!(
            index < self.len,
            "index {index} out of range for {} elements",
            self.len
        );
        DATA.next_multiple_of(std::mem::align_of::<T>()) + index * std::mem::size_of::<T>()
    }

    /// Element `index` of a raw block, copied word by word.
    ///
    /// # Panics
    ///
    /// If `index` is out of range, or the block is locked.
    pub(crate) fn load(&self, index: usize) -> T {
        let mut value = T::zeroed();
        words::read(
            &self.segment,
            self.raw_offset(index),
            bytemuck::bytes_of_mut(&mut value),
        );
        value
    }

    /// Stores `value` as element `index` of a raw block, word by word.
    ///
    /// # Panics
    ///
    /// If `index` is out of range, or the block is locked.
    pub(crate) fn store(&self, index: usize, value: T) {
        words::write(
            &self.segment,
            self.raw_offset(index),
            bytemuck::bytes_of(&value),
        );
    }

    /// Copies all elements of a raw block into `dst` (of the block's length).
    ///
    /// # Panics
    ///
    /// If the lengths differ, or the block is locked.
    pub(crate) fn load_all(&self, dst: &mut [T]) {
        assert_eq!(dst.len(), self.len, "copy of a whole block");
        if self.len > 0 {
            words::read(
                &self.segment,
                self.raw_offset(0),
                bytemuck::cast_slice_mut(dst),
            );
        }
    }

    /// Copies `src` (of the block's length) over all elements of a raw block.
    ///
    /// # Panics
    ///
    /// If the lengths differ, or the block is locked.
    pub(crate) fn store_all(&self, src: &[T]) {
        assert_eq!(src.len(), self.len, "copy of a whole block");
        if self.len > 0 {
            words::write(&self.segment, self.raw_offset(0), bytemuck::cast_slice(src));
        }
    }

    /// Acquires the block's lock (see [`Lock::acquire`]) and hands out its elements.
    ///
    /// # Panics
    ///
    /// If the block is raw, or the calling thread holds the lock already.
    pub(crate) fn lock(&self) -> Result<PodGuard<'_, T>, OwnerDied<PodGuard<'_, T>>> {
        match self.get_lock().acquire() {
            Ok(held) => Ok(self.guard(held)),
            Err(died) => Err(OwnerDied::new(self.guard(died.into_guard()))),
        }
    }

    /// Acquires the block's lock if it is free (see [`Lock::try_acquire`]).
    ///
    /// # Panics
    ///
    /// If the block is raw.
    pub(crate) fn try_lock(&self) -> Result<PodGuard<'_, T>, TryAcquireError<PodGuard<'_, T>>> {
        match self.get_lock().try_acquire() {
            Ok(held) => Ok(self.guard(held)),
            Err(TryAcquireError::WouldBlock) => Err(TryAcquireError::WouldBlock),
            Err(TryAcquireError::OwnerDied(died)) => Err(TryAcquireError::OwnerDied(
                OwnerDied::new(self.guard(died.into_guard())),
            )),
        }
    }

    /// Acquires the block's lock, waiting until `deadline` at most (see
    /// [`Lock::acquire_deadline`]).
    ///
    /// # Panics
    ///
    /// If the block is raw.
    pub(crate) fn lock_deadline(
        &self,
        deadline: Instant,
    ) -> Result<PodGuard<'_, T>, AcquireTimeoutError<PodGuard<'_, T>>> {
        match self.get_lock().acquire_deadline(deadline) {
            Ok(held) => Ok(self.guard(held)),
            Err(AcquireTimeoutError::Timeout) => Err(AcquireTimeoutError::Timeout),
            Err(AcquireTimeoutError::OwnerDied(died)) => Err(AcquireTimeoutError::OwnerDied(
                OwnerDied::new(self.guard(died.into_guard())),
            )),
        }
    }

    /// The guard over the elements, given the held guard of the block's own lock.
    fn guard<'a>(&'a self, held: LockGuard<'a>) -> PodGuard<'a, T> {
        let offset = DATA.next_multiple_of(std::mem::align_of::<T>());
        // SAFETY: `offset` is inside the mapping (checked against the segment's length at
        // `create`/`open`, with room for `len` elements after it).
        let data = unsafe { self.segment.as_ptr().add(offset) }.cast::<T>();
        PodGuard {
            _held: held,
            data: NonNull::new(data).expect("a mapping is not at address zero"),
            len: self.len,
            _borrow: PhantomData,
        }
    }
}

/// Exclusive access to the elements of a locked [`PodBlock`] while its lock is held;
/// releases the lock when dropped (its [`LockGuard`] does). Not `Send`, as that guard.
pub(crate) struct PodGuard<'a, T> {
    _held: LockGuard<'a>,
    data: NonNull<T>,
    len: usize,
    _borrow: PhantomData<&'a mut [T]>,
}

impl<T> Deref for PodGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `data` is aligned for `T` (the page-aligned mapping plus an offset that
        // is a multiple of `T`'s alignment) and valid for `len` elements, which are `Pod`
        // and so valid for whatever bytes they hold, even after a writer died mid-way. The
        // guard holds the block's own lock (`guard` is only given the guard of
        // `get_lock()`, the mutex at offset 0 of this very segment) for its whole life,
        // and every access to the elements of a locked block, in any process, happens
        // under that lock (raw copies are refused on locked blocks, and the header keeps
        // another process from opening it as raw), so nothing else reads or writes them
        // meanwhile. The mapping lives as long as the block the guard borrows.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl<T> std::fmt::Debug for PodGuard<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PodGuard")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<T> DerefMut for PodGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference handed out by
        // the guard at a time.
        unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr(), self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_block_is_read_and_written_under_its_mutex() {
        let block = PodBlock::create(Access::Locked, &[1u32, 2, 3]).unwrap();
        {
            let mut guard = block.lock().unwrap();
            assert_eq!(&*guard, &[1, 2, 3]);
            guard[1] = 20;
            std::thread::scope(|s| {
                assert!(s.spawn(|| block.try_lock().is_err()).join().unwrap());
            });
        }
        let guard = block.try_lock().unwrap();
        assert_eq!(&*guard, &[1, 20, 3]);
        assert!(matches!(block.try_lock(), Err(TryAcquireError::WouldBlock)));
        drop(guard);
        // A thread that ends holding the lock leaves it to the next one with the signal.
        std::thread::scope(|s| {
            s.spawn(|| std::mem::forget(block.lock().unwrap()));
        });
        let mut died = block.lock().unwrap_err().into_guard();
        died[0] = 100;
        drop(died);
        assert_eq!(&*block.lock().unwrap(), &[100, 20, 3]);
    }

    #[test]
    fn a_raw_block_copies_word_by_word() {
        let block = PodBlock::create(Access::Raw, &[[1u8, 2, 3], [4, 5, 6], [7, 8, 9]]).unwrap();
        assert_eq!(block.load(1), [4, 5, 6]);
        block.store(2, [0, 0, 1]);
        let mut all = [[0u8; 3]; 3];
        block.load_all(&mut all);
        assert_eq!(all, [[1, 2, 3], [4, 5, 6], [0, 0, 1]]);
        assert!(std::panic::catch_unwind(|| block.load(3)).is_err());
        assert!(std::panic::catch_unwind(|| block.lock().map(|_| ())).is_err());
    }

    #[test]
    fn opening_checks_the_header() {
        let block = PodBlock::create(Access::Locked, &[7u64; 4]).unwrap();
        let open = |access| {
            let seg = block.segment().try_clone().unwrap();
            PodBlock::<u64>::open(seg, access)
        };
        let reopened = open(Access::Locked).unwrap();
        assert_eq!(reopened.len(), 4);
        assert_eq!(reopened.lock().unwrap()[3], 7);
        assert!(open(Access::Raw).is_err());
        let seg = block.segment().try_clone().unwrap();
        assert!(PodBlock::<u32>::open(seg, Access::Locked).is_err());
        let other = Segment::create("test", 4096).unwrap();
        assert!(PodBlock::<u64>::open(other, Access::Locked).is_err());
    }

    #[test]
    fn empty_and_zero_sized_blocks_work() {
        let empty = PodBlock::<u64>::create(Access::Raw, &[]).unwrap();
        empty.load_all(&mut []);
        assert_eq!(empty.len(), 0);
        let unit = PodBlock::create(Access::Locked, &[(), ()]).unwrap();
        assert_eq!(unit.lock().unwrap().len(), 2);
    }
}
