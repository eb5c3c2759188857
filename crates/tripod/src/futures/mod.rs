//! `tripod::futures` (being built).
