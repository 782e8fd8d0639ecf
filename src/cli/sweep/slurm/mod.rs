//! `migsim sweep --slurm`: the sweep as a Slurm job array. Task K of N runs shard K/N, as many
//! runs at a time as it has CPUs, and is requeued if its node dies; an aggregation job, which
//! starts once every task has ended, writes the tables or fails naming the tasks that did not
//! finish. Everything it writes is under DIR/slurm: the scripts and the jobs' logs.

mod script;
mod submit;
mod time;

use std::path::Path;

use migsim::output::write_atomic;
use migsim::sweep::{collect, Access, Shard, Store, Sweep};

use crate::cli::progress::RunsBar;
use crate::cli::sweep::aggregate::missing;
use crate::cli::sweep::report::{report, store_error};
use crate::cli::CliError;
use script::{unfit_for_directives, Plan, SUBMIT_SCRIPT};
use submit::{sbatch_on_path, Jobs};

/// Tasks in the array when --array-size is not given, at most.
const DEFAULT_TASKS: usize = 100;

#[derive(clap::Args)]
pub struct SlurmArgs {
    /// Submit the sweep to Slurm as a job array whose task K runs shard K, and a job that
    /// writes the tables when every task has ended (see README, "Sweeps on a Slurm cluster").
    #[arg(long, conflicts_with_all = ["shard", "jobs", "aggregate"])]
    pub slurm: bool,
    /// Tasks in the array (default: one per run, at most 100).
    #[arg(long, value_name = "N", requires = "slurm", value_parser = clap::value_parser!(u32).range(1..))]
    array_size: Option<u32>,
    /// The Slurm partition to run in (default: the cluster's).
    #[arg(long, value_name = "P", requires = "slurm", value_parser = partition)]
    partition: Option<String>,
    /// Each task's time limit: MINUTES, HH:MM:SS or DAYS-HH[:MM[:SS]] (default: the
    /// partition's).
    #[arg(long, value_name = "T", requires = "slurm", value_parser = time::parse_time)]
    time: Option<String>,
    /// CPUs of each task; a task runs that many runs at a time.
    #[arg(long, value_name = "C", requires = "slurm", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    cpus_per_task: u32,
    /// Return when the tables are written, with a non-zero exit code, naming them, if tasks
    /// failed.
    #[arg(long, requires = "slurm")]
    wait: bool,
    /// Write the scripts into DIR/slurm and submit nothing.
    #[arg(long, requires = "slurm", conflicts_with = "wait")]
    dry_run: bool,
}

fn partition(text: &str) -> Result<String, String> {
    let fits = |c: char| c.is_ascii_alphanumeric() || "_.,-".contains(c);
    match !text.is_empty() && text.chars().all(fits) {
        true => Ok(text.into()),
        false => Err(format!(
            "`{text}` is not a partition name (letters, digits, `_`, `.` and `-`; several with `,`)"
        )),
    }
}

/// Writes the scripts and, unless `--dry-run`, submits them; `flags` are the ones that make
/// the sweep what it is, handed to every task as given.
pub fn submit(
    args: &SlurmArgs,
    sweep: &Sweep,
    file: &Path,
    out: &Path,
    flags: &[String],
    quiet: bool,
) -> Result<(), CliError> {
    if !args.dry_run && !sbatch_on_path() {
        return Err(CliError::Input(
            "--slurm: sbatch is not on PATH: submit from a machine of the Slurm cluster (a login node), or write the scripts only with --dry-run".into(),
        ));
    }
    let plan = plan(args, sweep, file, out, flags)?;
    if !args.dry_run {
        refuse_a_second_submission(&plan)?;
    }
    let store = Store::open(&plan.out, sweep, Access::Join).map_err(store_error)?;
    write_scripts(&plan)?;
    let runs = sweep.runs().len();
    let submit_script = plan.folder().join(SUBMIT_SCRIPT);
    if args.dry_run {
        println!(
            "wrote the scripts of {runs} runs in {} into {}; submit them with: sh {}",
            plan.shape(),
            plan.folder().display(),
            submit_script.display()
        );
        return Ok(());
    }
    let submitted = submit::submit(&submit_script, args.wait)?;
    announce(&plan, &submitted.jobs, runs, file);
    if !args.wait {
        submitted.wait(&std::sync::atomic::AtomicBool::new(false), &|| {})?;
        return Ok(());
    }
    let jobs = submitted.jobs.clone();
    let stop = crate::cli::interrupt::flag(
        "no longer waiting; the sweep goes on in Slurm",
        "Ctrl-C stops the waiting only; the sweep goes on in Slurm",
    );
    let bar = RunsBar::new(!quiet, runs);
    let runs_dir = plan.out.join("runs");
    let status = submitted.wait(&stop, &|| bar.at(finished_runs(&runs_dir)))?;
    bar.finish();
    let Some(status) = status else {
        return Err(CliError::Interrupted(format!(
            "stopped waiting; the sweep goes on in Slurm: watch it with squeue -j {},{}",
            jobs.array, jobs.aggregate
        )));
    };
    conclude(&plan, &jobs, sweep, &store, status.success(), quiet)
}

