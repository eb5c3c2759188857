//! [`Local`]: per-thread data attached to an object (Python's `threading.local()`).
//!
//! Storage: each thread keeps a small map (a std `thread_local!`) from a `Local`'s id to
//! that thread's slot; the `Local` keeps weak references to its slots. So a thread reaches
//! its own value without touching any other thread, a thread's values are dropped when it
//! exits (tripod threads: right after the target returns, before `join` returns), and
//! every value is dropped when the `Local` is dropped. (The `thread_local` crate drops
//! values only with the object and hands a dead thread's value to the next thread that
//! reuses its id, which is not `threading.local`'s behaviour.)
#![forbid(unsafe_code)]

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

static NEXT_LOCAL_ID: AtomicU64 = AtomicU64::new(1);

/// One thread's value of one `Local`.
struct Slot<T> {
    value: Mutex<Option<T>>,
    /// Set when the `Local` is dropped; the thread's map then forgets the slot.
    orphaned: AtomicBool,
}

/// What a thread's map needs from a slot without knowing `T`.
trait ErasedSlot: Send + Sync {
    fn clear(&self);
    fn is_orphaned(&self) -> bool;
}

impl<T: Send> ErasedSlot for Slot<T> {
    fn clear(&self) {
        let old = self.value.lock().take();
        drop(old); // after unlocking: the value's destructor may use this thread's Locals
    }

    fn is_orphaned(&self) -> bool {
        self.orphaned.load(Ordering::Acquire)
    }
}

struct Entry {
    typed: Arc<dyn Any + Send + Sync>,
    erased: Arc<dyn ErasedSlot>,
}

/// The calling thread's slots, by `Local` id.
#[derive(Default)]
struct Store {
    slots: HashMap<u64, Entry>,
    prune_at: usize,
}

impl Store {
    fn insert(&mut self, id: u64, entry: Entry) {
        if self.slots.len() >= self.prune_at {
            self.slots.retain(|_, e| !e.erased.is_orphaned());
            self.prune_at = (self.slots.len() * 2).max(16);
        }
        self.slots.insert(id, entry);
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        for entry in self.slots.values() {
            entry.erased.clear();
        }
    }
}

thread_local! {
    static STORE: RefCell<Store> = RefCell::new(Store::default());
}

/// Drops every `Local` value of the calling thread (called when a tripod thread's target
/// has returned).
pub(crate) fn clear_current_thread() {
    let slots = STORE
        .try_with(|store| std::mem::take(&mut store.borrow_mut().slots))
        .unwrap_or_default();
    for entry in slots.values() {
        entry.erased.clear();
    }
}

/// Data with a separate value for each thread (Python's `threading.local()`).
///
/// Share one `Local` between threads (a `static`, an `Arc`, or a borrow in a scope); each
/// thread that [`set`](Local::set)s it sees its own value, and a thread that has not set
/// it sees none. A thread's value is dropped when the thread exits (for threads started by
/// [`Thread`](super::Thread), right after the target returns, before `join` returns), and
/// all remaining values are dropped when the `Local` is dropped.
///
/// Where Python writes `local.student = name`, tripod writes `local.set(name)`; where
/// Python reads `local.student`, tripod reads `local.get()` (for `Clone` values) or
/// borrows with [`with`](Local::with) / [`with_mut`](Local::with_mut). Several
/// attributes become a struct.
///
/// ```
/// use std::sync::Arc;
/// use tripod::threading::{Local, Thread};
///
/// let student: Arc<Local<String>> = Arc::new(Local::new());
/// student.set("main".to_owned());
/// let handles: Vec<_> = ["Alice", "Bob"]
///     .into_iter()
///     .map(|name| {
///         let student = Arc::clone(&student);
///         Thread::new(move || {
///             assert_eq!(student.get(), None); // nothing set on this thread yet
///             student.set(name.to_owned());
///             student.get().unwrap()
///         })
///         .start()
///         .unwrap()
///     })
///     .collect();
/// let seen: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
/// assert_eq!(seen, ["Alice", "Bob"]);
/// assert_eq!(student.get().as_deref(), Some("main"));
/// ```
pub struct Local<T: Send + 'static> {
    id: u64,
    slots: Mutex<Vec<Weak<Slot<T>>>>,
}

