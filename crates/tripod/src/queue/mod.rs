//! `tripod::queue` (being built).
