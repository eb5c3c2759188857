//! What a scenario is, and the context its run function gets.

use crate::measure::{self, Budget};
use crate::report::{Better, Measurement, Report};
use crate::{peer, watchdog};
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

/// A named benchmark scenario: one workload, measured for tripod and each of its peers.
#[derive(Debug)]
pub struct Scenario {
    /// Dotted, stable name: `family.workload`, e.g. `threads.queue`.
    pub name: &'static str,
    /// One line for `--list`.
    pub description: &'static str,
    /// Measures every implementation, recording through the context.
    pub run: fn(&mut Ctx<'_>),
}

/// A metric of a scenario: its name, unit and which way is better.
#[derive(Clone, Copy, Debug)]
pub struct Metric {
    /// Name within the scenario, e.g. `throughput`.
    pub name: &'static str,
    /// Unit of the values, e.g. `items/s`.
    pub unit: &'static str,
    /// Which way is better.
    pub better: Better,
}

impl Metric {
    /// A rate (units per second), where higher is better.
    pub const fn rate(name: &'static str, unit: &'static str) -> Metric {
        Metric {
            name,
            unit,
            better: Better::Higher,
        }
    }
}

/// Settings of the whole run, from the command line and the environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `--quick`: smaller workloads and budgets, for a smoke run.
    pub quick: bool,
    /// Budget of each measurement.
    pub budget: Budget,
}

impl Config {
    /// The settings for a full (`quick == false`) or a quick run.
    pub fn new(quick: bool) -> Config {
        let budget = if quick { Budget::QUICK } else { Budget::FULL };
        Config { quick, budget }
    }
}

/// What a scenario's run function works with: the settings, and the report to record in.
pub struct Ctx<'a> {
    scenario: &'static str,
    config: &'a Config,
    report: &'a mut Report,
}

/// A measurement taking longer than this is taken to be hung, and the harness exits.
const HANG_LIMIT: Duration = Duration::from_secs(60);

impl<'a> Ctx<'a> {
    /// A context for running `scenario`.
    pub fn new(scenario: &'static str, config: &'a Config, report: &'a mut Report) -> Self {
        Ctx {
            scenario,
            config,
            report,
        }
    }

    /// The size of a workload: `full`, or a tenth of it (at least 1) under `--quick`.
    pub fn size(&self, full: u64) -> u64 {
        if self.config.quick {
            (full / 10).max(1)
        } else {
            full
        }
    }

    /// Measures the rate of `run` (which does `units` units of work and returns the time the
    /// timed part took) and records
    /// it for `implementation`. A panic in `run` is recorded as a note, not a measurement.
    pub fn rate(
        &mut self,
        implementation: &str,
        metric: Metric,
        units: u64,
        run: impl FnMut() -> Duration,
    ) {
        let label = format!("{} {} {}", self.scenario, implementation, metric.name);
        let guard = watchdog::arm(label, HANG_LIMIT);
        let budget = self.config.budget;
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| measure::rate(budget, units, run)));
        drop(guard);
        match outcome {
            Ok(summary) => self.report.record(Measurement {
                scenario: self.scenario.to_string(),
                implementation: implementation.to_string(),
                metric: metric.name.to_string(),
                value: summary.median,
                unit: metric.unit.to_string(),
                better: metric.better,
                runs: Some(summary.runs),
                spread: Some(summary.spread),
            }),
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".to_string());
                self.note(format!("{implementation} {} panicked: {msg}", metric.name));
            }
        }
    }

    /// Runs the scenario's Python peer script, `python/<scenario>.py`, and records what it
    /// prints (measurements, or `{"skip": ...}` notes). See [`peer`].
    pub fn python_peers(&mut self) {
        peer::run_python(self.scenario, self.config, self.report);
    }

    /// Records a note for this scenario (printed on stderr now and under the table).
    pub fn note(&mut self, note: impl Into<String>) {
        self.report.note(self.scenario, note);
    }
}