/// Two submissions of one folder would run two tasks of each shard at once, writing the same
/// runs: the second is refused while jobs of the first are queued.
fn refuse_a_second_submission(plan: &Plan) -> Result<(), CliError> {
    let queued = submit::queued_with(&plan.tag())?;
    if queued.is_empty() {
        return Ok(());
    }
    let ids = queued.join(",");
    Err(CliError::Input(format!(
        "--slurm: jobs {ids} of an earlier submission into {} are still queued or running; wait for them (squeue -j {ids}) or cancel them (scancel {}) before submitting again",
        plan.out.display(),
        queued.join(" ")
    )))
}

/// What the scripts run, checked before anything is written.
fn plan(
    args: &SlurmArgs,
    sweep: &Sweep,
    file: &Path,
    out: &Path,
    flags: &[String],
) -> Result<Plan, CliError> {
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|e| CliError::Input(format!("{}: {e}", p.display())))
    };
    let out = absolute(out)?;
    if let Some(why) = unfit_for_directives(&out) {
        return Err(CliError::Input(format!(
            "--slurm: the results folder {} holds {why}, which #SBATCH lines cannot: choose an --out without it",
            out.display()
        )));
    }
    let migsim = std::env::current_exe()
        .map_err(|e| CliError::Failed(format!("cannot tell where this migsim is: {e}")))?;
    let runs = sweep.runs().len();
    let asked = args
        .array_size
        .map_or(DEFAULT_TASKS.min(runs), |n| n as usize);
    if asked > runs {
        eprintln!(
            "note: --array-size {asked} is more than the {runs} runs: {runs} tasks, one run each"
        );
    }
    Ok(Plan {
        name: job_name(&sweep.name),
        migsim,
        file: absolute(file)?,
        out,
        flags: flags.to_vec(),
        tasks: asked.min(runs).max(1),
        cpus_per_task: args.cpus_per_task,
        partition: args.partition.clone(),
        time: args.time.clone(),
    })
}

/// `migsim-<scenario>`, in the characters job names keep everywhere.
fn job_name(scenario: &str) -> String {
    let safe: String = scenario
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() || "_.-".contains(c) {
            true => c,
            false => '-',
        })
        .collect();
    format!("migsim-{safe}")
}

fn write_scripts(plan: &Plan) -> Result<(), CliError> {
    let folder = plan.folder();
    std::fs::create_dir_all(&folder).map_err(|source| CliError::Write {
        path: folder.clone(),
        source,
    })?;
    for (name, text) in plan.files() {
        let path = folder.join(name);
        write_atomic(&path, &|w| w.write_all(text.as_bytes()))
            .map_err(|source| CliError::Write { path, source })?;
    }
    Ok(())
}

fn announce(plan: &Plan, jobs: &Jobs, runs: usize, file: &Path) {
    println!(
        "submitted {runs} runs as job array {} ({}) and job {}, which writes the tables once every task has ended",
        jobs.array,
        plan.shape(),
        jobs.aggregate
    );
    println!("  watch:   squeue -j {},{}", jobs.array, jobs.aggregate);
    println!(
        "  logs:    {} and {}",
        plan.task_log("K").display(),
        plan.aggregate_log().display()
    );
    println!(
        "  resume:  the same command again (finished runs are kept), or here: migsim sweep {} --out {} --resume",
        file.display(),
        plan.out.display()
    );
}

/// Runs in the folder, whole (a run being written is in a `.tmp-` folder).
fn finished_runs(runs: &Path) -> u64 {
    std::fs::read_dir(runs).map_or(0, |entries| {
        entries
            .flatten()
            .filter(|e| !e.file_name().to_string_lossy().starts_with(".tmp-"))
            .count() as u64
    })
}

/// After the aggregation job: the sweep's table, or which tasks did not finish.
fn conclude(
    plan: &Plan,
    jobs: &Jobs,
    sweep: &Sweep,
    store: &Store,
    aggregated: bool,
    quiet: bool,
) -> Result<(), CliError> {
    let collected = collect(sweep, store).map_err(store_error)?;
    if !collected.missing.is_empty() {
        let task = |s: Shard| {
            format!(
                "array task {k} (job {}_{k}, log {})",
                jobs.array,
                plan.task_log(&s.index.to_string()).display(),
                k = s.index
            )
        };
        let what = missing(
            sweep,
            &plan.out,
            &collected.missing,
            Some(plan.tasks),
            &task,
        );
        return Err(CliError::Failed(format!(
            "the sweep on Slurm failed: {what}\nsubmit the same command again (finished runs are kept), or run the rest here: migsim sweep {} --out {} --resume",
            plan.file.display(),
            plan.out.display()
        )));
    }
    if !aggregated {
        return Err(CliError::Failed(format!(
            "every run finished, but the aggregation job {} failed: see {}",
            jobs.aggregate,
            plan.aggregate_log().display()
        )));
    }
    let timing = format!("on Slurm (jobs {} and {})", jobs.array, jobs.aggregate);
    report(sweep, &collected.results, &plan.out, &timing, quiet)
}
