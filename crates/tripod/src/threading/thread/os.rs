//! The one platform question the thread registry asks: is the calling thread the
//! process's main thread?
//!
//! Linux: the main thread is the one whose kernel thread id equals the process id. This
//! holds whichever thread first touches tripod, and under test harnesses that run tests
//! on other threads. It needs `gettid`/`getpid` from `libc`, hence the one `unsafe` block.
//! Other platforms: the thread std names `"main"` (std gives that name to the main thread;
//! a thread spawned with that exact name would be mistaken for it).

/// True when called on the process's main thread.
#[cfg(target_os = "linux")]
pub(crate) fn is_main_thread() -> bool {
    // SAFETY: gettid(2) and getpid(2) take no arguments, touch no memory of ours and
    // cannot fail; calling them from any thread at any time is sound.
    unsafe { libc::gettid() == libc::getpid() }
}

/// True when called on the process's main thread.
#[cfg(not(target_os = "linux"))]
pub(crate) fn is_main_thread() -> bool {
    std::thread::current().name() == Some("main")
}
