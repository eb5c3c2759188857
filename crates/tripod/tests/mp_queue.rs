//! Process queues of `tripod::multiprocessing` (`Queue`, `JoinableQueue`, `SimpleQueue`),
//! passed to child processes as arguments: delivery exactly once under contention, messages
//! larger than the ring, producers and consumers killed in the middle of a message, bounds
//! and timeouts, `task_done`/`join`, and the memory going away with the last holder.
//!
//! Nothing here orders events with sleeps: children report through queues, events and
//! the values they return; the only sleeps are in deadline loops and in children waiting to
//! be killed.
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use tripod::multiprocessing::connection::{Connection, Pipe};
use tripod::multiprocessing::{
    Event, GetError, JoinableQueue, Process, PutError, Queue, SimpleQueue,
};
use tripod::queue::TaskDoneError;
use tripod::wire::WireErrorKind;

/// Long enough never to expire on a loaded machine; tests finish long before.
const LONG: Duration = Duration::from_secs(30);

/// Polls `done` until it holds or a generous deadline passes.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LONG;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Waits, as a child, until the parent kills it.
fn wait_to_be_killed() -> ! {
    loop {
        // Sleeping only until the parent's SIGKILL arrives.
        std::thread::sleep(Duration::from_secs(60));
    }
}

/// A 64-bit mixer (splitmix64's finaliser): checksums that a lost message and a
/// duplicated one cannot cancel out, and payloads whose every word depends on its place.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Short for "get, but fail the test instead of hanging".
fn get<T: Serialize + DeserializeOwned>(q: &Queue<T>) -> T {
    match q.get_timeout(LONG) {
        Ok(item) => item,
        Err(e) => panic!("get failed: {e:?}"),
    }
}

fn put<T: Serialize + DeserializeOwned>(q: &Queue<T>, item: T) {
    if let Err(e) = q.put(item) {
        panic!("put failed: {e:?}");
    }
}

#[test]
fn handles_are_send_sync_clone_debug_and_serde() {
    fn check<T: Send + Sync + Clone + Debug + Serialize + DeserializeOwned>() {}
    check::<Queue<u64>>();
    check::<Queue<String>>();
    check::<JoinableQueue<Vec<u8>>>();
    check::<SimpleQueue<(u32, String)>>();
    // The errors are Debug without `T: Debug`, and errors.
    struct Opaque;
    fn debug<T: Debug>() {}
    fn error<T: std::error::Error>() {}
    debug::<PutError<Opaque>>();
    error::<GetError>();
    error::<PutError<u64>>();
}

// ---------------------------------------------------------------------------------------
// Many producers, many consumers

/// The last message a consumer gets.
const SENTINEL: u64 = u64::MAX;

/// Producer `me` puts `(me << 32) | seq` for seq in 0..n.
fn produce(q: Queue<u64>, me: u64, n: u64) {
    for seq in 0..n {
        put(&q, (me << 32) | seq);
    }
}
tripod::task!(produce);

/// Gets until the sentinel, checking that each producer's messages arrive in order;
/// returns (count, sum of mixes, xor of mixes).
fn consume(q: Queue<u64>, producers: u64) -> (u64, u64, u64) {
    let mut next = vec![0u64; producers as usize];
    let (mut count, mut sum, mut xor) = (0u64, 0u64, 0u64);
    loop {
        let v = get(&q);
        if v == SENTINEL {
            return (count, sum, xor);
        }
        let (p, seq) = ((v >> 32) as usize, v & 0xFFFF_FFFF);
        assert!(seq >= next[p], "producer {p}: {seq} after {}", next[p]);
        next[p] = seq + 1;
        count += 1;
        sum = sum.wrapping_add(mix(v));
        xor ^= mix(v);
    }
}
tripod::task!(consume);

#[test]
fn four_producers_and_four_consumers_deliver_a_million_messages_exactly_once() {
    const PRODUCERS: u64 = 4;
    const CONSUMERS: usize = 4;
    const PER_PRODUCER: u64 = 250_000;
    let q = Queue::<u64>::new().unwrap();
    let consumers: Vec<_> = (0..CONSUMERS)
        .map(|_| {
            Process::new(consume, (q.clone(), PRODUCERS))
                .start()
                .unwrap()
        })
        .collect();
    let producers: Vec<_> = (0..PRODUCERS)
        .map(|me| {
            Process::new(produce, (q.clone(), me, PER_PRODUCER))
                .start()
                .unwrap()
        })
        .collect();
    for p in producers {
        p.join().unwrap();
    }
    for _ in 0..CONSUMERS {
        put(&q, SENTINEL);
    }
    let (mut count, mut sum, mut xor) = (0u64, 0u64, 0u64);
    for c in consumers {
        let (n, s, x) = c.join().unwrap();
        count += n;
        sum = sum.wrapping_add(s);
        xor ^= x;
    }
    let (mut want_sum, mut want_xor) = (0u64, 0u64);
    for me in 0..PRODUCERS {
        for seq in 0..PER_PRODUCER {
            want_sum = want_sum.wrapping_add(mix((me << 32) | seq));
            want_xor ^= mix((me << 32) | seq);
        }
    }
    assert_eq!(count, PRODUCERS * PER_PRODUCER);
    assert_eq!(sum, want_sum, "checksum (sum) of the delivered messages");
    assert_eq!(xor, want_xor, "checksum (xor) of the delivered messages");
    assert!(
        q.is_empty(),
        "only the sentinels were left, and each was taken"
    );
}

// ---------------------------------------------------------------------------------------
// Seed 001, 例子4: ten processes each put their number

fn fun1(q: Queue<u32>, i: u32) {
    put(&q, i);
}
tripod::task!(fun1);

#[test]
fn ten_processes_each_put_their_number() {
    let queue = Queue::new().unwrap();
    let p_list: Vec<_> = (0..10)
        .map(|i| Process::new(fun1, (queue.clone(), i)).start().unwrap())
        .collect();
    for p in p_list {
        p.join().unwrap();
    }
    assert_eq!(queue.len(), 10);
    let mut got = Vec::new();
    while !queue.is_empty() {
        got.push(queue.try_get().unwrap());
    }
    got.sort();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    assert!(matches!(queue.try_get(), Err(GetError::Empty)));
}

// ---------------------------------------------------------------------------------------
// A producer killed in the middle of a put

