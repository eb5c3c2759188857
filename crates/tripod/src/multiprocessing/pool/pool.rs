//! [`Pool`]: the public handle of a pool of worker processes.
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::builder::PoolBuilder;
use super::engine::{Chunk, Engine};
use super::error::{PoolError, PoolErrorKind};
use super::imap::IMap;
use super::job::{ApplyJob, Job, MapJob, auto_chunksize};
use super::protocol::{self, RunWriter};
use super::result::{AsyncOptions, AsyncResult, Cell, Completion};
use crate::multiprocessing::Target;
use crate::wire;

/// A pool of worker processes that run registered functions: Python's
/// `multiprocessing.Pool`. See the [module documentation](crate::multiprocessing::pool) for
/// the Python mapping.
///
/// Dropping the pool terminates it (as leaving Python's `with Pool() as p:` block does):
/// workers are killed and reaped, unfinished tasks fail with
/// [`Terminated`](PoolErrorKind::Terminated). Call [`close`](Self::close) and
/// [`join`](Self::join) first to let the work finish.
///
/// ```
/// use tripod::multiprocessing::Pool;
///
/// fn square(x: u64) -> u64 { x * x }
/// tripod::task!(square);
///
/// let pool = Pool::new(2).unwrap();
/// assert_eq!(pool.map(square, 0..10, None).unwrap(), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
/// pool.close();
/// pool.join().unwrap();
/// ```
pub struct Pool {
    engine: Arc<Engine>,
}

/// The registry name of the function type `F`.
pub(crate) fn task_name<F: 'static>() -> Result<&'static str, PoolError> {
    crate::spawn::task_by_type::<F>()
        .map(|entry| entry.name())
        .ok_or_else(|| {
            PoolError::new(
                PoolErrorKind::NotRegistered,
                format!(
                    "`{}` is not registered as a task: add `tripod::task!(name);` next to it",
                    std::any::type_name::<F>()
                ),
            )
        })
}

/// The `RUN` message of one call: its id and bytes.
pub(super) fn encode_args<A: Serialize + ?Sized>(
    id: u64,
    task: &str,
    args: &A,
) -> Result<(u64, Vec<u8>), PoolError> {
    // Encoded with a descriptor sink installed, so that an argument holding an OS handle
    // is recognised (and refused) as such rather than as an obscure encoding failure.
    let mut writer = RunWriter::new(id, task, 64);
    wire::fds::collect(|| writer.push(args)).0?;
    Ok(writer.finish())
}

fn check_chunksize(chunksize: Option<usize>) -> Result<(), PoolError> {
    if chunksize == Some(0) {
        return Err(PoolError::new(
            PoolErrorKind::InvalidArgument,
            "chunksize must be at least 1",
        ));
    }
    Ok(())
}

impl Pool {
    /// A pool of `processes` workers (0: [`cpu_count`](crate::multiprocessing::cpu_count)),
    /// started now: Python's `Pool(processes)`.
    ///
    /// # Errors
    ///
    /// [`Start`](PoolErrorKind::Start) if a worker cannot start.
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// let pool = Pool::new(3).unwrap();
    /// assert_eq!(pool.processes(), 3);
    /// ```
    pub fn new(processes: usize) -> Result<Pool, PoolError> {
        Pool::builder().processes(processes).build()
    }

    /// A [`PoolBuilder`] for the other settings: initializer, `maxtasksperchild`, start
    /// method, retries, timeout.
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// let pool = Pool::builder().processes(1).build().unwrap();
    /// assert_eq!(pool.processes(), 1);
    /// ```
    pub fn builder() -> PoolBuilder {
        PoolBuilder::new()
    }

    pub(super) fn from_engine(engine: Arc<Engine>) -> Pool {
        Pool { engine }
    }

    pub(super) fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// The number of worker processes.
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// assert_eq!(Pool::new(2).unwrap().processes(), 2);
    /// ```
    pub fn processes(&self) -> usize {
        self.engine.processes()
    }

