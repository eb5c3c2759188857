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

/// What one run of the harness collected: the measurements and the notes (skipped peers,
/// failures), in the order they happened.
#[derive(Debug, Default)]
pub struct Report {
    measurements: Vec<Measurement>,
    notes: Vec<String>,
}

/// The implementation the ratios are taken against.
pub const TRIPOD: &str = "tripod";

impl Report {
    /// Records a measurement and prints its JSON line on stdout at once.
    pub fn record(&mut self, m: Measurement) {
        println!("{}", m.to_json_line());
        self.measurements.push(m);
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

    /// The human table: one block per (scenario, metric), tripod first, then each peer with
    /// the ratio tripod vs that peer; then the notes.
    pub fn table(&self) -> String {
        let mut groups: Vec<(&str, &str)> = Vec::new();
        for m in &self.measurements {
            let key = (m.scenario.as_str(), m.metric.as_str());
            if !groups.contains(&key) {
                groups.push(key);
            }
        }
        let mut rows = vec![[
            "scenario".to_string(),
            "metric".to_string(),
            "impl".to_string(),
            "value".to_string(),
            "runs, spread".to_string(),
            "tripod vs impl".to_string(),
        ]];
        for (scenario, metric) in groups {
            let mut ms: Vec<&Measurement> = self
                .measurements
                .iter()
                .filter(|m| m.scenario == scenario && m.metric == metric)
                .collect();
            // tripod first, the peers in the order they were measured
            ms.sort_by_key(|m| m.implementation != TRIPOD);
            let tripod = ms.iter().find(|m| m.implementation == TRIPOD).copied();
            for (i, m) in ms.iter().enumerate() {
                let ratio = match tripod {
                    Some(_) if m.implementation == TRIPOD => "-".to_string(),
                    Some(t) => m
                        .ratio_of(t)
                        .map_or("?".to_string(), |r| format!("{r:.2}x")),
                    None => "n/a (no tripod)".to_string(),
                };
                let runs = match (m.runs, m.spread) {
                    (Some(r), Some(s)) => format!("{r}, {:.0}%", s * 100.0),
                    (Some(r), None) => format!("{r}"),
                    _ => String::new(),
                };
                let first = i == 0;
                rows.push([
                    if first {
                        scenario.to_string()
                    } else {
                        String::new()
                    },
                    if first {
                        metric.to_string()
                    } else {
                        String::new()
                    },
                    m.implementation.clone(),
                    format_value(m.value, &m.unit),
                    runs,
                    ratio,
                ]);
            }
        }
        let mut widths = [0usize; 6];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mut out = String::new();
        out.push_str(
            "Ratios are tripod vs each peer, oriented so that > 1 means tripod is better\n\
             (higher throughput, or lower time); values are medians of the runs.\n\n",
        );
        for row in &rows {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
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
}

/// `12345678.9, "items/s"` -> `12.35 M items/s`; SI prefixes for rates, 4 significant digits
/// otherwise.
pub fn format_value(value: f64, unit: &str) -> String {
    if unit.ends_with("/s") {
        let (scaled, prefix) = match value.abs() {
            v if v >= 1e9 => (value / 1e9, "G "),
            v if v >= 1e6 => (value / 1e6, "M "),
            v if v >= 1e3 => (value / 1e3, "k "),
            _ => (value, ""),
        };
        format!("{scaled:.2} {prefix}{unit}")
    } else {
        format!("{value:.4} {unit}")
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
    }
}
