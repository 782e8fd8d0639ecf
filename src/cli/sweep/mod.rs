//! `migsim sweep`: a scenario's grid times its seeds, in parallel, into one results folder; or
//! a share of it (`--shard`), the tables of a folder the shards filled (`--aggregate`), or the
//! whole as a Slurm job array (`--slurm`).

mod aggregate;
mod report;
mod slurm;

use std::path::{Path, PathBuf};
use std::time::Instant;

use migsim::scenario::{parse_seeds, Axis};
use migsim::sweep::{execute, Access, RunResult, Shard, Store, Sweep};

use crate::cli::progress::RunsBar;
use crate::cli::{CliError, OutArgs, SetArgs};
use report::{report, store_error, write_tables};
use slurm::SlurmArgs;

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
    #[arg(long, value_name = "PATH=VALUES", value_parser = vary_axis)]
    vary: Vec<Given<Axis>>,
    /// Run every grid point with these seeds instead of the sweep's: N (1..=N), a range
    /// A..B (both included, e.g. a held-out 101..150) or a list 1,5,9.
    #[arg(long, value_parser = seed_list)]
    seeds: Option<Given<Vec<u64>>>,
    /// Run only shard K of N (0 <= K < N): the runs whose index in runs.csv is K mod N. Shards
    /// may run at once, on machines sharing --out; when all are done, --aggregate (or the
    /// same command without --shard and with --resume) writes runs.csv and summary.csv.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    shard: Option<Shard>,
    /// Write runs.csv and summary.csv from the runs in the folder, running none: the step
    /// after shards. Fails, naming them, if runs are missing.
    #[arg(long, conflicts_with_all = ["shard", "resume", "jobs"])]
    aggregate: bool,
    /// With --aggregate: the folder was filled by this many shards, so that missing runs are
    /// named by the shard that did not finish.
    #[arg(long, value_name = "N", requires = "aggregate", value_parser = clap::value_parser!(u32).range(1..))]
    shards: Option<u32>,
    #[command(flatten)]
    slurm: SlurmArgs,
    /// Applied to every run.
    #[command(flatten)]
    set: SetArgs,
    /// No progress bar and no table.
    #[arg(long, short)]
    quiet: bool,
}

/// A flag's value and the text it was given as: Slurm tasks are handed the same text.
#[derive(Clone)]
pub struct Given<T> {
    text: String,
    value: T,
}

fn seed_list(text: &str) -> Result<Given<Vec<u64>>, String> {
    parse_seeds(text).map(|value| Given {
        text: text.into(),
        value,
    })
}

fn vary_axis(text: &str) -> Result<Given<Axis>, String> {
    Axis::parse(text).map(|value| Given {
        text: text.into(),
        value,
    })
}

impl SweepArgs {
    /// The flags besides the file that make this sweep what it is, as given: each shard of
    /// it must be started with them.
    fn defining_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        for set in &self.set.sets {
            flags.extend(["--set".to_string(), set.text.clone()]);
        }
        for axis in &self.vary {
            flags.extend(["--vary".to_string(), axis.text.clone()]);
        }
        if let Some(seeds) = &self.seeds {
            flags.extend(["--seeds".to_string(), seeds.text.clone()]);
        }
        if self.compress {
            flags.push("--compress".into());
        }
        flags
    }
}

pub fn sweep(args: SweepArgs) -> Result<(), CliError> {
    let sweep = Sweep::load(
        &args.file,
        args.set.sets.clone(),
        args.vary.iter().map(|a| a.value.clone()).collect(),
        args.seeds.as_ref().map(|s| s.value.clone()),
    )?;
    let out = args.out.or_default(&sweep.name, None, Some("sweep"));
    if args.slurm.slurm {
        let flags = args.defining_flags();
        return slurm::submit(&args.slurm, &sweep, &args.file, &out, &flags, args.quiet);
    }
    if args.aggregate {
        return aggregate::aggregate(&sweep, &out, args.shards, args.quiet);
    }
    run_here(&args, &sweep, &out)
}

/// Runs the sweep, or its shard, on this machine.
fn run_here(args: &SweepArgs, sweep: &Sweep, out: &Path) -> Result<(), CliError> {
    let access = match (args.shard, args.resume) {
        (Some(shard), _) => Access::Shard(shard),
        (None, true) => Access::Resume,
        (None, false) => Access::Start,
    };
    let store = Store::open(out, sweep, access)
        .map_err(store_error)?
        .compressing(args.compress);
    let keys = match args.shard {
        Some(shard) => shard.runs(sweep),
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
    let results = execute(sweep, keys, Some(&store), jobs, &stop, &|r| {
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
            "shard {shard}: {} runs in {wall:.2}s on {jobs} threads, into {}; once every shard is done, the same command without --shard and with --aggregate writes runs.csv and summary.csv",
            results.len(),
            out.display()
        );
        return Ok(());
    }
    write_tables(&store, sweep, &results)?;
    let timing = format!("in {wall:.2}s on {jobs} threads");
    report(sweep, &results, out, &timing, args.quiet)
}
