//! Writes a run's results: `summary.json`, tidy CSV tables (one row per observation) and, when
//! asked, `events.jsonl`. Every file is written atomically, so an interrupted run never leaves
//! a half-written table that looks complete. Compressed, each table is `NAME.csv.gz` (gzip
//! with no timestamp, so equal runs still give equal bytes); every reader takes either.

mod tables;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub use crate::atomic::write_atomic;

use crate::record::{RunOutput, Summary};
use crate::scenario::Scenario;

/// Writes every output file of a run into `dir` (created if needed), the tables gzipped when
/// `compress`; returns their paths.
pub fn write_run(
    dir: &Path,
    scenario: &Scenario,
    run: &RunOutput,
    compress: bool,
) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut file =
        |name: &str, body: &dyn Fn(&mut dyn Write) -> io::Result<()>| -> io::Result<()> {
            let table = name != "summary.json";
            let path = match compress && table {
                true => dir.join(format!("{name}.gz")),
                false => dir.join(name),
            };
            match compress && table {
                true => write_atomic(&path, &|w| gzipped(w, body)),
                false => write_atomic(&path, body),
            }?;
            written.push(path);
            Ok(())
        };
    file("summary.json", &|w| write_summary(w, scenario, run))?;
    file("jobs.csv", &|w| tables::jobs(w, run))?;
    file("nodes.csv", &|w| tables::nodes(w, run))?;
    file("migrations.csv", &|w| tables::migrations(w, run))?;
    file("oom_kills.csv", &|w| tables::oom_kills(w, run))?;
    if run.record.job_samples.is_some() {
        file("job_samples.csv", &|w| tables::job_samples(w, run))?;
    }
    if run.record.events.is_some() {
        file("events.jsonl", &|w| tables::events(w, run))?;
    }
    Ok(written)
}

fn gzipped(w: &mut dyn Write, body: &dyn Fn(&mut dyn Write) -> io::Result<()>) -> io::Result<()> {
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(w, flate2::Compression::fast());
    body(&mut gz)?;
    gz.finish()?;
    Ok(())
}

fn write_summary(w: &mut dyn Write, scenario: &Scenario, run: &RunOutput) -> io::Result<()> {
    let summary = Summary {
        migsim_version: env!("CARGO_PKG_VERSION"),
        scenario: &scenario.name(),
        variant: scenario.variant.as_deref(),
        seed: scenario.spec.simulation.seed,
        metrics: &run.metrics,
        parameters: &scenario.spec,
    };
    serde_json::to_writer_pretty(&mut *w, &summary)?;
    writeln!(w)
}
