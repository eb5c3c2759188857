//! Timing: run a workload repeatedly within a time budget and summarise the runs.
//!
//! The policy, the same in the Python peers (`python/_bench.py`):
//!
//! 1. one warm-up run, not counted (threads of a pool are spawned, caches and allocators
//!    warmed, the CPU clock ramped up);
//! 2. timed runs until [`Budget::runs`] have been made or [`Budget::time`] has passed since
//!    the warm-up began, with at least one timed run whatever the budget;
//! 3. the reported value is the **median** of the runs' rates (or, for a latency, of the
//!    runs' times per unit of work); the spread `(max - min) / median` is reported next
//!    to it.
//!
//! Why the median and not the best run: these machines are shared by several jobs, so a
//! run can be slowed by a neighbour (which the median ignores) but also, for the
//! multi-thread scenarios, sped up by a lucky schedule (which "best of" would keep). The
//! median of five is robust to one or two outliers either way.

use std::time::{Duration, Instant};

/// How long one measurement may take and how many timed runs it aims for.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Time after which no further timed run is started (the run in progress finishes).
    pub time: Duration,
    /// Number of timed runs aimed for (the median is taken over them).
    pub runs: usize,
}

impl Budget {
    /// The budget of a full run: up to 5 runs within 3 s.
    pub const FULL: Budget = Budget {
        time: Duration::from_secs(3),
        runs: 5,
    };
    /// The budget of a `--quick` smoke run: up to 3 runs within 0.5 s.
    pub const QUICK: Budget = Budget {
        time: Duration::from_millis(500),
        runs: 3,
    };
}

/// The summary of the timed runs of one measurement, as rates (units per second).
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Median rate over the timed runs.
    pub median: f64,
    /// `(max - min) / median`: 0.1 means the runs were within 10% of each other.
    pub spread: f64,
    /// Number of timed runs.
    pub runs: usize,
}

impl Summary {
    /// Summarises rates (units per second), or any values of one kind such as times;
    /// `None` when `rates` is empty.
    pub fn of_rates(mut rates: Vec<f64>) -> Option<Summary> {
        if rates.is_empty() {
            return None;
        }
        rates.sort_by(f64::total_cmp);
        let n = rates.len();
        let median = if n % 2 == 1 {
            rates[n / 2]
        } else {
            (rates[n / 2 - 1] + rates[n / 2]) / 2.0
        };
        let spread = if median > 0.0 {
            (rates[n - 1] - rates[0]) / median
        } else {
            0.0
        };
        Some(Summary {
            median,
            spread,
            runs: n,
        })
    }
}

/// Measures a rate: `run` performs `units` units of work (tasks, items, operations) and
/// returns how long the part to be timed took (so that it can leave its set-up, such as
/// spawning threads, out of the timing, and check its result after).
///
/// Follows the policy in the module docs: one warm-up run, then timed runs within `budget`.
pub fn rate(budget: Budget, units: u64, run: impl FnMut() -> Duration) -> Summary {
    let rates = timed_runs(budget, run)
        .into_iter()
        .map(|secs| units as f64 / secs)
        .collect();
    Summary::of_rates(rates).expect("at least one timed run")
}

/// Measures a latency: like [`rate`], but summarises the time per unit of work, in
/// seconds times `scale` (`1e3` for milliseconds, `1e6` for microseconds). The median
/// and spread are taken over the runs' times per unit.
pub fn latency(budget: Budget, units: u64, scale: f64, run: impl FnMut() -> Duration) -> Summary {
    let times = timed_runs(budget, run)
        .into_iter()
        .map(|secs| secs * scale / units.max(1) as f64)
        .collect();
    Summary::of_rates(times).expect("at least one timed run")
}

/// Measures a quantity that is not a time (the memory of some processes, say): `run`
/// takes one sample and returns it. The same policy as [`rate`]: one warm-up sample, not
/// counted, then samples within `budget`; the median and spread are taken over them.
pub fn amount(budget: Budget, mut run: impl FnMut() -> f64) -> Summary {
    Summary::of_rates(runs(budget, &mut run)).expect("at least one run")
}

/// Measures several values of `m` workloads taking turns (servers under the same load,
/// say): a warm-up run of each, then rounds in which each workload runs once, in order,
/// within `budget` per workload (up to `budget.runs` rounds). `run(k)` makes one run of
/// workload `k`. Taking turns spreads a drift of the machine (another process, the CPU's
/// clock) over all of them, where running one after the other would give it to one; the
/// summaries are per workload and value: each value's median and spread over the runs.
pub fn values_in_turns<const N: usize>(
    budget: Budget,
    m: usize,
    mut run: impl FnMut(usize) -> [f64; N],
) -> Vec<[Summary; N]> {
    let mut samples: Vec<Vec<[f64; N]>> = vec![Vec::with_capacity(budget.runs); m];
    for k in 0..m {
        run(k); // warm-up
    }
    let limit = budget.time * m.max(1) as u32;
    let start = Instant::now();
    while samples.first().is_some_and(Vec::is_empty)
        || (samples[0].len() < budget.runs && start.elapsed() < limit)
    {
        for (k, samples) in samples.iter_mut().enumerate() {
            samples.push(run(k));
        }
    }
    samples
        .into_iter()
        .map(|samples| {
            std::array::from_fn(|i| {
                Summary::of_rates(samples.iter().map(|s| s[i]).collect()).expect("at least one run")
            })
        })
        .collect()
}

