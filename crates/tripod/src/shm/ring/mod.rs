//! [`Ring`]: a multi-producer multi-consumer byte-message ring in a shared [`Segment`], the
//! engine under `multiprocessing::Queue`. It moves byte messages and knows nothing of serde.
//!
//! # Layout
//!
//! A header page, then the data ring of `capacity` bytes (a power of two between
//! [`MIN_CAPACITY`] and [`MAX_CAPACITY`]). The header's groups each sit on their own 64-byte
//! line, so producers and consumers do not share lines they write:
//!
//! - constants, written once by the creator and checked by [`Ring::open`]: magic, layout
//!   version, kind (plain, joinable, simple), capacity, maxsize, and the element type's name
//!   and its FNV-1a fingerprint;
//! - the producer line: `put_lock` (a robust, error-checking [`RobustMutex`]), the lock
//!   holder's cached copy of `head`, and a "long hold" flag set while the holder writes a
//!   chunked message;
//! - `tail`: one `AtomicU64` = (byte position mod 2^32) << 32 | (messages published mod
//!   2^32). Publishing a record and counting its message is one store, so a producer killed
//!   between two steps can never leave them inconsistent;
//! - the consumer line: `get_lock`, the holder's cached copy of `tail`, and its "long hold"
//!   flag (set while assembling a chunked message);
//! - `head`: the same packing, for what was consumed;
//! - three wait lines, each a futex word and a sleeper count: `data` (getters wait for a
//!   record), `space` (putters wait for room), and `join`, whose word is the count of
//!   `task_done` calls (joiners wait for it to reach the count of messages put).
//!
//! `len = tail.count - head.count`, `free = capacity - (tail.pos - head.pos)` and
//! `unfinished = tail.count - done`, all wrapping: a message is counted by the very store
//! that publishes it.
//!
//! # Records
//!
//! An 8-byte header `{len: u32, kind: u32}` and a payload padded to 8 bytes. Kinds:
//! `WHOLE` (a message), `FIRST` (its payload starts with the message's total length as a
//! `u64`), `MIDDLE`, `LAST`, and `PAD` (skip to the start of the ring: written when a record
//! does not fit before the end; the pad and the record are published by one store). Only
//! `WHOLE` and `LAST` count as a message.
//!
//! A message whose record fits in `capacity / 2` is written `WHOLE`. A larger one is cut into
//! chunks of at most `capacity / 4` bytes, `FIRST`, `MIDDLE`..., `LAST`, each published as
//! soon as it is written, so a message larger than the ring goes through while a getter
//! drains it. The producer holds `put_lock` for the whole message, so chunks of different
//! messages never interleave; a getter that takes a `FIRST` holds `get_lock` until it has the
//! `LAST` (assembling the message in its own memory), so one getter gets all the chunks.
//!
//! # Publication
//!
//! Only lock holders write: producers under `put_lock`, getters under `get_lock`, so each
//! side is a single-producer single-consumer ring (Lamport's), with cached copies of the
//! other side's index so that a put does not read the consumers' line on every message.
//! A producer copies the record into the free region (which no getter reads: it read `head`
//! with `Acquire`, after the getters' reads of that region), then stores `tail`. A getter
//! loads `tail` with `Acquire`, reads the record in place (a `&[u8]` into `[head, tail)` is
//! sound: nobody writes there until `head` moves past it) and then stores `head`.
//!
//! # Crash safety
//!
//! The robust mutexes make each side's lock survive its holder's death
//! ([`Locked::OwnerDied`]); what the dead holder left behind is handled as follows.
//!
//! - A producer killed in the middle of a put had not moved `tail` for the record it was
//!   writing: nothing of it is visible, and the next producer carries on. If it dies in the
//!   middle of a chunked message, `FIRST` and maybe `MIDDLE`s are in the ring without a
//!   `LAST`. A getter assembling a message drops its partial message when it meets a
//!   `WHOLE` or a `FIRST` (its producer must be gone: a live one would still hold
//!   `put_lock`). A getter assembling a message that finds the ring empty waits in short
//!   slices and after each one tries `put_lock`: if it gets it, the producer of its partial
//!   message is gone, so it drops it and goes on as a normal get (a live producer in the
//!   middle of a message holds `put_lock`, so the getter keeps waiting). The lock order is
//!   always `get_lock` then `put_lock`, and producers never take `get_lock`: no deadlock. A
//!   producer whose timed put runs out in the middle of a chunked message leaves in the same
//!   way, and the getters discard what it wrote.
//! - A getter killed in the middle of a get had not moved `head` past its message: the next
//!   getter takes it. If it dies in the middle of a chunked message, the next getter meets
//!   `MIDDLE`/`LAST` records while not assembling and skips them (a skipped `LAST` still
//!   counts as consumed, so `len` stays right): that one message is lost with its getter;
//!   every other message is intact.
//! - A process killed between publishing and waking the sleepers of the other side leaves
//!   them asleep; sleepers therefore wait in slices of [`SLEEP_SLICE`] and look again, and
//!   the next locker that finds the lock's owner dead wakes everyone.
//!
//! # Sleeping and waking
//!
//! A getter that finds the ring empty spins a little, yields a few times, then registers as
//! a sleeper (`SeqCst`), reads the futex word, checks the ring again (`SeqCst`) and sleeps.
//! A producer stores `tail` (`SeqCst`) and then reads the sleeper count: either the getter
//! sees the record or the producer sees the sleeper, which it wakes by bumping the word and
//! waking all (all, not one: a woken getter killed before it takes the message would
//! otherwise strand the others). Putters waiting for room and joiners work the same way.
//! Nobody sleeps holding a lock, except a producer in the middle of a chunked message and
//! a getter assembling one.

