//! The synchronization primitives the queue engine is built from, routed through one place
//! so that `RUSTFLAGS="--cfg tripod_loom"` swaps them for loom's model-checked versions
//! (the way tokio routes its atomics through `crate::loom`).
//!
//! Normal builds: std atomics, `parking_lot::Mutex`, `event_listener::Event`, and a short
//! spin with `crossbeam_utils::Backoff` before sleeping.
//! Loom builds: loom atomics and mutexes, an `Event` made of a loom `Mutex` + `Condvar`
//! (a notification wakes every listener, which is stronger than event-listener's but keeps
//! the property the engine relies on: a notification issued after a listener registered
//! wakes it), and no spinning.

#[cfg(not(tripod_loom))]
pub(crate) use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};

#[cfg(tripod_loom)]
pub(crate) use loom::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};

#[cfg(not(tripod_loom))]
mod imp {
    use event_listener::{IntoNotification, Listener as _};
    use std::time::Instant;

    /// A mutex that does not poison.
    pub(crate) struct Mutex<T>(parking_lot::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(parking_lot::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> parking_lot::MutexGuard<'_, T> {
            self.0.lock()
        }
    }

    /// A wait list: `listen()`, re-check the condition, then `wait()`.
    pub(crate) struct Event(event_listener::Event);

    impl Event {
        pub(crate) fn new() -> Self {
            Event(event_listener::Event::new())
        }

        pub(crate) fn listen(&self) -> Listener<'_> {
            Listener(self.0.listen(), std::marker::PhantomData)
        }

        /// Wakes one more listener than are already woken.
        pub(crate) fn notify_one(&self) {
            self.0.notify(1.additional());
        }

        /// Wakes every listener.
        pub(crate) fn notify_all(&self) {
            self.0.notify(usize::MAX);
        }
    }

    pub(crate) struct Listener<'a>(
        event_listener::EventListener,
        std::marker::PhantomData<&'a ()>,
    );

    impl Listener<'_> {
        /// Sleeps until notified, or until `deadline`; returns false on timeout.
        pub(crate) fn wait(self, deadline: Option<Instant>) -> bool {
            match deadline {
                None => {
                    self.0.wait();
                    true
                }
                Some(deadline) => self.0.wait_deadline(deadline).is_some(),
            }
        }
    }

    /// Spins briefly, then yields; `false` once it is time to sleep instead.
    pub(crate) struct Spin(crossbeam_utils::Backoff);

    impl Spin {
        pub(crate) fn new() -> Self {
            Spin(crossbeam_utils::Backoff::new())
        }

        pub(crate) fn spin(&self) -> bool {
            if self.0.is_completed() {
                return false;
            }
            self.0.snooze();
            true
        }
    }

    pub(crate) fn yield_now() {
        std::thread::yield_now();
    }
}

#[cfg(tripod_loom)]
mod imp {
    use std::time::Instant;

    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Self {
            Mutex(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> loom::sync::MutexGuard<'_, T> {
            self.0.lock().unwrap()
        }
    }

    pub(crate) struct Event {
        generation: loom::sync::Mutex<u64>,
        cond: loom::sync::Condvar,
    }

    impl Event {
        pub(crate) fn new() -> Self {
            Event {
                generation: loom::sync::Mutex::new(0),
                cond: loom::sync::Condvar::new(),
            }
        }

        pub(crate) fn listen(&self) -> Listener<'_> {
            let seen = *self.generation.lock().unwrap();
            Listener { event: self, seen }
        }

        pub(crate) fn notify_one(&self) {
            self.notify_all();
        }

        pub(crate) fn notify_all(&self) {
            *self.generation.lock().unwrap() += 1;
            self.cond.notify_all();
        }
    }

    pub(crate) struct Listener<'a> {
        event: &'a Event,
        seen: u64,
    }

    impl Listener<'_> {
        pub(crate) fn wait(self, deadline: Option<Instant>) -> bool {
            assert!(deadline.is_none(), "loom models do not use deadlines");
            let mut generation = self.event.generation.lock().unwrap();
            while *generation == self.seen {
                generation = self.event.cond.wait(generation).unwrap();
            }
            true
        }
    }

    pub(crate) struct Spin;

    impl Spin {
        pub(crate) fn new() -> Self {
            Spin
        }

        pub(crate) fn spin(&self) -> bool {
            false
        }
    }

    pub(crate) fn yield_now() {
        loom::thread::yield_now();
    }
}

pub(crate) use imp::{Event, Mutex, Spin, yield_now};
