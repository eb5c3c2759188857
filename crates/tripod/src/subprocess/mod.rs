//! `tripod::subprocess` (being built).
