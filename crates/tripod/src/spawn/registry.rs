//! The task registry: which functions a child process may run, by name.
//!
//! [`tripod::task!`](crate::task) registers a function before `main` (in a constructor of
//! priority `early`), under its module path and name. The parent finds the entry of a
//! function by its type (each `fn` item has its own zero-sized type), sends the name, and
//! the child, which is the same program, finds the same entry by that name.

use std::any::TypeId;
use std::os::fd::OwnedFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::protocol::{FailKind, Outcome};
use super::target::Target;
use crate::PanicError;
use crate::wire;

/// One registered task. Built by [`tripod::task!`](crate::task); not for direct use.
#[doc(hidden)]
pub struct TaskEntry {
    name: &'static str,
    type_id: fn() -> TypeId,
    run: fn(&[u8], Vec<OwnedFd>) -> Outcome,
    run_chunk: RunChunk,
}

/// The chunk trampoline of a task: `(args, n, fds, out)`, see [`run_chunk`].
type RunChunk = fn(&[u8], usize, Vec<OwnedFd>, &mut Vec<u8>);

impl TaskEntry {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        type_id: fn() -> TypeId,
        run: fn(&[u8], Vec<OwnedFd>) -> Outcome,
        run_chunk: RunChunk,
    ) -> Self {
        TaskEntry {
            name,
            type_id,
            run,
            run_chunk,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// Decodes the arguments, runs the task (catching a panic), encodes the result.
    pub(crate) fn run(&self, args: &[u8], fds: Vec<OwnedFd>) -> Outcome {
        (self.run)(args, fds)
    }

    /// Runs a chunk of `n` calls: see [`run_chunk`].
    pub(crate) fn run_chunk(&self, args: &[u8], n: usize, fds: Vec<OwnedFd>, out: &mut Vec<u8>) {
        (self.run_chunk)(args, n, fds, out)
    }
}

/// How one call of a chunk ended, the tag that starts its outcome in a chunk's outcomes:
/// `CHUNK_OK` is followed by the encoded value, the others by a `u32` length and a
/// message.
pub(crate) const CHUNK_OK: u8 = 0;
pub(crate) const CHUNK_PANICKED: u8 = 1;
pub(crate) const CHUNK_DECODE_ARGS: u8 = 2;
pub(crate) const CHUNK_ENCODE_RESULT: u8 = 3;
pub(crate) const CHUNK_UNKNOWN_TASK: u8 = 4;
pub(crate) const CHUNK_PROTOCOL: u8 = 5;

/// Appends a failed call's outcome to a chunk's outcomes.
pub(crate) fn put_chunk_failure(out: &mut Vec<u8>, tag: u8, message: &str) {
    out.push(tag);
    out.extend_from_slice(&(message.len() as u32).to_le_bytes());
    out.extend_from_slice(message.as_bytes());
}

static TASKS: Mutex<Vec<&'static TaskEntry>> = Mutex::new(Vec::new());

/// Adds `entry` to the registry. Called by the constructor that `tripod::task!` expands to.
#[doc(hidden)]
pub fn register(entry: &'static TaskEntry) {
    let mut tasks = TASKS.lock().unwrap_or_else(|e| e.into_inner());
    if !tasks.iter().any(|e| e.name == entry.name) {
        tasks.push(entry);
    }
}

/// The `TypeId` of a value's type: of a `fn` item's own type, for `tripod::task!`.
#[doc(hidden)]
pub fn type_id_of<F: 'static>(_: &F) -> TypeId {
    TypeId::of::<F>()
}

/// The entry registered for the function type `F`, if any.
pub(crate) fn by_type<F: 'static>() -> Option<&'static TaskEntry> {
    let wanted = TypeId::of::<F>();
    let tasks = TASKS.lock().unwrap_or_else(|e| e.into_inner());
    tasks.iter().copied().find(|e| (e.type_id)() == wanted)
}

/// The entry registered under `name`, if any.
pub(crate) fn by_name(name: &str) -> Option<&'static TaskEntry> {
    let tasks = TASKS.lock().unwrap_or_else(|e| e.into_inner());
    tasks.iter().copied().find(|e| e.name == name)
}

/// The child side of one call, monomorphised for the task by `tripod::task!`.
#[doc(hidden)]
pub fn run_task<F, A>(f: F, args: &[u8], fds: Vec<OwnedFd>) -> Outcome
where
    F: Target<A>,
    A: DeserializeOwned,
    F::Output: Serialize,
{
    // User code runs throughout: the arguments' `Deserialize`, the task, the result's
    // `Serialize` and both `Drop`s. A panic in any of them is the task's panic; none may
    // unwind out of the child entry (into a constructor, or a forked copy of the caller).
    let call = || {
        let args: A = match wire::fds::provide(fds, || wire::decode(args)) {
            Ok(args) => args,
            Err(e) => return Outcome::Failed(FailKind::DecodeArgs, e.to_string()),
        };
        match wire::encode(&f.call(args)) {
            Ok(bytes) => Outcome::Ok(bytes),
            Err(e) => Outcome::Failed(FailKind::EncodeResult, e.to_string()),
        }
    };
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|payload| {
        Outcome::Panicked(PanicError::from_payload(payload).message().to_owned())
    })
}

