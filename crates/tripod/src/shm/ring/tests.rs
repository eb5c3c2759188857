//! Unit tests of the ring: wrap-around, chunking, owner death, orphans, counts, waits.
use super::*;
use std::sync::Arc;

const LONG: Duration = Duration::from_secs(30);

static OPEN: AtomicBool = AtomicBool::new(false);

fn forever() -> Wait<'static> {
    Wait {
        deadline: None,
        nonblocking: false,
        closed: &OPEN,
    }
}

fn now() -> Wait<'static> {
    Wait {
        deadline: Some(Instant::now()),
        nonblocking: true,
        closed: &OPEN,
    }
}

fn within(d: Duration) -> Wait<'static> {
    Wait {
        deadline: Some(Instant::now() + d),
        nonblocking: false,
        closed: &OPEN,
    }
}

fn ring(capacity: usize, maxsize: usize) -> Arc<Ring> {
    Arc::new(Ring::create(capacity, maxsize, "test", RingKind::Queue).unwrap())
}

fn get_one(ring: &Ring, wait: &Wait<'_>) -> Result<Vec<u8>, Fail> {
    let mut out = None;
    match ring.get(1, wait, |bytes, _| {
        out = Some(bytes.to_vec());
        Ok::<_, ()>(())
    }) {
        Ok(1) => Ok(out.unwrap()),
        Ok(n) => panic!("got {n}"),
        Err(GetFail::Ring(fail)) => Err(fail),
        Err(GetFail::Item(())) => unreachable!(),
    }
}

fn message(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j) as u8).collect()
}

fn head_pos(ring: &Ring) -> u32 {
    unpack(ring.h().head.word.load(SeqCst)).0
}

fn tail_word(ring: &Ring) -> (u32, u32) {
    unpack(ring.h().tail.word.load(SeqCst))
}

#[test]
fn capacity_is_rounded_and_bounded() {
    assert_eq!(capacity_for(0).unwrap(), MIN_CAPACITY);
    assert_eq!(capacity_for(5000).unwrap(), 8192);
    assert_eq!(capacity_for(MAX_CAPACITY).unwrap(), MAX_CAPACITY);
    assert!(capacity_for(MAX_CAPACITY + 1).is_err());
}

#[test]
fn messages_keep_order_counts_and_wrap_with_pads() {
    let ring = ring(4096, 0);
    // 100 records of 8 + 304 bytes do not divide 4096: the ring wraps with pads.
    let mut pads_seen = 0;
    for i in 0..100 {
        let msg = message(i, 300);
        let before = tail_word(&ring).0;
        ring.put(&msg, &now()).unwrap();
        let after = tail_word(&ring).0;
        if after.wrapping_sub(before) as usize > 8 + 304 {
            pads_seen += 1;
        }
        assert_eq!(ring.len(), 1);
        assert_eq!(get_one(&ring, &now()).unwrap(), msg);
        assert_eq!(ring.len(), 0);
    }
    assert!(pads_seen > 5, "{pads_seen}");
    assert_eq!(tail_word(&ring).1, 100);
    assert_eq!(get_one(&ring, &now()), Err(Fail::Timeout));
}

