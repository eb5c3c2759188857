//! [`Value`] (with a lock) and [`RawValue`] (lock-free): one plain value in shared memory.

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

/// A value of type `T` in shared memory, with a process-shared lock: Python's
/// `multiprocessing.Value`.
///
/// Every access takes the lock: [`get`](Self::get) and [`set`](Self::set) for one step,
/// [`lock`](Self::lock) for a read-modify-write (`*v.lock()? += 1`). Clone it to get
/// another handle; pass it to a child process as an argument. See the
/// [module documentation](super) for the element types and the lock-free [`RawValue`].
///
/// ```
/// use tripod::multiprocessing::Value;
///
/// let v = Value::new(1.5f64).unwrap();
/// v.set(2.5);
/// *v.lock().unwrap() *= 2.0;
/// assert_eq!(v.get(), 5.0);
/// ```
pub struct Value<T> {
    block: PodBlock<T>,
}

/// Access to a [`Value`] while its lock is held: dereferences to the value in shared
/// memory; releases the lock when dropped. Not `Send`: the lock is released by the thread
/// that took it.
///
/// ```
/// use tripod::multiprocessing::Value;
///
/// let v = Value::new([0u8; 4]).unwrap();
/// let mut guard = v.lock().unwrap();
/// guard[2] = 9;
/// assert!(v.get_lock().locked());
/// drop(guard);
/// assert_eq!(v.get(), [0, 0, 9, 0]);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct ValueGuard<'a, T> {
    inner: PodGuard<'a, T>,
}

impl<T: Pod> Value<T> {
    /// Puts `value` in a new block of shared memory with its lock (Python's
    /// `Value(typecode, value)`).
    ///
    /// # Errors
    ///
    /// If the shared memory cannot be created (out of memory or descriptors), or `T` is
    /// aligned to more than a page.
    ///
    /// ```
    /// use tripod::multiprocessing::Value;
    ///
    /// let v = Value::new(7i32).unwrap();
    /// assert_eq!(v.get(), 7);
    /// ```
    pub fn new(value: T) -> io::Result<Value<T>> {
        Ok(Value {
            block: PodBlock::create(Access::Locked, &[value])?,
        })
    }

    /// The value, read under the lock (Python's `v.value`). If the lock's previous owner
    /// died holding it, this reads what it left; use [`lock`](Self::lock) to be told.
    ///
    /// # Panics
    ///
    /// If the calling thread holds the lock (a [`ValueGuard`], or a guard of
    /// [`get_lock`](Self::get_lock)): waiting for itself would never end.
    ///
    /// ```
    /// use tripod::multiprocessing::Value;
    ///
    /// assert_eq!(Value::new(3u16).unwrap().get(), 3);
    /// ```
    pub fn get(&self) -> T {
        *self.lock().unwrap_or_else(OwnerDied::into_guard)
    }

    /// Sets the value under the lock (Python's `v.value = x`).
    ///
    /// # Panics
    ///
    /// As [`get`](Self::get).
    ///
    /// ```
    /// use tripod::multiprocessing::Value;
    ///
    /// let v = Value::new(0u8).unwrap();
    /// v.set(200);
    /// assert_eq!(v.get(), 200);
    /// ```
    pub fn set(&self, value: T) {
        *self.lock().unwrap_or_else(OwnerDied::into_guard) = value;
    }

    /// Acquires the lock and gives access to the value in place: Python's
    /// `with v.get_lock(): ...`. The guard dereferences (mutably) to the value.
    ///
    /// # Errors
    ///
    /// [`OwnerDied`] if the lock's previous owner (a thread, or a killed process) died
    /// holding it, maybe half-way through an update: the error holds the guard, so the
    /// value can be checked and repaired.
    ///
    /// # Panics
    ///
    /// If the calling thread holds the lock already.
    ///
    /// ```
    /// use tripod::multiprocessing::Value;
    ///
    /// let counter = Value::new(0u64).unwrap();
    /// *counter.lock().unwrap() += 1;
    /// assert_eq!(counter.get(), 1);
    /// ```
    pub fn lock(&self) -> Result<ValueGuard<'_, T>, OwnerDied<ValueGuard<'_, T>>> {
        map_died(self.block.lock(), ValueGuard::new)
    }