use std::io;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};
use std::time::{Duration, Instant};

use super::{Locked, RobustMutex, Segment, Shared, futex};

mod consumer;
mod producer;
#[cfg(test)]
mod tests;

use consumer::Taker;
pub(crate) use producer::Producer;

/// The smallest ring, in bytes.
pub(crate) const MIN_CAPACITY: usize = 4 << 10;
/// The largest ring, in bytes (positions are kept modulo 2^32).
pub(crate) const MAX_CAPACITY: usize = 1 << 30;
/// Where the data ring starts in the segment.
const HEADER_LEN: usize = 4096;
const MAGIC: u64 = u64::from_le_bytes(*b"tripodQ\0");
const LAYOUT_VERSION: u32 = 1;
/// The bytes at the start of the ring faulted in when it is mapped.
const PREFAULT: usize = 16 << 20;
/// Bytes of the element type's name kept in the header (for error messages).
const NAME_WORDS: usize = 32;

const WHOLE: u32 = 1;
const FIRST: u32 = 2;
const MIDDLE: u32 = 3;
const LAST: u32 = 4;
const PAD: u32 = 5;
const RECORD_HEADER: usize = 8;

/// How long a getter holding a partial message sleeps before it checks whether the
/// producer of that message is still alive.
const ASSEMBLY_SLICE: Duration = Duration::from_millis(10);
/// The longest single sleep of any waiter: a process killed between publishing and waking
/// costs the sleepers at most this much latency.
pub(crate) const SLEEP_SLICE: Duration = Duration::from_millis(100);
/// Polls of `tail` before a getter of an empty ring yields, then sleeps.
const SPINS: u32 = 2000;
const YIELDS: u32 = 8;

/// What kind of queue a ring backs; checked when a handle is received.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RingKind {
    Queue = 1,
    Joinable = 2,
    Simple = 3,
}

impl RingKind {
    fn from_u32(v: u32) -> Option<RingKind> {
        match v {
            1 => Some(RingKind::Queue),
            2 => Some(RingKind::Joinable),
            3 => Some(RingKind::Simple),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            RingKind::Queue => "Queue",
            RingKind::Joinable => "JoinableQueue",
            RingKind::Simple => "SimpleQueue",
        }
    }
}

/// Why a ring operation did not complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fail {
    /// The deadline passed, or a non-blocking call found no room / no message.
    Timeout,
    /// The handle's closed flag is set.
    Closed,
}

/// Why a get did not complete; `Item` is the caller's own error for the first message
/// (which is consumed).
#[derive(Debug)]
pub(crate) enum GetFail<E> {
    Ring(Fail),
    Item(E),
}

impl<E> From<Fail> for GetFail<E> {
    fn from(fail: Fail) -> Self {
        GetFail::Ring(fail)
    }
}

