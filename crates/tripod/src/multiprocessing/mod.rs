//! `multiprocessing`: Python's process toolkit in Rust (connections between processes).
pub mod connection;