/// What the kill tests send.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Msg {
    /// Message `seq` of the doomed producer; `words` long, word j is `mix(seq << 32 | j)`.
    Data { seq: u64, payload: Vec<u64> },
    /// Marker `i`, put by a producer started after the kill, as long as a `Data` message:
    /// its payload is `payload(MARKED | i, words)`.
    Marker(u64, Vec<u64>),
    /// The end.
    Stop,
}

fn payload(seq: u64, words: usize) -> Vec<u64> {
    (0..words as u64).map(|j| mix((seq << 32) | j)).collect()
}

/// Puts `Data` messages 0, 1, 2, ... until killed.
fn put_forever(q: Queue<Msg>, words: usize) {
    put_from(q, 0, u64::MAX, words);
}
tripod::task!(put_forever);

/// Puts `Data` messages `first..end`.
fn put_from(q: Queue<Msg>, first: u64, end: u64, words: usize) {
    for seq in first..end {
        let msg = Msg::Data {
            seq,
            payload: payload(seq, words),
        };
        put(&q, msg);
    }
}
tripod::task!(put_from);

/// Sets the markers' payloads apart from the data's.
const MARKED: u64 = 1 << 31;

fn put_markers(q: Queue<Msg>, n: u64, words: usize) {
    for i in 0..n {
        put(&q, Msg::Marker(i, payload(MARKED | i, words)));
    }
    put(&q, Msg::Stop);
}
tripod::task!(put_markers);

/// A producer putting messages of `words` words is killed while the parent takes its
/// messages on another thread; a second producer then puts markers. Returns how many of
/// the dead producer's messages arrived.
fn kill_a_producer_mid_put(q: Queue<Msg>, words: usize, kill_after: u64, markers: u64) -> u64 {
    let (seen_tx, seen_rx) = mpsc::channel::<u64>();
    let getter = {
        let q = q.clone();
        std::thread::spawn(move || {
            let (mut next, mut markers) = (0u64, 0u64);
            loop {
                match get(&q) {
                    Msg::Data { seq, payload: got } => {
                        assert_eq!(markers, 0, "a message of the dead producer after a marker");
                        assert_eq!(seq, next, "the dead producer's messages arrive in order");
                        assert!(got == payload(seq, words), "message {seq} is intact");
                        next += 1;
                        let _ = seen_tx.send(next);
                    }
                    Msg::Marker(i, got) => {
                        assert_eq!(i, markers, "markers arrive in order");
                        assert!(got == payload(MARKED | i, words), "marker {i} is intact");
                        markers += 1;
                    }
                    Msg::Stop => return (next, markers),
                }
            }
        })
    };
    let doomed = Process::new(put_forever, (q.clone(), words))
        .start()
        .unwrap();
    // The getter keeps taking while the producer keeps putting; kill it in full flow.
    loop {
        let seen = seen_rx
            .recv_timeout(LONG)
            .expect("the producer's messages flow");
        if seen >= kill_after {
            break;
        }
    }
    doomed.kill().unwrap();
    assert_eq!(doomed.join().unwrap_err().signal(), Some(9));
    Process::new(put_markers, (q.clone(), markers, words))
        .start()
        .unwrap()
        .join()
        .unwrap();
    let (delivered, got_markers) = getter.join().expect("the getter checked every message");
    assert_eq!(got_markers, markers);
    assert!(delivered >= kill_after);
    assert!(q.is_empty());
    delivered
}

#[test]
fn a_producer_killed_mid_put_of_small_messages_corrupts_nothing() {
    let q = Queue::builder().capacity(64 << 10).build().unwrap();
    let delivered = kill_a_producer_mid_put(q, 4, 2_000, 1_000);
    eprintln!("{delivered} small messages of the killed producer arrived");
}

#[test]
fn a_producer_killed_mid_chunk_of_a_message_larger_than_the_ring_corrupts_nothing() {
    // 128 Ki words of mixed bits: about 1 MiB encoded, through a 64 KiB ring, so the
    // producer spends nearly all its time in the middle of a chunked message.
    let q = Queue::builder().capacity(64 << 10).build().unwrap();
    assert_eq!(q.capacity(), 64 << 10);
    let delivered = kill_a_producer_mid_put(q.clone(), 128 << 10, 2, 3);
    eprintln!("{delivered} large messages of the killed producer arrived");
    // The queue carries on in both directions.
    put(&q, Msg::Stop);
    assert_eq!(get(&q), Msg::Stop);
}

/// Producers killed one after the other in the middle of large messages while another
/// producer keeps putting: the steady producer's messages all arrive, intact and in order,
/// and each killed producer's complete messages arrive in order before the next one's.
#[test]
fn producers_killed_again_and_again_beside_a_steady_one_corrupt_nothing() {
    const WORDS: usize = 64 << 10; // ~600 KiB encoded, through a 64 KiB ring
    const STEADY: u64 = 1 << 40;
    const STEADY_N: u64 = 30;
    const ROUNDS: u64 = 6;
    let q = Queue::builder().capacity(64 << 10).build().unwrap();
    let (seen_tx, seen_rx) = mpsc::channel::<u64>();
    let getter = {
        let q = q.clone();
        std::thread::spawn(move || {
            let (mut steady_next, mut doomed_last, mut doomed) = (STEADY, None, 0u64);
            loop {
                match get(&q) {
                    Msg::Data { seq, payload: got } => {
                        assert!(got == payload(seq, WORDS), "message {seq:#x} is intact");
                        if seq >= STEADY {
                            assert_eq!(seq, steady_next, "the steady producer's order");
                            steady_next += 1;
                        } else {
                            let expected = match doomed_last {
                                Some(last) if last >> 20 == seq >> 20 => last + 1,
                                Some(last) => {
                                    assert!(seq >> 20 > last >> 20, "{seq:#x} after {last:#x}");
                                    seq & !0xF_FFFF
                                }
                                None => seq & !0xF_FFFF,
                            };
                            assert_eq!(seq, expected, "a killed producer's messages in order");
                            doomed_last = Some(seq);
                            doomed += 1;
                            let _ = seen_tx.send(seq >> 20);
                        }
                    }
                    Msg::Marker(..) => panic!("no markers here"),
                    Msg::Stop => return (steady_next - STEADY, doomed),
                }
            }
        })
    };
    let steady = Process::new(put_from, (q.clone(), STEADY, STEADY + STEADY_N, WORDS))
        .start()
        .unwrap();
    for round in 0..ROUNDS {
        let first = round << 20;
        let doomed = Process::new(put_from, (q.clone(), first, first + (1 << 20), WORDS))
            .start()
            .unwrap();
        // Killed once one of its messages arrived, in the middle of a later one.
        while seen_rx
            .recv_timeout(LONG)
            .expect("the doomed producer's messages flow")
            != round
        {}
        doomed.kill().unwrap();
        assert_eq!(doomed.join().unwrap_err().signal(), Some(9));
    }
    steady.join().unwrap();
    put(&q, Msg::Stop);
    let (steady_got, doomed_got) = getter.join().expect("the getter checked every message");
    assert_eq!(steady_got, STEADY_N);
    assert!(doomed_got >= ROUNDS);
    assert!(q.is_empty());
}