/// The warm-up run, then the timed runs within `budget`: the seconds each timed run took.
fn timed_runs(budget: Budget, mut run: impl FnMut() -> Duration) -> Vec<f64> {
    runs(budget, || run().as_secs_f64().max(1e-9))
}

/// The warm-up run, then the runs within `budget`: what each run returned.
fn runs(budget: Budget, mut run: impl FnMut() -> f64) -> Vec<f64> {
    let start = Instant::now();
    run(); // warm-up
    let mut values = Vec::with_capacity(budget.runs);
    while values.is_empty() || (values.len() < budget.runs && start.elapsed() < budget.time) {
        values.push(run());
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_in_turns_each_get_their_own_summary() {
        let budget = Budget {
            time: Duration::from_secs(5),
            runs: 3,
        };
        let mut order = Vec::new();
        let summaries = values_in_turns(budget, 2, |k| {
            order.push(k);
            [k as f64 + order.len() as f64, 10.0 * k as f64]
        });
        // Warm-ups, then three rounds of both, taking turns.
        assert_eq!(order, [0, 1, 0, 1, 0, 1, 0, 1]);
        // Workload 0's runs returned 3, 5, 7; workload 1's 5, 7, 9.
        assert_eq!(summaries[0][0].median, 5.0);
        assert_eq!(summaries[1][0].median, 7.0);
        assert_eq!(summaries[1][1].median, 10.0);
        assert_eq!(summaries[0][0].runs, 3);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let s = Summary::of_rates(vec![3.0, 1.0, 2.0]).unwrap();
        assert_eq!(s.median, 2.0);
        assert_eq!(s.runs, 3);
        assert_eq!(s.spread, 1.0);
        let s = Summary::of_rates(vec![4.0, 1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.median, 2.5);
        assert!(Summary::of_rates(Vec::new()).is_none());
    }

    #[test]
    fn rate_makes_at_least_one_timed_run_and_at_most_budget_runs() {
        let mut calls = 0;
        let zero = Budget {
            time: Duration::ZERO,
            runs: 5,
        };
        let s = rate(zero, 10, || {
            calls += 1;
            Duration::from_millis(1)
        });
        assert_eq!((calls, s.runs), (2, 1)); // warm-up + one timed run
        assert!((s.median - 10_000.0).abs() < 1e-6);

        let mut calls = 0;
        let roomy = Budget {
            time: Duration::from_secs(60),
            runs: 4,
        };
        let s = rate(roomy, 1, || {
            calls += 1;
            Duration::from_millis(1)
        });
        assert_eq!((calls, s.runs), (5, 4));
    }

    #[test]
    fn amount_is_the_median_of_the_samples_after_the_warm_up() {
        let roomy = Budget {
            time: Duration::from_secs(60),
            runs: 3,
        };
        let mut samples = [100.0, 4.0, 2.0, 3.0].into_iter();
        let s = amount(roomy, || samples.next().unwrap());
        assert_eq!((s.runs, s.median), (3, 3.0), "{s:?}");
        assert!((s.spread - 2.0 / 3.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn values_are_summarised_each_on_its_own_after_the_warm_up() {
        let roomy = Budget {
            time: Duration::from_secs(60),
            runs: 3,
        };
        let mut runs = [[0.0, 0.0], [10.0, 3.0], [30.0, 1.0], [20.0, 2.0]].into_iter();
        let summaries = values_in_turns(roomy, 1, |_| runs.next().unwrap());
        let [throughput, p99] = &summaries[0];
        assert_eq!((throughput.runs, throughput.median), (3, 20.0));
        assert_eq!((p99.runs, p99.median), (3, 2.0));
        assert!((p99.spread - 1.0).abs() < 1e-9, "{p99:?}");
    }

    #[test]
    fn latency_is_time_per_unit_in_the_scale_asked() {
        let roomy = Budget {
            time: Duration::from_secs(60),
            runs: 3,
        };
        let mut ms = [9, 2, 4, 3].into_iter();
        // warm-up takes 9 ms, then 2, 4, 3 ms for 2 units each: 1, 2, 1.5 ms per unit
        let s = latency(roomy, 2, 1e3, || Duration::from_millis(ms.next().unwrap()));
        assert_eq!(s.runs, 3);
        assert!((s.median - 1.5).abs() < 1e-9, "{s:?}");
        assert!((s.spread - 1.0 / 1.5).abs() < 1e-9, "{s:?}");
    }
}
