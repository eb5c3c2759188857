//! [`Array`] (with a lock) and [`RawArray`] (lock-free): a fixed-length array of plain
//! values in shared memory.

use std::fmt;
use std::io;
use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use bytemuck::Pod;
use serde::de::{Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};

use super::{deadline_after, deserialize_block, map_died, map_timeout, map_try, serialize_block};
use crate::multiprocessing::{AcquireTimeoutError, Lock, OwnerDied, TryAcquireError};
use crate::shm::{Access, PodBlock, PodGuard};

/// A fixed-length array of `T` in shared memory, with a process-shared lock: Python's
/// `multiprocessing.Array`.
///
/// Every access takes the lock: [`get`](Self::get), [`set`](Self::set) and
/// [`to_vec`](Self::to_vec) for one step, [`lock`](Self::lock) for a guard that
/// dereferences to the whole `[T]` in place. Clone it to get another handle; pass it to a
/// child process as an argument. See the [module documentation](super) for the element
/// types and the lock-free [`RawArray`].
///
/// ```
/// use tripod::multiprocessing::Array;
///
/// let a = Array::new(&[1i32, 2, 3]).unwrap();
/// a.set(0, 10);
/// a.lock().unwrap().reverse();
/// assert_eq!(a.to_vec(), [3, 2, 10]);
/// assert_eq!(a.get(2), Some(10));
/// ```
pub struct Array<T> {
    block: PodBlock<T>,
}

/// Access to an [`Array`] while its lock is held: dereferences to the `[T]` in shared
/// memory; releases the lock when dropped. Not `Send`.
///
/// ```
/// use tripod::multiprocessing::Array;
///
/// let a = Array::<u8>::zeroed(4).unwrap();
/// let mut guard = a.lock().unwrap();
/// guard.fill(7);
/// guard[0] = 1;
/// drop(guard);
/// assert_eq!(a.to_vec(), [1, 7, 7, 7]);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ArrayGuard<'a, T> {
    inner: PodGuard<'a, T>,
}

fn index_panic(index: usize, len: usize) -> ! {
    panic!("index {index} out of range for a shared array of length {len}")
}

impl<T: Pod> Array<T> {
    /// A shared array holding a copy of `values` (Python's `Array(typecode, values)`).
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created (out of memory or descriptors, or a length
    /// that does not fit), or `T` is aligned to more than a page.
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// let a = Array::new(&[0.5f64; 3]).unwrap();
    /// assert_eq!(a.len(), 3);
    /// ```
    pub fn new(values: &[T]) -> io::Result<Array<T>> {
        Ok(Array {
            block: PodBlock::create(Access::Locked, values)?,
        })
    }

    /// A shared array of `len` zeros (Python's `Array(typecode, len)`).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// assert_eq!(Array::<u16>::zeroed(3).unwrap().to_vec(), [0, 0, 0]);
    /// ```
    pub fn zeroed(len: usize) -> io::Result<Array<T>> {
        Ok(Array {
            block: PodBlock::create_zeroed(Access::Locked, len)?,
        })
    }

    /// The number of elements (Python's `len(a)`).
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// assert_eq!(Array::<u8>::zeroed(5).unwrap().len(), 5);
    /// ```
    pub fn len(&self) -> usize {
        self.block.len()
    }

    /// Whether the array has no elements.
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// assert!(Array::<u8>::new(&[]).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.block.len() == 0
    }

    /// Element `index`, read under the lock (Python's `a[i]`); `None` past the end. If
    /// the lock's previous owner died holding it, this reads what it left.
    ///
    /// # Panics
    ///
    /// If the calling thread holds the lock.
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// let a = Array::new(&[4u8, 5]).unwrap();
    /// assert_eq!(a.get(1), Some(5));
    /// assert_eq!(a.get(2), None);
    /// ```
    pub fn get(&self, index: usize) -> Option<T> {
        self.lock()
            .unwrap_or_else(OwnerDied::into_guard)
            .get(index)
            .copied()
    }

    /// Sets element `index` under the lock (Python's `a[i] = x`).
    ///
    /// # Panics
    ///
    /// If `index` is out of range (as `slice[index] = value` does), or the calling thread
    /// holds the lock.
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// let a = Array::<i8>::zeroed(2).unwrap();
    /// a.set(1, -1);
    /// assert_eq!(a.to_vec(), [0, -1]);
    /// ```
    pub fn set(&self, index: usize, value: T) {
        let mut guard = self.lock().unwrap_or_else(OwnerDied::into_guard);
        let len = guard.len();
        match guard.get_mut(index) {
            Some(slot) => *slot = value,
            None => index_panic(index, len),
        }
    }