/// A type whose odd values encode but do not decode.
#[derive(Debug, PartialEq, Serialize)]
struct EvenOnly(u32);

impl<'de> Deserialize<'de> for EvenOnly {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u32::deserialize(d)?;
        if n % 2 == 1 {
            return Err(serde::de::Error::custom("odd"));
        }
        Ok(EvenOnly(n))
    }
}

#[test]
fn a_message_that_cannot_be_decoded_is_consumed_and_the_next_one_comes() {
    let q = Queue::new().unwrap();
    q.put_many([EvenOnly(2), EvenOnly(3), EvenOnly(4)]).unwrap();
    assert_eq!(q.get().unwrap(), EvenOnly(2));
    match q.get() {
        Err(GetError::Decode(err)) => assert_eq!(err.kind(), WireErrorKind::Decode),
        other => panic!("expected Decode, got {other:?}"),
    }
    assert_eq!(q.len(), 1);
    assert_eq!(q.get().unwrap(), EvenOnly(4));
    // In a batch, the bad one ends the batch or comes as the error; nothing is lost twice.
    q.put_many([EvenOnly(6), EvenOnly(7), EvenOnly(8)]).unwrap();
    let mut got = Vec::new();
    let mut errors = 0;
    while got.len() + errors < 3 {
        match q.get_many(10) {
            Ok(batch) => got.extend(batch),
            Err(GetError::Decode(_)) => errors += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(got, [EvenOnly(6), EvenOnly(8)]);
    assert_eq!(errors, 1);
    assert!(q.is_empty());
}

#[test]
fn a_put_timeout_that_runs_out_mid_message_leaves_nothing_behind() {
    // 1 MiB through a 64 KiB ring with nobody getting: the put fills the ring with the
    // first chunks, then times out waiting for room.
    let q = Queue::builder().capacity(64 << 10).build().unwrap();
    let big = vec![0x5Au8; 1 << 20];
    let timeout = Duration::from_millis(50);
    let start = Instant::now();
    match q.put_timeout(big.clone(), timeout) {
        Err(PutError::Full(back)) => assert!(back == big),
        other => panic!("expected Full, got {:?}", other.map_err(|e| e.to_string())),
    }
    assert!(start.elapsed() >= timeout);
    assert_eq!(q.len(), 0, "the item is not in the queue");
    assert!(matches!(q.try_get(), Err(GetError::Empty)));
    // The next message, small or large, goes through whole.
    std::thread::scope(|s| {
        let getter = s.spawn(|| (get(&q), get(&q)));
        put(&q, vec![1u8, 2, 3]);
        put(&q, big.clone());
        let (small, large) = getter.join().unwrap();
        assert_eq!(small, [1, 2, 3]);
        assert!(large == big);
    });
    assert!(q.is_empty());
}

// ---------------------------------------------------------------------------------------
// A consumer killed in the middle of a get

/// Gets messages and reports each one's sequence number on `report`, until killed.
fn get_forever(q: Queue<Option<(u64, Vec<u64>)>>, report: Queue<u64>, words: usize) {
    loop {
        match get(&q) {
            Some((seq, got)) => {
                assert!(got == payload(seq, words), "message {seq} is intact");
                put(&report, seq);
            }
            None => wait_to_be_killed(),
        }
    }
}
tripod::task!(get_forever);

/// A child consumer is killed while a thread of the parent puts messages of `words`
/// words; the parent then gets the rest. Every message but at most the one the dead
/// consumer was taking arrives, intact and in order.
fn kill_a_consumer_mid_get(capacity: usize, words: usize, kill_after: usize, after_kill: u64) {
    let q = Queue::builder()
        .capacity(capacity)
        .maxsize(64)
        .build()
        .unwrap();
    let report = Queue::<u64>::new().unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let producer = s.spawn(|| {
            let mut sent = 0u64;
            while !stop.load(Ordering::Relaxed) {
                put(&q, Some((sent, payload(sent, words))));
                sent += 1;
            }
            // Some more after the kill, for the parent.
            for _ in 0..after_kill {
                put(&q, Some((sent, payload(sent, words))));
                sent += 1;
            }
            put(&q, None);
            sent
        });
        let doomed = Process::new(get_forever, (q.clone(), report.clone(), words))
            .start()
            .unwrap();
        let mut reported = Vec::new();
        while reported.len() < kill_after {
            reported.push(get(&report));
        }
        doomed.kill().unwrap();
        assert_eq!(doomed.join().unwrap_err().signal(), Some(9));
        stop.store(true, Ordering::Relaxed);
        // Whatever the child reported before it died.
        loop {
            match report.try_get() {
                Ok(seq) => reported.push(seq),
                Err(GetError::Empty) => break,
                Err(e) => panic!("{e:?}"),
            }
        }
        let mut rest = Vec::new();
        while let Some((seq, got)) = get(&q) {
            assert!(got == payload(seq, words), "message {seq} is intact");
            rest.push(seq);
        }
        let sent = producer.join().unwrap();

        assert_eq!(
            reported,
            (0..reported.len() as u64).collect::<Vec<_>>(),
            "the dead consumer got the first messages, in order"
        );
        let last = reported.len() as u64;
        let first_rest = rest.first().copied().unwrap_or(sent);
        assert!(
            first_rest == last || first_rest == last + 1,
            "after the kill the parent got {first_rest} first; the consumer had reported up \
             to {last} (exclusive)"
        );
        assert_eq!(
            rest,
            (first_rest..sent).collect::<Vec<_>>(),
            "the rest arrives complete and in order"
        );
        assert!(rest.len() as u64 >= after_kill);
        let received: BTreeSet<u64> = reported.iter().chain(&rest).copied().collect();
        let missing: Vec<u64> = (0..sent).filter(|seq| !received.contains(seq)).collect();
        assert!(
            missing.is_empty() || missing == [last],
            "missing {missing:?}: at most the message in flight ({last}) may be"
        );
        eprintln!(
            "{sent} sent, {} got by the killed consumer, {} by the parent, missing {missing:?}",
            reported.len(),
            rest.len()
        );
    });
    assert!(q.is_empty());
}