#[test]
fn a_full_ring_refuses_try_and_times_out() {
    let ring = ring(4096, 0);
    let msg = [7u8; 1000];
    let mut put = 0;
    while ring.put(&msg, &now()).is_ok() {
        put += 1;
    }
    assert_eq!(put, 4, "4 records of 1008 bytes fit in 4096");
    let start = Instant::now();
    assert_eq!(
        ring.put(&msg, &within(Duration::from_millis(20))),
        Err(Fail::Timeout)
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(get_one(&ring, &now()).unwrap(), msg);
    ring.put(&msg, &now()).unwrap();
    assert_eq!(ring.len(), 4);
}

#[test]
fn maxsize_bounds_the_count() {
    let ring = ring(4096, 2);
    ring.put(b"a", &now()).unwrap();
    ring.put(b"b", &now()).unwrap();
    assert!(ring.is_full());
    assert_eq!(ring.put(b"c", &now()), Err(Fail::Timeout));
    std::thread::scope(|s| {
        let putter = s.spawn(|| ring.put(b"c", &within(LONG)));
        assert_eq!(get_one(&ring, &within(LONG)).unwrap(), b"a");
        assert_eq!(putter.join().unwrap(), Ok(()));
    });
    assert_eq!(ring.len(), 2);
}

#[test]
fn gets_time_out_and_wake_for_a_put() {
    let ring = ring(4096, 0);
    let start = Instant::now();
    assert_eq!(
        get_one(&ring, &within(Duration::from_millis(20))),
        Err(Fail::Timeout)
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    std::thread::scope(|s| {
        let getter = s.spawn(|| get_one(&ring, &within(LONG)));
        ring.put(b"hello", &now()).unwrap();
        assert_eq!(getter.join().unwrap().unwrap(), b"hello");
    });
}

#[test]
fn a_closed_flag_stops_waiters() {
    let ring = ring(4096, 0);
    let closed = AtomicBool::new(false);
    let wait = Wait {
        deadline: None,
        nonblocking: false,
        closed: &closed,
    };
    std::thread::scope(|s| {
        let getter = s.spawn(|| get_one(&ring, &wait));
        // Wait until it sleeps (it registered as a sleeper), then close.
        let deadline = Instant::now() + LONG;
        while ring.h().data.sleepers.load(SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the getter never slept");
            std::thread::yield_now();
        }
        closed.store(true, SeqCst);
        ring.wake_everyone();
        assert_eq!(getter.join().unwrap(), Err(Fail::Closed));
    });
    assert_eq!(ring.put(b"x", &wait), Err(Fail::Closed));
}

#[test]
fn a_message_of_three_capacities_goes_through_in_chunks() {
    let ring = ring(4096, 0);
    let big = message(3, 3 * 4096 + 123);
    std::thread::scope(|s| {
        let putter = s.spawn(|| {
            ring.put(b"before", &forever()).unwrap();
            ring.put(&big, &forever()).unwrap();
            ring.put(b"after", &forever()).unwrap();
        });
        assert_eq!(get_one(&ring, &within(LONG)).unwrap(), b"before");
        assert_eq!(get_one(&ring, &within(LONG)).unwrap(), big);
        assert_eq!(get_one(&ring, &within(LONG)).unwrap(), b"after");
        putter.join().unwrap();
    });
    assert_eq!(ring.len(), 0);
    assert_eq!(tail_word(&ring).1, 3);
    // Too large to fit at once: a non-blocking put refuses it and writes nothing.
    let before = tail_word(&ring);
    assert_eq!(ring.put(&big, &now()), Err(Fail::Timeout));
    assert_eq!(tail_word(&ring), before);
}

#[test]
fn get_many_takes_what_is_there_and_leaves_a_bad_one() {
    let ring = ring(1 << 16, 0);
    for i in 0..10u8 {
        ring.put(&[i], &now()).unwrap();
    }
    let mut seen = Vec::new();
    let got = ring
        .get(4, &now(), |b, _| {
            seen.push(b[0]);
            Ok::<_, ()>(())
        })
        .unwrap();
    assert_eq!((got, &seen[..]), (4, &[0, 1, 2, 3][..]));
    // The callback refuses message 6: the batch stops before it, and it stays.
    seen.clear();
    let got = ring
        .get(100, &now(), |b, _| {
            if b[0] == 6 {
                return Err(());
            }
            seen.push(b[0]);
            Ok(())
        })
        .unwrap();
    assert_eq!((got, &seen[..]), (2, &[4, 5][..]));
    // Refused as the first message of a get, it is consumed.
    assert!(matches!(
        ring.get(100, &now(), |_, _| Err::<(), _>("bad")),
        Err(GetFail::Item("bad"))
    ));
    assert_eq!(ring.len(), 3);
    assert_eq!(get_one(&ring, &now()).unwrap(), [7]);
}

#[test]
fn a_producer_that_died_holding_the_lock_leaves_nothing_visible() {
    let ring = ring(4096, 0);
    ring.put(b"one", &now()).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            // Dies holding put_lock, after writing a record it never published.
            let producer = ring.producer(&now()).unwrap();
            let (t_pos, _) = tail_word(&ring);
            // SAFETY: we hold put_lock and the ring has room after the tail.
            unsafe { ring.write_record(t_pos as usize & 4095, WHOLE, 3, &[b"bad"]) };
            std::mem::forget(producer);
        })
        .join()
        .unwrap();
    });
    assert_eq!(ring.len(), 1);
    ring.put(b"two", &within(LONG)).unwrap();
    assert_eq!(get_one(&ring, &now()).unwrap(), b"one");
    assert_eq!(get_one(&ring, &now()).unwrap(), b"two");
    assert_eq!(get_one(&ring, &now()), Err(Fail::Timeout));
}

