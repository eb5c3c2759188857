//! [`Producer`]: the holder of `put_lock`, writing and publishing records.

use std::marker::PhantomData;
use std::sync::atomic::Ordering::{Acquire, Relaxed, SeqCst};

use super::{
    FIRST, Fail, LAST, MIDDLE, PAD, RECORD_HEADER, Ring, Side, WHOLE, Wait, pack, pad8, unpack,
};
use crate::shm::sync_cells::NotSend;

/// The holder of `put_lock`: pushes messages; unlocks when dropped.
pub(crate) struct Producer<'a> {
    ring: &'a Ring,
    locked: bool,
    _not_send: NotSend,
}

impl<'a> Producer<'a> {
    /// For a caller that has just locked `put_lock`.
    pub(super) fn locked(ring: &'a Ring) -> Producer<'a> {
        Producer {
            ring,
            locked: true,
            _not_send: PhantomData,
        }
    }

    pub(super) fn side(&self) -> &Side {
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
    pub(super) fn wait_room(
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
    pub(super) fn publish_record(
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
        self.end_long_hold();
        result
    }

    /// Clears the long-hold flag, if this producer holds the lock (the flag is then its
    /// own; unlocked, it may be another producer's, in the middle of its message).
    fn end_long_hold(&self) {
        if self.locked {
            self.side().long_hold.store(0, Relaxed);
        }
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
        self.end_long_hold();
        self.unlock();
    }
}