    /// Acquires the lock if it is free right now, without blocking.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError::WouldBlock`] if someone holds it (the calling thread included);
    /// [`TryAcquireError::OwnerDied`] as for [`lock`](Self::lock).
    ///
    /// ```
    /// use tripod::multiprocessing::{TryAcquireError, Value};
    ///
    /// let v = Value::new(1u32).unwrap();
    /// let held = v.try_lock().unwrap();
    /// assert!(matches!(v.try_lock(), Err(TryAcquireError::WouldBlock)));
    /// drop(held);
    /// assert_eq!(*v.try_lock().unwrap(), 1);
    /// ```
    pub fn try_lock(&self) -> Result<ValueGuard<'_, T>, TryAcquireError<ValueGuard<'_, T>>> {
        map_try(self.block.try_lock(), ValueGuard::new)
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
    /// use tripod::multiprocessing::{AcquireTimeoutError, Value};
    ///
    /// let v = Value::new(1u32).unwrap();
    /// let held = v.lock().unwrap();
    /// std::thread::scope(|s| {
    ///     s.spawn(|| {
    ///         let err = v.lock_timeout(Duration::from_millis(5)).unwrap_err();
    ///         assert!(matches!(err, AcquireTimeoutError::Timeout));
    ///     });
    /// });
    /// drop(held);
    /// assert!(v.lock_timeout(Duration::from_millis(5)).is_ok());
    /// ```
    pub fn lock_timeout(
        &self,
        timeout: Duration,
    ) -> Result<ValueGuard<'_, T>, AcquireTimeoutError<ValueGuard<'_, T>>> {
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
    /// use tripod::multiprocessing::Value;
    ///
    /// let v = Value::new(1u32).unwrap();
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(*v.lock_deadline(deadline).unwrap(), 1);
    /// ```
    pub fn lock_deadline(
        &self,
        deadline: Instant,
    ) -> Result<ValueGuard<'_, T>, AcquireTimeoutError<ValueGuard<'_, T>>> {
        map_timeout(self.block.lock_deadline(deadline), ValueGuard::new)
    }

    /// The lock itself (Python's `v.get_lock()`), for sections that do more than touch the
    /// value. It is the same lock that [`get`](Self::get), [`set`](Self::set) and
    /// [`lock`](Self::lock) take, so while holding its guard, use none of them on this
    /// value from the same thread (they would wait for themselves, and panic).
    ///
    /// ```
    /// use tripod::multiprocessing::Value;
    ///
    /// let v = Value::new(0i64).unwrap();
    /// let held = v.get_lock().acquire().unwrap();
    /// assert!(v.try_lock().is_err());
    /// drop(held);
    /// assert!(!v.get_lock().locked());
    /// ```
    pub fn get_lock(&self) -> &Lock {
        self.block.get_lock()
    }
}

impl<'a, T> ValueGuard<'a, T> {
    fn new(inner: PodGuard<'a, T>) -> Self {
        ValueGuard { inner }
    }
}

impl<T> Deref for ValueGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner[0]
    }
}

impl<T> DerefMut for ValueGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner[0]
    }
}

impl<T: fmt::Debug> fmt::Debug for ValueGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ValueGuard").field(&**self).finish()
    }
}

impl<T> Clone for Value<T> {
    /// Another handle to the same value and lock.
    fn clone(&self) -> Self {
        Value {
            block: self.block.clone(),
        }
    }
}

impl<T> fmt::Debug for Value<T> {
    /// Shows the type and the lock, not the value (reading it would take the lock).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Value")
            .field("type", &std::any::type_name::<T>())
            .field("lock", self.block.get_lock())
            .finish()
    }
}

impl<T> Serialize for Value<T> {
    /// Sends the value's shared memory (its descriptor travels beside the encoded bytes):
    /// possible as (part of) a child process's argument.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_block(&self.block, serializer)
    }
}

impl<'de, T: Pod> Deserialize<'de> for Value<T> {
    /// Maps the received shared memory, after checking it holds a locked `T`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Value {
            block: deserialize_block(deserializer, Access::Locked)?,
        })
    }
}

/// A value of type `T` in shared memory, without a lock: Python's `RawValue` (or
/// `Value(..., lock=False)`).
///
/// [`get`](Self::get) and [`set`](Self::set) never block. They copy through the memory's
/// aligned 8-byte words, each atomically: a `T` within one aligned word (any integer or
/// float) never tears; a wider `T` read while another process writes it may mix old and
/// new words. For read-modify-write, use a [`Value`].
///
/// ```
/// use tripod::multiprocessing::RawValue;
///
/// let flag = RawValue::new(0u32).unwrap();
/// let other = flag.clone();
/// other.set(1);
/// assert_eq!(flag.get(), 1);
/// ```
pub struct RawValue<T> {
    block: PodBlock<T>,
}

impl<T: Pod> RawValue<T> {
    /// Puts `value` in a new block of shared memory (Python's `RawValue(typecode, value)`).
    ///
    /// # Errors
    ///
    /// As [`Value::new`].
    ///
    /// ```
    /// use tripod::multiprocessing::RawValue;
    ///
    /// assert_eq!(RawValue::new([1.0f32, 2.0]).unwrap().get(), [1.0, 2.0]);
    /// ```
    pub fn new(value: T) -> io::Result<RawValue<T>> {
        Ok(RawValue {
            block: PodBlock::create(Access::Raw, &[value])?,
        })
    }

    /// The value (Python's `v.value`).
    ///
    /// ```
    /// use tripod::multiprocessing::RawValue;
    ///
    /// assert_eq!(RawValue::new(-4i64).unwrap().get(), -4);
    /// ```
    pub fn get(&self) -> T {
        self.block.load(0)
    }

    /// Sets the value (Python's `v.value = x`).
    ///
    /// ```
    /// use tripod::multiprocessing::RawValue;
    ///
    /// let v = RawValue::new(0u64).unwrap();
    /// v.set(u64::MAX);
    /// assert_eq!(v.get(), u64::MAX);
    /// ```
    pub fn set(&self, value: T) {
        self.block.store(0, value);
    }
}

impl<T> Clone for RawValue<T> {
    /// Another handle to the same value.
    fn clone(&self) -> Self {
        RawValue {
            block: self.block.clone(),
        }
    }
}

impl<T: Pod + fmt::Debug> fmt::Debug for RawValue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RawValue").field(&self.get()).finish()
    }
}

impl<T> Serialize for RawValue<T> {
    /// Sends the value's shared memory, as [`Value`] does.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_block(&self.block, serializer)
    }
}

impl<'de, T: Pod> Deserialize<'de> for RawValue<T> {
    /// Maps the received shared memory, after checking it holds a raw `T`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(RawValue {
            block: deserialize_block(deserializer, Access::Raw)?,
        })
    }
}
