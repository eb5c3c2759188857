//! The child entry: a constructor that runs before `main` in every program linking tripod.
//!
//! It costs one `getenv` in an ordinary program. In a process started by tripod (the
//! environment names the control socket) it runs the child protocol and exits, never
//! returning into `main`; in a fork server it runs the server loop.
//!
//! It runs at ctor priority `late`, after the `early` constructors through which
//! `tripod::task!` registers tasks, so the registry is complete when the child looks a task
//! up. (`inventory`'s registrations live in the unnumbered `.init_array`, which GNU ld and
//! lld both place *after* every numbered priority, so they cannot be relied on here.)

/// The constructor. Declared `unsafe` as `ctor` requires for life before `main`: it only
/// reads the environment unless tripod itself started this process.
// SAFETY: this function runs before `main`. It uses libc-level services only (getenv, the
// allocator, threads) that glibc has initialised at this point; it does not rely on std's
// runtime setup done in `lang_start` (it installs the SIGPIPE disposition itself).
#[ctor::ctor(unsafe, priority = late)]
fn tripod_child_entry() {
    crate::spawn::entry_before_main();
}

/// Returns the constructor as a value, so the spawn path can keep it referenced: an
/// unreferenced codegen unit of an rlib may be dropped by the linker with its `#[used]`
/// statics (rust-lang/rust#47384), and with it the constructor.
pub(crate) fn child_entry_anchor() -> fn() {
    tripod_child_entry
}

/// Removes an environment variable, so that processes this child starts do not see it.
///
/// Only called from the child entry, before `main`, while the process has a single thread.
pub(crate) fn remove_env(key: &str) {
    // SAFETY: `remove_var` is unsafe because another thread may read the environment at
    // the same time. This runs in the constructor before `main`, before any thread of the
    // child exists (the child entry starts its threads after this call).
    unsafe { std::env::remove_var(key) }
}
