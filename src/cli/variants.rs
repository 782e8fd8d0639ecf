//! `migsim variants`: every `[variants]` entry of a scenario over several seeds, as one table.

use std::fmt::Write as _;
use std::path::PathBuf;

use migsim::record::Metrics;
use migsim::scenario::{load_variant, variant_names, Override};
use migsim::RecordOptions;
use rayon::prelude::*;

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct VariantsArgs {
    /// A scenario with a `[variants]` table.
    file: PathBuf,
    /// Seeds 1..=N (each variant runs once per seed).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    seeds: u64,
    /// Only these variants (comma-separated); default: all, in file order.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Override any scenario value in every run (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    sets: Vec<Override>,
    /// Also write one row per variant and seed to this CSV file.
    #[arg(long)]
    csv: Option<PathBuf>,
}

/// What one run gave.
struct Row {
    variant: String,
    seed: u64,
    metrics: Metrics,
}

pub fn variants(args: VariantsArgs) -> Result<(), CliError> {
    let mut names = variant_names(&args.file)?;
    if names.is_empty() {
        return Err(CliError::Input(format!(
            "{}: no [variants] table: add [variants.NAME] tables to compare",
            args.file.display()
        )));
    }
    if !args.only.is_empty() {
        if let Some(bad) = args.only.iter().find(|o| !names.contains(o)) {
            return Err(CliError::Input(format!(
                "--only: no variant `{bad}`; the scenario has {}",
                names.join(", ")
            )));
        }
        names.retain(|n| args.only.contains(n));
    }
    let grid: Vec<(String, u64)> = names
        .iter()
        .flat_map(|n| (1..=args.seeds).map(move |s| (n.clone(), s)))
        .collect();
    // Runs are independent and each is a pure function of its inputs, so the order in which
    // threads finish them changes nothing.
    let rows: Vec<Row> = grid
        .par_iter()
        .map(|(name, seed)| {
            let mut sets = args.sets.clone();
            sets.push(Override::parse(&format!("simulation.seed={seed}")).expect("valid"));
            let scenario = load_variant(&args.file, Some(name), &sets)?;
            let out = migsim::run(&scenario, RecordOptions::default(), &mut |_| {});
            Ok(Row {
                variant: name.clone(),
                seed: *seed,
                metrics: out.metrics,
            })
        })
        .collect::<Result<_, CliError>>()?;
    if let Some(path) = &args.csv {
        write_csv(path, &rows)?;
    }
    print!("{}", table(&names, &rows, args.seeds));
    Ok(())
}

/// A column of the table and the CSV: its header and how to read it from a run.
type Column = (&'static str, fn(&Metrics) -> f64);

const COLUMNS: [Column; 7] = [
    ("OOM kills", |m| m.oom_kills as f64),
    ("failed jobs", |m| m.jobs_failed as f64),
    ("migrations", |m| m.migrations.complete as f64),
    ("downtime (s)", |m| m.downtime_total_s),
    ("lost work (h)", |m| m.lost_work_s / 3600.0),
    ("mean utilisation (%)", |m| {
        100.0 * m.mean_memory_utilization
    }),
    ("total job time (h)", |m| m.total_job_time_s / 3600.0),
];

/// A Markdown table: per variant, the mean of each column over the seeds (and its range).
fn table(names: &[String], rows: &[Row], seeds: u64) -> String {
    let mut out = String::new();
    let head: Vec<&str> = COLUMNS.iter().map(|c| c.0).collect();
    let _ = writeln!(out, "| variant | {} |", head.join(" | "));
    let _ = writeln!(out, "|---|{}", "---:|".repeat(COLUMNS.len()));
    for name in names {
        let mine: Vec<&Metrics> = rows
            .iter()
            .filter(|r| &r.variant == name)
            .map(|r| &r.metrics)
            .collect();
        let cells: Vec<String> = COLUMNS.iter().map(|(_, f)| cell(&mine, *f)).collect();
        let _ = writeln!(out, "| {name} | {} |", cells.join(" | "));
    }
    let _ = writeln!(
        out,
        "\nmeans over seeds 1..={seeds}, with [min, max] where the seeds differ"
    );
    out
}

fn cell(runs: &[&Metrics], f: fn(&Metrics) -> f64) -> String {
    let values: Vec<f64> = runs.iter().map(|m| f(m)).collect();
    let mean = values.iter().sum::<f64>() / values.len().max(1) as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match max - min > 1e-9 {
        true => format!("{} [{}, {}]", short(mean), short(min), short(max)),
        false => short(mean),
    }
}

/// Three significant figures, at most one decimal for large values.
fn short(v: f64) -> String {
    match v.abs() {
        a if a >= 100.0 || a == a.trunc() => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}

fn write_csv(path: &std::path::Path, rows: &[Row]) -> Result<(), CliError> {
    let write = |w: &mut dyn std::io::Write| -> std::io::Result<()> {
        let mut csv = csv::Writer::from_writer(w);
        let mut head = vec!["variant", "seed"];
        head.extend(COLUMNS.iter().map(|c| c.0));
        csv.write_record(&head)?;
        for r in rows {
            let mut rec = vec![r.variant.clone(), r.seed.to_string()];
            rec.extend(COLUMNS.iter().map(|(_, f)| f(&r.metrics).to_string()));
            csv.write_record(&rec)?;
        }
        csv.flush()
    };
    migsim::output::write_atomic(path, &write).map_err(|source| CliError::Write {
        path: path.to_path_buf(),
        source,
    })
}