/// Writes the first `chunks` chunks of `msg` on a thread that then exits holding
/// `put_lock`, as a producer killed in the middle of a chunked message.
fn die_mid_message(ring: &Ring, msg: &[u8], chunks: usize) {
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut producer = ring.producer(&now()).unwrap();
            let chunk = ring.capacity / 4;
            let total = (msg.len() as u64).to_le_bytes();
            for i in 0..chunks {
                let data = &msg[i * chunk..(i + 1) * chunk];
                let (kind, len, parts): (u32, usize, Vec<&[u8]>) = if i == 0 {
                    (FIRST, 8 + chunk, vec![&total, data])
                } else {
                    (MIDDLE, chunk, vec![data])
                };
                let rec = RECORD_HEADER + pad8(len);
                let (t_pos, t_cnt, need) = producer.wait_room(rec, i == 0, &now(), false).unwrap();
                producer.side().long_hold.store(1, Relaxed);
                producer.publish_record(t_pos, t_cnt, need, rec, kind, len, &parts, false);
            }
            std::mem::forget(producer);
        })
        .join()
        .unwrap();
    });
}

#[test]
fn orphan_chunks_are_dropped_when_a_whole_message_follows() {
    let ring = ring(1 << 16, 0);
    let big = message(1, 1 << 16);
    die_mid_message(&ring, &big, 2);
    assert_eq!(ring.len(), 0);
    assert_eq!(ring.h().producer.long_hold.load(SeqCst), 1);
    // The dead producer's long hold does not make a non-blocking put give up: the lock
    // is free (owner died) and the next holder clears the flag.
    ring.put(b"next", &now()).unwrap();
    assert_eq!(ring.h().producer.long_hold.load(SeqCst), 0);
    assert_eq!(ring.len(), 1);
    assert_eq!(get_one(&ring, &within(LONG)).unwrap(), b"next");
    assert_eq!(get_one(&ring, &now()), Err(Fail::Timeout));
    assert_eq!(head_pos(&ring), tail_word(&ring).0);
}

#[test]
fn an_assembling_getter_finds_its_producer_dead_and_goes_on() {
    let ring = ring(1 << 16, 0);
    let big = message(2, 1 << 16);
    die_mid_message(&ring, &big, 1);
    std::thread::scope(|s| {
        let getter = s.spawn(|| get_one(&ring, &within(Duration::from_millis(200))));
        // The getter takes the FIRST chunk, waits, finds put_lock free (owner died),
        // drops the partial message and times out as a normal get.
        assert_eq!(getter.join().unwrap(), Err(Fail::Timeout));
    });
    assert_eq!(ring.h().consumer.long_hold.load(SeqCst), 0);
    ring.put(b"fine", &within(LONG)).unwrap();
    assert_eq!(get_one(&ring, &now()).unwrap(), b"fine");
}

#[test]
fn a_getter_that_died_mid_message_leaves_orphans_that_are_skipped() {
    let ring = ring(4096, 0);
    let big = message(4, 3000);
    ring.put(&big, &now()).unwrap(); // 3 chunks of <= 1024 + a last one
    ring.put(b"after", &now()).unwrap();
    assert_eq!(ring.len(), 2);
    // A getter takes the FIRST chunk and dies holding get_lock.
    std::thread::scope(|s| {
        s.spawn(|| {
            ring.lock_side(&ring.h().consumer, &now()).unwrap();
            let mut taker = Taker::new(&ring);
            taker.tail_pos(true);
            let off = taker.h_pos as usize & 4095;
            // SAFETY: a published record at the head, read under get_lock.
            let header = unsafe { ring.at(off).cast::<u64>().read() };
            assert_eq!((header >> 32) as u32, FIRST);
            taker.h_pos += (RECORD_HEADER + pad8(header as u32 as usize)) as u32;
            taker.commit();
            std::mem::forget(taker);
        })
        .join()
        .unwrap();
    });
    // The next getter skips the MIDDLE and LAST (counting the message as consumed).
    assert_eq!(get_one(&ring, &within(LONG)).unwrap(), b"after");
    assert_eq!(ring.len(), 0);
    assert_eq!(ring.h().consumer.long_hold.load(SeqCst), 0);
}

