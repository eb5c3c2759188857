//! Bounds a run in time: an in-process measurement that hangs (a deadlock in the code being
//! measured) cannot be interrupted, so a watchdog thread ends the process instead, saying
//! which measurement hung.

use std::sync::{Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// The armed deadline and the label of the measurement it guards.
static ARMED: Mutex<Option<(Instant, String)>> = Mutex::new(None);
static STARTED: OnceLock<()> = OnceLock::new();

/// Disarms the watchdog when dropped.
pub struct Guard(());

impl Drop for Guard {
    fn drop(&mut self) {
        *ARMED.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Arms the watchdog: if the returned guard is still alive after `limit`, the process prints
/// `label` on stderr and exits with status 3.
pub fn arm(label: String, limit: Duration) -> Guard {
    STARTED.get_or_init(|| {
        thread::Builder::new()
            .name("tripod-bench-watchdog".into())
            .spawn(watch)
            .expect("spawn the watchdog thread");
    });
    *ARMED.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now() + limit, label));
    Guard(())
}

fn watch() {
    loop {
        thread::sleep(Duration::from_millis(200));
        let armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
        let expired = armed
            .as_ref()
            .filter(|(deadline, _)| Instant::now() >= *deadline);
        if let Some((_, label)) = expired {
            eprintln!("error: measurement `{label}` is taking too long (hung?); exiting");
            std::process::exit(3);
        }
    }
}
