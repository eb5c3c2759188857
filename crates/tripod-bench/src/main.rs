//! `tripod-bench`: side-by-side benchmarks of tripod against Python's standard library and
//! the Rust peers, in one run.
//!
//! ```text
//! cargo run --release -p tripod-bench -- [--quick] [--list] [--no-table] [SCENARIO|FAMILY ...]
//! ```
//!
//! Prints one JSON line per measurement on stdout, then a table of the ratios (tripod vs
//! each peer, > 1 means tripod is better). See `README.md` for the design and for how to add
//! a scenario.

mod measure;
mod peer;
mod report;
mod scenario;
mod scenarios;
mod watchdog;

use report::Report;
use scenario::{Config, Ctx, Scenario};
use std::process::ExitCode;

const USAGE: &str = "\
usage: tripod-bench [--quick] [--list] [--no-table] [SCENARIO|FAMILY ...]

Runs the named scenarios (all when none is named) for tripod and its peers, prints one
JSON line per measurement on stdout, then a table of the ratios.

  SCENARIO      a scenario name, e.g. threads.queue (see --list)
  FAMILY        every scenario of a family, e.g. threads
  --list        list the scenarios with a one-line description and exit
  --quick       a short smoke run: workloads / 10, up to 3 runs within 0.5 s each
  --no-table    print the JSON lines only
  -h, --help    this help

Environment: TRIPOD_BENCH_PYTHON names the Python interpreter (default python3).";

fn main() -> ExitCode {
    // First: in a child started by procspawn (the Rust peer of process.start) this runs the
    // child's call and exits; in the parent it does nothing. tripod's child entry needs no
    // line here (it runs before main).
    procspawn::init();
    let mut quick = false;
    let mut list = false;
    let mut table = true;
    let mut names = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            "--list" => list = true,
            "--no-table" => table = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            flag if flag.starts_with('-') => {
                eprintln!("error: unknown option `{flag}`\n\n{USAGE}");
                return ExitCode::from(2);
            }
            name => names.push(name.to_string()),
        }
    }

    let all = scenarios::all();
    if list {
        let width = all.iter().map(|s| s.name.len()).max().unwrap_or(0);
        for s in &all {
            println!("{:<width$}  {}", s.name, s.description);
        }
        return ExitCode::SUCCESS;
    }
    let selected = match select(&all, &names) {
        Ok(selected) => selected,
        Err(unknown) => {
            let known: Vec<&str> = all.iter().map(|s| s.name).collect();
            eprintln!(
                "error: unknown scenario `{unknown}`; known scenarios: {}",
                known.join(", ")
            );
            return ExitCode::from(2);
        }
    };

    let config = Config::new(quick);
    let mut report = Report::default();
    for s in selected {
        eprintln!("== {}: {}", s.name, s.description);
        (s.run)(&mut Ctx::new(s.name, &config, &mut report));
    }
    if table {
        println!();
        print!("{}", report.table());
    }
    ExitCode::SUCCESS
}

/// The scenarios named by `names` (exact names or family prefixes), in the order named,
/// each once; all of them when `names` is empty. `Err` carries the first unknown name.
fn select<'a>(all: &[&'a Scenario], names: &[String]) -> Result<Vec<&'a Scenario>, String> {
    if names.is_empty() {
        return Ok(all.to_vec());
    }
    let mut selected: Vec<&Scenario> = Vec::new();
    for name in names {
        let family = format!("{}.", name.trim_end_matches(".*"));
        let matching: Vec<&Scenario> = all
            .iter()
            .copied()
            .filter(|s| s.name == name || s.name.starts_with(&family))
            .collect();
        if matching.is_empty() {
            return Err(name.clone());
        }
        for s in matching {
            if !selected.iter().any(|t| t.name == s.name) {
                selected.push(s);
            }
        }
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&Scenario]) -> Vec<&'static str> {
        v.iter().map(|s| s.name).collect()
    }

    #[test]
    fn select_by_name_family_or_all() {
        let all = scenarios::all();
        assert_eq!(select(&all, &[]).unwrap().len(), all.len());
        let one = select(&all, &["threads.queue".to_string()]).unwrap();
        assert_eq!(names(&one), ["threads.queue"]);
        let family = select(&all, &["threads".to_string(), "threads.lock".to_string()]).unwrap();
        assert!(family.len() >= 4 && family.iter().all(|s| s.name.starts_with("threads.")));
        assert_eq!(
            family.len(),
            select(&all, &["threads.*".to_string()]).unwrap().len()
        );
        assert_eq!(select(&all, &["thread".to_string()]).unwrap_err(), "thread");
    }

    #[test]
    fn scenario_names_are_unique_and_dotted() {
        let all = scenarios::all();
        for (i, s) in all.iter().enumerate() {
            assert!(s.name.contains('.'), "{}", s.name);
            assert!(!s.description.is_empty());
            assert!(all[..i].iter().all(|t| t.name != s.name), "{}", s.name);
        }
    }
}
