//! Byte copies in and out of a [`Segment`] that other processes write concurrently.
//!
//! Shared memory that another thread or process may write at any moment cannot be read or
//! written with ordinary loads and stores (that is a data race), and Rust's memory model
//! also forbids racing atomic accesses of *different sizes* to the same bytes. So every
//! byte copy here goes through one granularity only: the aligned 64-bit words of the
//! segment, as [`AtomicU64`]s. A copy that covers a whole word loads or stores it; one
//! that covers part of a word loads it (read) or merges its bytes in with a
//! compare-and-swap loop (write), so bytes of the word outside the range are never
//! overwritten with stale values.
//!
//! Consequences, documented on the public types that use this:
//!
//! - each aligned 8-byte word is read or written atomically: a value that lies inside one
//!   word (any integer or float aligned to its size) never tears;
//! - a longer copy is not atomic as a whole: racing with a writer, a reader may see some
//!   words old and some new;
//! - a write is a release and a read an acquire (one fence each): what a process wrote
//!   before a `write` is visible to a process whose `read` saw any byte of that write.
//!
//! Everything is safe code on top of [`Segment::slice_at`]; it lives in `shm` because the
//! one-granularity rule is a property of the segment's memory that every user must keep.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering, fence};

use super::Segment;

const WORD: usize = 8;

/// The segment as atomic words (its length is a whole number of pages, so of words).
fn words(segment: &Segment) -> &[AtomicU64] {
    segment.slice_at::<AtomicU64>(0, segment.len() / WORD)
}

/// Checks that `len` bytes at `offset` lie in the segment.
///
/// # Panics
///
/// If they do not: callers check ranges against their own sizes first.
fn check(segment: &Segment, offset: usize, len: usize) {
    assert!(
        offset
            .checked_add(len)
            .is_some_and(|end| end <= segment.len()),
        "{len} bytes at offset {offset} overrun a segment of {} bytes",
        segment.len()
    );
}

/// Copies `dst.len()` bytes from byte `offset` of the segment into `dst`.
///
/// # Panics
///
/// If the range is not inside the segment.
pub(crate) fn read(segment: &Segment, offset: usize, dst: &mut [u8]) {
    check(segment, offset, dst.len());
    let words = words(segment);
    let mut at = offset;
    let mut dst = dst;
    // A head that starts inside a word.
    let skew = at % WORD;
    if skew != 0 && !dst.is_empty() {
        let take = (WORD - skew).min(dst.len());
        let word = words[at / WORD].load(Ordering::Relaxed).to_ne_bytes();
        dst[..take].copy_from_slice(&word[skew..skew + take]);
        at += take;
        dst = &mut dst[take..];
    }
    // Whole words, then a tail that ends inside one.
    let whole = dst.len() / WORD;
    let (body, tail) = dst.split_at_mut(whole * WORD);
    let first = at / WORD;
    for (chunk, word) in body
        .chunks_exact_mut(WORD)
        .zip(&words[first..first + whole])
    {
        chunk.copy_from_slice(&word.load(Ordering::Relaxed).to_ne_bytes());
    }
    if !tail.is_empty() {
        let word = words[first + whole].load(Ordering::Relaxed).to_ne_bytes();
        let n = tail.len();
        tail.copy_from_slice(&word[..n]);
    }
    fence(Ordering::Acquire);
}

/// Copies `src` into the segment from byte `offset`.
///
/// # Panics
///
/// If the range is not inside the segment.
pub(crate) fn write(segment: &Segment, offset: usize, src: &[u8]) {
    check(segment, offset, src.len());
    fence(Ordering::Release);
    let words = words(segment);
    let mut at = offset;
    let mut src = src;
    let skew = at % WORD;
    if skew != 0 && !src.is_empty() {
        let take = (WORD - skew).min(src.len());
        merge(&words[at / WORD], skew, &src[..take]);
        at += take;
        src = &src[take..];
    }
    let whole = src.len() / WORD;
    let (body, tail) = src.split_at(whole * WORD);
    let first = at / WORD;
    for (chunk, word) in body.chunks_exact(WORD).zip(&words[first..first + whole]) {
        let bytes: [u8; WORD] = chunk.try_into().expect("chunks of one word");
        word.store(u64::from_ne_bytes(bytes), Ordering::Relaxed);
    }
    if !tail.is_empty() {
        merge(&words[first + whole], 0, tail);
    }
}

/// Stores `bytes` at byte `skew` of `word`, keeping its other bytes as they are.
fn merge(word: &AtomicU64, skew: usize, bytes: &[u8]) {
    let _ = word.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
        let mut new = old.to_ne_bytes();
        new[skew..skew + bytes.len()].copy_from_slice(bytes);
        Some(u64::from_ne_bytes(new))
    });
}

/// Sets `len` bytes from `offset` to `byte` (for the tests).
///
/// # Panics
///
/// If the range is not inside the segment.
#[cfg(test)]
pub(crate) fn fill(segment: &Segment, offset: usize, len: usize, byte: u8) {
    check(segment, offset, len);
    let chunk = [byte; 4096];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len());
        write(segment, offset + done, &chunk[..n]);
        done += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_of_every_alignment_and_length_round_trip() {
        let seg = Segment::create("test", 256).unwrap();
        let pattern: Vec<u8> = (1..=40).collect();
        for offset in 0..17 {
            for len in 0..=pattern.len() {
                fill(&seg, 0, 64, 0xEE);
                write(&seg, offset, &pattern[..len]);
                let mut all = [0u8; 64];
                read(&seg, 0, &mut all);
                assert!(all[..offset].iter().all(|&b| b == 0xEE), "{offset} {len}");
                assert_eq!(
                    &all[offset..offset + len],
                    &pattern[..len],
                    "{offset} {len}"
                );
                assert!(
                    all[offset + len..].iter().all(|&b| b == 0xEE),
                    "{offset} {len}"
                );
                let mut back = vec![0u8; len];
                read(&seg, offset, &mut back);
                assert_eq!(back, pattern[..len]);
            }
        }
    }

    #[test]
    fn a_word_is_the_atomic_unit() {
        let seg = Segment::create("test", 64).unwrap();
        write(&seg, 8, &7u64.to_ne_bytes());
        assert_eq!(seg.at::<AtomicU64>(8).load(Ordering::Relaxed), 7);
        seg.at::<AtomicU64>(16).store(9, Ordering::Relaxed);
        let mut out = [0u8; 8];
        read(&seg, 16, &mut out);
        assert_eq!(u64::from_ne_bytes(out), 9);
    }

    #[test]
    fn concurrent_writers_of_neighbouring_bytes_lose_nothing() {
        let seg = std::sync::Arc::new(Segment::create("test", 64).unwrap());
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let seg = std::sync::Arc::clone(&seg);
                std::thread::spawn(move || {
                    for i in 0..2000u32 {
                        write(&seg, 3 + t, &[(i % 251) as u8 + 1]);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let mut out = [0u8; 4];
        read(&seg, 3, &mut out);
        assert_eq!(out, [(1999 % 251) as u8 + 1; 4]);
    }

    #[test]
    fn out_of_range_copies_panic() {
        let seg = Segment::create("test", 1).unwrap();
        let len = seg.len();
        assert!(std::panic::catch_unwind(|| read(&seg, len - 1, &mut [0; 2])).is_err());
        assert!(std::panic::catch_unwind(|| write(&seg, usize::MAX, &[0])).is_err());
    }
}
