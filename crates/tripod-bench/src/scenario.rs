//! What a scenario is, and the context its run function gets.

use crate::measure::{self, Budget, Summary};
use crate::report::{Better, Comparison, Measurement, Report};
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

    /// A latency (time per unit of work, in `unit`: `s`, `ms`, `us` or `ns`), where lower
    /// is better.
    pub const fn latency(name: &'static str, unit: &'static str) -> Metric {
        Metric {
            name,
            unit,
            better: Better::Lower,
        }
    }

    /// An amount that is not a time (memory, say, in `MiB`), where lower is better;
    /// measured with [`Ctx::amount`].
    pub const fn amount(name: &'static str, unit: &'static str) -> Metric {
        Metric {
            name,
            unit,
            better: Better::Lower,
        }
    }

    /// Seconds times this is a value in the metric's unit (for latencies).
    fn per_second(&self) -> f64 {
        match self.unit {
            "s" => 1.0,
            "ms" => 1e3,
            "us" => 1e6,
            "ns" => 1e9,
            unit => panic!("a latency's unit is s, ms, us or ns, not `{unit}`"),
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
        let budget = self.config.budget;
        self.measure(implementation, metric, || measure::rate(budget, units, run));
    }

    /// Measures the latency of `run` (which does `units` units of work, e.g. round trips,
    /// one after the other, and returns the time the timed part took): the time per unit,
    /// in the unit of `metric` (a [`Metric::latency`]). Records it as [`Ctx::rate`] does.
    pub fn latency(
        &mut self,
        implementation: &str,
        metric: Metric,
        units: u64,
        run: impl FnMut() -> Duration,
    ) {
        let budget = self.config.budget;
        let scale = metric.per_second();
        self.measure(implementation, metric, || {
            measure::latency(budget, units, scale, run)
        });
    }

    /// Measures an amount that is not a time (a [`Metric::amount`], such as the memory of
    /// some processes): `run` takes one sample and returns it; the median of the samples
    /// after a warm-up one, within the budget, is recorded as [`Ctx::rate`] does.
    pub fn amount(&mut self, implementation: &str, metric: Metric, run: impl FnMut() -> f64) {
        let budget = self.config.budget;
        self.measure(implementation, metric, || measure::amount(budget, run));
    }

    /// Measures several metrics of several implementations' workloads taking turns (see
    /// [`measure::values_in_turns`]): `run(k)` makes one run of `implementations[k]` and
    /// returns one value per metric. Use it where a ratio between two implementations must
    /// not depend on when each was measured (a target of "within 10%", say). A panic in
    /// `run` is recorded as a note, and nothing is recorded for any of them.
    pub fn values_in_turns<const N: usize>(
        &mut self,
        implementations: &[&str],
        metrics: [Metric; N],
        run: impl FnMut(usize) -> [f64; N],
    ) {
        let budget = self.config.budget;
        let names: Vec<&str> = metrics.iter().map(|m| m.name).collect();
        let what = names.join("+");
        let label = implementations.join("/");
        if let Some(summaries) = self.guarded(&label, &what, || {
            measure::values_in_turns(budget, implementations.len(), run)
        }) {
            for (implementation, summaries) in implementations.iter().zip(summaries) {
                for (metric, summary) in metrics.into_iter().zip(summaries) {
                    self.record(implementation, metric, summary);
                }
            }
        }
    }

    /// Runs `measure` under the watchdog and records its summary, or a note if it panicked.
    fn measure(&mut self, implementation: &str, metric: Metric, measure: impl FnOnce() -> Summary) {
        if let Some(summary) = self.guarded(implementation, metric.name, measure) {
            self.record(implementation, metric, summary);
        }
    }

    /// Runs `measure` under the watchdog; `None` (and a note) if it panicked.
    fn guarded<T>(
        &mut self,
        implementation: &str,
        what: &str,
        measure: impl FnOnce() -> T,
    ) -> Option<T> {
        let label = format!("{} {} {}", self.scenario, implementation, what);
        let guard = watchdog::arm(label, HANG_LIMIT);
        let outcome = panic::catch_unwind(AssertUnwindSafe(measure));
        drop(guard);
        match outcome {
            Ok(value) => Some(value),
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "non-string panic".to_string());
                self.note(format!("{implementation} {what} panicked: {msg}"));
                None
            }
        }
    }

    fn record(&mut self, implementation: &str, metric: Metric, summary: Summary) {
        self.report.record(Measurement {
            scenario: self.scenario.to_string(),
            implementation: implementation.to_string(),
            metric: metric.name.to_string(),
            value: summary.median,
            unit: metric.unit.to_string(),
            better: metric.better,
            runs: Some(summary.runs),
            spread: Some(summary.spread),
        });
    }

    /// Whether this is a `--quick` run.
    pub fn quick(&self) -> bool {
        self.config.quick
    }

    /// Declares a ratio the table shows for `metric`: tripod implementation `tripod` vs
    /// `peer`, with the `target` ratio an issue asks for, if any (e.g. `Some(20.0)`: tripod
    /// at least 20 times better). Without declarations a metric's table compares every
    /// tripod implementation with every peer; see [`Report::table`].
    pub fn compare(&mut self, metric: &str, tripod: &str, peer: &str, target: Option<f64>) {
        self.report.compare(Comparison {
            scenario: self.scenario.to_string(),
            metric: metric.to_string(),
            tripod: tripod.to_string(),
            peer: peer.to_string(),
            target,
        });
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
