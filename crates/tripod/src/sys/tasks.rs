//! tripod's own registered tasks.
//!
//! [`tripod::task!`](crate::task) registers a task from a constructor, whose expansion
//! carries an `unsafe` attribute; the public layers forbid `unsafe`, so tripod's internal
//! tasks are registered here, next to the other constructor (the child entry).

crate::task!(crate::multiprocessing::pool_worker_main);