#[test]
fn a_consumer_killed_mid_get_of_small_messages_loses_at_most_that_one() {
    kill_a_consumer_mid_get(64 << 10, 2, 2_000, 1_000);
}

#[test]
fn a_consumer_killed_mid_chunk_of_a_message_larger_than_the_ring_loses_at_most_that_one() {
    kill_a_consumer_mid_get(64 << 10, 128 << 10, 2, 3);
}

// ---------------------------------------------------------------------------------------
// Messages larger than the ring

/// Gets one message, checks it, and puts back its bytes reversed.
fn reverse_big(inbox: Queue<Vec<u8>>, outbox: Queue<Vec<u8>>) -> usize {
    let mut got = get(&inbox);
    let n = got.len();
    assert!(got.iter().enumerate().all(|(i, &b)| b == byte_at(i)));
    got.reverse();
    put(&outbox, got);
    n
}
tripod::task!(reverse_big);

fn byte_at(i: usize) -> u8 {
    (mix(i as u64) >> 56) as u8
}

#[test]
fn ten_mebibytes_through_a_64_kib_ring_both_ways() {
    const SIZE: usize = 10 << 20;
    let inbox = Queue::builder().capacity(64 << 10).build().unwrap();
    let outbox = Queue::builder().capacity(64 << 10).build().unwrap();
    let child = Process::new(reverse_big, (inbox.clone(), outbox.clone()))
        .start()
        .unwrap();
    let big: Vec<u8> = (0..SIZE).map(byte_at).collect();
    put(&inbox, big);
    let back = get(&outbox);
    assert_eq!(child.join().unwrap(), SIZE);
    assert_eq!(back.len(), SIZE);
    assert!(
        back.iter().rev().enumerate().all(|(i, &b)| b == byte_at(i)),
        "the reversed message came back intact"
    );
    assert!(inbox.is_empty() && outbox.is_empty());
}

/// Puts messages of sizes around the ring's chunking points (half the ring, the whole
/// ring) and of pseudo-random sizes, each filled from its index.
fn put_sizes(q: Queue<Vec<u8>>, sizes: Vec<usize>) {
    for (i, &size) in sizes.iter().enumerate() {
        put(&q, fill(i, size));
    }
}
tripod::task!(put_sizes);

fn fill(i: usize, size: usize) -> Vec<u8> {
    (0..size)
        .map(|j| (mix((i as u64) << 32 | j as u64) >> 56) as u8)
        .collect()
}

#[test]
fn messages_of_every_size_around_the_chunk_boundaries_wrap_the_ring_intact() {
    const CAPACITY: usize = 4096;
    let q = Queue::builder().capacity(CAPACITY).build().unwrap();
    assert_eq!(q.capacity(), CAPACITY);
    let mut sizes: Vec<usize> = Vec::new();
    for edge in [0, CAPACITY / 2, CAPACITY, 2 * CAPACITY] {
        sizes.extend(edge.saturating_sub(40)..edge + 40);
    }
    let mut x = 1u64;
    for _ in 0..1000 {
        x = mix(x);
        sizes.push((x % (3 * CAPACITY as u64)) as usize);
    }
    let child = Process::new(put_sizes, (q.clone(), sizes.clone()))
        .start()
        .unwrap();
    for (i, &size) in sizes.iter().enumerate() {
        let got = get(&q);
        assert_eq!(got.len(), size, "message {i}");
        assert!(
            got == fill(i, size),
            "message {i} of {size} bytes is intact"
        );
    }
    child.join().unwrap();
    assert!(q.is_empty());
}

#[test]
fn batches_mix_small_and_chunked_messages_in_order() {
    let q = Queue::builder().capacity(4096).build().unwrap();
    let items =
        |base: usize| (0..6).map(move |i| fill(base + i, if i % 3 == 1 { 20_000 } else { i * 10 }));
    std::thread::scope(|s| {
        let getter = s.spawn(|| {
            let mut got = Vec::new();
            while got.len() < 12 {
                got.extend(q.get_many(5).unwrap());
            }
            got
        });
        assert_eq!(q.put_many(items(0)).unwrap(), 6);
        assert_eq!(q.put_many(items(6)).unwrap(), 6);
        let got = getter.join().unwrap();
        let want: Vec<Vec<u8>> = items(0).chain(items(6)).collect();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "every message whole and in order");
    });
    assert!(q.is_empty());
}

/// Gets until `None`; returns the sequence numbers got, checking each payload.
fn get_until_none(q: Queue<Option<(u64, Vec<u64>)>>, words: usize) -> Vec<u64> {
    let mut got = Vec::new();
    while let Some((seq, payload_got)) = get(&q) {
        assert!(
            payload_got == payload(seq, words),
            "message {seq} is intact"
        );
        got.push(seq);
    }
    got
}
tripod::task!(get_until_none);

#[test]
fn two_consumers_of_chunked_messages_get_each_exactly_once() {
    const WORDS: usize = 32 << 10;
    const N: u64 = 40;
    let q = Queue::builder().capacity(64 << 10).build().unwrap();
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            Process::new(get_until_none, (q.clone(), WORDS))
                .start()
                .unwrap()
        })
        .collect();
    for seq in 0..N {
        put(&q, Some((seq, payload(seq, WORDS))));
    }
    put(&q, None);
    put(&q, None);
    let mut all = Vec::new();
    for c in consumers {
        let got = c.join().unwrap();
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "each in order: {got:?}"
        );
        all.extend(got);
    }
    all.sort();
    assert_eq!(all, (0..N).collect::<Vec<_>>());
}

#[test]
fn unit_messages_and_simple_queues_of_large_items() {
    let q = Queue::<()>::with_maxsize(3).unwrap();
    q.put_many([(), (), ()]).unwrap();
    assert!(q.is_full());
    assert!(matches!(q.try_put(()), Err(PutError::Full(()))));
    assert_eq!(q.get_many(10).unwrap().len(), 3);
    let s = SimpleQueue::new().unwrap();
    std::thread::scope(|scope| {
        let getter = scope.spawn(|| s.get().unwrap());
        s.put(fill(1, 10 << 20)).unwrap();
        assert!(getter.join().unwrap() == fill(1, 10 << 20));
    });
    assert!(s.is_empty());
}

