//! `runs.csv`: one row per run, in grid order: its id, grid point, axis values, seed, whether
//! it finished, and its metrics.

use std::io::{self, Write};

use crate::sweep::metrics::cell_text;
use crate::sweep::{Outcome, RunResult, Sweep};

/// The metric names, from the first run that finished (every run has the same).
pub fn metric_names(results: &[RunResult]) -> Vec<String> {
    results
        .iter()
        .find_map(|r| match &r.outcome {
            Outcome::Done(cells) => Some(cells.iter().map(|(n, _)| n.clone()).collect()),
            Outcome::Failed(_) => None,
        })
        .unwrap_or_default()
}

pub fn write_runs(w: &mut dyn Write, sweep: &Sweep, results: &[RunResult]) -> io::Result<()> {
    let metrics = metric_names(results);
    let mut out = csv::Writer::from_writer(w);
    let mut head = vec!["run".to_string(), "point".into()];
    head.extend(sweep.spec.axes.iter().map(|a| a.name.clone()));
    head.extend(["seed".into(), "status".into(), "error".into()]);
    head.extend(metrics.iter().cloned());
    out.write_record(&head)?;
    for r in results {
        let mut row = vec![sweep.run_id(r.key), r.key.point.to_string()];
        row.extend(sweep.spec.labels(&sweep.points[r.key.point]));
        row.push(r.key.seed.to_string());
        match &r.outcome {
            Outcome::Done(cells) => {
                row.extend(["ok".into(), String::new()]);
                row.extend(cells.iter().map(|(_, v)| cell_text(v)));
            }
            Outcome::Failed(message) => {
                row.extend(["failed".into(), message.clone()]);
                row.extend(metrics.iter().map(|_| String::new()));
            }
        }
        out.write_record(&row)?;
    }
    out.flush()
}
