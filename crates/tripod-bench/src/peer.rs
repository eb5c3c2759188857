//! Out-of-process peers: the Python script of a scenario.
//!
//! `python/<scenario>.py` (standard library only, plus optional third-party peers it
//! imports if it can) is run with `python3`, or with the interpreter named by the
//! environment variable `TRIPOD_BENCH_PYTHON`. It reads its settings from the environment
//! (`TRIPOD_BENCH_QUICK`, `TRIPOD_BENCH_BUDGET_S`, `TRIPOD_BENCH_RUNS`; see
//! `python/_bench.py`) and prints one JSON line per measurement, in the harness's own format
//! ([`Measurement`]), or `{"skip": "reason", "impl": "name"}` for a peer it cannot run (a
//! module that is not importable). Other lines are passed on to stderr.
//!
//! A missing interpreter, a missing script, a crash or a hang (the script is killed after
//! [`SCRIPT_LIMIT`]) becomes a note in the report, never a failure of the whole run.

use crate::report::{Measurement, Report};
use crate::scenario::Config;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// The environment variable naming the Python interpreter (default `python3`).
pub const PYTHON_ENV: &str = "TRIPOD_BENCH_PYTHON";

/// How long a peer script may run before it is killed.
pub const SCRIPT_LIMIT: Duration = Duration::from_secs(120);

/// The directory of the Python peer scripts.
pub fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python")
}

/// Runs `python/<scenario>.py` and records its measurements and skips in `report`.
pub fn run_python(scenario: &str, config: &Config, report: &mut Report) {
    let script = python_dir().join(format!("{scenario}.py"));
    if !script.is_file() {
        report.note(
            scenario,
            format!("no Python peer ({} missing)", script.display()),
        );
        return;
    }
    let python = std::env::var(PYTHON_ENV).unwrap_or_else(|_| "python3".to_string());
    let spawned = Command::new(&python)
        .arg(&script)
        .env("TRIPOD_BENCH_QUICK", if config.quick { "1" } else { "0" })
        .env(
            "TRIPOD_BENCH_BUDGET_S",
            config.budget.time.as_secs_f64().to_string(),
        )
        .env("TRIPOD_BENCH_RUNS", config.budget.runs.to_string())
        .env("PYTHONDONTWRITEBYTECODE", "1") // no __pycache__ in the source tree
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            report.note(
                scenario,
                format!("Python peer skipped: cannot run `{python}` ({e}); set {PYTHON_ENV}"),
            );
            return;
        }
    };

    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let (tx, lines) = mpsc::channel();
    let reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let err_reader = thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let deadline = Instant::now() + SCRIPT_LIMIT;
    let mut killed = false;
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => handle_line(scenario, &line, report),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                killed = true;
                break;
            }
        }
    }
    let status = child.wait();
    let _ = reader.join();
    let err_text = err_reader.join().unwrap_or_default();
    if killed {
        report.note(
            scenario,
            format!("Python peer killed after {}s", SCRIPT_LIMIT.as_secs()),
        );
    } else if !matches!(&status, Ok(s) if s.success()) {
        let tail: Vec<&str> = err_text.lines().rev().take(5).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        report.note(
            scenario,
            format!("Python peer failed ({status:?}): {}", tail.join(" | ")),
        );
    } else if !err_text.trim().is_empty() {
        eprint!("{err_text}");
    }
}

/// Handles one line printed by a peer script.
fn handle_line(scenario: &str, line: &str, report: &mut Report) {
    let trimmed = line.trim();
    if !trimmed.starts_with('{') {
        if !trimmed.is_empty() {
            eprintln!("[{scenario}.py] {trimmed}");
        }
        return;
    }
    let value: serde_json::Value = match serde_json::from_str(trimmed) {
        Ok(v) => v,
        Err(e) => {
            report.note(
                scenario,
                format!("unreadable line from Python peer ({e}): {trimmed}"),
            );
            return;
        }
    };
    if let Some(reason) = value.get("skip") {
        let who = value
            .get("impl")
            .and_then(|v| v.as_str())
            .unwrap_or("python");
        let reason = reason
            .as_str()
            .map_or_else(|| reason.to_string(), str::to_string);
        report.note(scenario, format!("{who} skipped: {reason}"));
        return;
    }
    match serde_json::from_value::<Measurement>(value) {
        Ok(m) if m.scenario == scenario => report.record(m),
        Ok(m) => report.note(
            scenario,
            format!(
                "Python peer reported scenario `{}`, expected `{scenario}`; ignored",
                m.scenario
            ),
        ),
        Err(e) => report.note(
            scenario,
            format!("bad measurement from Python peer ({e}): {trimmed}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_measurements_or_notes() {
        let mut report = Report::default();
        handle_line(
            "threads.queue",
            r#"{"scenario":"threads.queue","impl":"python","metric":"throughput","value":5.0,"unit":"items/s","better":"higher"}"#,
            &mut report,
        );
        handle_line(
            "threads.queue",
            r#"{"skip":"faster_fifo is not importable","impl":"faster-fifo"}"#,
            &mut report,
        );
        handle_line(
            "threads.queue",
            r#"{"scenario":"threads.lock","impl":"python","metric":"m","value":1,"unit":"x","better":"lower"}"#,
            &mut report,
        );
        handle_line("threads.queue", "warming up", &mut report);
        assert_eq!(report.measurements().len(), 1);
        assert_eq!(report.measurements()[0].implementation, "python");
        let table = report.table();
        assert!(
            table.contains("faster-fifo skipped: faster_fifo is not importable"),
            "{table}"
        );
        assert!(table.contains("expected `threads.queue`"), "{table}");
    }
}
