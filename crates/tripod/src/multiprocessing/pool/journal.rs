//! A worker's reply journal: a small shared memory segment where the worker copies each
//! reply it holds back (see [`worker`](super::worker): replies of chunks run back to back
//! travel together in one frame), so that a worker that dies with replies not yet sent
//! does not take them along: the parent reads them back from the journal when the
//! worker's connection ends, delivers them, and knows which chunk the worker really ran.
//!
//! Layout: one 64-bit word, the length of the replies in the journal (published with a
//! release store after their bytes, so a reader that sees a length sees those bytes
//! whole), then the replies back to back, as they travel on the connection. The worker
//! sets the length back to zero once it has sent them. A worker killed in the middle of a
//! copy leaves the length of the replies before it: the torn reply is not read.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::shm::{Segment, words};

/// Where the replies begin (the length word, padded to a cache line).
const DATA: usize = 64;

/// The segment's size: the most replies a worker holds back, in bytes, is this less
/// [`DATA`].
pub(crate) const JOURNAL_BYTES: usize = 64 << 10;

/// One worker's journal, shared by the parent and the worker (sent to it with its start
/// arguments).
#[derive(Clone)]
pub(crate) struct Journal(Arc<Segment>);

impl Journal {
    /// A new empty journal, for one worker.
    pub(crate) fn create() -> std::io::Result<Journal> {
        Segment::create("pool-journal", JOURNAL_BYTES).map(|s| Journal(Arc::new(s)))
    }

    fn length(&self) -> &AtomicU64 {
        self.0.at::<AtomicU64>(0)
    }

    /// The parent's side, once the worker is gone: the replies it held back (and maybe
    /// some it had sent just before it died, which the caller finds answered already).
    pub(crate) fn read_back(&self) -> Vec<u8> {
        let len = self.length().load(Ordering::Acquire);
        let len = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(self.0.len() - DATA);
        let mut bytes = vec![0; len];
        words::read(&self.0, DATA, &mut bytes);
        bytes
    }
}

impl Serialize for Journal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Journal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Segment::deserialize(deserializer).map(|s| Journal(Arc::new(s)))
    }
}

/// The worker's side: copies the replies it holds back.
pub(crate) struct JournalWriter {
    journal: Journal,
    len: usize,
}

impl JournalWriter {
    pub(crate) fn new(journal: Journal) -> JournalWriter {
        journal.length().store(0, Ordering::Release);
        JournalWriter { journal, len: 0 }
    }

    /// Appends `reply`; false (and nothing written) if it does not fit: the caller then
    /// sends what it holds before going on.
    pub(crate) fn append(&mut self, reply: &[u8]) -> bool {
        let end = self.len + reply.len();
        if DATA + end > self.journal.0.len() {
            return false;
        }
        words::write(&self.journal.0, DATA + self.len, reply);
        self.journal.length().store(end as u64, Ordering::Release);
        self.len = end;
        true
    }

    /// The replies were sent: the journal is empty.
    pub(crate) fn clear(&mut self) {
        if self.len > 0 {
            self.journal.length().store(0, Ordering::Release);
            self.len = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_appended_and_not_cleared_reads_back() {
        let journal = Journal::create().unwrap();
        let mut writer = JournalWriter::new(journal.clone());
        assert!(journal.read_back().is_empty());
        assert!(writer.append(b"abc"));
        assert!(writer.append(b"defghijkl"));
        assert_eq!(journal.read_back(), b"abcdefghijkl");
        writer.clear();
        assert!(journal.read_back().is_empty());
        // Too large for what is left: refused, the journal as before.
        assert!(writer.append(b"x"));
        assert!(!writer.append(&vec![7; JOURNAL_BYTES]));
        assert_eq!(journal.read_back(), b"x");
    }
}
