//! [`Taker`]: the holder of `get_lock`, reading records, assembling chunked messages and
//! moving `head`.

use std::marker::PhantomData;
use std::sync::atomic::Ordering::{Acquire, Relaxed, SeqCst};
use std::time::Instant;

use super::{
    ASSEMBLY_SLICE, FIRST, GetFail, LAST, MIDDLE, PAD, RECORD_HEADER, Ring, Side, WHOLE, pack,
    pad8, unpack,
};
use crate::shm::Locked;
use crate::shm::sync_cells::NotSend;

/// The most a getter reserves up front for a chunked message (it grows past it as the
/// chunks come).
const MAX_RESERVE: usize = 1 << 30;

/// The holder of `get_lock` while it takes messages; commits `head`, wakes putters and
/// unlocks when dropped (also when the caller's callback panics).
pub(super) struct Taker<'a> {
    ring: &'a Ring,
    pub(super) h_pos: u32,
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
    pub(super) fn new(ring: &'a Ring) -> Taker<'a> {
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
    pub(super) fn commit(&mut self) {
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
    pub(super) fn tail_pos(&self, refresh: bool) -> u32 {
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

    pub(super) fn take<E>(
        &mut self,
        max: usize,
        each: &mut impl FnMut(&[u8], bool) -> Result<(), E>,
    ) -> Result<usize, GetFail<E>> {
        let ring = self.ring;
        let cap = ring.capacity;
        let mut got = 0;
        // The message being assembled, and the length its `FIRST` chunk announced.
        let mut partial: Option<(Vec<u8>, u64)> = None;
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
            // Records are multiples of 8, so a head off that grid was not written by a
            // getter: reading a header there would be a misaligned load.
            if !off.is_multiple_of(RECORD_HEADER) {
                self.corrupt("the head is not on a record boundary");
            }
            // SAFETY: `[head, tail)` holds published records (the tail was loaded with
            // `Acquire` after the producer's `Release`/`SeqCst` store), nobody writes there
            // until `head` moves (we hold `get_lock`), `off` is 8-aligned (checked just
            // above) and `off + 8 <= cap` (the ring is a power of two >= 4096).
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
                        (_, Some((assembled, total))) => {
                            if assembled.len() as u64 + payload.len() as u64 != *total {
                                self.corrupt("chunks that do not add up to their message");
                            }
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
                    let first_part = &payload[8..];
                    if (first_part.len() as u64) >= total {
                        self.corrupt("a first chunk as long as its whole message");
                    }
                    // The length is the producer's word: reserve it when the memory is
                    // there, and let a corrupt one fail at the `LAST` check, not here.
                    let mut assembled = Vec::new();
                    let _ = assembled.try_reserve_exact(
                        usize::try_from(total)
                            .unwrap_or(usize::MAX)
                            .min(MAX_RESERVE),
                    );
                    assembled.extend_from_slice(first_part);
                    partial = Some((assembled, total));
                    self.side().long_hold.store(1, Relaxed);
                    self.h_pos = self.h_pos.wrapping_add(rec as u32);
                    self.commit();
                }
                MIDDLE => {
                    if let Some((assembled, total)) = &mut partial {
                        if assembled.len() as u64 + payload.len() as u64 >= *total {
                            self.corrupt("chunks longer than their message");
                        }
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
                    // Its long hold is over, and the wake-up it may have owed is given now.
                    self.ring.repair(&h.producer);
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