    /// The pids of the current workers (they change when a worker dies or retires).
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, getpid};
    ///
    /// fn pid() -> u32 { getpid() }
    /// tripod::task!(pid);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let pid = pool.apply(pid, ()).unwrap();
    /// assert!(pool.worker_pids().contains(&pid));
    /// ```
    pub fn worker_pids(&self) -> Vec<u32> {
        self.engine.pids()
    }

    /// Runs `f(args...)` in a worker and waits for its value: Python's `apply`.
    ///
    /// # Errors
    ///
    /// As [`apply_async`](Self::apply_async) and [`AsyncResult::get`].
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn add(a: i32, b: i32) -> i32 { a + b }
    /// tripod::task!(add);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// assert_eq!(pool.apply(add, (2, 3)).unwrap(), 5);
    /// ```
    pub fn apply<F, A>(&self, f: F, args: A) -> Result<F::Output, PoolError>
    where
        F: Target<A>,
        A: Serialize,
        F::Output: DeserializeOwned + Send + 'static,
    {
        self.apply_async(f, args)?.into_result()
    }

    /// Submits `f(args...)` and returns at once with its [`AsyncResult`]: Python's
    /// `apply_async(func, args)`. For callbacks or a timeout, see
    /// [`apply_async_with`](Self::apply_async_with).
    ///
    /// # Errors
    ///
    /// At the call, before any worker is involved:
    /// [`NotRegistered`](PoolErrorKind::NotRegistered) (`f` lacks `tripod::task!`),
    /// [`Encode`](PoolErrorKind::Encode), [`NotRunning`](PoolErrorKind::NotRunning) (after
    /// [`close`](Self::close) or [`terminate`](Self::terminate)),
    /// [`Initializer`](PoolErrorKind::Initializer) (the pool is broken).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let results: Vec<_> = (0..4).map(|i| pool.apply_async(square, (i,)).unwrap()).collect();
    /// let values: Vec<u64> = results.iter().map(|r| r.get().unwrap()).collect();
    /// assert_eq!(values, [0, 1, 4, 9]);
    /// ```
    pub fn apply_async<F, A>(&self, f: F, args: A) -> Result<AsyncResult<F::Output>, PoolError>
    where
        F: Target<A>,
        A: Serialize,
        F::Output: DeserializeOwned + Send + 'static,
    {
        self.apply_async_with(f, args, AsyncOptions::new())
    }

    /// [`apply_async`](Self::apply_async) with callbacks and a timeout: Python's
    /// `apply_async(func, args, callback=..., error_callback=...)` is
    /// `apply_async_with(func, args, AsyncOptions::new().callback(..).error_callback(..))`.
    ///
    /// # Errors
    ///
    /// As [`apply_async`](Self::apply_async).
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use tripod::multiprocessing::{AsyncOptions, Pool};
    ///
    /// fn foo(i: u64) -> u64 { i + 100 }
    /// tripod::task!(foo);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let (tx, rx) = mpsc::channel();
    /// for i in 0..3 {
    ///     let tx = tx.clone();
    ///     let options = AsyncOptions::new().callback(move |v: &u64| tx.send(*v).unwrap());
    ///     pool.apply_async_with(foo, (i,), options).unwrap();
    /// }
    /// pool.close();
    /// pool.join().unwrap();
    /// let mut got: Vec<u64> = rx.try_iter().collect();
    /// got.sort();
    /// assert_eq!(got, [100, 101, 102]);
    /// ```
    pub fn apply_async_with<F, A>(
        &self,
        f: F,
        args: A,
        options: AsyncOptions<F::Output>,
    ) -> Result<AsyncResult<F::Output>, PoolError>
    where
        F: Target<A>,
        A: Serialize,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let _ = &f;
        let task = task_name::<F>()?;
        self.engine.check_running()?;
        let timeout = options.timeout.or(self.engine.default_timeout());
        let (id, message) = encode_args(self.engine.next_chunk_id(), task, &args)?;
        let cell = Cell::new();
        let job = ApplyJob::new(Completion::new(
            Arc::clone(&cell),
            options,
            self.engine.results(),
        ));
        let job: Arc<dyn Job> = Arc::new(job);
        let result = AsyncResult::of_job(cell, &self.engine, &job);
        let chunk = chunk(id, message, 1, 0, job, timeout);
        self.engine.submit(vec![chunk], false)?;
        Ok(result)
    }

    /// Encodes the items in chunks of `chunksize` for `job` (`push` appends one item's
    /// argument tuple), each chunk one encoding in one descriptor scope, straight from the
    /// iterator into the chunk's message, submitting each chunk as soon as it is encoded,
    /// so that the workers start on the first while the others are encoded. Returns the
    /// number of items.
    fn submit_chunks<T>(
        &self,
        task: &'static str,
        mut items: impl Iterator<Item = T>,
        chunksize: usize,
        push: impl Fn(&mut RunWriter, &T) -> Result<(), PoolError>,
        job: &Arc<dyn Job>,
        timeout: Option<std::time::Duration>,
    ) -> Result<usize, PoolError> {
        let mut capacity = 0;
        let mut offset = 0;
        loop {
            let mut writer = RunWriter::new(self.engine.next_chunk_id(), task, capacity);
            let (pushed, fds) = wire::fds::collect(|| {
                items
                    .by_ref()
                    .take(chunksize)
                    .try_for_each(|item| push(&mut writer, &item))
            });
            pushed?;
            protocol::refuse_handles(&fds)?;
            let len = writer.len();
            if len == 0 {
                return Ok(offset);
            }
            capacity = writer.bytes() + writer.bytes() / 8;
            let (id, message) = writer.finish();
            let chunk = chunk(id, message, len, offset, Arc::clone(job), timeout);
            self.engine.submit(vec![chunk], false)?;
            offset += len;
            if len < chunksize {
                // The items ended.
                return Ok(offset);
            }
        }
    }

    /// `items` are not collected first when their iterator knows its length: they are
    /// encoded as they come. (An iterator whose exact `size_hint` is wrong gets the chunk
    /// size of the length it claimed, and the right values.)
    fn starmap_inner<F, A, T>(
        &self,
        items: impl Iterator<Item = T>,
        push: impl Fn(&mut RunWriter, &T) -> Result<(), PoolError>,
        chunksize: Option<usize>,
        options: AsyncOptions<Vec<F::Output>>,
    ) -> Result<AsyncResult<Vec<F::Output>>, PoolError>
    where
        F: Target<A>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let task = task_name::<F>()?;
        check_chunksize(chunksize)?;
        self.engine.check_running()?;
        match items.size_hint() {
            (len, Some(upper)) if len == upper => {
                self.map_stream::<F, A, T>(task, items, len, push, chunksize, options)
            }
            _ => {
                // Python's `map` makes a list of an iterable without a length, too.
                let items: Vec<T> = items.collect();
                let len = items.len();
                self.map_stream::<F, A, T>(task, items.into_iter(), len, push, chunksize, options)
            }
        }
    }

    /// A map of `items`, which claim to be `len`.
    fn map_stream<F, A, T>(
        &self,
        task: &'static str,
        items: impl Iterator<Item = T>,
        len: usize,
        push: impl Fn(&mut RunWriter, &T) -> Result<(), PoolError>,
        chunksize: Option<usize>,
        options: AsyncOptions<Vec<F::Output>>,
    ) -> Result<AsyncResult<Vec<F::Output>>, PoolError>
    where
        F: Target<A>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let chunksize = chunksize.unwrap_or_else(|| auto_chunksize(len, self.processes()));
        let timeout = options.timeout.or(self.engine.default_timeout());
        let mut options = options;
        let progress = options.take_progress();
        let cell = Cell::new();
        let completion = Completion::new(Arc::clone(&cell), options, self.engine.results());
        let map = Arc::new(MapJob::<F::Output>::new(
            len, chunksize, completion, progress,
        ));
        let job: Arc<dyn Job> = Arc::clone(&map) as Arc<dyn Job>;
        // An item that cannot be encoded fails the call; chunks already sent still run,
        // their results unclaimed.
        let result = AsyncResult::of_job(cell, &self.engine, &job);
        let n = self.submit_chunks(task, items, chunksize, push, &job, timeout)?;
        map.seal(n);
        Ok(result)
    }

    /// Runs `f(item)` for every item and returns the values in input order: Python's
    /// `map(func, iterable, chunksize)`. `chunksize`: items sent to a worker at once;
    /// `None` picks Python's (`len / (4 * processes)`, rounded up).
    ///
    /// # Errors
    ///
    /// The first error of any item (a panic, a lost worker...), or, at the call, as
    /// [`apply_async`](Self::apply_async), plus
    /// [`InvalidArgument`](PoolErrorKind::InvalidArgument) for a `chunksize` of 0.
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn adder(a: u32) -> u32 { a + a }
    /// tripod::task!(adder);
    ///
    /// let pool = Pool::new(4).unwrap();
    /// assert_eq!(pool.map(adder, 0..10, None).unwrap(), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
    /// assert_eq!(pool.map(adder, vec![5, 6], 1).unwrap(), [10, 12]);
    /// ```
    pub fn map<F, X, I>(
        &self,
        f: F,
        items: I,
        chunksize: impl Into<Option<usize>>,
    ) -> Result<Vec<F::Output>, PoolError>
    where
        F: Target<(X,)>,
        X: Serialize,
        I: IntoIterator<Item = X>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        self.map_async(f, items, chunksize)?.into_result()
    }

    /// [`map`](Self::map) without waiting: Python's `map_async`. The [`AsyncResult`] holds
    /// all values in input order.
    ///
    /// # Errors
    ///
    /// At the call, as [`map`](Self::map); the items' errors come through the result.
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn adder(a: u32) -> u32 { a + a }
    /// tripod::task!(adder);
    ///
    /// let pool = Pool::new(4).unwrap();
    /// let results = pool.map_async(adder, 0..10, None).unwrap();
    /// results.wait();
    /// assert_eq!(results.into_result().unwrap()[9], 18);
    /// ```
    pub fn map_async<F, X, I>(
        &self,
        f: F,
        items: I,
        chunksize: impl Into<Option<usize>>,
    ) -> Result<AsyncResult<Vec<F::Output>>, PoolError>
    where
        F: Target<(X,)>,
        X: Serialize,
        I: IntoIterator<Item = X>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        self.map_async_with(f, items, chunksize, AsyncOptions::new())
    }

    /// [`map_async`](Self::map_async) with callbacks (on the whole list of values, as
    /// Python's) and a timeout.
    ///
    /// # Errors
    ///
    /// As [`map_async`](Self::map_async).
    ///
    /// ```
    /// use std::sync::mpsc;
    /// use tripod::multiprocessing::{AsyncOptions, Pool};
    ///
    /// fn adder(a: u32) -> u32 { a + a }
    /// tripod::task!(adder);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let (tx, rx) = mpsc::channel();
    /// let options = AsyncOptions::new().callback(move |v: &Vec<u32>| tx.send(v.len()).unwrap());
    /// pool.map_async_with(adder, 0..10, None, options).unwrap().wait();
    /// assert_eq!(rx.recv().unwrap(), 10);
    /// ```
    pub fn map_async_with<F, X, I>(
        &self,
        f: F,
        items: I,
        chunksize: impl Into<Option<usize>>,
        options: AsyncOptions<Vec<F::Output>>,
    ) -> Result<AsyncResult<Vec<F::Output>>, PoolError>
    where
        F: Target<(X,)>,
        X: Serialize,
        I: IntoIterator<Item = X>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let _ = &f;
        // `(&x,)` encodes as `(x,)` does: no tuple of each item is built.
        let push = |writer: &mut RunWriter, x: &X| writer.push_unchecked(&(x,));
        self.starmap_inner::<F, (X,), X>(items.into_iter(), push, chunksize.into(), options)
    }

    /// Like [`map`](Self::map) for functions of several arguments: each item is the
    /// argument tuple (Python's `starmap`).
    ///
    /// # Errors
    ///
    /// As [`map`](Self::map).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn add(a: i64, b: i64) -> i64 { a + b }
    /// tripod::task!(add);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// assert_eq!(pool.starmap(add, vec![(1, 2), (3, 4)], None).unwrap(), [3, 7]);
    /// ```
    pub fn starmap<F, A, I>(
        &self,
        f: F,
        items: I,
        chunksize: impl Into<Option<usize>>,
    ) -> Result<Vec<F::Output>, PoolError>
    where
        F: Target<A>,
        A: Serialize,
        I: IntoIterator<Item = A>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        self.starmap_async(f, items, chunksize)?.into_result()
    }

    /// [`starmap`](Self::starmap) without waiting: Python's `starmap_async`.
    ///
    /// # Errors
    ///
    /// As [`map_async`](Self::map_async).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn add(a: i64, b: i64) -> i64 { a + b }
    /// tripod::task!(add);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let result = pool.starmap_async(add, (0..4).map(|i| (i, i)), 2).unwrap();
    /// assert_eq!(result.get().unwrap(), [0, 2, 4, 6]);
    /// ```
    pub fn starmap_async<F, A, I>(
        &self,
        f: F,
        items: I,
        chunksize: impl Into<Option<usize>>,
    ) -> Result<AsyncResult<Vec<F::Output>>, PoolError>
    where
        F: Target<A>,
        A: Serialize,
        I: IntoIterator<Item = A>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        self.starmap_async_with(f, items, chunksize, AsyncOptions::new())
    }

    /// [`starmap_async`](Self::starmap_async) with callbacks and a timeout.
    ///
    /// # Errors
    ///
    /// As [`map_async`](Self::map_async).
    ///
    /// ```
    /// use tripod::multiprocessing::{AsyncOptions, Pool, PoolErrorKind};
    ///
    /// fn div(a: i64, b: i64) -> i64 { a / b }
    /// tripod::task!(div);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let options = AsyncOptions::new().error_callback(|e| assert_eq!(e.kind(), PoolErrorKind::Panicked));
    /// let result = pool.starmap_async_with(div, vec![(4, 2), (1, 0)], None, options).unwrap();
    /// assert_eq!(result.get().unwrap_err().kind(), PoolErrorKind::Panicked);
    /// ```
    pub fn starmap_async_with<F, A, I>(
        &self,
        f: F,
        items: I,
        chunksize: impl Into<Option<usize>>,
        options: AsyncOptions<Vec<F::Output>>,
    ) -> Result<AsyncResult<Vec<F::Output>>, PoolError>
    where
        F: Target<A>,
        A: Serialize,
        I: IntoIterator<Item = A>,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let _ = &f;
        let push = |writer: &mut RunWriter, args: &A| writer.push_unchecked(args);
        self.starmap_inner::<F, A, A>(items.into_iter(), push, chunksize.into(), options)
    }

    /// Runs `f(item)` for every item, lazily, yielding the results in input order:
    /// Python's `imap(func, iterable, chunksize=1)`. Items are taken from `items` only as
    /// results are taken (plus a bounded number ahead to keep the workers busy), so an
    /// endless input works; see [`IMap`]. `chunksize` `None` means 1, as in Python.
    ///
    /// # Errors
    ///
    /// At the call: [`NotRegistered`](PoolErrorKind::NotRegistered),
    /// [`NotRunning`](PoolErrorKind::NotRunning),
    /// [`InvalidArgument`](PoolErrorKind::InvalidArgument) (chunksize 0). Each item's own
    /// error comes as that item's `Err`.
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let squares: Result<Vec<u64>, _> = pool.imap(square, 0..6, None).unwrap().collect();
    /// assert_eq!(squares.unwrap(), [0, 1, 4, 9, 16, 25]);
    /// ```
    pub fn imap<'a, F, X, I>(
        &self,
        f: F,
        items: I,
        chunksize: impl Into<Option<usize>>,
    ) -> Result<IMap<'a, F::Output>, PoolError>
    where
        F: Target<(X,)>,
        X: Serialize + 'a,
        I: IntoIterator<Item = X>,
        I::IntoIter: 'a,
        F::Output: DeserializeOwned + Send + 'static,
    {
        self.imap_inner(f, items, chunksize.into(), true)
    }

    /// [`imap`](Self::imap), yielding results as they complete: Python's
    /// `imap_unordered`.
    ///
    /// # Errors
    ///
    /// As [`imap`](Self::imap).
    ///
    /// ```
    /// use tripod::multiprocessing::Pool;
    ///
    /// fn square(x: u64) -> u64 { x * x }
    /// tripod::task!(square);
    ///
    /// let pool = Pool::new(2).unwrap();
    /// let mut squares: Vec<u64> =
    ///     pool.imap_unordered(square, 0..6, 2).unwrap().map(Result::unwrap).collect();
    /// squares.sort();
    /// assert_eq!(squares, [0, 1, 4, 9, 16, 25]);
    /// ```
    pub fn imap_unordered<'a, F, X, I>(
        &self,
        f: F,
        items: I,
        chunksize: impl Into<Option<usize>>,
    ) -> Result<IMap<'a, F::Output>, PoolError>
    where
        F: Target<(X,)>,
        X: Serialize + 'a,
        I: IntoIterator<Item = X>,
        I::IntoIter: 'a,
        F::Output: DeserializeOwned + Send + 'static,
    {
        self.imap_inner(f, items, chunksize.into(), false)
    }

    fn imap_inner<'a, F, X, I>(
        &self,
        f: F,
        items: I,
        chunksize: Option<usize>,
        ordered: bool,
    ) -> Result<IMap<'a, F::Output>, PoolError>
    where
        F: Target<(X,)>,
        X: Serialize + 'a,
        I: IntoIterator<Item = X>,
        I::IntoIter: 'a,
        F::Output: DeserializeOwned + Send + 'static,
    {
        let _ = &f;
        let task = task_name::<F>()?;
        check_chunksize(chunksize)?;
        let items = items.into_iter();
        let total = match items.size_hint() {
            (low, Some(high)) if low == high => Some(low),
            _ => None,
        };
        let mut items = items;
        let input =
            Box::new(move |writer: &mut RunWriter| items.next().map(|x| writer.push(&(x,))));
        IMap::new(
            Arc::clone(&self.engine),
            task,
            input,
            total,
            chunksize.unwrap_or(1),
            ordered,
            self.engine.default_timeout(),
        )
    }

    /// Stops taking new work (Python's `close`): what was submitted still runs, then the
    /// workers exit. Submitting afterwards is an error of kind
    /// [`NotRunning`](PoolErrorKind::NotRunning).
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// fn one() -> u8 { 1 }
    /// tripod::task!(one);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let before = pool.apply_async(one, ()).unwrap();
    /// pool.close();
    /// assert_eq!(pool.apply_async(one, ()).unwrap_err().kind(), PoolErrorKind::NotRunning);
    /// pool.join().unwrap();
    /// assert_eq!(before.get().unwrap(), 1);
    /// ```
    pub fn close(&self) {
        self.engine.close();
    }

    /// Kills the workers at once, with SIGKILL (Python's `terminate` sends SIGTERM, which
    /// a task may ignore; this cannot hang): unfinished tasks fail with
    /// [`Terminated`](PoolErrorKind::Terminated). Returns when every worker is reaped and
    /// every result is complete. Dropping the pool does this.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// fn slow() -> u8 { std::thread::sleep(Duration::from_secs(60)); 1 }
    /// tripod::task!(slow);
    ///
    /// let pool = Pool::new(1).unwrap();
    /// let result = pool.apply_async(slow, ()).unwrap();
    /// pool.terminate();
    /// assert_eq!(result.get().unwrap_err().kind(), PoolErrorKind::Terminated);
    /// assert!(pool.worker_pids().is_empty());
    /// ```
    pub fn terminate(&self) {
        self.engine.terminate();
    }

    /// Waits for the workers to exit (Python's `join`), after [`close`](Self::close) (all
    /// submitted work is done then, callbacks included) or [`terminate`](Self::terminate).
    ///
    /// # Errors
    ///
    /// [`StillRunning`](PoolErrorKind::StillRunning) if the pool was neither closed nor
    /// terminated (Python raises `ValueError`).
    ///
    /// ```
    /// use tripod::multiprocessing::{Pool, PoolErrorKind};
    ///
    /// let pool = Pool::new(1).unwrap();
    /// assert_eq!(pool.join().unwrap_err().kind(), PoolErrorKind::StillRunning);
    /// pool.close();
    /// pool.join().unwrap();
    /// assert!(pool.worker_pids().is_empty());
    /// ```
    pub fn join(&self) -> Result<(), PoolError> {
        self.engine.join()
    }
}

/// A chunk of `len` calls starting at `offset` of `job`, encoded as `message`.
fn chunk(
    id: u64,
    message: Vec<u8>,
    len: usize,
    offset: usize,
    job: Arc<dyn Job>,
    timeout: Option<std::time::Duration>,
) -> Chunk {
    Chunk {
        id,
        message: Arc::new(message),
        len,
        offset,
        job,
        retries: 0,
        cancelled: false,
        timeout,
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.engine.terminate();
    }
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("processes", &self.processes())
            .field("worker_pids", &self.worker_pids())
            .finish()
    }
}