#[test]
fn a_getter_that_died_reading_a_message_leaves_it_to_the_next() {
    let ring = ring(4096, 0);
    ring.put(b"first", &now()).unwrap();
    ring.put(b"second", &now()).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| {
            ring.lock_side(&ring.h().consumer, &now()).unwrap();
            let taker = Taker::new(&ring);
            // Dies holding get_lock, before moving the head.
            std::mem::forget(taker);
        })
        .join()
        .unwrap();
    });
    assert_eq!(get_one(&ring, &now()).unwrap(), b"first");
    assert_eq!(get_one(&ring, &now()).unwrap(), b"second");
    assert_eq!(ring.len(), 0);
}

#[test]
fn a_timed_put_cut_short_mid_message_is_discarded() {
    let ring = ring(4096, 0);
    let big = message(5, 5000);
    assert_eq!(
        ring.put(&big, &within(Duration::from_millis(20))),
        Err(Fail::Timeout)
    );
    assert_eq!(ring.len(), 0);
    ring.put(b"ok", &within(LONG)).unwrap();
    assert_eq!(get_one(&ring, &within(LONG)).unwrap(), b"ok");
    assert_eq!(get_one(&ring, &now()), Err(Fail::Timeout));
}

#[test]
fn task_done_and_join_count_published_messages() {
    let ring = ring(4096, 0);
    assert!(!ring.task_done());
    assert!(ring.join(Some(Instant::now())));
    ring.put(b"a", &now()).unwrap();
    ring.put(b"b", &now()).unwrap();
    assert_eq!(ring.unfinished(), 2);
    assert!(!ring.join(Some(Instant::now() + Duration::from_millis(10))));
    std::thread::scope(|s| {
        let joiner = s.spawn(|| ring.join(Some(Instant::now() + LONG)));
        assert!(ring.task_done());
        assert!(ring.task_done());
        assert!(joiner.join().unwrap());
    });
    assert!(!ring.task_done());
    assert_eq!(ring.unfinished(), 0);
}

#[test]
fn many_producers_and_consumers_lose_nothing() {
    let ring = ring(8192, 0);
    let per = 5000usize;
    let sums: Vec<u64> = std::thread::scope(|s| {
        for p in 0..3u64 {
            let ring = &ring;
            s.spawn(move || {
                for i in 0..per as u64 {
                    // Every 500th message is chunked (3000 bytes > 8192 / 2? no: 5000).
                    let len = if i % 500 == 0 { 5000 } else { 8 };
                    let mut msg = vec![0u8; len];
                    msg[..8].copy_from_slice(&(p * 1_000_000 + i).to_le_bytes());
                    ring.put(&msg, &forever()).unwrap();
                }
            });
        }
        let getters: Vec<_> = (0..3)
            .map(|_| {
                let ring = &ring;
                s.spawn(move || {
                    let mut sum = 0u64;
                    let mut last = [None::<u64>; 3];
                    loop {
                        let msg = match get_one(ring, &within(Duration::from_millis(500))) {
                            Ok(msg) => msg,
                            Err(_) => return sum,
                        };
                        let v = u64::from_le_bytes(msg[..8].try_into().unwrap());
                        let (p, i) = ((v / 1_000_000) as usize, v % 1_000_000);
                        // FIFO per producer, as seen by one getter.
                        assert!(last[p].is_none_or(|l| l < i));
                        last[p] = Some(i);
                        sum += v;
                    }
                })
            })
            .collect();
        getters.into_iter().map(|g| g.join().unwrap()).collect()
    });
    let expected: u64 = (0..3u64)
        .map(|p| (0..per as u64).map(|i| p * 1_000_000 + i).sum::<u64>())
        .sum();
    assert_eq!(sums.iter().sum::<u64>(), expected);
    assert_eq!(ring.len(), 0);
}