    /// A copy of all elements, read under the lock (Python's `a[:]`).
    ///
    /// # Panics
    ///
    /// If the calling thread holds the lock.
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// assert_eq!(Array::new(&[1u64, 2]).unwrap().to_vec(), vec![1, 2]);
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        self.lock().unwrap_or_else(OwnerDied::into_guard).to_vec()
    }

    /// Acquires the lock and gives access to the elements in place (Python's
    /// `with a.get_lock(): ...`).
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the lock's previous owner died holding it (the error holds the
    /// guard, to repair the elements).
    ///
    /// # Panics
    ///
    /// If the calling thread holds the lock already.
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// let a = Array::new(&[3u32, 1, 2]).unwrap();
    /// a.lock().unwrap().sort();
    /// assert_eq!(a.to_vec(), [1, 2, 3]);
    /// ```
    pub fn lock(&self) -> Result<ArrayGuard<'_, T>, OwnerDied<ArrayGuard<'_, T>>> {
        map_died(self.block.lock(), ArrayGuard::new)
    }

    /// Acquires the lock if it is free right now.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if someone holds it (the calling thread included);
    /// [`TryAcquireError::OwnerDied`] as for [`lock`](Self::lock).
    ///
    /// ```
    /// use tripod::multiprocessing::{Array, TryAcquireError};
    ///
    /// let a = Array::new(&[1u8]).unwrap();
    /// let held = a.try_lock().unwrap();
    /// assert!(matches!(a.try_lock(), Err(TryAcquireError::WouldBlock)));
    /// drop(held);
    /// ```
    pub fn try_lock(&self) -> Result<ArrayGuard<'_, T>, TryAcquireError<ArrayGuard<'_, T>>> {
        map_try(self.block.try_lock(), ArrayGuard::new)
    }

    /// Acquires the lock, waiting at most `timeout`.
    ///
    /// # Errors
    ///
    /// [`AcquireTimeoutError::Timeout`] if it was still held when the time ran out;
    /// [`AcquireTimeoutError::OwnerDied`] as for [`lock`](Self::lock).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::Array;
    ///
    /// let a = Array::new(&[1u8]).unwrap();
    /// assert_eq!(a.lock_timeout(Duration::from_secs(1)).unwrap()[0], 1);
    /// ```
    pub fn lock_timeout(
        &self,
        timeout: Duration,
    ) -> Result<ArrayGuard<'_, T>, AcquireTimeoutError<ArrayGuard<'_, T>>> {
        match deadline_after(timeout) {
            Some(deadline) => self.lock_deadline(deadline),
            None => Ok(self.lock()?),
        }
    }

    /// Acquires the lock, waiting until `deadline` at most.
    ///
    /// # Errors
    ///
    /// As [`lock_timeout`](Self::lock_timeout).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use tripod::multiprocessing::{AcquireTimeoutError, Array};
    ///
    /// let a = Array::new(&[1u8]).unwrap();
    /// let held = a.lock().unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let err = a.lock_deadline(Instant::now() + Duration::from_millis(5)).unwrap_err();
    ///         assert!(matches!(err, AcquireTimeoutError::Timeout));
    ///     });
    /// });
    /// drop(held);
    /// ```
    pub fn lock_deadline(
        &self,
        deadline: Instant,
    ) -> Result<ArrayGuard<'_, T>, AcquireTimeoutError<ArrayGuard<'_, T>>> {
        map_timeout(self.block.lock_deadline(deadline), ArrayGuard::new)
    }

    /// The lock itself (Python's `a.get_lock()`); while holding its guard, use no other
    /// method of this array from the same thread (see [`Value::get_lock`](super::Value::get_lock)).
    ///
    /// ```
    /// use tripod::multiprocessing::Array;
    ///
    /// let a = Array::new(&[1u8]).unwrap();
    /// let held = a.get_lock().acquire().unwrap();
    /// assert!(a.get_lock().locked());
    /// drop(held);
    /// ```
    pub fn get_lock(&self) -> &Lock {
        self.block.get_lock()
    }
}

impl<'a, T> ArrayGuard<'a, T> {
    fn new(inner: PodGuard<'a, T>) -> Self {
        ArrayGuard { inner }
    }
}

impl<T> Deref for ArrayGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.inner
    }
}

impl<T> DerefMut for ArrayGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.inner
    }
}

impl<T: fmt::Debug> fmt::Debug for ArrayGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ArrayGuard").field(&&**self).finish()
    }
}

impl<T> Clone for Array<T> {
    /// Another handle to the same array and lock.
    fn clone(&self) -> Self {
        Array {
            block: self.block.clone(),
        }
    }
}

impl<T> fmt::Debug for Array<T> {
    /// Shows the type, the length and the lock, not the elements (reading them would take
    /// the lock).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Array")
            .field("type", &std::any::type_name::<T>())
            .field("len", &self.block.len())
            .field("lock", self.block.get_lock())
            .finish()
    }
}

impl<T> Serialize for Array<T> {
    /// Sends the array's shared memory (its descriptor travels beside the encoded bytes):
    /// possible as (part of) a child process's argument.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_block(&self.block, serializer)
    }
}

impl<'de, T: Pod> Deserialize<'de> for Array<T> {
    /// Maps the received shared memory, after checking it holds a locked array of `T`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Array {
            block: deserialize_block(deserializer, Access::Locked)?,
        })
    }
}

