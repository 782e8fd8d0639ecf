//! `migsim sweep`: a scenario's grid times its seeds, in parallel, into one results folder.

use std::path::{Path, PathBuf};
use std::time::Instant;

use migsim::scenario::{parse_seeds, Axis};
use migsim::sweep::{
    execute, metric_names, write_runs, Outcome, RunResult, Shard, Store, StoreError, Sweep,
};

use crate::cli::progress::RunsBar;
use crate::cli::sweep_table::markdown;
use crate::cli::{CliError, OutArgs, SetArgs};

#[derive(clap::Args)]
pub struct SweepArgs {
    /// A scenario with a `[sweep]` table (or give the grid with --vary and --seeds).
    file: PathBuf,
    #[command(flatten)]
    out: OutArgs,
    /// Runs at a time (default: one per core). Results do not depend on it.
    #[arg(long, short, value_parser = clap::value_parser!(u16).range(1..))]
    jobs: Option<u16>,
    /// Finish a sweep that was stopped: runs already in the folder are kept, not rerun.
    #[arg(long)]
    resume: bool,
    /// Write each run's tables gzipped (NAME.csv.gz); the sweep's own tables, `plot` and
    /// `compare` are unaffected.
    #[arg(long)]
    compress: bool,
    /// Add or replace an axis: `PATH=[v1, v2]`, `PATH={ from = 1, to = 4, step = 1 }`, or
    /// `variant=all` (repeatable).
    #[arg(long, value_name = "PATH=VALUES", value_parser = Axis::parse)]
    vary: Vec<Axis>,
    /// Run every grid point with these seeds instead of the sweep's: N (1..=N), a range
    /// A..B (both included, e.g. a held-out 101..150) or a list 1,5,9.
    #[arg(long, value_parser = seed_list)]
    seeds: Option<SeedList>,
    /// Run only shard K of N (0 <= K < N): the runs whose index in runs.csv is K mod N. Shards
    /// may run at once, on machines sharing --out; when all are done, the same command without
    /// --shard and with --resume writes runs.csv and summary.csv.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Applied to every run.
    #[command(flatten)]
    set: SetArgs,
    /// No progress bar and no table.
    #[arg(long, short)]
    quiet: bool,
}

/// One flag's seeds (a newtype, so that clap takes the list as one value).
#[derive(Clone)]
struct SeedList(Vec<u64>);

fn seed_list(text: &str) -> Result<SeedList, String> {
    parse_seeds(text).map(SeedList)
}

pub fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let seeds = args.seeds.map(|s| s.0);
    let sweep = Sweep::load(&args.file, args.set.sets, args.vary, seeds)?;
    let out = args.out.or_default(&sweep.name, None, Some("sweep"));
    let store = Store::open(&out, &sweep, args.resume, args.shard)
        .map_err(store_error)?
        .compressing(args.compress);
    let keys = match args.shard {
        Some(shard) => shard.runs(&sweep),
        None => sweep.runs(),
    };
    let total = keys.len();
    let jobs = args
        .jobs
        .map_or_else(rayon::current_num_threads, usize::from);
    let stop = crate::cli::interrupt::flag(
        "stopping after the runs under way",
        "an interrupted sweep resumes all the same",
    );
    let bar = RunsBar::new(!args.quiet, total);
    let started = Instant::now();
    let results = execute(&sweep, keys, Some(&store), jobs, &stop, &|r| {
        bar.done(r.resumed)
    })
    .map_err(store_error)?;
    bar.finish();
    let wall = started.elapsed().as_secs_f64();
    let results: Vec<RunResult> = results.into_iter().flatten().collect();
    if results.len() < total {
        return Err(CliError::Interrupted(format!(
            "interrupted: {} of {total} runs are in {}; finish with the same command and --resume",
            results.len(),
            out.display()
        )));
    }
    if let Some(shard) = args.shard {
        // A shard's runs are a part of the tables: they are written once every shard is done.
        println!(
            "shard {shard}: {} runs in {wall:.2}s on {jobs} threads, into {}; once every shard is done, the same command without --shard and with --resume writes runs.csv and summary.csv",
            results.len(),
            out.display()
        );
        return Ok(());
    }
    write_tables(&store, &sweep, &results)?;
    report(&sweep, &results, &out, wall, jobs, args.quiet)
}

fn write_tables(store: &Store, sweep: &Sweep, results: &[RunResult]) -> Result<(), CliError> {
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

fn report(
    sweep: &Sweep,
    results: &[RunResult],
    out: &Path,
    wall: f64,
    jobs: usize,
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
        "\n{} runs ({} resumed, {} failed) in {wall:.2}s on {jobs} threads; results in {}",
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

fn store_error(e: StoreError) -> CliError {
    match e {
        StoreError::Io { path, source } => CliError::Write { path, source },
        StoreError::Conflict(m) => CliError::Input(m),
    }
}
