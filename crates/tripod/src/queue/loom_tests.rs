//! Loom models of the engine's wait/wake and shutdown protocol.
//!
//! Run with `RUSTFLAGS="--cfg tripod_loom" cargo test -p tripod --lib --release queue::loom_tests`.

use loom::thread;
use std::sync::Arc;

use super::engine::Core;
use super::error::TryGetError;
use super::store::{FifoStore, LifoStore};

type Fifo = Core<FifoStore<u32>>;

#[test]
fn blocking_get_sees_concurrent_put() {
    loom::model(|| {
        let q = Arc::new(Fifo::new(0, true));
        let producer = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.try_put(7).unwrap())
        };
        assert_eq!(q.get_deadline(None).ok(), Some(7));
        producer.join().unwrap();
    });
}

#[test]
fn blocking_put_woken_by_get() {
    loom::model(|| {
        let q = Arc::new(Core::<LifoStore<u32>>::new(1, true));
        q.try_put(1).unwrap();
        let producer = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.put_deadline(2, None).unwrap())
        };
        let first = q.get_deadline(None).unwrap();
        let second = q.get_deadline(None).unwrap();
        producer.join().unwrap();
        assert_eq!(first + second, 3);
    });
}

/// Three threads: bound the preemptions to keep the model small (loom's advice; most
/// concurrency bugs need few preemptions).
fn model_bounded(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(f);
}

#[test]
fn shutdown_wakes_getter_and_keeps_items() {
    model_bounded(|| {
        let q = Arc::new(Fifo::new(0, true));
        let producer = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.try_put(1).is_ok())
        };
        let closer = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.shutdown(false))
        };
        let got = q.get_deadline(None);
        let put_ok = producer.join().unwrap();
        closer.join().unwrap();
        match got {
            // The item, if put, is never lost: either we got it or it is still there.
            Ok(v) => assert_eq!(v, 1),
            Err(TryGetError::ShutDown) => assert!(!put_ok),
            Err(TryGetError::Empty) => unreachable!("a blocking get does not time out"),
        }
        assert_eq!(q.try_get().err(), Some(TryGetError::ShutDown));
    });
}

#[test]
fn immediate_shutdown_releases_join() {
    model_bounded(|| {
        let q = Arc::new(Fifo::new(0, true));
        let producer = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                let _ = q.try_put(1);
            })
        };
        let closer = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.shutdown(true))
        };
        closer.join().unwrap();
        producer.join().unwrap();
        // Whatever the interleaving, no item and no task is left behind.
        assert!(q.join_deadline(None));
        assert_eq!(q.len(), 0);
        assert_eq!(q.unfinished_tasks(), 0);
    });
}

#[test]
fn join_waits_for_task_done() {
    loom::model(|| {
        let q = Arc::new(Fifo::new(0, true));
        q.try_put(1).unwrap();
        let worker = {
            let q = Arc::clone(&q);
            thread::spawn(move || {
                q.get_deadline(None).unwrap();
                q.task_done().unwrap();
            })
        };
        assert!(q.join_deadline(None));
        assert!(q.task_done().is_err());
        worker.join().unwrap();
    });
}