/// How long an operation may wait.
#[derive(Clone, Copy)]
pub(crate) struct Wait<'a> {
    /// `None`: no limit.
    pub(crate) deadline: Option<Instant>,
    /// Do not wait at all (Python's `*_nowait`).
    pub(crate) nonblocking: bool,
    /// The handle's closed flag: waiting stops with [`Fail::Closed`] when it is set.
    pub(crate) closed: &'a AtomicBool,
}

impl Wait<'_> {
    fn expired(&self) -> bool {
        self.nonblocking || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    fn is_closed(&self) -> bool {
        // SeqCst: a waiter reads it after its futex word, the closer sets it before bumping
        // that word, so a close between a waiter's checks cannot leave it asleep.
        self.closed.load(SeqCst)
    }

    /// The end of the next sleep: the deadline, or at most `slice` from now.
    fn slice_end(&self, slice: Duration) -> Instant {
        let end = Instant::now() + slice;
        match self.deadline {
            Some(d) if d < end => d,
            _ => end,
        }
    }
}

#[repr(C, align(64))]
struct Constants {
    magic: AtomicU64,
    version: AtomicU32,
    kind: AtomicU32,
    capacity: AtomicU64,
    maxsize: AtomicU64,
    fingerprint: AtomicU64,
    name_len: AtomicU64,
    name: [AtomicU64; NAME_WORDS],
}

/// One side's lock and what only its holder writes.
#[repr(C, align(64))]
struct Side {
    lock: RobustMutex,
    /// The holder's last look at the other side's index (never ahead of it).
    cache: AtomicU64,
    /// 1 while the holder may keep the lock long (a chunked message): non-blocking callers
    /// do not wait for it then.
    long_hold: AtomicU32,
}

#[repr(C, align(64))]
struct IndexLine {
    word: AtomicU64,
}

#[repr(C, align(64))]
struct WaitLine {
    /// The futex word.
    seq: AtomicU32,
    /// Threads about to sleep or sleeping on `seq`.
    sleepers: AtomicU32,
}

#[repr(C)]
struct Header {
    constants: Constants,
    producer: Side,
    tail: IndexLine,
    consumer: Side,
    head: IndexLine,
    data: WaitLine,
    space: WaitLine,
    /// `seq` is the count of `task_done` calls.
    join: WaitLine,
}

const _: () = assert!(std::mem::size_of::<Header>() <= HEADER_LEN);

// SAFETY: `#[repr(C)]` structs of atomics and `RobustMutex`es only, all `Shared`: valid for
// every bit pattern, mutated only atomically or by the pthread functions.
unsafe impl Shared for Constants {}
// SAFETY: as above.
unsafe impl Shared for Side {}
// SAFETY: as above.
unsafe impl Shared for IndexLine {}
// SAFETY: as above.
unsafe impl Shared for WaitLine {}
// SAFETY: as above.
unsafe impl Shared for Header {}

fn pack(pos: u32, count: u32) -> u64 {
    (u64::from(pos) << 32) | u64::from(count)
}

fn unpack(word: u64) -> (u32, u32) {
    ((word >> 32) as u32, word as u32)
}

fn pad8(n: usize) -> usize {
    (n + 7) & !7
}

/// The FNV-1a hash of a type name: the fingerprint checked when a handle is received.
pub(crate) fn fingerprint(type_name: &str) -> u64 {
    type_name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The ring capacity for a requested one: rounded up to a power of two, at least
/// [`MIN_CAPACITY`].
///
/// # Errors
///
/// `InvalidInput` above [`MAX_CAPACITY`].
pub(crate) fn capacity_for(requested: usize) -> io::Result<usize> {
    if requested > MAX_CAPACITY {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("a queue's capacity is at most {MAX_CAPACITY} bytes (1 GiB), not {requested}"),
        ));
    }
    Ok(requested.max(MIN_CAPACITY).next_power_of_two())
}

/// A byte-message ring in a shared segment (see the module docs).
pub(crate) struct Ring {
    header: NonNull<Header>,
    data: NonNull<u8>,
    capacity: usize,
    maxsize: u64,
    segment: Segment,
}

// SAFETY: the pointers point into `segment`, owned by the ring; the header is `Shared`
// (`Sync`) and the data bytes are only touched under the protocol of this module, which
// holds across threads as across processes.
unsafe impl Send for Ring {}
// SAFETY: as above.
unsafe impl Sync for Ring {}