/// A fixed-length array of `T` in shared memory, without a lock: Python's `RawArray` (or
/// `Array(..., lock=False)`).
///
/// Nothing blocks. Copies go through the memory's aligned 8-byte words, each atomically:
/// an element within one aligned word (any integer or float) is read and written whole,
/// a wider element, or a copy of several, may mix old and new words when it races with a
/// write. Writing one element never disturbs its neighbours, even when they share a word.
///
/// ```
/// use tripod::multiprocessing::RawArray;
///
/// let a = RawArray::new(&[1u8, 2, 3]).unwrap();
/// a.set(1, 20);
/// assert_eq!(a.to_vec(), [1, 20, 3]);
/// ```
pub struct RawArray<T> {
    block: PodBlock<T>,
}

impl<T: Pod> RawArray<T> {
    /// A shared array holding a copy of `values` (Python's `RawArray(typecode, values)`).
    ///
    /// # Errors
    ///
    /// As [`Array::new`].
    ///
    /// ```
    /// use tripod::multiprocessing::RawArray;
    ///
    /// assert_eq!(RawArray::new(&[1i16, -1]).unwrap().get(1), Some(-1));
    /// ```
    pub fn new(values: &[T]) -> io::Result<RawArray<T>> {
        Ok(RawArray {
            block: PodBlock::create(Access::Raw, values)?,
        })
    }

    /// A shared array of `len` zeros (Python's `RawArray(typecode, len)`).
    ///
    /// # Errors
    ///
    /// As [`Array::new`].
    ///
    /// ```
    /// use tripod::multiprocessing::RawArray;
    ///
    /// assert_eq!(RawArray::<f32>::zeroed(2).unwrap().to_vec(), [0.0, 0.0]);
    /// ```
    pub fn zeroed(len: usize) -> io::Result<RawArray<T>> {
        Ok(RawArray {
            block: PodBlock::create_zeroed(Access::Raw, len)?,
        })
    }

    /// The number of elements.
    ///
    /// ```
    /// use tripod::multiprocessing::RawArray;
    ///
    /// assert_eq!(RawArray::<u8>::zeroed(3).unwrap().len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.block.len()
    }

    /// Whether the array has no elements.
    ///
    /// ```
    /// use tripod::multiprocessing::RawArray;
    ///
    /// assert!(RawArray::<u8>::zeroed(0).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.block.len() == 0
    }

    /// Element `index` (Python's `a[i]`); `None` past the end.
    ///
    /// ```
    /// use tripod::multiprocessing::RawArray;
    ///
    /// let a = RawArray::new(&[9u32]).unwrap();
    /// assert_eq!((a.get(0), a.get(1)), (Some(9), None));
    /// ```
    pub fn get(&self, index: usize) -> Option<T> {
        (index < self.block.len()).then(|| self.block.load(index))
    }

    /// Sets element `index` (Python's `a[i] = x`).
    ///
    /// # Panics
    ///
    /// If `index` is out of range.
    ///
    /// ```
    /// use tripod::multiprocessing::RawArray;
    ///
    /// let a = RawArray::<u64>::zeroed(2).unwrap();
    /// a.set(0, 5);
    /// assert_eq!(a.to_vec(), [5, 0]);
    /// ```
    pub fn set(&self, index: usize, value: T) {
        if index >= self.block.len() {
            index_panic(index, self.block.len());
        }
        self.block.store(index, value);
    }

    /// A copy of all elements (Python's `a[:]`).
    ///
    /// ```
    /// use tripod::multiprocessing::RawArray;
    ///
    /// assert_eq!(RawArray::new(&[1u8, 2]).unwrap().to_vec(), [1, 2]);
    /// ```
    pub fn to_vec(&self) -> Vec<T> {
        let mut out = vec![T::zeroed(); self.block.len()];
        self.block.load_all(&mut out);
        out
    }

    /// Overwrites all elements with `values` (Python's `a[:] = values`).
    ///
    /// # Panics
    ///
    /// If `values` has another length than the array.
    ///
    /// ```
    /// use tripod::multiprocessing::RawArray;
    ///
    /// let a = RawArray::<i32>::zeroed(3).unwrap();
    /// a.copy_from_slice(&[7, 8, 9]);
    /// assert_eq!(a.to_vec(), [7, 8, 9]);
    /// ```
    pub fn copy_from_slice(&self, values: &[T]) {
        assert_eq!(
            values.len(),
            self.block.len(),
            "copy_from_slice needs a slice of the array's length"
        );
        self.block.store_all(values);
    }
}

impl<T> Clone for RawArray<T> {
    /// Another handle to the same array.
    fn clone(&self) -> Self {
        RawArray {
            block: self.block.clone(),
        }
    }
}

impl<T: Pod + fmt::Debug> fmt::Debug for RawArray<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawArray").field(&self.to_vec()).finish()
    }
}

impl<T> Serialize for RawArray<T> {
    /// Sends the array's shared memory, as [`Array`] does.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_block(&self.block, serializer)
    }
}

impl<'de, T: Pod> Deserialize<'de> for RawArray<T> {
    /// Maps the received shared memory, after checking it holds a raw array of `T`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(RawArray {
            block: deserialize_block(deserializer, Access::Raw)?,
        })
    }
}
