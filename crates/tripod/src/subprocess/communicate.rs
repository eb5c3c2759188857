//! The threads behind [`Popen::communicate`](super::Popen::communicate): one writes the
//! input to stdin while one per output pipe reads it, so a child that fills one pipe
//! while we write another never deadlocks. The state outlives a timed-out call, so a
//! later call goes on where it stopped.

use std::io::{self, Read, Write};
use std::process::{ChildStderr, ChildStdin, ChildStdout};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use parking_lot::Mutex;

/// Bytes read so far from one pipe, shared with the thread reading it.
type Buffer = Arc<Mutex<Vec<u8>>>;

pub(super) struct Communication {
    stdout: Buffer,
    stderr: Buffer,
    workers: Vec<JoinHandle<io::Result<()>>>,
    /// Each worker sends one message here when it ends.
    finished: Receiver<()>,
    /// Workers that have not reported yet.
    running: usize,
}

impl Communication {
    /// Starts the workers for the given pipes.
    pub(super) fn start(
        stdin: Option<(ChildStdin, Vec<u8>)>,
        stdout: Option<ChildStdout>,
        stderr: Option<ChildStderr>,
    ) -> io::Result<Self> {
        let (done, finished) = unbounded();
        let mut this = Communication {
            stdout: Buffer::default(),
            stderr: Buffer::default(),
            workers: Vec::new(),
            finished,
            running: 0,
        };
        if let Some((pipe, input)) = stdin {
            this.spawn_worker("tripod-communicate-stdin", &done, move || {
                write_all_and_close(pipe, &input)
            })?;
        }
        if let Some(pipe) = stdout {
            let buffer = Arc::clone(&this.stdout);
            this.spawn_worker("tripod-communicate-stdout", &done, move || {
                read_into(pipe, &buffer)
            })?;
        }
        if let Some(pipe) = stderr {
            let buffer = Arc::clone(&this.stderr);
            this.spawn_worker("tripod-communicate-stderr", &done, move || {
                read_into(pipe, &buffer)
            })?;
        }
        Ok(this)
    }

    fn spawn_worker(
        &mut self,
        name: &str,
        done: &Sender<()>,
        work: impl FnOnce() -> io::Result<()> + Send + 'static,
    ) -> io::Result<()> {
        let done = done.clone();
        let handle = thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let result = work();
                // The receiver may be gone (the Popen was dropped): nothing to tell.
                let _ = done.send(());
                result
            })?;
        self.workers.push(handle);
        self.running += 1;
        Ok(())
    }

    /// Waits until every pipe is done (input written, outputs at end of file) or the
    /// deadline passes. `Ok(true)` when done; the first I/O error of a worker otherwise.
    pub(super) fn wait(&mut self, deadline: Option<Instant>) -> io::Result<bool> {
        while self.running > 0 {
            let received = match deadline {
                Some(deadline) => self.finished.recv_deadline(deadline),
                None => self
                    .finished
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
            };
            match received {
                Ok(()) => self.running -= 1,
                Err(RecvTimeoutError::Timeout) => return Ok(false),
                // Cannot happen while workers hold senders; treat as all done.
                Err(RecvTimeoutError::Disconnected) => self.running = 0,
            }
        }
        for worker in self.workers.drain(..) {
            match worker.join() {
                Ok(result) => result?,
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(true)
    }

    /// A copy of the output read so far, `(stdout, stderr)`.
    pub(super) fn output_so_far(&self) -> (Vec<u8>, Vec<u8>) {
        (self.stdout.lock().clone(), self.stderr.lock().clone())
    }

    /// Takes the output read so far, `(stdout, stderr)`.
    pub(super) fn take_output(&self) -> (Vec<u8>, Vec<u8>) {
        (
            std::mem::take(&mut *self.stdout.lock()),
            std::mem::take(&mut *self.stderr.lock()),
        )
    }
}

/// Writes the input, then closes the pipe so the child sees end of file. A child that
/// exits (or closes its stdin) without reading everything is not an error, as in Python.
fn write_all_and_close(mut pipe: ChildStdin, input: &[u8]) -> io::Result<()> {
    match pipe.write_all(input).and_then(|()| pipe.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(e),
        _ => Ok(()),
    }
}

/// Reads the pipe to its end, appending to `buffer` as data comes so that a timeout can
/// report what was read so far.
fn read_into(mut pipe: impl Read, buffer: &Buffer) -> io::Result<()> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match pipe.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => buffer.lock().extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
