//! `Generator`: a coroutine in Python's generator sense, which yields values out and
//! receives values in (`send`), written as an async block.
#![forbid(unsafe_code)]

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

/// What [`Generator::start`] and [`Generator::send`] return: the value the generator
/// yielded, or the value it returned when it ended.
///
/// ```
/// use tripod::asyncio::GeneratorState;
///
/// let s: GeneratorState<u8, &str> = GeneratorState::Yielded(1);
/// assert_eq!(s, GeneratorState::Yielded(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GeneratorState<Y, R> {
    /// The generator is suspended at a `co.yield_(value)`.
    Yielded(Y),
    /// The generator's body returned (Python's `StopIteration(value)`).
    Complete(R),
}

/// [`Generator::send`] was called on a generator that cannot take a value.
///
/// ```
/// use tripod::asyncio::{Generator, GeneratorError};
///
/// let mut g = Generator::new(|co| async move { co.yield_(1).await; });
/// assert_eq!(g.send(()), Err(GeneratorError::NotStarted));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GeneratorError {
    /// [`start`](Generator::start) has not been called: the generator is not at a yield
    /// (Python: "can't send non-None value to a just-started generator").
    NotStarted,
    /// The generator already returned (Python's `StopIteration`).
    Finished,
}

impl fmt::Display for GeneratorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GeneratorError::NotStarted => f.write_str("the generator has not started"),
            GeneratorError::Finished => f.write_str("the generator has finished"),
        }
    }
}

impl std::error::Error for GeneratorError {}

struct Slots<Y, S> {
    yielded: Option<Y>,
    sent: Option<S>,
}

/// The generator body's side: [`yield_`](Co::yield_) hands a value out and suspends until
/// the caller sends one in (Python's `received = yield value`).
///
/// ```
/// use tripod::asyncio::{Co, Generator, GeneratorState};
///
/// // A running total: each value sent in is added, the total is yielded back.
/// let mut total = Generator::new(|co: Co<u32, u32>| async move {
///     let mut sum = 0;
///     loop {
///         sum += co.yield_(sum).await;
///     }
/// });
/// assert_eq!(total.start(), GeneratorState::<u32, ()>::Yielded(0));
/// assert_eq!(total.send(5), Ok(GeneratorState::Yielded(5)));
/// assert_eq!(total.send(2), Ok(GeneratorState::Yielded(7)));
/// ```
pub struct Co<Y, S> {
    slots: Arc<Mutex<Slots<Y, S>>>,
}

impl<Y, S> Co<Y, S> {
    /// Yields `value` to the caller and waits for the value of its next
    /// [`send`](Generator::send): Python's `sent = yield value`.
    ///
    /// # Cancel safety
    ///
    /// Only meaningful inside the generator's body, which is dropped as a whole when the
    /// generator is dropped (Python's `close()`).
    ///
    /// ```
    /// use tripod::asyncio::{Generator, GeneratorState};
    ///
    /// let mut echo = Generator::new(|co| async move {
    ///     let got = co.yield_("ready").await;
    ///     got * 2
    /// });
    /// assert_eq!(echo.start(), GeneratorState::Yielded("ready"));
    /// assert_eq!(echo.send(21), Ok(GeneratorState::Complete(42)));
    /// ```
    pub fn yield_(&self, value: Y) -> impl Future<Output = S> + '_ {
        self.slots.lock().yielded = Some(value);
        YieldPoint { co: self }
    }
}

impl<Y, S> fmt::Debug for Co<Y, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Co").finish_non_exhaustive()
    }
}

struct YieldPoint<'a, Y, S> {
    co: &'a Co<Y, S>,
}

impl<Y, S> Future for YieldPoint<'_, Y, S> {
    type Output = S;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<S> {
        match self.co.slots.lock().sent.take() {
            Some(value) => Poll::Ready(value),
            None => Poll::Pending,
        }
    }
}

/// A generator-style coroutine: Python's generator used as a coroutine with `send`
/// (`c.send(None)` to start, `r = c.send(n)` to resume, `c.close()` to stop).
///
/// The body is an async block given a [`Co`]; it hands values out with
/// `co.yield_(value).await`, which evaluates to the next value sent in. It runs only inside
/// [`start`](Generator::start) and [`send`](Generator::send), on the caller's thread, up to
/// its next yield or its end; it needs no event loop. Dropping the generator is Python's
/// `close()`: the body is dropped where it is suspended, and its destructors run.
///
/// The body must suspend only at `co.yield_`; awaiting anything else (a timer, I/O) there
/// is a bug, reported by a panic in `start`/`send`.
///
/// The seed's producer/consumer:
///
/// ```
/// use tripod::asyncio::{Generator, GeneratorState};
///
/// let mut consumer = Generator::new(|co| async move {
///     let mut r = String::new();
///     loop {
///         let n: Option<u32> = co.yield_(r.clone()).await;
///         let Some(n) = n else { return };
///         println!("[CONSUMER] Consuming {n}...");
///         r = "200 OK".to_owned();
///     }
/// });
/// consumer.start(); // c.send(None)
/// for n in 1..=5 {
///     println!("[PRODUCER] Producing {n}...");
///     let r = consumer.send(Some(n)).unwrap();
///     assert_eq!(r, GeneratorState::Yielded("200 OK".to_owned()));
/// }
/// drop(consumer); // c.close()
/// ```
pub struct Generator<Y, S, R> {
    slots: Arc<Mutex<Slots<Y, S>>>,
    body: Option<Pin<Box<dyn Future<Output = R> + Send>>>,
    started: bool,
}

