//! `tripod::threading` (being built).