// ---------------------------------------------------------------------------------------
// No feeder thread

fn put_and_exit(q: Queue<String>, n: u32) {
    for i in 0..n {
        put(&q, format!("message {i}"));
    }
}
tripod::task!(put_and_exit);

#[test]
fn a_producer_that_exits_right_after_put_loses_nothing() {
    let q = Queue::new().unwrap();
    let child = Process::new(put_and_exit, (q.clone(), 1000))
        .start()
        .unwrap();
    // Joined first: in Python, joining a process with unflushed queued data deadlocks.
    child.join().unwrap();
    assert_eq!(q.len(), 1000);
    for i in 0..1000 {
        assert_eq!(q.try_get().unwrap(), format!("message {i}"));
    }
    assert!(matches!(q.try_get(), Err(GetError::Empty)));
}

// ---------------------------------------------------------------------------------------
// Bounds and timeouts

#[test]
fn a_full_queue_refuses_try_put_and_times_out_put_timeout() {
    let q = Queue::with_maxsize(2).unwrap();
    assert_eq!(q.maxsize(), 2);
    assert!(!q.is_full());
    q.try_put(1u64).unwrap();
    q.put(2).unwrap();
    assert!(q.is_full());
    assert_eq!(q.len(), 2);
    match q.try_put(3) {
        Err(PutError::Full(back)) => assert_eq!(back, 3),
        other => panic!("expected Full(3), got {other:?}"),
    }
    let timeout = Duration::from_millis(100);
    let start = Instant::now();
    match q.put_timeout(4, timeout) {
        Err(PutError::Full(back)) => assert_eq!(back, 4),
        other => panic!("expected Full(4), got {other:?}"),
    }
    assert!(start.elapsed() >= timeout, "{:?}", start.elapsed());
    assert_eq!(q.len(), 2);
    assert_eq!(q.get().unwrap(), 1);
    q.put_timeout(5, timeout).unwrap();
    assert_eq!(q.get_many(10).unwrap(), [2, 5]);
}

#[test]
fn get_timeout_on_an_empty_queue_is_empty_after_the_timeout() {
    let q = Queue::<String>::new().unwrap();
    assert_eq!(q.maxsize(), 0);
    assert!(matches!(q.try_get(), Err(GetError::Empty)));
    let timeout = Duration::from_millis(100);
    let start = Instant::now();
    assert!(matches!(q.get_timeout(timeout), Err(GetError::Empty)));
    assert!(start.elapsed() >= timeout, "{:?}", start.elapsed());
    // An unbounded queue is never full by count.
    for i in 0..1000 {
        q.try_put(i.to_string()).unwrap();
    }
    assert!(!q.is_full());
}

/// Waits for `go`, then gets one message.
fn get_one_when_told(q: Queue<u64>, go: Event) -> u64 {
    assert!(go.wait_timeout(LONG));
    get(&q)
}
tripod::task!(get_one_when_told);

#[test]
fn a_blocking_put_is_released_by_a_get_in_another_process() {
    let q = Queue::with_maxsize(1).unwrap();
    let go = Event::new().unwrap();
    let child = Process::new(get_one_when_told, (q.clone(), go.clone()))
        .start()
        .unwrap();
    q.put(1).unwrap();
    // Full, and nobody gets yet: a put waits.
    assert!(matches!(
        q.put_timeout(2, Duration::from_millis(20)),
        Err(PutError::Full(2))
    ));
    go.set();
    // Only the child's get can make room.
    q.put(2).unwrap();
    assert_eq!(child.join().unwrap(), 1);
    assert_eq!(q.try_get().unwrap(), 2);
}

/// A queue whose ring holds less than one message still passes it: `put` waits for the
/// bytes, not only for the count.
#[test]
fn a_bounded_queue_with_a_small_ring_blocks_on_bytes_until_a_getter_takes() {
    let q = Queue::builder()
        .maxsize(4)
        .capacity(64 << 10)
        .build()
        .unwrap();
    assert_eq!(q.maxsize(), 4);
    let big = vec![7u8; 200 << 10];
    std::thread::scope(|s| {
        let getter = s.spawn(|| get(&q));
        put(&q, big.clone());
        assert_eq!(getter.join().unwrap(), big);
    });
}

#[test]
fn a_get_timeout_keeps_its_deadline_while_another_getter_waits() {
    let q = Queue::<u32>::new().unwrap();
    std::thread::scope(|s| {
        let waiting = s.spawn(|| q.get_timeout(LONG));
        // Whether or not the other getter is waiting yet, this one returns on time.
        let timeout = Duration::from_millis(50);
        let start = Instant::now();
        assert!(matches!(q.get_timeout(timeout), Err(GetError::Empty)));
        let took = start.elapsed();
        assert!(took >= timeout && took < Duration::from_secs(5), "{took:?}");
        assert!(matches!(q.try_get(), Err(GetError::Empty)));
        q.put(1).unwrap();
        assert_eq!(waiting.join().unwrap().unwrap(), 1);
    });
}

#[test]
fn a_put_timeout_keeps_its_deadline_while_a_chunked_put_waits_for_room() {
    let q = Queue::builder().capacity(64 << 10).build().unwrap();
    let big = vec![3u8; 1 << 20];
    let (started_tx, started_rx) = mpsc::channel();
    std::thread::scope(|s| {
        let blocked = s.spawn(|| {
            started_tx.send(()).unwrap();
            q.put(big.clone())
        });
        started_rx.recv().unwrap();
        // The big put fills the ring and waits for room (nobody gets yet). Empty
        // messages go in until then (they are taken below).
        let mut empties = 0;
        wait_until("the ring is full of the big put's chunks", || {
            let full = q.put_timeout(vec![], Duration::from_millis(1)).is_err();
            empties += usize::from(!full);
            full
        });
        let timeout = Duration::from_millis(50);
        let start = Instant::now();
        assert!(matches!(
            q.put_timeout(vec![9], timeout),
            Err(PutError::Full(v)) if v == [9]
        ));
        let took = start.elapsed();
        assert!(took >= timeout && took < Duration::from_secs(5), "{took:?}");
        assert!(matches!(q.try_put(vec![9]), Err(PutError::Full(_))));
        // A getter lets the big put finish; only what was put arrives.
        for _ in 0..empties {
            assert_eq!(get(&q), Vec::<u8>::new());
        }
        assert!(get(&q) == big);
        blocked.join().unwrap().unwrap();
    });
    assert!(matches!(q.try_get(), Err(GetError::Empty)));
}

