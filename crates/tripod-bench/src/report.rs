//! The output: one JSON line per measurement, then a human table with the ratios.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Which way is better for a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Higher is better (throughput, rates).
    Higher,
    /// Lower is better (latency, times).
    Lower,
}

/// One measurement: the JSON line printed on stdout, and what a Python peer prints.
///
/// `{"scenario":"threads.queue","impl":"tripod","metric":"throughput","value":12345678.9,
/// "unit":"items/s","better":"higher","runs":5,"spread":0.04}`; `runs` and `spread` (see
/// [`crate::measure::Summary`]) are optional.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// Dotted, stable scenario name, e.g. `threads.queue`.
    pub scenario: String,
    /// The implementation measured: `tripod`, `python`, `crossbeam`, `rayon`, ...
    #[serde(rename = "impl")]
    pub implementation: String,
    /// What was measured within the scenario, e.g. `throughput`, `contended`.
    pub metric: String,
    /// The value, in `unit`.
    pub value: f64,
    /// The unit of `value`, e.g. `items/s`.
    pub unit: String,
    /// Which way is better.
    pub better: Better,
    /// Number of timed runs the value is the median of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<usize>,
    /// `(max - min) / median` over the timed runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spread: Option<f64>,
}

impl Measurement {
    /// The JSON line for this measurement.
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).expect("a measurement always serialises")
    }

    /// `tripod` vs `self`, oriented so that a ratio above 1 means tripod is better.
    pub fn ratio_of(&self, tripod: &Measurement) -> Option<f64> {
        if self.value <= 0.0 || tripod.value <= 0.0 {
            return None;
        }
        Some(match self.better {
            Better::Higher => tripod.value / self.value,
            Better::Lower => self.value / tripod.value,
        })
    }
}

/// A ratio a scenario asks the table to show: tripod implementation `tripod` vs `peer` for
/// one metric, with the ratio an issue targets, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The scenario.
    pub scenario: String,
    /// The metric within the scenario.
    pub metric: String,
    /// A tripod implementation (`tripod` or `tripod-...`).
    pub tripod: String,
    /// The peer it is compared with.
    pub peer: String,
    /// The ratio aimed for (oriented as the ratios are: 20 means tripod 20 times better).
    pub target: Option<f64>,
}

/// What one run of the harness collected: the measurements, the comparisons scenarios
/// declared, and the notes (skipped peers, failures), in the order they happened.
#[derive(Debug, Default)]
pub struct Report {
    measurements: Vec<Measurement>,
    comparisons: Vec<Comparison>,
    notes: Vec<String>,
}

/// The implementation the ratios are taken against; a scenario with several tripod
/// implementations names them `tripod-...` (e.g. `tripod-spawn`).
pub const TRIPOD: &str = "tripod";

/// Whether `implementation` is one of tripod's: `tripod` or `tripod-...`.
pub fn is_tripod(implementation: &str) -> bool {
    implementation == TRIPOD || implementation.starts_with("tripod-")
}

/// One row of the table.
type Row = [String; 7];

impl Report {
    /// Records a measurement and prints its JSON line on stdout at once.
    pub fn record(&mut self, m: Measurement) {
        println!("{}", m.to_json_line());
        self.measurements.push(m);
    }

    /// Records a comparison for the table (see [`Report::table`]).
    pub fn compare(&mut self, c: Comparison) {
        if !self.comparisons.contains(&c) {
            self.comparisons.push(c);
        }
    }

    /// Records a note (e.g. a skipped peer) and prints it on stderr at once.
    pub fn note(&mut self, scenario: &str, note: impl Into<String>) {
        let note = format!("{scenario}: {}", note.into());
        eprintln!("note: {note}");
        self.notes.push(note);
    }

    /// The measurements so far.
    #[cfg(test)]
    pub fn measurements(&self) -> &[Measurement] {
        &self.measurements
    }

