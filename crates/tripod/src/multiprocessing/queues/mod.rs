//! Process queues: Python's `multiprocessing.Queue`, `JoinableQueue` and `SimpleQueue`,
//! each a handle to a byte ring in shared memory (`shm::ring`) carrying items encoded by
//! `wire`.
#![forbid(unsafe_code)]

mod error;
mod joinable;
mod queue;
mod simple;

pub use error::{GetError, PutError};
pub use joinable::JoinableQueue;
pub use queue::{Queue, QueueBuilder};
pub use simple::SimpleQueue;

/// The bytes of a queue's ring unless set with [`QueueBuilder::capacity`]: 4 MiB.
///
/// ```
/// use tripod::multiprocessing::{DEFAULT_CAPACITY, Queue};
///
/// assert_eq!(DEFAULT_CAPACITY, 4 << 20);
/// assert_eq!(Queue::<u8>::new().unwrap().capacity(), DEFAULT_CAPACITY);
/// ```
pub const DEFAULT_CAPACITY: usize = 4 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::multiprocessing::Lock;
    use crate::wire::{self, WireErrorKind};
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Serialize};
    use std::time::{Duration, Instant};

    /// Sends `value` the way a child's arguments travel, within this process, and
    /// receives it as a `U`.
    fn send_as<T: Serialize, U: DeserializeOwned>(value: &T) -> Result<U, wire::WireError> {
        let (bytes, fds) = wire::fds::collect(|| wire::encode(value));
        let bytes = bytes?;
        wire::fds::provide(fds, || wire::decode(&bytes))
    }

    #[test]
    fn handles_are_send_sync_clone_debug_and_serde() {
        fn check<T: Send + Sync + Clone + std::fmt::Debug + Serialize + DeserializeOwned>() {}
        check::<Queue<String>>();
        check::<JoinableQueue<Vec<u8>>>();
        check::<SimpleQueue<(u8, char)>>();
        fn error<E: std::error::Error + Send + Sync + 'static>() {}
        error::<PutError<String>>();
        error::<GetError>();
    }

    #[test]
    fn a_received_handle_shares_the_queue_and_checks_its_type() {
        let q = Queue::<u32>::with_maxsize(5).unwrap();
        let copy: Queue<u32> = send_as(&q).unwrap();
        copy.put(7).unwrap();
        assert_eq!(q.get().unwrap(), 7);
        assert_eq!(copy.maxsize(), 5);
        // A received handle has its own closed flag.
        q.close();
        assert!(!copy.is_closed());

        let err = send_as::<_, Queue<String>>(&copy).unwrap_err();
        assert_eq!(err.kind(), WireErrorKind::Decode);
        assert!(
            err.to_string()
                .contains("a queue of `u32` received as a queue of `alloc::string::String`"),
            "{err}"
        );

        // A JoinableQueue is a Queue; not the other way round; a SimpleQueue is neither.
        let joinable = JoinableQueue::<u32>::new().unwrap();
        let plain: Queue<u32> = send_as(&joinable).unwrap();
        plain.put(1).unwrap();
        assert_eq!(joinable.unfinished_tasks(), 1);
        let err = send_as::<_, JoinableQueue<u32>>(&copy).unwrap_err();
        assert!(err.to_string().contains("JoinableQueue"), "{err}");
        let simple = SimpleQueue::<u32>::new().unwrap();
        assert!(send_as::<_, Queue<u32>>(&simple).is_err());
        let simple2: SimpleQueue<u32> = send_as(&simple).unwrap();
        simple2.put(3).unwrap();
        assert_eq!(simple.get().unwrap(), 3);
    }

    #[test]
    fn an_item_that_cannot_be_encoded_comes_back() {
        let q = Queue::<Lock>::new().unwrap();
        let lock = Lock::new().unwrap();
        match q.put(lock.clone()) {
            Err(PutError::Encode(back, err)) => {
                assert_eq!(err.kind(), WireErrorKind::Encode);
                assert!(err.to_string().contains("OS handle"), "{err}");
                drop(back);
            }
            other => panic!("expected Encode, got {other:?}"),
        }
        assert!(q.is_empty());
        // In a batch: the ones before it are put, the ones after it stay in the iterator.
        let q = Queue::<Option<Lock>>::new().unwrap();
        let mut items = vec![None, None, Some(lock), None].into_iter();
        let err = q.put_many(&mut items).unwrap_err();
        assert!(matches!(err, PutError::Encode(Some(_), _)));
        assert_eq!(q.len(), 2);
        assert_eq!(items.len(), 1);
    }

    #[test]
    fn put_many_does_not_hold_the_putters_lock_while_its_iterator_waits() {
        // A batch fed from a channel: while the iterator waits for the next item, other
        // putters (here the very thread that will feed it) must get through.
        let q = Queue::<u32>::new().unwrap();
        let (feed, items) = std::sync::mpsc::channel::<u32>();
        std::thread::scope(|s| {
            let batch = s.spawn(|| q.put_many(items));
            feed.send(1).unwrap();
            let deadline = Instant::now() + Duration::from_secs(30);
            while q.is_empty() {
                assert!(
                    Instant::now() < deadline,
                    "the batch never put its first item"
                );
                std::thread::yield_now();
            }
            // The batch is now inside its iterator, waiting for the channel.
            assert!(
                q.put_timeout(2, Duration::from_secs(5)).is_ok(),
                "a put waited for a batch's iterator"
            );
            assert!(q.try_put(3).is_ok(), "try_put gave up on a batch");
            feed.send(4).unwrap();
            drop(feed);
            assert_eq!(batch.join().unwrap().unwrap(), 2);
        });
        assert_eq!(q.get_many(10).unwrap(), [1, 2, 3, 4]);
    }

    /// Encodes any `u32`, decodes only even ones.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(try_from = "u32")]
    struct Even(u32);

    impl TryFrom<u32> for Even {
        type Error = String;
        fn try_from(n: u32) -> Result<Self, String> {
            if n.is_multiple_of(2) {
                Ok(Even(n))
            } else {
                Err(format!("{n} is odd"))
            }
        }
    }

    #[test]
    fn an_item_that_cannot_be_decoded_is_consumed_and_reported() {
        let q = Queue::<Even>::new().unwrap();
        q.put_many([Even(2), Even(3), Even(4)]).unwrap();
        // A batch stops before the bad item and leaves it first.
        assert_eq!(q.get_many(10).unwrap(), [Even(2)]);
        assert!(matches!(q.get(), Err(GetError::Decode(_))));
        assert_eq!(q.get().unwrap(), Even(4));
        assert!(q.is_empty());
    }

    #[test]
    fn close_stops_this_process_and_its_waiters() {
        let q = Queue::<u8>::new().unwrap();
        let other = q.clone();
        std::thread::scope(|s| {
            let getter = s.spawn(|| other.get());
            // Wait until it sleeps, as a sleeper of the ring.
            let deadline = Instant::now() + Duration::from_secs(30);
            while sleepers(&q) == 0 {
                assert!(Instant::now() < deadline, "the getter never slept");
                std::thread::yield_now();
            }
            q.close();
            assert!(matches!(getter.join().unwrap(), Err(GetError::Closed)));
        });
        assert!(matches!(q.put(1), Err(PutError::Closed(1))));
        assert!(matches!(q.try_get(), Err(GetError::Closed)));
        assert!(matches!(q.get_many(3), Err(GetError::Closed)));
        assert!(matches!(q.put_many([1, 2]), Err(PutError::Closed(1))));
    }

    fn sleepers<T>(q: &Queue<T>) -> u32 {
        q.ring().data_sleepers()
    }

    #[test]
    fn timeouts_and_bounds() {
        let q = Queue::<u16>::with_maxsize(2).unwrap();
        assert!(matches!(q.try_get(), Err(GetError::Empty)));
        let start = Instant::now();
        assert!(matches!(
            q.get_timeout(Duration::from_millis(20)),
            Err(GetError::Empty)
        ));
        assert!(start.elapsed() >= Duration::from_millis(20));
        q.put(1).unwrap();
        q.put_timeout(2, Duration::from_millis(1)).unwrap();
        assert!(q.is_full());
        assert!(matches!(q.try_put(3), Err(PutError::Full(3))));
        let start = Instant::now();
        assert!(matches!(
            q.put_timeout(3, Duration::from_millis(20)),
            Err(PutError::Full(3))
        ));
        assert!(start.elapsed() >= Duration::from_millis(20));
        std::thread::scope(|s| {
            let putter = s.spawn(|| q.put(3));
            assert_eq!(q.get().unwrap(), 1);
            putter.join().unwrap().unwrap();
        });
        assert_eq!(q.get_many(5).unwrap(), [2, 3]);
    }

    #[test]
    fn an_item_larger_than_the_ring_goes_through() {
        let q = Queue::<String>::builder().capacity(4096).build().unwrap();
        let big = "x".repeat(3 * 4096 + 5);
        // Too large for a non-blocking put (it would not fit at once).
        assert!(matches!(q.try_put(big.clone()), Err(PutError::Full(_))));
        std::thread::scope(|s| {
            let putter = s.spawn(|| q.put(big.clone()));
            assert_eq!(q.get().unwrap(), big);
            putter.join().unwrap().unwrap();
        });
    }

    #[test]
    fn task_done_and_join() {
        let q = JoinableQueue::<u8>::new().unwrap();
        assert_eq!(q.task_done(), Err(crate::queue::TaskDoneError));
        q.put_many([1, 2, 3]).unwrap();
        assert_eq!(q.unfinished_tasks(), 3);
        assert!(!q.join_timeout(Duration::from_millis(5)));
        std::thread::scope(|s| {
            let joiner = s.spawn(|| q.join_timeout(Duration::from_secs(30)));
            for _ in 0..3 {
                q.get().unwrap();
                q.task_done().unwrap();
            }
            assert!(joiner.join().unwrap());
        });
        q.join();
        assert!(format!("{q:?}").contains("unfinished_tasks: 0"));
    }
}