impl<T: Send + 'static> Local<T> {
    /// A `Local` with no value on any thread.
    ///
    /// ```
    /// use tripod::threading::Local;
    ///
    /// let local: Local<u32> = Local::new();
    /// assert_eq!(local.get(), None);
    /// ```
    pub fn new() -> Self {
        Local {
            id: NEXT_LOCAL_ID.fetch_add(1, Ordering::Relaxed),
            slots: Mutex::new(Vec::new()),
        }
    }

    /// The calling thread's slot, created if `create`; `None` when absent (or when the
    /// thread is being torn down and its storage is gone).
    fn slot(&self, create: bool) -> Option<Arc<Slot<T>>> {
        STORE
            .try_with(|store| {
                let mut store = store.borrow_mut();
                if let Some(entry) = store.slots.get(&self.id) {
                    let typed = Arc::clone(&entry.typed);
                    return Some(typed.downcast::<Slot<T>>().expect("Local ids are unique"));
                }
                if !create {
                    return None;
                }
                let slot = Arc::new(Slot {
                    value: Mutex::new(None),
                    orphaned: AtomicBool::new(false),
                });
                store.insert(
                    self.id,
                    Entry {
                        typed: slot.clone(),
                        erased: slot.clone(),
                    },
                );
                let mut slots = self.slots.lock();
                if slots.len() == slots.capacity() {
                    slots.retain(|weak| weak.strong_count() > 0);
                }
                slots.push(Arc::downgrade(&slot));
                Some(slot)
            })
            .ok()
            .flatten()
    }

    /// Calls `f` with the calling thread's value, if it has one, and returns what `f`
    /// returns.
    ///
    /// # Panics
    ///
    /// If `f` uses this same `Local` again (any method but `with`'s own borrow), as
    /// `RefCell` would: the value is borrowed for the duration of `f`.
    ///
    /// ```
    /// use tripod::threading::Local;
    ///
    /// let names: Local<Vec<&str>> = Local::new();
    /// assert_eq!(names.with(|v| v.map(Vec::len)), None);
    /// names.set(vec!["a", "b"]);
    /// assert_eq!(names.with(|v| v.map(Vec::len)), Some(2));
    /// ```
    pub fn with<R>(&self, f: impl FnOnce(Option<&T>) -> R) -> R {
        match self.slot(false) {
            None => f(None),
            Some(slot) => {
                let value = lock_own(&slot);
                f(value.as_ref())
            }
        }
    }

    /// Calls `f` with the calling thread's slot, which `f` may read, change, fill
    /// (`get_or_insert`) or empty (`take`).
    ///
    /// # Panics
    ///
    /// If `f` uses this same `Local` again, as [`with`](Local::with).
    ///
    /// ```
    /// use tripod::threading::Local;
    ///
    /// let counter: Local<u64> = Local::new();
    /// for _ in 0..3 {
    ///     counter.with_mut(|n| *n.get_or_insert(0) += 1);
    /// }
    /// assert_eq!(counter.get(), Some(3));
    /// ```
    pub fn with_mut<R>(&self, f: impl FnOnce(&mut Option<T>) -> R) -> R {
        let slot = self.slot(true);
        match slot {
            None => f(&mut None), // thread teardown: nothing to keep the value in
            Some(slot) => {
                let mut value = lock_own(&slot);
                f(&mut value)
            }
        }
    }

    /// Sets the calling thread's value, dropping the one it replaces.
    ///
    /// # Panics
    ///
    /// If called from inside [`with`](Local::with)/[`with_mut`](Local::with_mut) on the
    /// same `Local`.
    ///
    /// ```
    /// use tripod::threading::Local;
    ///
    /// let local = Local::new();
    /// local.set(1);
    /// local.set(2);
    /// assert_eq!(local.get(), Some(2));
    /// ```
    pub fn set(&self, value: T) {
        drop(self.replace(value));
    }

    /// Sets the calling thread's value and returns the previous one.
    ///
    /// # Panics
    ///
    /// As [`set`](Local::set).
    ///
    /// ```
    /// use tripod::threading::Local;
    ///
    /// let local = Local::new();
    /// assert_eq!(local.replace('a'), None);
    /// assert_eq!(local.replace('b'), Some('a'));
    /// ```
    pub fn replace(&self, value: T) -> Option<T> {
        self.with_mut(|slot| slot.replace(value))
    }

    /// Removes and returns the calling thread's value (Python's `del local.attr`).
    ///
    /// # Panics
    ///
    /// As [`set`](Local::set).
    ///
    /// ```
    /// use tripod::threading::Local;
    ///
    /// let local = Local::new();
    /// local.set("x");
    /// assert_eq!(local.take(), Some("x"));
    /// assert_eq!(local.take(), None);
    /// ```
    pub fn take(&self) -> Option<T> {
        match self.slot(false) {
            None => None,
            Some(slot) => lock_own(&slot).take(),
        }
    }

    /// Whether the calling thread has a value (Python's `hasattr(local, "attr")`).
    ///
    /// ```
    /// use tripod::threading::Local;
    ///
    /// let local = Local::new();
    /// assert!(!local.is_set());
    /// local.set(0u8);
    /// assert!(local.is_set());
    /// ```
    pub fn is_set(&self) -> bool {
        self.with(|value| value.is_some())
    }
}

