//! What travels between the pool and its workers, each message one frame on the worker's
//! duplex [`Connection`](crate::multiprocessing::connection::Connection).
//!
//! Parent -> worker (a frame holds one or more requests, back to back):
//! - `RUN`: `[1][chunk: u64][task name: u32 len + bytes][n: u32]` then `n` encoded
//!   argument tuples, each `[u32 len][bytes]`;
//! - `STOP`: `[2]`: finish and exit.
//!
//! Worker -> parent (a frame holds one or more replies, back to back):
//! - `STARTED`: `[1][chunk: u64]`: the worker began this chunk;
//! - `DONE`: `[2][chunk: u64][n: u32]` then `n` outcomes `[tag: u8][u32 len][bytes]`;
//! - `INIT_FAILED`: `[3][u32 len][message]`: the initializer panicked, the worker exits.
//!
//! Little-endian integers throughout. The encoded arguments and results are `wire`'s
//! (version byte + postcard); this layer only frames them, so a chunk of many small items
//! costs one message each way.
#![forbid(unsafe_code)]

use crate::spawn::{FailKind, Outcome};

const RUN: u8 = 1;
const STOP: u8 = 2;

const STARTED: u8 = 1;
const DONE: u8 = 2;
const INIT_FAILED: u8 = 3;

const OUT_OK: u8 = 0;
const OUT_PANICKED: u8 = 1;
const OUT_DECODE_ARGS: u8 = 2;
const OUT_ENCODE_RESULT: u8 = 3;
const OUT_UNKNOWN_TASK: u8 = 4;
const OUT_PROTOCOL: u8 = 5;

/// Builds a `RUN` message item by item.
pub(crate) struct RunWriter {
    chunk: u64,
    buf: Vec<u8>,
    count_at: usize,
    count: u32,
}

impl RunWriter {
    pub(crate) fn new(chunk: u64, task: &str) -> RunWriter {
        let mut buf = Vec::with_capacity(32 + task.len());
        buf.push(RUN);
        buf.extend_from_slice(&chunk.to_le_bytes());
        put_bytes(&mut buf, task.as_bytes());
        let count_at = buf.len();
        buf.extend_from_slice(&0u32.to_le_bytes());
        RunWriter {
            chunk,
            buf,
            count_at,
            count: 0,
        }
    }

    pub(crate) fn push(&mut self, encoded_args: &[u8]) {
        put_bytes(&mut self.buf, encoded_args);
        self.count += 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.count as usize
    }

    /// The chunk's id and the message.
    pub(crate) fn finish(mut self) -> (u64, Vec<u8>) {
        self.buf[self.count_at..self.count_at + 4].copy_from_slice(&self.count.to_le_bytes());
        (self.chunk, self.buf)
    }
}

pub(crate) fn stop_message() -> Vec<u8> {
    vec![STOP]
}

/// A parent's message as the worker reads it.
pub(crate) enum Request<'a> {
    Run {
        chunk: u64,
        task: &'a str,
        items: Vec<&'a [u8]>,
    },
    Stop,
}

/// Splits a frame from the parent into its requests: the pool's writer sends whatever
/// has queued up for the worker in one frame.
pub(crate) fn parse_requests(frame: &[u8]) -> Result<Vec<Request<'_>>, String> {
    let mut r = Reader(frame);
    let mut requests = Vec::with_capacity(1);
    while !r.0.is_empty() {
        requests.push(match r.u8()? {
            RUN => {
                let chunk = r.u64()?;
                let task = std::str::from_utf8(r.bytes()?).map_err(|e| e.to_string())?;
                let n = r.u32()? as usize;
                let mut items = Vec::with_capacity(n.min(r.0.len()));
                for _ in 0..n {
                    items.push(r.bytes()?);
                }
                Request::Run { chunk, task, items }
            }
            STOP => Request::Stop,
            other => return Err(format!("unknown request tag {other}")),
        });
    }
    if requests.is_empty() {
        return Err("empty request frame".to_owned());
    }
    Ok(requests)
}

pub(crate) fn put_started(buf: &mut Vec<u8>, chunk: u64) {
    buf.push(STARTED);
    buf.extend_from_slice(&chunk.to_le_bytes());
}

pub(crate) fn put_done(buf: &mut Vec<u8>, chunk: u64, outcomes: &[Outcome]) {
    buf.push(DONE);
    buf.extend_from_slice(&chunk.to_le_bytes());
    buf.extend_from_slice(&(outcomes.len() as u32).to_le_bytes());
    for outcome in outcomes {
        let (tag, body) = match outcome {
            Outcome::Ok(bytes) => (OUT_OK, &bytes[..]),
            Outcome::Panicked(message) => (OUT_PANICKED, message.as_bytes()),
            Outcome::Failed(kind, message) => (
                match kind {
                    FailKind::DecodeArgs => OUT_DECODE_ARGS,
                    FailKind::EncodeResult => OUT_ENCODE_RESULT,
                    FailKind::UnknownTask => OUT_UNKNOWN_TASK,
                    FailKind::Protocol => OUT_PROTOCOL,
                },
                message.as_bytes(),
            ),
        };
        buf.push(tag);
        put_bytes(buf, body);
    }
}