impl Ring {
    /// Creates a ring of `capacity` bytes (see [`capacity_for`]) for messages of the type
    /// named `type_name`, bounded to `maxsize` messages (0: no bound).
    pub(crate) fn create(
        capacity: usize,
        maxsize: usize,
        type_name: &str,
        kind: RingKind,
    ) -> io::Result<Ring> {
        let capacity = capacity_for(capacity)?;
        let segment = Segment::create("queue", HEADER_LEN + capacity)?;
        let header = segment.at::<Header>(0);
        // SAFETY: the segment was created just now and has not been shared: nobody else can
        // use the mutexes before they are initialised, each once.
        unsafe {
            header.producer.lock.init()?;
            header.consumer.lock.init()?;
        }
        let c = &header.constants;
        c.version.store(LAYOUT_VERSION, Relaxed);
        c.kind.store(kind as u32, Relaxed);
        c.capacity.store(capacity as u64, Relaxed);
        c.maxsize.store(maxsize as u64, Relaxed);
        c.fingerprint.store(fingerprint(type_name), Relaxed);
        let name = &type_name.as_bytes()[..type_name.len().min(NAME_WORDS * 8)];
        c.name_len.store(name.len() as u64, Relaxed);
        for (word, chunk) in c.name.iter().zip(name.chunks(8)) {
            let mut bytes = [0u8; 8];
            bytes[..chunk.len()].copy_from_slice(chunk);
            word.store(u64::from_le_bytes(bytes), Relaxed);
        }
        c.magic.store(MAGIC, Release);
        Ok(Ring::view(segment, capacity))
    }

    /// Opens a ring received from another process, checking that it is a ring of this
    /// layout, of one of the `accept`ed kinds, for the type named `type_name`.
    ///
    /// # Errors
    ///
    /// A sentence saying what does not match.
    pub(crate) fn open(
        segment: Segment,
        type_name: &str,
        want: RingKind,
        accept: &[RingKind],
    ) -> Result<Ring, String> {
        if segment.len() < HEADER_LEN + MIN_CAPACITY {
            return Err("not a tripod queue (the shared memory is too small)".to_owned());
        }
        let c = &segment.at::<Header>(0).constants;
        if c.magic.load(Acquire) != MAGIC {
            return Err("not a tripod queue (bad magic number)".to_owned());
        }
        let version = c.version.load(Relaxed);
        if version != LAYOUT_VERSION {
            return Err(format!(
                "a queue of layout version {version}, this build knows {LAYOUT_VERSION}"
            ));
        }
        let capacity = usize::try_from(c.capacity.load(Relaxed)).unwrap_or(0);
        if !capacity.is_power_of_two()
            || !(MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity)
            || HEADER_LEN + capacity > segment.len()
        {
            return Err(format!(
                "a corrupt queue header (capacity {capacity} in {} bytes)",
                segment.len()
            ));
        }
        let name_len = (c.name_len.load(Relaxed) as usize).min(NAME_WORDS * 8);
        let mut name: Vec<u8> = c
            .name
            .iter()
            .flat_map(|w| w.load(Relaxed).to_le_bytes())
            .collect();
        name.truncate(name_len);
        let theirs = String::from_utf8_lossy(&name);
        if c.fingerprint.load(Relaxed) != fingerprint(type_name) {
            return Err(format!(
                "a queue of `{theirs}` received as a queue of `{type_name}`"
            ));
        }
        let kind = RingKind::from_u32(c.kind.load(Relaxed))
            .ok_or_else(|| "a corrupt queue header (unknown kind)".to_owned())?;
        if !accept.contains(&kind) {
            return Err(format!(
                "a {}<{theirs}> received as a {}<{type_name}>",
                kind.name(),
                want.name()
            ));
        }
        Ok(Ring::view(segment, capacity))
    }

