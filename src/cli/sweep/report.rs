//! What a sweep leaves: its tables, and what it says of its runs.

use std::path::Path;

use migsim::sweep::{metric_names, write_runs, Outcome, RunResult, Store, StoreError, Sweep};

use crate::cli::sweep_table::markdown;
use crate::cli::CliError;

/// Writes runs.csv and, with the `analysis` feature, summary.csv.
pub fn write_tables(store: &Store, sweep: &Sweep, results: &[RunResult]) -> Result<(), CliError> {
    store
        .write_table("runs.csv", &|w| write_runs(w, sweep, results))
        .map_err(store_error)?;
    #[cfg(feature = "analysis")]
    {
        let metrics = metric_names(results);
        store
            .write_table("summary.csv", &|w| {
                migsim::sweep::write_summary(w, sweep, results, &metrics)
            })
            .map_err(store_error)?;
    }
    #[cfg(not(feature = "analysis"))]
    {
        let _ = metric_names;
        eprintln!(
            "note: summary.csv not written: this migsim was built without the `analysis` feature"
        );
    }
    Ok(())
}

/// The table of headline metrics (unless `quiet`), a line of counts and `timing`, and the
/// distinct errors of failed runs; an error if every run failed.
pub fn report(
    sweep: &Sweep,
    results: &[RunResult],
    out: &Path,
    timing: &str,
    quiet: bool,
) -> Result<(), CliError> {
    let failed: Vec<&str> = results
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Failed(m) => Some(m.as_str()),
            Outcome::Done(_) => None,
        })
        .collect();
    if failed.len() == results.len() {
        return Err(CliError::Input(format!(
            "every run failed; the first: {}",
            failed[0]
        )));
    }
    if !quiet {
        print!("{}", markdown(sweep, results));
    }
    let resumed = results.iter().filter(|r| r.resumed).count();
    println!(
        "\n{} runs ({} resumed, {} failed) {timing}; results in {}",
        results.len(),
        resumed,
        failed.len(),
        out.display()
    );
    let mut distinct = failed.clone();
    distinct.sort_unstable();
    distinct.dedup();
    for m in distinct.iter().take(3) {
        eprintln!("warning: a run failed: {m}");
    }
    if distinct.len() > 3 {
        eprintln!(
            "warning: ... and {} other errors: see runs.csv",
            distinct.len() - 3
        );
    }
    Ok(())
}

pub fn store_error(e: StoreError) -> CliError {
    match e {
        StoreError::Io { path, source } => CliError::Write { path, source },
        StoreError::Conflict(m) => CliError::Input(m),
    }
}