#[test]
fn open_checks_the_header() {
    let ring = Ring::create(4096, 3, "alpha::A", RingKind::Joinable).unwrap();
    let copy = || Segment::from_fd(ring.segment().fd().try_clone_to_owned().unwrap()).unwrap();
    let ok = Ring::open(
        copy(),
        "alpha::A",
        RingKind::Queue,
        &[RingKind::Queue, RingKind::Joinable],
    )
    .unwrap();
    assert_eq!((ok.capacity(), ok.maxsize()), (4096, 3));
    let err = Ring::open(copy(), "beta::B", RingKind::Queue, &[RingKind::Queue]).unwrap_err();
    assert_eq!(
        err,
        "a queue of `alpha::A` received as a queue of `beta::B`"
    );
    let err = Ring::open(copy(), "alpha::A", RingKind::Simple, &[RingKind::Simple]).unwrap_err();
    assert!(err.contains("JoinableQueue"), "{err}");
    let plain = Segment::create("test", HEADER_LEN + 4096).unwrap();
    let err = Ring::open(plain, "alpha::A", RingKind::Queue, &[RingKind::Queue]).unwrap_err();
    assert!(err.contains("magic"), "{err}");
}

#[test]
fn an_assembling_getter_waits_for_a_live_producer_and_try_get_does_not_wait_for_it() {
    let ring = ring(4096, 0);
    let big = message(6, 2000); // two chunks of <= 1024 bytes
    let (go_on, resume) = std::sync::mpsc::channel::<()>();
    std::thread::scope(|s| {
        let (ring, big) = (&ring, &big);
        let producer = s.spawn(move || {
            let mut producer = ring.producer(&now()).unwrap();
            let total = (big.len() as u64).to_le_bytes();
            let first = &big[..1024];
            let rec = RECORD_HEADER + pad8(8 + 1024);
            let (t_pos, t_cnt, need) = producer.wait_room(rec, true, &now(), false).unwrap();
            producer.side().long_hold.store(1, Relaxed);
            producer.publish_record(
                t_pos,
                t_cnt,
                need,
                rec,
                FIRST,
                8 + 1024,
                &[&total, first],
                false,
            );
            // Alive, holding put_lock, in the middle of the message.
            resume.recv().unwrap();
            let rest = &big[1024..];
            let rec = RECORD_HEADER + pad8(rest.len());
            let (t_pos, t_cnt, need) = producer.wait_room(rec, false, &now(), false).unwrap();
            producer.publish_record(t_pos, t_cnt, need, rec, LAST, rest.len(), &[rest], true);
        });
        let deadline = Instant::now() + LONG;
        while tail_word(ring).0 == 0 {
            assert!(
                Instant::now() < deadline,
                "the first chunk was never published"
            );
            std::thread::yield_now();
        }
        // A timeout shorter than the wait for the rest: it applies to the start only.
        let getter = s.spawn(|| get_one(ring, &within(Duration::from_millis(1))));
        while ring.h().consumer.long_hold.load(SeqCst) == 0 {
            assert!(
                Instant::now() < deadline,
                "the getter never took the first chunk"
            );
            std::thread::yield_now();
        }
        // Another getter does not wait behind a getter assembling a chunked message.
        assert_eq!(get_one(ring, &now()), Err(Fail::Timeout));
        // The assembling getter outlives its own (1 ms) timeout: it has begun the message,
        // and its producer is alive. Several assembly slices pass before we let it go on.
        let wait_until = Instant::now() + ASSEMBLY_SLICE * 3;
        while Instant::now() < wait_until {
            assert!(!getter.is_finished());
            std::thread::yield_now();
        }
        go_on.send(()).unwrap();
        producer.join().unwrap();
        assert_eq!(&getter.join().unwrap().unwrap(), big);
    });
    assert_eq!(ring.len(), 0);
    assert_eq!(ring.h().consumer.long_hold.load(SeqCst), 0);
}

/// Runs a get that must stop at a corrupt record; returns its panic message.
fn corrupt_get(ring: &Ring) -> String {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        get_one(ring, &within(Duration::from_secs(5)))
    }));
    match outcome {
        Ok(got) => panic!("a corrupt ring gave {got:?}"),
        Err(panic) => panic.downcast_ref::<String>().cloned().unwrap_or_default(),
    }
}