/// Gets one message within `LONG`, or reports Empty as `None`.
fn try_get_one(q: Queue<Vec<u8>>) -> Option<Vec<u8>> {
    match q.try_get() {
        Ok(v) => Some(v),
        Err(GetError::Empty) => None,
        Err(e) => panic!("{e:?}"),
    }
}
tripod::task!(try_get_one);

#[test]
fn close_wakes_this_handles_waiting_getters_and_putters() {
    let big = vec![4u8; 1 << 20];
    // A put waiting for room in the middle of a chunked item is woken by close, gets its
    // item back, and leaves nothing behind for the other processes.
    let q2 = Queue::builder().capacity(64 << 10).build().unwrap();
    let other_process = q2.clone();
    let mut empties = 0;
    std::thread::scope(|s| {
        let putter = s.spawn(|| q2.put(big.clone()));
        // Empty messages go in until the big put holds the ring (they are taken below).
        wait_until("the big put waits for room", || {
            let full = q2.try_put(vec![]).is_err();
            empties += usize::from(!full);
            full
        });
        q2.close();
        match putter.join().unwrap() {
            Err(PutError::Closed(back)) => assert!(back == big),
            other => panic!(
                "expected Closed, got {:?}",
                other.map_err(|e| e.to_string())
            ),
        }
    });
    for _ in 0..empties {
        let got = Process::new(try_get_one, (other_process.clone(),))
            .start()
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(got, Some(vec![]));
    }
    let got = Process::new(try_get_one, (other_process,))
        .start()
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(got, None, "the closed put's chunks were discarded");
    // A getter waiting on an empty queue is woken by close too.
    let q3 = Queue::<u8>::new().unwrap();
    std::thread::scope(|s| {
        let getter = s.spawn(|| q3.get());
        q3.close();
        assert!(matches!(getter.join().unwrap(), Err(GetError::Closed)));
    });
}

// ---------------------------------------------------------------------------------------
// JoinableQueue

/// Gets `n` items, waits for `go`, then marks them done one by one; returns their sum.
fn work_then_done(q: JoinableQueue<u64>, n: u64, go: Event) -> u64 {
    let sum = (0..n).map(|_| get(&q)).sum();
    assert!(go.wait_timeout(LONG));
    for _ in 0..n {
        q.task_done().unwrap();
    }
    sum
}
tripod::task!(work_then_done);

#[test]
fn joinable_queue_join_waits_for_every_task_done_in_a_child() {
    const N: u64 = 100;
    let q = JoinableQueue::new().unwrap();
    for i in 0..N {
        q.put(i).unwrap();
    }
    assert_eq!(q.unfinished_tasks(), N as usize);
    assert!(
        !q.join_timeout(Duration::from_millis(20)),
        "nothing done yet"
    );
    let go = Event::new().unwrap();
    let child = Process::new(work_then_done, (q.clone(), N, go.clone()))
        .start()
        .unwrap();
    wait_until("the child has taken every item", || q.is_empty());
    // Taken but not done: join still waits.
    assert_eq!(q.unfinished_tasks(), N as usize);
    assert!(!q.join_timeout(Duration::from_millis(20)));
    go.set();
    q.join();
    assert_eq!(q.unfinished_tasks(), 0);
    assert!(q.join_timeout(Duration::ZERO));
    assert_eq!(child.join().unwrap(), N * (N - 1) / 2);
    assert_eq!(q.task_done(), Err(TaskDoneError));
    // Still usable afterwards, through the Queue it derefs to.
    let plain: &Queue<u64> = &q;
    plain.put(9).unwrap();
    assert_eq!(q.unfinished_tasks(), 1);
    assert_eq!(q.get().unwrap(), 9);
    q.task_done().unwrap();
    q.join();
}

/// Puts large messages 0, 1, 2, ... into a JoinableQueue until killed.
fn put_joinable_forever(q: JoinableQueue<(u64, Vec<u64>)>, words: usize) {
    for seq in 0.. {
        put(&q, (seq, payload(seq, words)));
    }
}
tripod::task!(put_joinable_forever);

#[test]
fn items_that_never_made_it_into_a_joinable_queue_are_not_waited_for() {
    const WORDS: usize = 64 << 10;
    let q = Queue::builder()
        .capacity(64 << 10)
        .build_joinable()
        .unwrap();
    // A put that times out in the middle of a chunked item.
    let timeout = Duration::from_millis(20);
    assert!(matches!(
        q.put_timeout((0, payload(0, WORDS)), timeout),
        Err(PutError::Full(_))
    ));
    assert_eq!(q.unfinished_tasks(), 0);
    assert!(q.join_timeout(Duration::ZERO));
    // A producer killed in the middle of one.
    let doomed = Process::new(put_joinable_forever, (q.clone(), WORDS))
        .start()
        .unwrap();
    for want in 0..3 {
        let (seq, got) = get(&q);
        assert_eq!(seq, want);
        assert!(got == payload(seq, WORDS));
        q.task_done().unwrap();
    }
    doomed.kill().unwrap();
    assert!(doomed.join().is_err());
    // Whatever it completed before it died is taken and done; then nothing is pending.
    loop {
        match q.try_get() {
            Ok(_) => q.task_done().unwrap(),
            Err(GetError::Empty) => break,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(q.unfinished_tasks(), 0);
    assert!(
        q.join_timeout(Duration::from_secs(5)),
        "join waits for an item a dead producer never finished putting"
    );
}

#[test]
fn task_done_more_times_than_items_put_is_an_error() {
    let q = JoinableQueue::<String>::with_maxsize(3).unwrap();
    assert_eq!(q.maxsize(), 3);
    assert_eq!(q.task_done(), Err(TaskDoneError));
    q.put("a".to_owned()).unwrap();
    assert_eq!(q.get().unwrap(), "a");
    q.task_done().unwrap();
    assert_eq!(q.task_done(), Err(TaskDoneError));
    assert_eq!(q.unfinished_tasks(), 0);
    q.join();
}

// ---------------------------------------------------------------------------------------
// Batches, sizes, close, encode errors, SimpleQueue

#[test]
fn put_many_and_get_many_take_batches() {
    let q = Queue::new().unwrap();
    assert!(q.is_empty());
    assert_eq!(q.put_many(0..10u32).unwrap(), 10);
    assert_eq!(q.len(), 10);
    assert!(!q.is_empty());
    assert_eq!(q.get_many(4).unwrap(), [0, 1, 2, 3]);
    assert_eq!(q.len(), 6);
    assert_eq!(q.get_many(100).unwrap(), [4, 5, 6, 7, 8, 9]);
    assert!(q.is_empty());
    assert_eq!(q.put_many(std::iter::empty()).unwrap(), 0);
    q.put(11).unwrap();
    assert_eq!(q.get_many(1).unwrap(), [11]);
    // get_many waits for the first message like get.
    let start = Instant::now();
    let timeout = Duration::from_millis(50);
    std::thread::scope(|s| {
        s.spawn(|| {
            assert_eq!(q.get_many(5).unwrap(), [12]);
        });
        assert!(matches!(q.get_timeout(timeout), Err(GetError::Empty)));
        q.put(12).unwrap();
    });
    assert!(start.elapsed() >= timeout);
}

/// A value whose encoding fails.
#[derive(Debug, PartialEq, Deserialize)]
enum Item {
    Fine(u32),
    Poison,
}

impl Serialize for Item {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Item::Fine(n) => s.serialize_newtype_variant("Item", 0, "Fine", n),
            Item::Poison => Err(serde::ser::Error::custom("poison refuses to be encoded")),
        }
    }
}

