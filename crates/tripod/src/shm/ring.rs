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
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64};
use std::time::{Duration, Instant};

use super::sync_cells::NotSend;
use super::{Locked, RobustMutex, Segment, Shared, futex};

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
        self.closed.load(Relaxed)
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
        Ok(Producer {
            ring: self,
            locked: true,
            _not_send: PhantomData,
        })
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
            !self.room_now(rec, count)
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

/// The holder of `put_lock`: pushes messages; unlocks when dropped.
pub(crate) struct Producer<'a> {
    ring: &'a Ring,
    locked: bool,
    _not_send: NotSend,
}

impl Producer<'_> {
    fn side(&self) -> &Side {
        &self.ring.h().producer
    }

    /// Pushes one message, waiting within `wait` for room (without holding the lock,
    /// except in the middle of a chunked message).
    ///
    /// On failure nothing of the message is visible as a message: a chunked message cut
    /// short is discarded by the getters (see the module docs).
    pub(crate) fn push(&mut self, msg: &[u8], wait: &Wait<'_>) -> Result<(), Fail> {
        let rec = RECORD_HEADER + pad8(msg.len());
        if rec <= self.ring.capacity / 2 {
            let (t_pos, t_cnt, need) = self.wait_room(rec, true, wait, true)?;
            self.publish_record(t_pos, t_cnt, need, rec, WHOLE, msg.len(), &[msg], true);
            Ok(())
        } else {
            self.push_chunked(msg, wait)
        }
    }

    /// Holding the lock on return, waits until a record of `rec` bytes (and, with `count`,
    /// a message) fits; returns the tail and the bytes the record takes there.
    fn wait_room(
        &mut self,
        rec: usize,
        count: bool,
        wait: &Wait<'_>,
        may_unlock: bool,
    ) -> Result<(u32, u32, usize), Fail> {
        let ring = self.ring;
        let h = ring.h();
        loop {
            if !self.locked {
                ring.lock_side(&h.producer, wait)?;
                self.locked = true;
            }
            // Only `put_lock` holders store `tail`, and the lock orders them (`Acquire` all
            // the same, for a previous holder that died: free on the targets we run on).
            let (t_pos, t_cnt) = unpack(h.tail.word.load(Acquire));
            let need = ring.need_at(t_pos, rec);
            if ring.fits(t_pos, t_cnt, h.producer.cache.load(Relaxed), need, count) {
                return Ok((t_pos, t_cnt, need));
            }
            let head = h.head.word.load(Acquire);
            h.producer.cache.store(head, Relaxed);
            if ring.fits(t_pos, t_cnt, head, need, count) {
                return Ok((t_pos, t_cnt, need));
            }
            if wait.nonblocking {
                return Err(Fail::Timeout);
            }
            if may_unlock {
                self.unlock();
            }
            ring.sleep_for_room(rec, count, wait)?;
        }
    }

    /// Writes a record (after a pad if `need > rec`) at tail `(t_pos, t_cnt)` and publishes
    /// both; `last` counts a message.
    #[allow(clippy::too_many_arguments)]
    fn publish_record(
        &self,
        t_pos: u32,
        t_cnt: u32,
        need: usize,
        rec: usize,
        kind: u32,
        len: usize,
        parts: &[&[u8]],
        last: bool,
    ) {
        let ring = self.ring;
        let mut off = t_pos as usize & (ring.capacity - 1);
        if need > rec {
            let pad = ring.capacity - off;
            // SAFETY: we hold `put_lock` (`wait_room` returned with it), and `need` bytes
            // from the tail fit in the free region (`fits`): the pad's header lies in them.
            unsafe { ring.write_record(off, PAD, pad - RECORD_HEADER, &[]) };
            off = 0;
        }
        // SAFETY: as above; the record is the last `rec` bytes of the `need`.
        unsafe { ring.write_record(off, kind, len, parts) };
        let count = t_cnt.wrapping_add(u32::from(last));
        let h = ring.h();
        h.tail
            .word
            .store(pack(t_pos.wrapping_add(need as u32), count), SeqCst);
        Ring::wake(&h.data);
    }

    fn push_chunked(&mut self, msg: &[u8], wait: &Wait<'_>) -> Result<(), Fail> {
        let ring = self.ring;
        let chunk = ring.capacity / 4;
        if wait.nonblocking && !self.fits_whole_message_now(msg.len()) {
            return Err(Fail::Timeout);
        }
        let total = (msg.len() as u64).to_le_bytes();
        let mut sent = 0;
        let mut first = true;
        let result = loop {
            let n = chunk.min(msg.len() - sent);
            let data = &msg[sent..sent + n];
            let last = sent + n == msg.len();
            let (kind, len) = if first {
                (FIRST, 8 + n)
            } else if last {
                (LAST, n)
            } else {
                (MIDDLE, n)
            };
            let rec = RECORD_HEADER + pad8(len);
            // The first chunk waits like a whole message (for room and for the count,
            // without holding the lock); the others hold the lock.
            let (t_pos, t_cnt, need) = match self.wait_room(rec, first, wait, first) {
                Ok(room) => room,
                Err(fail) => break Err(fail),
            };
            if first {
                self.side().long_hold.store(1, Relaxed);
            }
            let parts: &[&[u8]] = if first { &[&total, data] } else { &[data] };
            self.publish_record(t_pos, t_cnt, need, rec, kind, len, parts, last);
            sent += n;
            first = false;
            if last {
                break Ok(());
            }
            if wait.is_closed() {
                break Err(Fail::Closed);
            }
        };
        self.side().long_hold.store(0, Relaxed);
        result
    }

    /// Whether all the chunks of a message of `len` bytes fit in the free space now.
    fn fits_whole_message_now(&self, len: usize) -> bool {
        let ring = self.ring;
        let h = ring.h();
        let (t_pos, t_cnt) = unpack(h.tail.word.load(Acquire));
        let head = h.head.word.load(Acquire);
        let chunk = ring.capacity / 4;
        let (mut pos, mut sent, mut first) = (t_pos, 0, true);
        let mut need = 0usize;
        while first || sent < len {
            let n = chunk.min(len - sent);
            let rec = RECORD_HEADER + pad8(n + if first { 8 } else { 0 });
            let step = ring.need_at(pos, rec);
            need += step;
            if need > ring.capacity {
                return false;
            }
            pos = pos.wrapping_add(step as u32);
            sent += n;
            first = false;
        }
        ring.fits(t_pos, t_cnt, head, need, true)
    }

    fn unlock(&mut self) {
        if self.locked {
            self.locked = false;
            let unlocked = self.side().lock.unlock();
            debug_assert!(unlocked, "put_lock released by a thread not holding it");
        }
    }
}

