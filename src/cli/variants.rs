//! `migsim variants`: every `[variants]` entry of a scenario over several seeds, as one table.
//! A sweep over the variant axis alone, kept in memory.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use migsim::scenario::{read_text, variant_names, Axis, SweepSpec, VARIANT_AXIS};
use migsim::sweep::{execute, write_runs, RunResult, Sweep};

use crate::cli::sweep_table::markdown;
use crate::cli::{CliError, SetArgs};

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
    /// Applied to every run.
    #[command(flatten)]
    set: SetArgs,
    /// Also write one row per variant and seed to this CSV file (the columns of a sweep's
    /// runs.csv).
    #[arg(long)]
    csv: Option<PathBuf>,
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
    let spec = SweepSpec {
        axes: vec![Axis {
            name: VARIANT_AXIS.into(),
            values: names.into_iter().map(toml::Value::String).collect(),
        }],
        seeds: (1..=args.seeds).collect(),
    };
    let text = read_text(&args.file)?;
    let sweep = Sweep::new(&args.file, text, args.set.sets, spec)?;
    let never = AtomicBool::new(false);
    let results: Vec<RunResult> = execute(
        &sweep,
        sweep.runs(),
        None,
        rayon::current_num_threads(),
        &never,
        &|_| {},
    )
    .map_err(|e| CliError::Failed(e.to_string()))?
    .into_iter()
    .flatten()
    .collect();
    if let Some(path) = &args.csv {
        migsim::output::write_atomic(path, &|w| write_runs(w, &sweep, &results)).map_err(
            |source| CliError::Write {
                path: path.clone(),
                source,
            },
        )?;
    }
    print!("{}", markdown(&sweep, &results));
    Ok(())
}
