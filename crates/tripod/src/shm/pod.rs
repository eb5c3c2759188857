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

use super::{Locked, RobustMutex, Segment, words};

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

impl<T: Pod> PodBlock<T> {
    /// A new block holding a copy of `values`.
    pub(crate) fn create(access: Access, values: &[T]) -> io::Result<PodBlock<T>> {
        let name = match access {
            Access::Locked => "value",
            Access::Raw => "raw-value",
        };
        let segment = Segment::create(name, data_bytes::<T>(values.len())?)?;
        if access == Access::Locked {
            // SAFETY: the segment was created just above and nobody else has seen it yet;
            // this is the one initialisation of its mutex.
            unsafe { segment.at::<RobustMutex>(MUTEX).init()? };
        }
        let header = |field: Field, value: usize| {
            segment
                .at::<AtomicU64>(HEADER + 8 * field as usize)
                .store(value as u64, Ordering::Relaxed)
        };
        header(Field::Access, access.code() as usize);
        header(Field::Size, std::mem::size_of::<T>());
        header(Field::Align, std::mem::align_of::<T>());
        header(Field::Len, values.len());
        segment
            .at::<AtomicU64>(HEADER + 8 * Field::Magic as usize)
            .store(MAGIC, Ordering::Release);
        words::write(&segment, data_offset::<T>()?, bytemuck::cast_slice(values));
        Ok(PodBlock {
            segment: Arc::new(segment),
            access,
            len: values.len(),
            _elements: PhantomData,
        })
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
        Ok(PodBlock {
            segment: Arc::new(segment),
            access,
            len,
            _elements: PhantomData,
        })
    }
}

impl<T> PodBlock<T> {
    /// The segment (to send it, or to view its mutex as a `Lock`).
    pub(crate) fn segment(&self) -> &Arc<Segment> {
        &self.segment
    }

    /// The byte offset of the mutex in the segment.
    pub(crate) fn mutex_offset(&self) -> usize {
        MUTEX
    }

    /// How many elements.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn access(&self) -> Access {
        self.access
    }

    fn mutex(&self) -> &RobustMutex {
        assert_eq!(self.access, Access::Locked, "a raw block has no lock");
        self.segment.at::<RobustMutex>(MUTEX)
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

    /// Takes the mutex of a locked block, waiting until `deadline` (forever with `None`);
    /// `None` if the deadline passed first.
    ///
    /// # Panics
    ///
    /// If the block is raw, or the calling thread holds the mutex already.
    pub(crate) fn lock(&self, deadline: Option<Instant>) -> Option<(PodGuard<'_, T>, Locked)> {
        let locked = self.mutex().lock(deadline)?;
        Some((self.guard(), locked))
    }

    /// Takes the mutex of a locked block if nobody holds it.
    ///
    /// # Panics
    ///
    /// If the block is raw.
    pub(crate) fn try_lock(&self) -> Option<(PodGuard<'_, T>, Locked)> {
        let locked = self.mutex().try_lock()?;
        Some((self.guard(), locked))
    }

    /// The guard of a mutex the calling thread has just taken.
    fn guard(&self) -> PodGuard<'_, T> {
        let offset = DATA.next_multiple_of(std::mem::align_of::<T>());
        // SAFETY: `offset` is inside the mapping (checked against the segment's length at
        // `create`/`open`, with room for `len` elements after it).
        let data = unsafe { self.segment.as_ptr().add(offset) }.cast::<T>();
        PodGuard {
            mutex: self.mutex(),
            data: NonNull::new(data).expect("a mapping is not at address zero"),
            len: self.len,
            _borrow: PhantomData,
        }
    }
}

/// Exclusive access to the elements of a locked [`PodBlock`] while its mutex is held;
/// releases the mutex when dropped. Not `Send`: a pthread mutex is released by the thread
/// that took it.
pub(crate) struct PodGuard<'a, T> {
    mutex: &'a RobustMutex,
    data: NonNull<T>,
    len: usize,
    _borrow: PhantomData<(&'a mut [T], *const ())>,
}

impl<T> Deref for PodGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `data` is aligned for `T` (the page-aligned mapping plus an offset that
        // is a multiple of `T`'s alignment) and valid for `len` elements, which are `Pod`
        // and so valid for whatever bytes they hold, even after a writer died mid-way. The
        // mutex is held by this thread for the guard's whole life, and every access to
        // the elements of a locked block, in any process, happens under it (raw copies
        // are refused on locked blocks, and the header keeps another process from opening
        // it as raw), so nothing else reads or writes them meanwhile. The mapping lives
        // as long as the block the guard borrows.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl<T> DerefMut for PodGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`; `&mut self` makes this the only reference handed out by
        // the guard at a time.
        unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr(), self.len) }
    }
}

impl<T> Drop for PodGuard<'_, T> {
    fn drop(&mut self) {
        let released = self.mutex.unlock();
        debug_assert!(released, "a PodGuard releases the mutex its thread holds");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_block_is_read_and_written_under_its_mutex() {
        let block = PodBlock::create(Access::Locked, &[1u32, 2, 3]).unwrap();
        {
            let (mut guard, how) = block.lock(None).unwrap();
            assert_eq!(how, Locked::Clean);
            assert_eq!(&*guard, &[1, 2, 3]);
            guard[1] = 20;
            std::thread::scope(|s| {
                assert!(s.spawn(|| block.try_lock().is_none()).join().unwrap());
            });
        }
        let (guard, _) = block.try_lock().unwrap();
        assert_eq!(&*guard, &[1, 20, 3]);
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
        assert!(std::panic::catch_unwind(|| block.lock(None).map(|_| ())).is_err());
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
        assert_eq!(reopened.lock(None).unwrap().0[3], 7);
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
        assert_eq!(unit.lock(None).unwrap().0.len(), 2);
    }
}
