//! The scenario registry: one file per family, each exporting `SCENARIOS`.
//!
//! To add a family `foo`: write `foo.rs` with `pub const SCENARIOS: &[Scenario]`, declare
//! it below and chain it in [`all`]. Its Python peers go in `python/foo.<name>.py`.

use crate::scenario::Scenario;

mod asyncio_gather;
mod asyncio_net;
mod mplock;
mod mpqueue;
mod mpshared;
mod pool;
mod process;
mod process_tripod;
mod threads;
mod threads_tripod;

/// Every scenario, in the order `--list` shows and a bare run executes them.
pub fn all() -> Vec<&'static Scenario> {
    threads::SCENARIOS
        .iter()
        .chain(process::SCENARIOS)
        .chain(mplock::SCENARIOS)
        .chain(mpshared::SCENARIOS)
        .chain(mpqueue::SCENARIOS)
        .chain(pool::SCENARIOS)
        .chain(asyncio_gather::SCENARIOS)
        .chain(asyncio_net::SCENARIOS)
        .collect()
}