#[test]
fn put_many_stops_at_an_item_that_cannot_be_encoded() {
    let q = Queue::new().unwrap();
    let mut items = vec![
        Item::Fine(1),
        Item::Fine(2),
        Item::Poison,
        Item::Fine(3),
        Item::Fine(4),
    ]
    .into_iter();
    match q.put_many(&mut items) {
        Err(PutError::Encode(back, err)) => {
            assert_eq!(back, Item::Poison);
            assert_eq!(err.kind(), WireErrorKind::Encode, "{err}");
        }
        other => panic!("expected Encode(Poison), got {other:?}"),
    }
    assert_eq!(items.collect::<Vec<_>>(), [Item::Fine(3), Item::Fine(4)]);
    assert_eq!(q.len(), 2);
    assert_eq!(q.get_many(10).unwrap(), [Item::Fine(1), Item::Fine(2)]);
    match q.put(Item::Poison) {
        Err(PutError::Encode(Item::Poison, _)) => {}
        other => panic!("expected Encode(Poison), got {other:?}"),
    }
    assert!(
        q.is_empty(),
        "a message that failed to encode leaves nothing behind"
    );
}

#[test]
fn a_connection_put_into_a_queue_comes_back_in_an_encode_error() {
    let q = Queue::<Connection>::new().unwrap();
    let (a, b) = Pipe(true);
    let a = match q.put(a) {
        Err(PutError::Encode(back, err)) => {
            assert!(!err.to_string().is_empty());
            back
        }
        other => panic!("expected Encode, got {other:?}"),
    };
    assert!(q.is_empty());
    // The connection came back whole.
    a.send(&"still works").unwrap();
    assert_eq!(b.recv::<String>().unwrap(), "still works");
}

/// Waits for `go`, then gets everything and answers on the same queue.
fn drain_and_answer(q: Queue<u32>, go: Event, expect: u32) -> Vec<u32> {
    assert!(go.wait_timeout(LONG));
    let got: Vec<u32> = (0..expect).map(|_| get(&q)).collect();
    put(&q, 99);
    got
}
tripod::task!(drain_and_answer);

#[test]
fn close_stops_this_handle_and_its_clones_but_not_other_processes() {
    let q = Queue::new().unwrap();
    let go = Event::new().unwrap();
    let child = Process::new(drain_and_answer, (q.clone(), go.clone(), 3))
        .start()
        .unwrap();
    q.put_many([1u32, 2, 3]).unwrap();
    let clone = q.clone();
    assert!(!q.is_closed());
    q.close();
    q.close(); // twice is fine
    assert!(q.is_closed() && clone.is_closed());
    assert!(matches!(q.put(4), Err(PutError::Closed(4))));
    assert!(matches!(clone.try_put(5), Err(PutError::Closed(5))));
    assert!(matches!(q.get(), Err(GetError::Closed)));
    assert!(matches!(clone.try_get(), Err(GetError::Closed)));
    assert!(matches!(
        q.get_timeout(Duration::from_millis(1)),
        Err(GetError::Closed)
    ));
    assert!(matches!(q.get_many(2), Err(GetError::Closed)));
    assert!(matches!(q.put_many([6, 7]), Err(PutError::Closed(6))));
    // Queued data stays, and another process still gets and puts.
    go.set();
    assert_eq!(child.join().unwrap(), [1, 2, 3]);
    assert_eq!(q.len(), 1, "the child's answer is there");
    assert!(matches!(q.try_get(), Err(GetError::Closed)));
    // A closed handle given to a new child is a working handle there.
    let answer = Process::new(drain_and_answer, (q.clone(), go.clone(), 1))
        .start()
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(answer, [99]);
    assert_eq!(q.len(), 1);
}

/// Puts `n` numbers through a SimpleQueue.
fn simple_put(q: SimpleQueue<(u32, String)>, n: u32) {
    for i in 0..n {
        q.put((i, i.to_string())).unwrap();
    }
}
tripod::task!(simple_put);

#[test]
fn simple_queue_puts_and_gets_across_processes() {
    let q = SimpleQueue::new().unwrap();
    assert!(q.is_empty());
    Process::new(simple_put, (q.clone(), 50))
        .start()
        .unwrap()
        .join()
        .unwrap();
    assert!(!q.is_empty());
    for i in 0..50 {
        assert_eq!(q.get().unwrap(), (i, i.to_string()));
    }
    assert!(q.is_empty());
    q.close();
    assert!(matches!(
        q.put((0, String::new())),
        Err(PutError::Closed(_))
    ));
    assert!(matches!(q.get(), Err(GetError::Closed)));
}

/// Checks that the queue holds what the parent put and answers on it.
fn check_and_answer(q: Queue<String>) {
    assert_eq!(get(&q), "from the parent");
    put(&q, "from the child".to_owned());
}
tripod::task!(check_and_answer);