    fn view(segment: Segment, capacity: usize) -> Ring {
        let header = NonNull::from(segment.at::<Header>(0));
        let maxsize = segment.at::<Header>(0).constants.maxsize.load(Relaxed);
        assert!(HEADER_LEN + capacity <= segment.len());
        // SAFETY: `HEADER_LEN + capacity <= segment.len()` (asserted above), so the offset
        // stays inside the mapping.
        let data = unsafe { NonNull::new_unchecked(segment.as_ptr().add(HEADER_LEN)) };
        // Fault in the start of the ring now, in each process that maps it: the first
        // messages then pay no page faults (a fresh 4 MiB ring is ~1000 of them, in both
        // processes). Best effort: kernels before 5.14 refuse it.
        // SAFETY: the range is inside the mapping (asserted above); populating pages that
        // are already shared changes no byte of them.
        let _ = unsafe {
            rustix::mm::madvise(
                data.as_ptr().cast(),
                capacity.min(PREFAULT),
                rustix::mm::Advice::LinuxPopulateWrite,
            )
        };
        Ring {
            header,
            data,
            capacity,
            maxsize,
            segment,
        }
    }

    /// The segment, for sending the ring to another process.
    pub(crate) fn segment(&self) -> &Segment {
        &self.segment
    }

    #[inline]
    fn h(&self) -> &Header {
        // SAFETY: `header` points at offset 0 of `segment` (checked by `Segment::at` in
        // `view`), which lives as long as `self`; `Header` is `Shared`.
        unsafe { self.header.as_ref() }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// 0: no bound on the count.
    pub(crate) fn maxsize(&self) -> usize {
        usize::try_from(self.maxsize).unwrap_or(usize::MAX)
    }

    /// Messages in the ring (a snapshot).
    pub(crate) fn len(&self) -> usize {
        // Head first: it never passes a tail read after it, so the difference is >= 0.
        let (_, consumed) = unpack(self.h().head.word.load(SeqCst));
        let (_, published) = unpack(self.h().tail.word.load(SeqCst));
        published.wrapping_sub(consumed) as usize
    }

    /// Whether `len() == maxsize` (with a bound).
    pub(crate) fn is_full(&self) -> bool {
        self.maxsize != 0 && self.len() as u64 >= self.maxsize
    }

    /// Threads sleeping (or about to) until a message comes: for tests.
    #[cfg(test)]
    pub(crate) fn data_sleepers(&self) -> u32 {
        self.h().data.sleepers.load(SeqCst)
    }

    /// Messages put and not yet marked done with [`task_done`](Self::task_done).
    pub(crate) fn unfinished(&self) -> usize {
        let done = self.h().join.seq.load(SeqCst);
        let (_, published) = unpack(self.h().tail.word.load(SeqCst));
        published.wrapping_sub(done) as usize
    }

    /// Counts one message as done; `false` (and nothing changes) if none is unfinished.
    pub(crate) fn task_done(&self) -> bool {
        let h = self.h();
        loop {
            let done = h.join.seq.load(SeqCst);
            let (_, published) = unpack(h.tail.word.load(SeqCst));
            if published.wrapping_sub(done) == 0 {
                return false;
            }
            if h.join
                .seq
                .compare_exchange(done, done.wrapping_add(1), SeqCst, SeqCst)
                .is_ok()
            {
                if h.join.sleepers.load(SeqCst) > 0 {
                    futex::wake_all(&h.join.seq);
                }
                return true;
            }
        }
    }

    /// Waits until every message put has been marked done, or `deadline`; `true` if done.
    pub(crate) fn join(&self, deadline: Option<Instant>) -> bool {
        let h = self.h();
        loop {
            if self.unfinished() == 0 {
                return true;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return false;
            }
            h.join.sleepers.fetch_add(1, SeqCst);
            let done = h.join.seq.load(SeqCst);
            let (_, published) = unpack(h.tail.word.load(SeqCst));
            if published.wrapping_sub(done) != 0 {
                let end = Instant::now() + SLEEP_SLICE;
                let end = deadline.map_or(end, |d| d.min(end));
                futex::wait(&h.join.seq, done, Some(end));
            }
            h.join.sleepers.fetch_sub(1, SeqCst);
        }
    }

    /// Wakes every sleeper of this ring, in every process (they look again and sleep
    /// again if nothing changed for them): how a close reaches this process's waiters.
    pub(crate) fn wake_everyone(&self) {
        let h = self.h();
        for line in [&h.data, &h.space] {
            line.seq.fetch_add(1, SeqCst);
            futex::wake_all(&line.seq);
        }
    }

    /// Wakes the sleepers of `line` if there are any; called after a change they wait for,
    /// which the caller made with a `SeqCst` store.
    #[inline]
    fn wake(line: &WaitLine) {
        if line.sleepers.load(SeqCst) > 0 {
            line.seq.fetch_add(1, SeqCst);
            futex::wake_all(&line.seq);
        }
    }

    /// Sleeps once on `line` (until woken, `end`, or at once if `still()` is false after
    /// registering).
    fn sleep_on(line: &WaitLine, end: Instant, still: impl FnOnce() -> bool) {
        line.sleepers.fetch_add(1, SeqCst);
        let seq = line.seq.load(SeqCst);
        if still() {
            futex::wait(&line.seq, seq, Some(end));
        }
        line.sleepers.fetch_sub(1, SeqCst);
    }

    /// Locks `side`'s mutex within `wait`; repairs after a dead owner.
    fn lock_side(&self, side: &Side, wait: &Wait<'_>) -> Result<(), Fail> {
        let locked = if wait.nonblocking {
            loop {
                if let Some(locked) = side.lock.try_lock() {
                    break locked;
                }
                // Held: briefly by a live holder, unless it is in the middle of a long
                // (chunked) message, which a non-blocking call does not wait for.
                if side.long_hold.load(Relaxed) != 0 {
                    return Err(Fail::Timeout);
                }
                if let Some(locked) = side.lock.lock(Some(Instant::now() + ASSEMBLY_SLICE)) {
                    break locked;
                }
            }
        } else {
            side.lock.lock(wait.deadline).ok_or(Fail::Timeout)?
        };
        if locked == Locked::OwnerDied {
            self.repair(side);
        }
        Ok(())
    }

    /// After a lock holder died: its long hold is over, and the wake-up it may have owed
    /// the other side is given now.
    fn repair(&self, side: &Side) {
        side.long_hold.store(0, Relaxed);
        self.wake_everyone();
    }

    // ------------------------------------------------------------------ producers

    /// Takes `put_lock` for one or more [`Producer::push`]es.
    pub(crate) fn producer(&self, wait: &Wait<'_>) -> Result<Producer<'_>, Fail> {
        if wait.is_closed() {
            return Err(Fail::Closed);
        }
        self.lock_side(&self.h().producer, wait)?;
        Ok(Producer::locked(self))
    }

    /// Puts one message.
    pub(crate) fn put(&self, msg: &[u8], wait: &Wait<'_>) -> Result<(), Fail> {
        self.producer(wait)?.push(msg, wait)
    }

    /// The bytes a record of `rec` bytes takes at position `pos` (with a pad before it if it
    /// does not fit before the end of the ring).
    #[inline]
    fn need_at(&self, pos: u32, rec: usize) -> usize {
        let contiguous = self.capacity - (pos as usize & (self.capacity - 1));
        if rec <= contiguous {
            rec
        } else {
            contiguous + rec
        }
    }

    /// Whether `need` more bytes (and, with `count`, one more message) fit after a tail of
    /// `(t_pos, t_cnt)` given a head word.
    #[inline]
    fn fits(&self, t_pos: u32, t_cnt: u32, head: u64, need: usize, count: bool) -> bool {
        let (h_pos, h_cnt) = unpack(head);
        let used = t_pos.wrapping_sub(h_pos) as usize;
        used + need <= self.capacity
            && (!count || self.maxsize == 0 || u64::from(t_cnt.wrapping_sub(h_cnt)) < self.maxsize)
    }

    /// A fresh look at whether a record of `rec` bytes (and a message) would fit now.
    fn room_now(&self, rec: usize, count: bool) -> bool {
        let h = self.h();
        let (t_pos, t_cnt) = unpack(h.tail.word.load(SeqCst));
        let head = h.head.word.load(SeqCst);
        self.fits(t_pos, t_cnt, head, self.need_at(t_pos, rec), count)
    }

    /// Sleeps once for room (none of the caller's locks need be released for it).
    fn sleep_for_room(&self, rec: usize, count: bool, wait: &Wait<'_>) -> Result<(), Fail> {
        if wait.is_closed() {
            return Err(Fail::Closed);
        }
        if wait.expired() {
            return Err(Fail::Timeout);
        }
        Ring::sleep_on(&self.h().space, wait.slice_end(SLEEP_SLICE), || {
            !wait.is_closed() && !self.room_now(rec, count)
        });
        Ok(())
    }

    /// A pointer to data byte `off`.
    ///
    /// # Safety
    ///
    /// `off <= capacity`.
    #[inline]
    unsafe fn at(&self, off: usize) -> *mut u8 {
        debug_assert!(off <= self.capacity);
        // SAFETY: the data region is `capacity` bytes from `data` (see `view`), and the
        // caller keeps `off` within it (one past the end at most).
        unsafe { self.data.as_ptr().add(off) }
    }

    /// Writes a record at data offset `off`: the header, then `parts` one after the other.
    ///
    /// # Safety
    ///
    /// The caller holds `put_lock`, and `[off, off + 8 + parts' length)` lies inside the ring
    /// and in its free region (between `tail` and `head + capacity`), which no one else
    /// reads or writes until the caller publishes it.
    unsafe fn write_record(&self, off: usize, kind: u32, len: usize, parts: &[&[u8]]) {
        debug_assert!(off.is_multiple_of(8) && off + RECORD_HEADER + len <= self.capacity);
        let header = (u64::from(kind) << 32) | len as u64;
        // SAFETY: the range is inside the ring and free (the caller's promise), so nobody
        // reads or writes it concurrently; `off` is 8-aligned and the data region starts
        // page-aligned, so the `u64` store is aligned.
        unsafe { self.at(off).cast::<u64>().write(header) };
        let mut at = off + RECORD_HEADER;
        for part in parts {
            // SAFETY: as above; `part` is the caller's memory, not the ring, so the copies
            // do not overlap; the parts add up to `len` bytes, inside the range.
            unsafe { std::ptr::copy_nonoverlapping(part.as_ptr(), self.at(at), part.len()) };
            at += part.len();
        }
    }

    // ------------------------------------------------------------------ consumers

    /// Whether there is any record (maybe only a pad or an orphan chunk) to look at.
    #[inline]
    fn has_records(&self) -> bool {
        let h = self.h();
        let (h_pos, _) = unpack(h.head.word.load(Acquire));
        let (t_pos, _) = unpack(h.tail.word.load(Acquire));
        h_pos != t_pos
    }

    /// Waits until there is a record, `deadline`, or the handle is closed.
    fn wait_for_records(&self, wait: &Wait<'_>) -> Result<(), Fail> {
        if wait.nonblocking {
            return Err(Fail::Timeout);
        }
        for _ in 0..SPINS {
            if self.has_records() {
                return Ok(());
            }
            std::hint::spin_loop();
        }
        for _ in 0..YIELDS {
            std::thread::yield_now();
            if self.has_records() {
                return Ok(());
            }
        }
        loop {
            if wait.is_closed() {
                return Err(Fail::Closed);
            }
            if wait.expired() {
                return Err(Fail::Timeout);
            }
            let h = self.h();
            Ring::sleep_on(&h.data, wait.slice_end(SLEEP_SLICE), || {
                if wait.is_closed() {
                    return false;
                }
                let (h_pos, _) = unpack(h.head.word.load(SeqCst));
                let (t_pos, _) = unpack(h.tail.word.load(SeqCst));
                h_pos == t_pos
            });
            if self.has_records() {
                return Ok(());
            }
        }
    }

    /// Gets up to `max` (>= 1) messages, waiting within `wait` for the first; `each` is
    /// called with each message's bytes (in place in the ring when the message is whole),
    /// with `true` for the first.
    ///
    /// If `each` fails on the first message, that message is consumed and the error is
    /// returned; if it fails on a later one, that message stays in the ring (the next get
    /// sees it first) and the count so far is returned. The first message is consumed even
    /// if `each` panics.
    pub(crate) fn get<E>(
        &self,
        max: usize,
        wait: &Wait<'_>,
        mut each: impl FnMut(&[u8], bool) -> Result<(), E>,
    ) -> Result<usize, GetFail<E>> {
        let max = max.max(1);
        loop {
            if wait.is_closed() {
                return Err(Fail::Closed.into());
            }
            if !self.has_records() {
                self.wait_for_records(wait)?;
                continue;
            }
            self.lock_side(&self.h().consumer, wait)?;
            let mut taker = Taker::new(self);
            let got = taker.take(max, &mut each)?;
            if got > 0 {
                return Ok(got);
            }
            // Someone else took it, or there were only pads and orphans: look again.
        }
    }
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("capacity", &self.capacity)
            .field("maxsize", &self.maxsize)
            .field("len", &self.len())
            .finish()
    }
}
