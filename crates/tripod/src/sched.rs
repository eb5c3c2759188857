//! `tripod::sched` (being built).
