//! What travels between the pool and its workers, each message one frame on the worker's
//! duplex [`Connection`](crate::multiprocessing::connection::Connection).
//!
//! Parent -> worker (a frame holds one or more requests, back to back):
//! - `RUN`: `[1][chunk: u64][task name: u32 len + bytes][n: u32][u32 len][arguments]`:
//!   the arguments are ONE encoding of the chunk, the wire version byte and then the `n`
//!   argument tuples back to back (postcard);
//! - `STOP`: `[2]`: finish and exit.
//!
//! Worker -> parent (a frame holds one or more replies, back to back):
//! - `DONE`: `[2][chunk: u64][n: u32][u32 len][outcomes]`: the version byte, then `n`
//!   outcomes back to back, each a tag and the encoded value or a message (see
//!   [`run_chunk`](crate::spawn::run_chunk));
//! - `INIT_FAILED`: `[3][u32 len][message]`: the initializer panicked, the worker exits.
//!
//! A worker runs its chunks in the order it receives them: the parent reads the start of
//! a chunk from the `DONE` of the one before (no message says it). The `DONE`s of chunks
//! run back to back travel in one frame; until it is sent, each is also in the worker's
//! [journal](super::journal), in the same form.
//!
//! Little-endian integers throughout. A chunk of many small items is one encoding and one
//! message each way: no per-item length, allocation or descriptor scope.
#![forbid(unsafe_code)]

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::{PoolError, PoolErrorKind};
use crate::spawn::{
    CHUNK_DECODE_ARGS, CHUNK_ENCODE_RESULT, CHUNK_OK, CHUNK_PANICKED, CHUNK_PROTOCOL,
    CHUNK_UNKNOWN_TASK,
};
use crate::wire;

const RUN: u8 = 1;
const STOP: u8 = 2;

const DONE: u8 = 2;
const INIT_FAILED: u8 = 3;

/// Builds a `RUN` message item by item, encoding each argument tuple straight into the
/// message. Build it inside one [`wire::fds::collect`] scope: an argument holding an OS
/// handle is refused.
pub(crate) struct RunWriter {
    chunk: u64,
    buf: Vec<u8>,
    count_at: usize,
    count: u32,
}

impl RunWriter {
    /// `capacity`: a guess of the message's size (the previous chunk's, say).
    pub(crate) fn new(chunk: u64, task: &str, capacity: usize) -> RunWriter {
        let mut buf = Vec::with_capacity(capacity.max(32 + task.len()));
        buf.push(RUN);
        buf.extend_from_slice(&chunk.to_le_bytes());
        put_bytes(&mut buf, task.as_bytes());
        let count_at = buf.len();
        buf.extend_from_slice(&0u32.to_le_bytes());
        buf.extend_from_slice(&0u32.to_le_bytes());
        wire::begin_raw(&mut buf);
        RunWriter {
            chunk,
            buf,
            count_at,
            count: 0,
        }
    }

    /// Appends one call's argument tuple; on error the message is as before.
    pub(crate) fn push<A: Serialize + ?Sized>(&mut self, args: &A) -> Result<(), PoolError> {
        let fds = wire::fds::collected();
        let start = self.buf.len();
        self.push_unchecked(args)?;
        if wire::fds::collected() != fds {
            self.buf.truncate(start);
            self.count -= 1;
            return Err(holds_handles());
        }
        Ok(())
    }

    /// [`push`](Self::push) without its check for OS handles, which the caller makes once
    /// for the whole message with [`refuse_handles`] (a map, whose call fails as a whole
    /// when one argument cannot be sent).
    #[inline]
    pub(crate) fn push_unchecked<A: Serialize + ?Sized>(
        &mut self,
        args: &A,
    ) -> Result<(), PoolError> {
        wire::encode_raw_into(args, &mut self.buf).map_err(|e| {
            PoolError::new(
                PoolErrorKind::Encode,
                format!("cannot encode the task's arguments: {e}"),
            )
        })?;
        self.count += 1;
        Ok(())
    }

    pub(crate) fn len(&self) -> usize {
        self.count as usize
    }

    /// The message's size so far.
    pub(crate) fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// The chunk's id and the message.
    pub(crate) fn finish(mut self) -> (u64, Vec<u8>) {
        let at = self.count_at;
        self.buf[at..at + 4].copy_from_slice(&self.count.to_le_bytes());
        let args_len = (self.buf.len() - at - 8) as u32;
        self.buf[at + 4..at + 8].copy_from_slice(&args_len.to_le_bytes());
        (self.chunk, self.buf)
    }
}

fn holds_handles() -> PoolError {
    PoolError::new(
        PoolErrorKind::Encode,
        "cannot send the task's arguments: they hold OS handles (a connection, a \
         process-shared lock or event, shared memory), which reach pool workers only \
         through the pool's initializer",
    )
}