#[test]
fn a_head_that_is_not_on_a_record_boundary_is_corrupt_not_read_misaligned() {
    let ring = ring(4096, 0);
    // A 16-byte message whose bytes, read 4 bytes into its record (a misaligned `u64`),
    // would look like a WHOLE record of one byte.
    let mut msg = [0u8; 16];
    msg[0] = WHOLE as u8;
    msg[4] = 0xAB;
    ring.put(&msg, &now()).unwrap();
    let (_, h_cnt) = unpack(ring.h().head.word.load(SeqCst));
    // A stray write moves the head off the 8-byte grid.
    ring.h().head.word.store(pack(4, h_cnt), SeqCst);
    let message = corrupt_get(&ring);
    assert!(message.contains("corrupt"), "{message}");
    // The lock was released on the way out.
    assert!(ring.h().consumer.lock.try_lock().is_some());
}

/// Publishes a chunked message whose FIRST chunk claims `total` bytes while its chunks
/// carry `msg`.
fn put_lying_chunks(ring: &Ring, msg: &[u8], total: u64) {
    let mut producer = ring.producer(&now()).unwrap();
    let chunk = ring.capacity / 4;
    let total = total.to_le_bytes();
    let pieces: Vec<&[u8]> = msg.chunks(chunk).collect();
    for (i, data) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let (kind, len, parts): (u32, usize, Vec<&[u8]>) = if i == 0 {
            (FIRST, 8 + data.len(), vec![&total, data])
        } else {
            (if last { LAST } else { MIDDLE }, data.len(), vec![data])
        };
        let rec = RECORD_HEADER + pad8(len);
        let (t_pos, t_cnt, need) = producer.wait_room(rec, i == 0, &now(), false).unwrap();
        producer.publish_record(t_pos, t_cnt, need, rec, kind, len, &parts, last);
    }
}

#[test]
fn chunks_that_do_not_add_up_to_the_announced_length_are_corrupt() {
    // Fewer bytes announced than the chunks carry.
    let ring = ring(4096, 0);
    let big = message(7, 2500);
    put_lying_chunks(&ring, &big, 10);
    let message = corrupt_get(&ring);
    assert!(message.contains("corrupt"), "{message}");
    // More announced than they carry (and far more than any ring: no huge reservation
    // is needed to find out).
    let ring = self::ring(4096, 0);
    put_lying_chunks(&ring, &big, u64::MAX);
    let message = corrupt_get(&ring);
    assert!(message.contains("corrupt"), "{message}");
    // The honest message of the same chunks goes through.
    let ring = self::ring(4096, 0);
    put_lying_chunks(&ring, &big, big.len() as u64);
    assert_eq!(get_one(&ring, &now()).unwrap(), big);
}

#[test]
fn a_put_that_gives_up_unlocked_leaves_another_producers_long_hold_alone() {
    let ring = ring(4096, 0);
    // 2520 of 4096 bytes used: a FIRST chunk (1040 bytes) fits, a 1800-byte message not.
    for _ in 0..3 {
        ring.put(&[1u8; 832], &now()).unwrap();
    }
    std::thread::scope(|s| {
        // A whole message that waits for room without the lock, and gives up.
        let waiting = s.spawn(|| ring.put(&[2u8; 1800], &within(Duration::from_millis(300))));
        let deadline = Instant::now() + LONG;
        while ring.h().space.sleepers.load(SeqCst) == 0 {
            assert!(Instant::now() < deadline, "the put never waited for room");
            std::thread::yield_now();
        }
        // Meanwhile another producer is in the middle of a chunked message.
        let mut producer = ring.producer(&now()).unwrap();
        let total = 3000u64.to_le_bytes();
        let rec = RECORD_HEADER + pad8(8 + 1024);
        let (t_pos, t_cnt, need) = producer.wait_room(rec, true, &now(), false).unwrap();
        producer.side().long_hold.store(1, Relaxed);
        let data = [3u8; 1024];
        producer.publish_record(
            t_pos,
            t_cnt,
            need,
            rec,
            FIRST,
            8 + 1024,
            &[&total, &data],
            false,
        );
        assert_eq!(waiting.join().unwrap(), Err(Fail::Timeout));
        // The put that gave up did not hold the lock: the long hold is still ours, so a
        // non-blocking put does not wait for the rest of our message.
        assert_eq!(ring.h().producer.long_hold.load(SeqCst), 1);
        let other = s.spawn(|| ring.put(b"z", &now()));
        assert_eq!(other.join().unwrap(), Err(Fail::Timeout));
        drop(producer);
    });
}