impl<Y, S, R> Generator<Y, S, R>
where
    Y: Send + 'static,
    S: Send + 'static,
{
    /// A generator running `body`, which is handed the [`Co`] to yield with. Nothing runs
    /// until [`start`](Generator::start).
    ///
    /// ```
    /// use tripod::asyncio::{Generator, GeneratorState};
    ///
    /// let mut count = Generator::new(|co| async move {
    ///     for i in 0..2 {
    ///         co.yield_(i).await;
    ///     }
    ///     "end"
    /// });
    /// assert_eq!(count.start(), GeneratorState::Yielded(0));
    /// assert_eq!(count.send(()), Ok(GeneratorState::Yielded(1)));
    /// assert_eq!(count.send(()), Ok(GeneratorState::Complete("end")));
    /// ```
    pub fn new<F, Fut>(body: F) -> Self
    where
        F: FnOnce(Co<Y, S>) -> Fut,
        Fut: Future<Output = R> + Send + 'static,
    {
        let slots = Arc::new(Mutex::new(Slots {
            yielded: None,
            sent: None,
        }));
        let co = Co {
            slots: Arc::clone(&slots),
        };
        Generator {
            slots,
            body: Some(Box::pin(body(co))),
            started: false,
        }
    }
}

impl<Y, S, R> Generator<Y, S, R> {
    /// Runs the body up to its first yield: Python's `next(gen)` / `gen.send(None)`.
    ///
    /// # Panics
    ///
    /// If called twice, or as [`send`](Generator::send) if the body panics or awaits
    /// something other than `co.yield_`.
    ///
    /// ```
    /// use tripod::asyncio::{Generator, GeneratorState};
    ///
    /// let mut g: Generator<i32, (), ()> = Generator::new(|_co| async {});
    /// assert_eq!(g.start(), GeneratorState::Complete(()));
    /// ```
    pub fn start(&mut self) -> GeneratorState<Y, R> {
        assert!(!self.started, "Generator::start called twice");
        self.started = true;
        self.resume()
    }

    /// Sends `value` in, as the result of the pending `co.yield_`, and runs the body to
    /// its next yield or its end: Python's `gen.send(value)`.
    ///
    /// # Errors
    ///
    /// [`GeneratorError::NotStarted`] before [`start`](Generator::start);
    /// [`GeneratorError::Finished`] after the body returned.
    ///
    /// # Panics
    ///
    /// If the body panics (the panic goes on to the caller, as an exception out of Python's
    /// `send`) or awaits something other than `co.yield_`; either way the generator is
    /// finished then, and a later `send` gives [`GeneratorError::Finished`].
    ///
    /// ```
    /// use tripod::asyncio::{Generator, GeneratorError, GeneratorState};
    ///
    /// let mut g = Generator::new(|co| async move { co.yield_(()).await + 1 });
    /// g.start();
    /// assert_eq!(g.send(1), Ok(GeneratorState::Complete(2)));
    /// assert_eq!(g.send(1), Err(GeneratorError::Finished));
    /// ```
    pub fn send(&mut self, value: S) -> Result<GeneratorState<Y, R>, GeneratorError> {
        if !self.started {
            return Err(GeneratorError::NotStarted);
        }
        if self.body.is_none() {
            return Err(GeneratorError::Finished);
        }
        self.slots.lock().sent = Some(value);
        Ok(self.resume())
    }

    /// Whether the body has returned.
    ///
    /// ```
    /// let mut g: tripod::asyncio::Generator<(), (), ()> = tripod::asyncio::Generator::new(|_co| async {});
    /// g.start();
    /// assert!(g.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.body.is_none()
    }

    fn resume(&mut self) -> GeneratorState<Y, R> {
        let body = self.body.as_mut().expect("resume of a finished generator");
        let mut cx = Context::from_waker(Waker::noop());
        // A body that panicked cannot be polled again (an `async` block panics then): as a
        // Python generator that raised, it is finished, and `send` says so.
        let polled = std::panic::catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(&mut cx)));
        match polled {
            Ok(Poll::Ready(value)) => {
                self.body = None;
                GeneratorState::Complete(value)
            }
            Ok(Poll::Pending) => match self.slots.lock().yielded.take() {
                Some(yielded) => GeneratorState::Yielded(yielded),
                None => {
                    self.body = None;
                    panic!("a generator body may only await co.yield_")
                }
            },
            Err(payload) => {
                self.body = None;
                std::panic::resume_unwind(payload)
            }
        }
    }
}

impl<Y, S, R> fmt::Debug for Generator<Y, S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("started", &self.started)
            .field("finished", &self.is_finished())
            .finish()
    }
}