/// The check of [`RunWriter::push_unchecked`]: `fds`, the handles that the arguments
/// encoded in one [`wire::fds::collect`] scope exported, must be none.
pub(crate) fn refuse_handles(fds: &[std::os::fd::OwnedFd]) -> Result<(), PoolError> {
    if fds.is_empty() {
        Ok(())
    } else {
        Err(holds_handles())
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
        n: usize,
        args: &'a [u8],
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
                let args = r.bytes()?;
                Request::Run {
                    chunk,
                    task,
                    n,
                    args,
                }
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

/// Starts a `DONE` reply of `n` outcomes, which the caller then appends (the version byte
/// first); [`end_done`] with the returned mark completes it.
pub(crate) fn begin_done(buf: &mut Vec<u8>, chunk: u64, n: usize) -> usize {
    buf.push(DONE);
    buf.extend_from_slice(&chunk.to_le_bytes());
    buf.extend_from_slice(&(n as u32).to_le_bytes());
    let mark = buf.len();
    buf.extend_from_slice(&0u32.to_le_bytes());
    mark
}

/// Completes the `DONE` reply begun at `mark`.
pub(crate) fn end_done(buf: &mut [u8], mark: usize) {
    let len = (buf.len() - mark - 4) as u32;
    buf[mark..mark + 4].copy_from_slice(&len.to_le_bytes());
}

pub(crate) fn put_init_failed(buf: &mut Vec<u8>, message: &str) {
    buf.push(INIT_FAILED);
    put_bytes(buf, message.as_bytes());
}

/// A chunk's outcomes as the parent reads them: decoded one by one, in order, into the
/// job's own type.
pub(crate) struct Outcomes<'a> {
    rest: &'a [u8],
    len: usize,
    left: usize,
    /// The outcomes can no longer be read (a value that did not decode, a message cut
    /// short): every remaining item fails with this.
    broken: Option<PoolError>,
}

impl<'a> Outcomes<'a> {
    /// Reads `n` outcomes from `body` (the version byte, then the outcomes).
    pub(crate) fn new(body: &'a [u8], n: usize) -> Outcomes<'a> {
        let (rest, broken) = match wire::check_version(body) {
            Ok(rest) => (rest, None),
            Err(e) => (
                &body[..0],
                Some(PoolError::new(
                    PoolErrorKind::Decode,
                    format!("the worker broke the protocol: {e}"),
                )),
            ),
        };
        Outcomes {
            rest,
            len: n,
            left: n,
            broken,
        }
    }

    /// The number of outcomes.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The next item's value or error.
    pub(crate) fn next_item<R: DeserializeOwned>(&mut self) -> Option<Result<R, PoolError>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        if let Some(broken) = &self.broken {
            return Some(Err(broken.clone()));
        }
        let result = self.read();
        if let Err(error) = &result
            && self.broken.is_some()
        {
            return Some(Err(error.clone()));
        }
        Some(result)
    }

    /// Appends the remaining values to `values`, up to the first item that failed, whose
    /// error it returns: what a map wants, in one tight loop.
    pub(crate) fn read_values<R: DeserializeOwned>(
        &mut self,
        values: &mut Vec<R>,
    ) -> Result<(), PoolError> {
        values.reserve(self.left);
        while self.left > 0 {
            if self.broken.is_none()
                && let Some((&CHUNK_OK, rest)) = self.rest.split_first()
            {
                self.left -= 1;
                match wire::take_raw::<R>(rest) {
                    Ok((value, rest)) => {
                        self.rest = rest;
                        values.push(value);
                        continue;
                    }
                    Err(e) => {
                        let error = PoolError::new(
                            PoolErrorKind::Decode,
                            format!("cannot decode the task's result: {e}"),
                        );
                        self.broken = Some(error.clone());
                        return Err(error);
                    }
                }
            }
            // A failed item, or outcomes that cannot be read.
            match self.next_item::<R>() {
                Some(Ok(value)) => values.push(value),
                Some(Err(error)) => return Err(error),
                None => break,
            }
        }
        Ok(())
    }

    fn read<R: DeserializeOwned>(&mut self) -> Result<R, PoolError> {
        let mut fail = |error: PoolError| {
            self.broken = Some(error.clone());
            Err(error)
        };
        let Some((&tag, rest)) = self.rest.split_first() else {
            return fail(PoolError::new(
                PoolErrorKind::Decode,
                "the worker broke the protocol: outcomes cut short",
            ));
        };
        if tag == CHUNK_OK {
            return match wire::take_raw::<R>(rest) {
                Ok((value, rest)) => {
                    self.rest = rest;
                    Ok(value)
                }
                Err(e) => fail(PoolError::new(
                    PoolErrorKind::Decode,
                    format!("cannot decode the task's result: {e}"),
                )),
            };
        }
        let mut r = Reader(rest);
        let Ok(body) = r.bytes() else {
            return fail(PoolError::new(
                PoolErrorKind::Decode,
                "the worker broke the protocol: outcomes cut short",
            ));
        };
        self.rest = r.0;
        let message = String::from_utf8_lossy(body).into_owned();
        Err(match tag {
            CHUNK_PANICKED => PoolError::panicked(message),
            CHUNK_DECODE_ARGS => PoolError::new(
                PoolErrorKind::Decode,
                format!("the worker could not decode the arguments: {message}"),
            ),
            CHUNK_ENCODE_RESULT => PoolError::new(
                PoolErrorKind::Decode,
                format!("the worker could not encode the result: {message}"),
            ),
            CHUNK_UNKNOWN_TASK => PoolError::new(PoolErrorKind::UnknownTask, message),
            CHUNK_PROTOCOL => PoolError::new(
                PoolErrorKind::Decode,
                format!("the worker broke the protocol: {message}"),
            ),
            other => {
                return fail(PoolError::new(
                    PoolErrorKind::Decode,
                    format!("the worker broke the protocol: unknown outcome tag {other}"),
                ));
            }
        })
    }
}

/// A worker's reply as the parent reads it.
pub(crate) enum Reply<'a> {
    Done(u64, Outcomes<'a>),
    InitFailed(String),
}

/// Splits a worker's frame into its replies.
pub(crate) fn parse_replies(frame: &[u8]) -> Result<Vec<Reply<'_>>, String> {
    let mut r = Reader(frame);
    let mut replies = Vec::with_capacity(2);
    while !r.0.is_empty() {
        replies.push(match r.u8()? {
            DONE => {
                let chunk = r.u64()?;
                let n = r.u32()? as usize;
                let body = r.bytes()?;
                Reply::Done(chunk, Outcomes::new(body, n))
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
        let mut w = RunWriter::new(7, "a::b", 0);
        w.push(&(5u64,)).unwrap();
        w.push(&(6u64,)).unwrap();
        assert_eq!(w.len(), 2);
        let (id, msg) = w.finish();
        assert_eq!(id, 7);
        let mut frame = msg.clone();
        frame.extend_from_slice(&stop_message());
        let requests = parse_requests(&frame).unwrap();
        assert_eq!(requests.len(), 2);
        match &requests[0] {
            Request::Run {
                chunk,
                task,
                n,
                args,
            } => {
                assert_eq!((*chunk, *task, *n), (7, "a::b", 2));
                let rest = wire::check_version(args).unwrap();
                let ((a,), rest) = wire::take_raw::<(u64,)>(rest).unwrap();
                let ((b,), rest) = wire::take_raw::<(u64,)>(rest).unwrap();
                assert_eq!((a, b, rest.len()), (5, 6, 0));
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
        let mark = begin_done(&mut buf, 9, 3);
        buf.push(wire::FORMAT_VERSION);
        buf.push(CHUNK_OK);
        wire::encode_raw_into(&300u32, &mut buf).unwrap();
        crate::spawn::put_chunk_failure(&mut buf, CHUNK_PANICKED, "boom");
        buf.push(CHUNK_OK);
        wire::encode_raw_into(&7u32, &mut buf).unwrap();
        end_done(&mut buf, mark);
        let replies = parse_replies(&buf).unwrap();
        assert_eq!(replies.len(), 1);
        match replies.into_iter().next() {
            Some(Reply::Done(9, mut outcomes)) => {
                assert_eq!(outcomes.len(), 3);
                assert_eq!(outcomes.next_item::<u32>().unwrap().unwrap(), 300);
                let error = outcomes.next_item::<u32>().unwrap().unwrap_err();
                assert_eq!(error.kind(), PoolErrorKind::Panicked);
                assert!(error.to_string().contains("boom"), "{error}");
                assert_eq!(outcomes.next_item::<u32>().unwrap().unwrap(), 7);
                assert!(outcomes.next_item::<u32>().is_none());
            }
            _ => panic!("not a done"),
        }
        assert!(parse_replies(&buf[..buf.len() - 2]).is_err());
    }

    #[test]
    fn outcomes_that_cannot_be_read_fail_the_rest() {
        // A value of the wrong type: it and the items after it fail with Decode.
        let mut body = vec![wire::FORMAT_VERSION, CHUNK_OK];
        wire::encode_raw_into(&300u32, &mut body).unwrap();
        body.push(CHUNK_OK);
        wire::encode_raw_into(&true, &mut body).unwrap();
        let mut outcomes = Outcomes::new(&body, 2);
        for _ in 0..2 {
            let error = outcomes.next_item::<bool>().unwrap().unwrap_err();
            assert_eq!(error.kind(), PoolErrorKind::Decode);
        }
        assert!(outcomes.next_item::<u8>().is_none());
        // Cut short.
        let mut outcomes = Outcomes::new(&[wire::FORMAT_VERSION], 1);
        let error = outcomes.next_item::<u8>().unwrap().unwrap_err();
        assert_eq!(error.kind(), PoolErrorKind::Decode);
    }
}