#[test]
fn a_queue_travels_to_a_child_as_an_argument() {
    let q = Queue::new().unwrap();
    put(&q, "from the parent".to_owned());
    Process::new(check_and_answer, (q.clone(),))
        .start()
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(q.try_get().unwrap(), "from the child");
    assert!(q.is_empty());
}

/// An argument that is encoded as a queue of `String`s and decoded as a queue of `u64`s.
struct Mismatch {
    sent: Option<Queue<String>>,
}

impl Serialize for Mismatch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.sent.as_ref().unwrap().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Mismatch {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Queue::<u64>::deserialize(d)?;
        Ok(Mismatch { sent: None })
    }
}

fn receive_mismatch(_: Mismatch) {}
tripod::task!(receive_mismatch);

#[test]
fn a_queue_received_as_a_queue_of_another_type_is_a_decode_error() {
    let q = Queue::<String>::new().unwrap();
    let err = Process::new(receive_mismatch, (Mismatch { sent: Some(q) },))
        .start()
        .and_then(|child| child.join())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("String") && err.contains("u64"),
        "a queue of String received as a queue of u64: {err}"
    );
}

// ---------------------------------------------------------------------------------------
// Memory

/// Keeps the queue (full of data) alive until killed.
fn hold_queue(q: Queue<Vec<u8>>, ready: Queue<u32>) {
    put(&ready, std::process::id());
    let _keep = q;
    wait_to_be_killed();
}
tripod::task!(hold_queue);

/// (device, inode) of what `link` (a /proc/PID/fd/N) refers to.
fn file_id(link: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(link).ok().map(|m| (m.dev(), m.ino()))
}

/// Whether any process's descriptors or mappings still refer to the memfd `(dev, ino)`.
fn anyone_holds((dev, ino): (u64, u64)) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    for entry in procs.flatten() {
        let dir = entry.path();
        if !entry
            .file_name()
            .to_string_lossy()
            .bytes()
            .all(|b| b.is_ascii_digit())
        {
            continue;
        }
        if let Ok(fds) = std::fs::read_dir(dir.join("fd")) {
            for fd in fds.flatten() {
                if file_id(&fd.path()) == Some((dev, ino)) {
                    return true;
                }
            }
        }
        if let Ok(maps) = std::fs::read_to_string(dir.join("maps")) {
            // address perms offset dev inode path; memfd mappings show `/memfd:...`.
            let held = maps.lines().any(|line| {
                let mut fields = line.split_whitespace();
                let inode = fields.nth(4).and_then(|f| f.parse::<u64>().ok());
                inode == Some(ino) && line.contains("/memfd:")
            });
            if held {
                return true;
            }
        }
    }
    false
}

/// The memfds this process has open: (dev, ino) and size.
fn my_memfds() -> Vec<((u64, u64), u64)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    for fd in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let is_memfd = std::fs::read_link(fd.path())
            .is_ok_and(|link| link.to_string_lossy().starts_with("/memfd:"));
        if is_memfd && let Ok(m) = std::fs::metadata(fd.path()) {
            out.push(((m.dev(), m.ino()), m.len()));
        }
    }
    out
}

#[test]
fn queue_memory_is_freed_after_every_holder_was_killed() {
    // Other tests of this binary create queues concurrently; this queue is told apart by
    // its size: its memfd is at least the ring's (unusual) capacity.
    const CAPACITY: usize = 24 << 20;
    let before: BTreeSet<(u64, u64)> = my_memfds().into_iter().map(|(id, _)| id).collect();
    let q = Queue::<Vec<u8>>::builder()
        .capacity(CAPACITY)
        .build()
        .unwrap();
    let id = my_memfds()
        .into_iter()
        .find(|(id, len)| !before.contains(id) && *len >= CAPACITY as u64)
        .map(|(id, _)| id)
        .expect("the queue's memfd is among this process's descriptors");
    // Fill most of the ring so its pages are real.
    for _ in 0..20 {
        put(&q, vec![0xA5u8; 1 << 20]);
    }
    let ready = Queue::<u32>::new().unwrap();
    let holders: Vec<_> = (0..2)
        .map(|_| {
            Process::new(hold_queue, (q.clone(), ready.clone()))
                .start()
                .unwrap()
        })
        .collect();
    let pids: BTreeSet<u32> = (0..2).map(|_| get(&ready)).collect();
    assert_eq!(pids.len(), 2);
    drop(q);
    assert!(
        !my_memfds().iter().any(|(held, _)| *held == id),
        "this process let go of the queue"
    );
    assert!(anyone_holds(id), "the holders keep it");
    for h in &holders {
        h.kill().unwrap();
    }
    for h in holders {
        assert_eq!(h.join().unwrap_err().signal(), Some(9));
    }
    wait_until("no process holds the queue's memory", || !anyone_holds(id));
}

/// The queue a pool worker got from the pool's initializer (Python's
/// `Pool(initializer=init, initargs=(q,))`: a queue cannot travel as a task's argument).
static POOL_QUEUE: std::sync::OnceLock<Queue<(u64, u32)>> = std::sync::OnceLock::new();

fn keep_pool_queue(q: Queue<(u64, u32)>) {
    POOL_QUEUE
        .set(q)
        .expect("the initializer runs once per worker");
}
tripod::task!(keep_pool_queue);

fn square_into_queue(x: u64) -> u64 {
    let q = POOL_QUEUE.get().expect("the initializer ran");
    q.put((x * x, std::process::id())).unwrap();
    x
}
tripod::task!(square_into_queue);

#[test]
fn a_queue_reaches_pool_workers_through_the_initializer() {
    let q = Queue::<(u64, u32)>::new().unwrap();
    let pool = tripod::multiprocessing::Pool::builder()
        .processes(2)
        .initializer(keep_pool_queue, (q.clone(),))
        .build()
        .unwrap();
    let returned = pool.map(square_into_queue, 0..100u64, 5).unwrap();
    assert_eq!(returned, (0..100).collect::<Vec<_>>());
    let mut squares: Vec<u64> = (0..100).map(|_| get(&q).0).collect();
    squares.sort_unstable();
    assert_eq!(squares, (0..100u64).map(|x| x * x).collect::<Vec<_>>());
    assert!(q.try_get().unwrap_err().is_empty());
    pool.close();
    pool.join().unwrap();
}
