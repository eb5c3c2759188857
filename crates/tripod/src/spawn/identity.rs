//! Who this process is: the main process, or a child started by tripod (its name, daemon
//! flag and parent), for `current_process` and `parent_process`.

use std::sync::RwLock;

#[derive(Clone, Debug)]
pub(crate) struct Identity {
    pub name: String,
    pub daemon: bool,
    pub parent: Option<(u32, String)>,
}

static CURRENT: RwLock<Option<Identity>> = RwLock::new(None);

/// Records the identity of this child (called by the child protocol).
pub(crate) fn set(identity: Identity) {
    *CURRENT.write().unwrap_or_else(|e| e.into_inner()) = Some(identity);
}

/// This process's identity; the main process is `MainProcess`, not a daemon, no parent.
pub(crate) fn current() -> Identity {
    CURRENT
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(|| Identity {
            name: "MainProcess".to_owned(),
            daemon: false,
            parent: None,
        })
}