    /// The human table: one block per (scenario, metric), tripod's implementations first,
    /// then the peers; then the notes.
    ///
    /// With one tripod implementation, each peer's row has the ratio tripod vs that peer
    /// (and the target, where the scenario declared one with [`Report::compare`]). With
    /// several (one per start method, say; measured, or named in a comparison), the
    /// measurement rows are followed by one row per pair, `tripod-x vs peer`: the declared
    /// comparisons, or every tripod implementation vs every peer when none were declared.
    pub fn table(&self) -> String {
        let mut groups: Vec<(&str, &str)> = Vec::new();
        for m in &self.measurements {
            let key = (m.scenario.as_str(), m.metric.as_str());
            if !groups.contains(&key) {
                groups.push(key);
            }
        }
        let mut rows: Vec<Row> = vec![[
            "scenario".to_string(),
            "metric".to_string(),
            "impl".to_string(),
            "value".to_string(),
            "runs, spread".to_string(),
            "tripod vs impl".to_string(),
            "target".to_string(),
        ]];
        for (scenario, metric) in groups {
            self.group_rows(scenario, metric, &mut rows);
        }
        let mut widths = [0usize; 7];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let any_target = rows.iter().skip(1).any(|row| !row[6].is_empty());
        let mut out = String::new();
        out.push_str(
            "Ratios are tripod vs each peer, oriented so that > 1 means tripod is better\n\
             (higher throughput, or lower time); values are medians of the runs.\n",
        );
        if any_target {
            out.push_str("A target is the ratio an issue asks for.\n");
        }
        out.push('\n');
        for row in &rows {
            let mut line = String::new();
            let columns = if any_target { 7 } else { 6 };
            for (i, (cell, w)) in row.iter().zip(widths).enumerate().take(columns) {
                // numbers right-aligned, words left-aligned
                if i == 3 || i == 5 {
                    let _ = write!(line, "{cell:>w$}  ");
                } else {
                    let _ = write!(line, "{cell:<w$}  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        if !self.notes.is_empty() {
            out.push_str("\nNotes:\n");
            for note in &self.notes {
                let _ = writeln!(out, "  - {note}");
            }
        }
        out
    }

    /// The rows of one (scenario, metric) block.
    fn group_rows(&self, scenario: &str, metric: &str, rows: &mut Vec<Row>) {
        let mut ms: Vec<&Measurement> = self
            .measurements
            .iter()
            .filter(|m| m.scenario == scenario && m.metric == metric)
            .collect();
        // tripod first, the peers in the order they were measured
        ms.sort_by_key(|m| !is_tripod(&m.implementation));
        let declared: Vec<&Comparison> = self
            .comparisons
            .iter()
            .filter(|c| c.scenario == scenario && c.metric == metric)
            .collect();
        let tripods: Vec<&Measurement> = ms
            .iter()
            .copied()
            .filter(|m| is_tripod(&m.implementation))
            .collect();
        // one tripod implementation, measured or named in a comparison: ratios on the peer
        // rows; several: one row per pair
        let mut tripod_names: Vec<&str> =
            tripods.iter().map(|m| m.implementation.as_str()).collect();
        tripod_names.extend(declared.iter().map(|c| c.tripod.as_str()));
        tripod_names.sort_unstable();
        tripod_names.dedup();
        let single = tripod_names.len() <= 1;
        let first_row = rows.len();
        for m in &ms {
            let (ratio, target) = if !single {
                (String::new(), String::new())
            } else if is_tripod(&m.implementation) {
                ("-".to_string(), String::new())
            } else {
                let target = declared
                    .iter()
                    .find(|c| c.peer == m.implementation)
                    .and_then(|c| c.target);
                let ratio = tripods.first().and_then(|t| m.ratio_of(t));
                match tripods.first() {
                    Some(_) => (
                        ratio.map_or("?".to_string(), |r| format!("{r:.2}x")),
                        verdict(target, ratio),
                    ),
                    None => ("n/a (no tripod)".to_string(), verdict(target, None)),
                }
            };
            let runs = match (m.runs, m.spread) {
                (Some(r), Some(s)) => format!("{r}, {:.0}%", s * 100.0),
                (Some(r), None) => format!("{r}"),
                _ => String::new(),
            };
            rows.push([
                String::new(),
                String::new(),
                m.implementation.clone(),
                format_value(m.value, &m.unit),
                runs,
                ratio,
                target,
            ]);
        }
        if !single {
            let pairs: Vec<(String, String, Option<f64>)> = if declared.is_empty() {
                let peers = ms.iter().filter(|m| !is_tripod(&m.implementation));
                tripods
                    .iter()
                    .flat_map(|t| {
                        peers
                            .clone()
                            .map(|p| (t.implementation.clone(), p.implementation.clone(), None))
                    })
                    .collect()
            } else {
                declared
                    .iter()
                    .map(|c| (c.tripod.clone(), c.peer.clone(), c.target))
                    .collect()
            };
            for (tripod, peer, target) in pairs {
                let find = |name: &str| ms.iter().find(|m| m.implementation == name);
                let (ratio, r) = match (find(&tripod), find(&peer)) {
                    (Some(t), Some(p)) => {
                        let r = p.ratio_of(t);
                        (r.map_or("?".to_string(), |r| format!("{r:.2}x")), r)
                    }
                    _ => ("n/a".to_string(), None),
                };
                rows.push([
                    String::new(),
                    String::new(),
                    format!("{tripod} vs {peer}"),
                    String::new(),
                    String::new(),
                    ratio,
                    verdict(target, r),
                ]);
            }
        }
        if let Some(row) = rows.get_mut(first_row) {
            row[0] = scenario.to_string();
            row[1] = metric.to_string();
        }
    }
}

/// The target column: `>= 20x: met`, `>= 20x: MISSED`, or `>= 20x` without a ratio.
fn verdict(target: Option<f64>, ratio: Option<f64>) -> String {
    match (target, ratio) {
        (None, _) => String::new(),
        (Some(t), None) => format!(">= {t}x"),
        (Some(t), Some(r)) if r >= t => format!(">= {t}x: met"),
        (Some(t), Some(_)) => format!(">= {t}x: MISSED"),
    }
}

/// `12345678.9, "items/s"` -> `12.35 M items/s`; SI prefixes for rates (joined to a unit of
/// bytes: `1.57 GB/s`), 4 significant digits otherwise (`75.81 ms`, `1.234 ms`).
pub fn format_value(value: f64, unit: &str) -> String {
    if unit.ends_with("/s") {
        let (scaled, prefix) = match value.abs() {
            v if v >= 1e9 => (value / 1e9, "G"),
            v if v >= 1e6 => (value / 1e6, "M"),
            v if v >= 1e3 => (value / 1e3, "k"),
            _ => (value, ""),
        };
        let gap = if unit.starts_with("B/") || prefix.is_empty() {
            ""
        } else {
            " "
        };
        format!("{scaled:.2} {prefix}{gap}{unit}")
    } else {
        let magnitude = if value == 0.0 {
            0
        } else {
            value.abs().log10().floor() as i32
        };
        let decimals = (3 - magnitude).clamp(0, 6) as usize;
        format!("{value:.decimals$} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(implementation: &str, value: f64, better: Better) -> Measurement {
        Measurement {
            scenario: "threads.queue".into(),
            implementation: implementation.into(),
            metric: "throughput".into(),
            value,
            unit: "items/s".into(),
            better,
            runs: Some(5),
            spread: Some(0.1),
        }
    }

    #[test]
    fn json_round_trip_and_field_names() {
        let a = m("tripod", 12345678.9, Better::Higher);
        let line = a.to_json_line();
        assert!(line.starts_with(r#"{"scenario":"threads.queue","impl":"tripod","#));
        assert!(line.contains(r#""better":"higher""#));
        let b: Measurement = serde_json::from_str(&line).unwrap();
        assert_eq!(a, b);
        // runs and spread are optional
        let c: Measurement = serde_json::from_str(
            r#"{"scenario":"s","impl":"python","metric":"m","value":1,"unit":"x/s","better":"lower"}"#,
        )
        .unwrap();
        assert_eq!((c.runs, c.better), (None, Better::Lower));
    }

    #[test]
    fn ratio_is_oriented_so_above_one_means_tripod_is_better() {
        let tripod = m("tripod", 200.0, Better::Higher);
        assert_eq!(
            m("python", 100.0, Better::Higher).ratio_of(&tripod),
            Some(2.0)
        );
        let tripod = m("tripod", 50.0, Better::Lower);
        assert_eq!(
            m("python", 100.0, Better::Lower).ratio_of(&tripod),
            Some(2.0)
        );
    }

    #[test]
    fn table_lists_tripod_first_with_ratios() {
        let mut r = Report::default();
        r.measurements.push(m("python", 1e5, Better::Higher));
        r.measurements.push(m("tripod", 1e7, Better::Higher));
        let table = r.table();
        let rows: Vec<&str> = table.lines().filter(|l| l.contains("items/s")).collect();
        assert_eq!(rows.len(), 2, "{table}");
        assert!(
            rows[0].contains("tripod") && rows[1].contains("python"),
            "{table}"
        );
        assert!(table.contains("100.00x"), "{table}");
        assert!(table.contains("10.00 M items/s"), "{table}");
        assert!(
            !table.contains("target"),
            "no target column without targets: {table}"
        );
    }

    fn latency(implementation: &str, value: f64) -> Measurement {
        Measurement {
            scenario: "process.start".into(),
            implementation: implementation.into(),
            metric: "start_join".into(),
            value,
            unit: "ms".into(),
            better: Better::Lower,
            runs: Some(5),
            spread: Some(0.1),
        }
    }

    fn compare(tripod: &str, peer: &str, target: Option<f64>) -> Comparison {
        Comparison {
            scenario: "process.start".into(),
            metric: "start_join".into(),
            tripod: tripod.into(),
            peer: peer.into(),
            target,
        }
    }

    #[test]
    fn several_tripod_impls_get_one_row_per_declared_pair_with_targets() {
        let mut r = Report::default();
        r.measurements.push(latency("python-fork", 6.0));
        r.measurements.push(latency("python-spawn", 80.0));
        r.measurements.push(latency("procspawn", 1.0));
        r.measurements.push(latency("tripod-spawn", 2.0));
        r.measurements.push(latency("tripod-fork", 0.5));
        r.compare(compare("tripod-spawn", "python-spawn", Some(20.0)));
        r.compare(compare("tripod-spawn", "procspawn", Some(1.0)));
        r.compare(compare("tripod-forkserver", "python-fork", Some(5.0)));
        r.compare(compare("tripod-fork", "python-fork", None));
        let table = r.table();
        let row = |needle: &str| {
            table
                .lines()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no `{needle}` in {table}"))
        };
        // tripod's implementations first, in the order measured
        let pos = |needle: &str| table.find(needle).unwrap();
        assert!(
            pos("tripod-spawn ") < pos("tripod-fork ") && pos("tripod-fork ") < pos("python-fork ")
        );
        assert!(
            row("tripod-spawn vs python-spawn").contains("40.00x"),
            "{table}"
        );
        assert!(
            row("tripod-spawn vs python-spawn").contains(">= 20x: met"),
            "{table}"
        );
        assert!(
            row("tripod-spawn vs procspawn").contains("0.50x"),
            "{table}"
        );
        assert!(
            row("tripod-spawn vs procspawn").contains(">= 1x: MISSED"),
            "{table}"
        );
        assert!(row("tripod-forkserver vs python-fork").contains("n/a"));
        assert!(
            row("tripod-fork vs python-fork").contains("12.00x"),
            "{table}"
        );
        assert!(
            !table.contains("tripod-fork vs procspawn"),
            "only declared pairs: {table}"
        );
        assert!(row("python-spawn").contains("80.00 ms"), "{table}");
    }

    #[test]
    fn several_tripod_impls_without_declarations_compare_each_with_each_peer() {
        let mut r = Report::default();
        r.measurements.push(latency("tripod-a", 1.0));
        r.measurements.push(latency("tripod-b", 2.0));
        r.measurements.push(latency("python", 4.0));
        let table = r.table();
        assert!(table.contains("tripod-a vs python"), "{table}");
        assert!(table.contains("tripod-b vs python"), "{table}");
        assert!(!table.contains("tripod-a vs tripod-b"), "{table}");
    }

    #[test]
    fn a_single_tripod_impl_shows_its_target_on_the_peer_row() {
        let mut r = Report::default();
        r.measurements.push(latency("tripod", 10.0));
        r.measurements.push(latency("python", 40.0));
        r.compare(compare("tripod", "python", Some(2.0)));
        let table = r.table();
        let row = table.lines().find(|l| l.contains("python")).unwrap();
        assert!(
            row.contains("4.00x") && row.contains(">= 2x: met"),
            "{table}"
        );

        let mut r = Report::default();
        r.measurements.push(latency("python", 40.0));
        r.compare(compare("tripod", "python", Some(2.0)));
        let table = r.table();
        assert!(
            table.contains("n/a (no tripod)") && table.contains(">= 2x"),
            "{table}"
        );
    }

    #[test]
    fn declared_pairs_show_even_when_no_tripod_impl_was_measured() {
        let mut r = Report::default();
        r.measurements.push(latency("python-spawn", 80.0));
        r.measurements.push(latency("procspawn", 1.0));
        r.compare(compare("tripod-spawn", "python-spawn", Some(20.0)));
        r.compare(compare("tripod-fork", "procspawn", None));
        let table = r.table();
        let row = table
            .lines()
            .find(|l| l.contains("tripod-spawn vs python-spawn"));
        assert!(row.is_some_and(|l| l.contains("n/a") && l.contains(">= 20x")));
        assert!(table.contains("tripod-fork vs procspawn"), "{table}");
    }

    #[test]
    fn values_are_formatted_for_their_unit() {
        assert_eq!(format_value(12345678.9, "items/s"), "12.35 M items/s");
        assert_eq!(format_value(1.57e9, "B/s"), "1.57 GB/s");
        assert_eq!(format_value(512.0, "B/s"), "512.00 B/s");
        assert_eq!(format_value(75.8123, "ms"), "75.81 ms");
        assert_eq!(format_value(1.23456, "ms"), "1.235 ms");
        assert_eq!(format_value(0.0412345, "ms"), "0.04123 ms");
        assert_eq!(format_value(1234.6, "us"), "1235 us");
    }
}