pub(crate) fn put_init_failed(buf: &mut Vec<u8>, message: &str) {
    buf.push(INIT_FAILED);
    put_bytes(buf, message.as_bytes());
}

/// How one item ended, as the parent reads it.
pub(crate) enum ItemOutcome<'a> {
    Ok(&'a [u8]),
    Panicked(String),
    DecodeArgs(String),
    EncodeResult(String),
    UnknownTask(String),
    Protocol(String),
}

/// A worker's reply as the parent reads it.
pub(crate) enum Reply<'a> {
    Started(u64),
    Done(u64, Vec<ItemOutcome<'a>>),
    InitFailed(String),
}

/// Splits a worker's frame into its replies.
pub(crate) fn parse_replies(frame: &[u8]) -> Result<Vec<Reply<'_>>, String> {
    let mut r = Reader(frame);
    let mut replies = Vec::with_capacity(2);
    while !r.0.is_empty() {
        replies.push(match r.u8()? {
            STARTED => Reply::Started(r.u64()?),
            DONE => {
                let chunk = r.u64()?;
                let n = r.u32()? as usize;
                let mut outcomes = Vec::with_capacity(n.min(frame.len()));
                for _ in 0..n {
                    let tag = r.u8()?;
                    let body = r.bytes()?;
                    let text = || String::from_utf8_lossy(body).into_owned();
                    outcomes.push(match tag {
                        OUT_OK => ItemOutcome::Ok(body),
                        OUT_PANICKED => ItemOutcome::Panicked(text()),
                        OUT_DECODE_ARGS => ItemOutcome::DecodeArgs(text()),
                        OUT_ENCODE_RESULT => ItemOutcome::EncodeResult(text()),
                        OUT_UNKNOWN_TASK => ItemOutcome::UnknownTask(text()),
                        OUT_PROTOCOL => ItemOutcome::Protocol(text()),
                        other => return Err(format!("unknown outcome tag {other}")),
                    });
                }
                Reply::Done(chunk, outcomes)
            }
            INIT_FAILED => Reply::InitFailed(String::from_utf8_lossy(r.bytes()?).into_owned()),
            other => return Err(format!("unknown reply tag {other}")),
        });
    }
    Ok(replies)
}

fn put_bytes(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    buf.extend_from_slice(bytes);
}

/// A bounds-checked cursor: a short message is an error, never a panic.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        if self.0.len() < n {
            return Err(format!(
                "message cut short: wanted {n} more bytes, {} left",
                self.0.len()
            ));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn bytes(&mut self) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_and_done_round_trip() {
        let mut w = RunWriter::new(7, "a::b");
        w.push(b"xy");
        w.push(b"");
        assert_eq!(w.len(), 2);
        let (id, msg) = w.finish();
        assert_eq!(id, 7);
        let mut frame = msg.clone();
        frame.extend_from_slice(&stop_message());
        let requests = parse_requests(&frame).unwrap();
        assert_eq!(requests.len(), 2);
        match &requests[0] {
            Request::Run { chunk, task, items } => {
                assert_eq!((*chunk, *task), (7, "a::b"));
                assert_eq!(items, &[&b"xy"[..], &b""[..]]);
            }
            Request::Stop => panic!("not a stop"),
        }
        assert!(matches!(requests[1], Request::Stop));
        assert!(parse_requests(&msg[..msg.len() - 1]).is_err());
        assert!(parse_requests(&[]).is_err());
        assert!(matches!(
            parse_requests(&stop_message()).unwrap()[..],
            [Request::Stop]
        ));

        let mut buf = Vec::new();
        put_started(&mut buf, 9);
        put_done(
            &mut buf,
            9,
            &[Outcome::Ok(vec![1, 2]), Outcome::Panicked("boom".into())],
        );
        let replies = parse_replies(&buf).unwrap();
        assert!(matches!(replies[0], Reply::Started(9)));
        match &replies[1] {
            Reply::Done(9, outcomes) => {
                assert!(matches!(outcomes[0], ItemOutcome::Ok([1, 2])));
                assert!(matches!(&outcomes[1], ItemOutcome::Panicked(m) if m == "boom"));
            }
            _ => panic!("not a done"),
        }
        assert!(parse_replies(&buf[..buf.len() - 2]).is_err());
    }
}