impl Drop for Producer<'_> {
    fn drop(&mut self) {
        self.side().long_hold.store(0, Relaxed);
        self.unlock();
    }
}

/// The holder of `get_lock` while it takes messages; commits `head`, wakes putters and
/// unlocks when dropped (also when the caller's callback panics).
struct Taker<'a> {
    ring: &'a Ring,
    h_pos: u32,
    h_cnt: u32,
    /// The head as last stored.
    stored: u64,
    _not_send: NotSend,
}

/// What a getter waiting for the rest of a chunked message found.
enum Assembly {
    /// More records arrived.
    More,
    /// The producer of the partial message is gone: drop it.
    Orphan,
}

impl<'a> Taker<'a> {
    /// # Panics
    ///
    /// Not by itself; the caller holds `get_lock`.
    fn new(ring: &'a Ring) -> Taker<'a> {
        // Only `get_lock` holders store `head`, and the lock orders them (`Acquire` as in
        // `Producer::wait_room`).
        let stored = ring.h().head.word.load(Acquire);
        let (h_pos, h_cnt) = unpack(stored);
        Taker {
            ring,
            h_pos,
            h_cnt,
            stored,
            _not_send: PhantomData,
        }
    }

    fn side(&self) -> &Side {
        &self.ring.h().consumer
    }

    /// Stores the head if it moved and wakes the putters waiting for room.
    fn commit(&mut self) {
        let word = pack(self.h_pos, self.h_cnt);
        if word != self.stored {
            self.stored = word;
            let h = self.ring.h();
            h.head.word.store(word, SeqCst);
            Ring::wake(&h.space);
        }
    }

    /// The tail position as far as this getter knows, reloading it when the cache is used
    /// up.
    fn tail_pos(&self, refresh: bool) -> u32 {
        let side = self.side();
        let (cached, _) = unpack(side.cache.load(Relaxed));
        // The cache is never behind the head (it is loaded before the head moves), but a
        // stale one is cheap to refuse.
        let ahead = cached.wrapping_sub(self.h_pos) as usize;
        if !refresh && ahead != 0 && ahead <= self.ring.capacity {
            return cached;
        }
        let tail = self.ring.h().tail.word.load(Acquire);
        side.cache.store(tail, Relaxed);
        unpack(tail).0
    }

    /// A corrupt record: only a bug (or a stray write into the segment) gets here.
    fn corrupt(&self, what: &str) -> ! {
        panic!(
            "tripod queue ring corrupt at position {}: {what}",
            self.h_pos
        )
    }

    fn take<E>(
        &mut self,
        max: usize,
        each: &mut impl FnMut(&[u8], bool) -> Result<(), E>,
    ) -> Result<usize, GetFail<E>> {
        let ring = self.ring;
        let cap = ring.capacity;
        let mut got = 0;
        let mut partial: Option<Vec<u8>> = None;
        let mut t_pos = self.tail_pos(false);
        loop {
            if self.h_pos == t_pos {
                t_pos = self.tail_pos(true);
            }
            if self.h_pos == t_pos {
                if partial.is_none() {
                    return Ok(got);
                }
                // The rest of a chunked message is still to come: free the space taken so
                // far, then wait for the producer (or its death).
                self.commit();
                match self.await_chunks(t_pos) {
                    Assembly::More => {}
                    Assembly::Orphan => {
                        partial = None;
                        self.side().long_hold.store(0, Relaxed);
                        if got > 0 {
                            return Ok(got);
                        }
                    }
                }
                t_pos = self.tail_pos(true);
                continue;
            }
            let off = self.h_pos as usize & (cap - 1);
            let avail = t_pos.wrapping_sub(self.h_pos) as usize;
            if avail > cap || avail < RECORD_HEADER {
                self.corrupt("the tail is not a record away");
            }
            // SAFETY: `[head, tail)` holds published records (the tail was loaded with
            // `Acquire` after the producer's `Release`/`SeqCst` store), nobody writes there
            // until `head` moves (we hold `get_lock`), `off` is 8-aligned and `off + 8 <=
            // cap` (records are multiples of 8 and the ring is a power of two >= 4096).
            let header = unsafe { ring.at(off).cast::<u64>().read() };
            let (kind, len) = ((header >> 32) as u32, (header as u32) as usize);
            let rec = RECORD_HEADER + pad8(len);
            if rec > avail || off + rec > cap {
                self.corrupt("a record overruns the published bytes");
            }
            // SAFETY: as for the header: `[off + 8, off + 8 + len)` is inside the published,
            // unchanging region (checked just above).
            let payload = unsafe { std::slice::from_raw_parts(ring.at(off + RECORD_HEADER), len) };
            match kind {
                PAD => {
                    self.h_pos = self.h_pos.wrapping_add(rec as u32);
                }
                WHOLE | LAST => {
                    if kind == WHOLE && partial.take().is_some() {
                        // Orphan chunks of a producer that is gone.
                        self.side().long_hold.store(0, Relaxed);
                    }
                    let message: Option<&[u8]> = match (kind, &mut partial) {
                        (WHOLE, _) => Some(payload),
                        (_, Some(assembled)) => {
                            assembled.extend_from_slice(payload);
                            Some(assembled)
                        }
                        // A LAST whose beginning died with its getter: skip it.
                        (_, None) => None,
                    };
                    self.h_pos = self.h_pos.wrapping_add(rec as u32);
                    self.h_cnt = self.h_cnt.wrapping_add(1);
                    let Some(message) = message else { continue };
                    let first = got == 0;
                    if first {
                        // Consumed whatever `each` does, even if it panics (the drop
                        // commits).
                        if let Err(e) = each(message, true) {
                            self.commit();
                            return Err(GetFail::Item(e));
                        }
                    } else if each(message, false).is_err() {
                        // Leave it for the next get.
                        self.h_pos = self.h_pos.wrapping_sub(rec as u32);
                        self.h_cnt = self.h_cnt.wrapping_sub(1);
                        return Ok(got);
                    }
                    if kind == LAST {
                        partial = None;
                        self.side().long_hold.store(0, Relaxed);
                        self.commit();
                    }
                    got += 1;
                    if got == max {
                        return Ok(got);
                    }
                }
                FIRST => {
                    if got > 0 {
                        // A batch does not wait for the chunks of a large message.
                        return Ok(got);
                    }
                    if len < 8 {
                        self.corrupt("a first chunk without its length");
                    }
                    let total = u64::from_le_bytes(payload[..8].try_into().expect("8 bytes"));
                    let mut assembled =
                        Vec::with_capacity(usize::try_from(total).unwrap_or(0).min(1 << 30));
                    assembled.extend_from_slice(&payload[8..]);
                    partial = Some(assembled);
                    self.side().long_hold.store(1, Relaxed);
                    self.h_pos = self.h_pos.wrapping_add(rec as u32);
                    self.commit();
                }
                MIDDLE => {
                    if let Some(assembled) = &mut partial {
                        assembled.extend_from_slice(payload);
                    }
                    self.h_pos = self.h_pos.wrapping_add(rec as u32);
                    self.commit();
                }
                _ => self.corrupt("unknown record kind"),
            }
        }
    }

    /// Holding `get_lock` and a partial message, with the ring empty at `t_pos`: waits for
    /// more records, or for proof that the producer of the partial message is gone.
    fn await_chunks(&self, t_pos: u32) -> Assembly {
        let h = self.ring.h();
        let moved = || unpack(h.tail.word.load(SeqCst)).0 != t_pos;
        loop {
            Ring::sleep_on(&h.data, Instant::now() + ASSEMBLY_SLICE, || !moved());
            if moved() {
                return Assembly::More;
            }
            // A live producer in the middle of a message holds `put_lock`; if we get it,
            // the producer of our partial message is gone (or gave up).
            if let Some(locked) = h.producer.lock.try_lock() {
                if locked == Locked::OwnerDied {
                    h.producer.long_hold.store(0, Relaxed);
                }
                let more = moved();
                let unlocked = h.producer.lock.unlock();
                debug_assert!(unlocked);
                return if more {
                    Assembly::More
                } else {
                    Assembly::Orphan
                };
            }
        }
    }
}

impl Drop for Taker<'_> {
    fn drop(&mut self) {
        self.commit();
        // A partial message dies with this get (a panic in the caller's callback).
        self.side().long_hold.store(0, Relaxed);
        let unlocked = self.side().lock.unlock();
        debug_assert!(unlocked, "get_lock released by a thread not holding it");
    }
}

#[cfg(test)]
mod tests {
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
                    let (t_pos, t_cnt, need) =
                        producer.wait_room(rec, i == 0, &now(), false).unwrap();
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
        let err =
            Ring::open(copy(), "alpha::A", RingKind::Simple, &[RingKind::Simple]).unwrap_err();
        assert!(err.contains("JoinableQueue"), "{err}");
        let plain = Segment::create("test", HEADER_LEN + 4096).unwrap();
        let err = Ring::open(plain, "alpha::A", RingKind::Queue, &[RingKind::Queue]).unwrap_err();
        assert!(err.contains("magic"), "{err}");
    }
}
