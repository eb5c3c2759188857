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
}

impl TaskEntry {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        type_id: fn() -> TypeId,
        run: fn(&[u8], Vec<OwnedFd>) -> Outcome,
    ) -> Self {
        TaskEntry { name, type_id, run }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// Decodes the arguments, runs the task (catching a panic), encodes the result.
    pub(crate) fn run(&self, args: &[u8], fds: Vec<OwnedFd>) -> Outcome {
        (self.run)(args, fds)
    }
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
