//! Jobs: what the pool does with a chunk's outcomes. A job is one `apply_async`, one
//! map, or one `imap`; it receives its chunks' outcomes (in whatever order the chunks
//! finish) or their failure, decodes the values and completes its result.
#![forbid(unsafe_code)]

use std::sync::Mutex;

use serde::de::DeserializeOwned;

use super::error::{PoolError, PoolErrorKind};
use super::progress::Reporter;
use super::protocol::Outcomes;
use super::result::Completion;

/// The receiving side of a job, as the pool's engine sees it.
pub(crate) trait Job: Send + Sync {
    /// The chunk of items starting at `offset` finished; one outcome per item.
    fn chunk_done(&self, offset: usize, outcomes: Outcomes<'_>);
    /// The chunk of `len` items starting at `offset` failed as a whole.
    fn chunk_failed(&self, offset: usize, len: usize, error: PoolError);
    /// A worker began the chunk starting at `offset`.
    fn chunk_started(&self, _offset: usize) {}
    /// Completes the whole job with `error` (a cancellation), unless it is complete;
    /// whether it did.
    fn cancel(&self, _error: PoolError) -> bool {
        false
    }
}

/// Python's automatic chunk size for `map`: `divmod(len, processes * 4)`, rounded up.
pub(crate) fn auto_chunksize(len: usize, processes: usize) -> usize {
    let per = (processes * 4).max(1);
    let (chunksize, extra) = (len / per, len % per);
    (chunksize + usize::from(extra > 0)).max(1)
}

/// One `apply_async`: a single item.
pub(crate) struct ApplyJob<R> {
    completion: Mutex<Option<Completion<R>>>,
}

impl<R> ApplyJob<R> {
    pub(crate) fn new(completion: Completion<R>) -> Self {
        ApplyJob {
            completion: Mutex::new(Some(completion)),
        }
    }

    fn take(&self) -> Option<Completion<R>> {
        self.completion
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

impl<R: DeserializeOwned + Send + 'static> Job for ApplyJob<R> {
    fn chunk_done(&self, _offset: usize, mut outcomes: Outcomes<'_>) {
        let Some(completion) = self.take() else {
            return;
        };
        let result = match outcomes.next_item() {
            Some(result) => result,
            None => Err(PoolError::new(
                PoolErrorKind::Decode,
                "the worker returned no outcome",
            )),
        };
        completion.finish(result);
    }

    fn chunk_failed(&self, _offset: usize, _len: usize, error: PoolError) {
        if let Some(completion) = self.take() {
            completion.finish(Err(error));
        }
    }

    fn cancel(&self, error: PoolError) -> bool {
        let Some(completion) = self.take() else {
            return false;
        };
        completion.finish(Err(error));
        true
    }
}

/// One `map_async` / `starmap_async`: the values in input order, or the first error.
///
/// Its chunks are submitted as the items are encoded, before their number is certain (an
/// iterator's exact `size_hint` is a claim): it completes once [`seal`](Self::seal)ed with
/// the number of items and all of them are in.
pub(crate) struct MapJob<R> {
    chunksize: usize,
    state: Mutex<MapState<R>>,
}

struct MapState<R> {
    /// Each chunk's values, by chunk index (`offset / chunksize`), decoded in bulk.
    parts: Vec<Option<Vec<R>>>,
    /// The number of items: claimed until sealed, then known.
    len: usize,
    sealed: bool,
    /// Items whose values are in.
    done: usize,
    completion: Option<Completion<Vec<R>>>,
    progress: Reporter,
}

impl<R> MapJob<R> {
    /// A map of `len` items (claimed), in chunks of `chunksize`.
    pub(crate) fn new(
        len: usize,
        chunksize: usize,
        completion: Completion<Vec<R>>,
        mut progress: Reporter,
    ) -> Self {
        if progress.is_active() {
            progress.begin(Some(len));
        }
        let chunksize = chunksize.max(1);
        MapJob {
            chunksize,
            state: Mutex::new(MapState {
                parts: std::iter::repeat_with(|| None)
                    .take(len.div_ceil(chunksize))
                    .collect(),
                len,
                sealed: false,
                done: 0,
                completion: Some(completion),
                progress,
            }),
        }
    }
}

impl<R: Send + 'static> MapJob<R> {
    /// All chunks are submitted: the map has `len` items.
    pub(crate) fn seal(&self, len: usize) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.len = len;
        state.sealed = true;
        if state.completion.is_some() {
            let chunks = len.div_ceil(self.chunksize);
            state.parts.resize_with(chunks, || None);
        }
        Self::complete_if_done(state);
    }

    /// Completes the map if it is sealed and every value is in.
    fn complete_if_done(mut state: std::sync::MutexGuard<'_, MapState<R>>) {
        if !state.sealed || state.done < state.len || state.completion.is_none() {
            return;
        }
        state.progress.finish();
        let mut all = Vec::with_capacity(state.len);
        for part in std::mem::take(&mut state.parts) {
            all.extend(part.expect("every chunk is in when none remain"));
        }
        let completion = state.completion.take();
        drop(state);
        if let Some(completion) = completion {
            completion.finish(Ok(all));
        }
    }
}

impl<R: DeserializeOwned + Send + 'static> Job for MapJob<R> {
    fn chunk_done(&self, offset: usize, mut outcomes: Outcomes<'_>) {
        // Decoded outside the lock, into one vector per chunk.
        let n = outcomes.len();
        let mut values = Vec::with_capacity(n);
        if let Err(error) = outcomes.read_values::<R>(&mut values) {
            self.cancel(error);
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.completion.is_none() {
            return; // already failed
        }
        let index = offset / self.chunksize;
        if index >= state.parts.len() {
            // More items than claimed.
            state.parts.resize_with(index + 1, || None);
        }
        state.parts[index] = Some(values);
        state.done += n;
        if state.progress.is_active() {
            state.progress.advance(n);
        }
        Self::complete_if_done(state);
    }

    fn chunk_failed(&self, _offset: usize, _len: usize, error: PoolError) {
        self.cancel(error);
    }

    fn cancel(&self, error: PoolError) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let completion = state.completion.take();
        state.parts = Vec::new();
        state.progress.finish();
        drop(state);
        let Some(completion) = completion else {
            return false;
        };
        completion.finish(Err(error));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::auto_chunksize;

    #[test]
    fn chunksize_as_python() {
        // Python: chunksize, extra = divmod(len, processes * 4); if extra: chunksize += 1
        assert_eq!(auto_chunksize(100, 4), 7);
        assert_eq!(auto_chunksize(10_000, 2), 1250);
        assert_eq!(auto_chunksize(8, 2), 1);
        assert_eq!(auto_chunksize(9, 2), 2);
        assert_eq!(auto_chunksize(0, 2), 1);
    }
}