impl<T: Clone + Send + 'static> Local<T> {
    /// A clone of the calling thread's value, if it has one.
    ///
    /// ```
    /// use tripod::threading::{Local, Thread};
    ///
    /// static LOCAL: std::sync::LazyLock<Local<i32>> = std::sync::LazyLock::new(Local::new);
    /// LOCAL.set(5);
    /// let other = Thread::new(|| LOCAL.get()).start().unwrap().join().unwrap();
    /// assert_eq!(other, None);
    /// assert_eq!(LOCAL.get(), Some(5));
    /// ```
    pub fn get(&self) -> Option<T> {
        self.with(|value| value.cloned())
    }

    /// A clone of the calling thread's value, first setting it to `init()` if the thread
    /// has none (Python: a `local` subclass whose `__init__` sets defaults).
    ///
    /// ```
    /// use tripod::threading::Local;
    ///
    /// let local = Local::new();
    /// assert_eq!(local.get_or(|| 10), 10);
    /// assert_eq!(local.get_or(|| 99), 10);
    /// ```
    pub fn get_or(&self, init: impl FnOnce() -> T) -> T {
        self.with_mut(|slot| slot.get_or_insert_with(init).clone())
    }
}

/// Locks the calling thread's own slot. Nobody else locks it while the `Local` is alive
/// (only `Local::drop`, which cannot run during a `&self` call, and this thread's exit),
/// so failing to lock means a re-entrant call from inside `with`/`with_mut`.
fn lock_own<T>(slot: &Slot<T>) -> parking_lot::MutexGuard<'_, Option<T>> {
    slot.value
        .try_lock()
        .expect("tripod::threading::Local used re-entrantly from inside `with`/`with_mut`")
}

impl<T: Send + 'static> Default for Local<T> {
    fn default() -> Self {
        Local::new()
    }
}

impl<T: Send + 'static> Drop for Local<T> {
    fn drop(&mut self) {
        for weak in self.slots.get_mut().drain(..) {
            if let Some(slot) = weak.upgrade() {
                slot.orphaned.store(true, Ordering::Release);
                slot.clear();
            }
        }
    }
}

impl<T: Send + 'static> fmt::Debug for Local<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Local")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