/// The worker side of a chunk of `n` calls of one task, monomorphised for the task by
/// `tripod::task!`: a pool worker looks its task up once per chunk and calls this.
///
/// `args` is one encoding of the chunk: the version byte, then the `n` argument tuples
/// back to back. `out` receives the version byte and then `n` outcomes back to back, each
/// a tag (`CHUNK_*`) and the encoded value or a message. Each call runs under
/// `catch_unwind` (its arguments' decoding, the call and its result's encoding), so a
/// panic is that call's outcome and the next call goes on. Arguments that cannot be
/// decoded leave the rest of the chunk unreadable: that call and the ones after it fail
/// with the decoding error.
#[doc(hidden)]
pub fn run_chunk<F, A>(f: F, args: &[u8], n: usize, fds: Vec<OwnedFd>, out: &mut Vec<u8>)
where
    F: Target<A> + Copy,
    A: DeserializeOwned,
    F::Output: Serialize,
{
    wire::begin_raw(out);
    let mut rest = match wire::check_version(args) {
        Ok(rest) => rest,
        Err(e) => {
            let message = e.to_string();
            for _ in 0..n {
                put_chunk_failure(out, CHUNK_DECODE_ARGS, &message);
            }
            return;
        }
    };
    wire::fds::provide(fds, || {
        for done in 0..n {
            let start = out.len();
            out.push(CHUNK_OK);
            let mut unreadable = None;
            let call = || -> Result<(), (u8, String)> {
                let (args, tail) = match wire::take_raw::<A>(rest) {
                    Ok(decoded) => decoded,
                    Err(e) => {
                        unreadable = Some(e.to_string());
                        return Err((CHUNK_DECODE_ARGS, e.to_string()));
                    }
                };
                rest = tail;
                wire::encode_raw_into(&f.call(args), out)
                    .map_err(|e| (CHUNK_ENCODE_RESULT, e.to_string()))
            };
            let failure = match catch_unwind(AssertUnwindSafe(call)) {
                Ok(Ok(())) => None,
                Ok(Err(failure)) => Some(failure),
                Err(payload) => Some((
                    CHUNK_PANICKED,
                    PanicError::from_payload(payload).message().to_owned(),
                )),
            };
            if let Some((tag, message)) = failure {
                // Its detail, if any, is in the message: the next call starts afresh.
                wire::clear_custom_error();
                out.truncate(start);
                put_chunk_failure(out, tag, &message);
            }
            if let Some(message) = unreadable {
                // The arguments after these cannot be found: the rest fail alike.
                for _ in done + 1..n {
                    put_chunk_failure(out, CHUNK_DECODE_ARGS, &message);
                }
                return;
            }
        }
    });
}

/// Registers a function as a task that child processes can run.
///
/// Write it once, next to the function (at module level): `tripod::task!(adder);`. The
/// task is known by its module path and name (`my_crate::jobs::adder`), which is what
/// the parent sends and the child looks up: both are the same program. A
/// [`Process`](crate::multiprocessing::Process) whose target was not registered fails to
/// start with a [`ProcessError`](crate::multiprocessing::ProcessError) of kind
/// [`NotRegistered`](crate::multiprocessing::ProcessErrorKind::NotRegistered) that names
/// the function and this macro; no child is started.
///
/// Tasks are `fn` items. Closures cannot be registered, even non-capturing ones (each
/// closure expression is its own anonymous type that cannot be named here); pass what a
/// closure would capture as arguments instead.
///
/// ```
/// use tripod::multiprocessing::Process;
///
/// fn shout(word: String) -> String {
///     word.to_uppercase()
/// }
/// tripod::task!(shout);
///
/// let child = Process::new(shout, ("hello".to_owned(),)).start().unwrap();
/// assert_eq!(child.join().unwrap(), "HELLO");
/// ```
#[macro_export]
macro_rules! task {
    ($($path:ident)::+ $(,)?) => {
        const _: () = {
            static ENTRY: $crate::__private::TaskEntry = $crate::__private::TaskEntry::new(
                concat!(module_path!(), "::", stringify!($($path)::+)),
                || $crate::__private::type_id_of(&$($path)::+),
                |args, fds| $crate::__private::run_task($($path)::+, args, fds),
                |args, n, fds, out| $crate::__private::run_chunk($($path)::+, args, n, fds, out),
            );
            $crate::__private::ctor::declarative::ctor! {
                #[ctor(unsafe, anonymous, priority = early)]
                fn register() {
                    $crate::__private::register(&ENTRY);
                }
            }
        };
    };
}
