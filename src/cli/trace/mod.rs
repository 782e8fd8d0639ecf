//! `migsim trace`: import published traces into migsim's format and look at them.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use migsim::trace::import::{alibaba_genai, dynatrace_csv, thesis_json, Imported};
use migsim::trace::{Stats, Trace};
use migsim::units::{positive, Memory};

use crate::cli::CliError;

#[derive(Subcommand)]
pub enum TraceCommand {
    /// Convert a published trace into migsim's trace format (NAME.csv and NAME.jobs.csv).
    Import(ImportArgs),
    /// Jobs, span, sample step, and the spread of durations, peaks and growth.
    Stats(StatsArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// The thesis's pod export: `elchead-pods.json.gz`.
    ThesisJson,
    /// A Dynatrace wide CSV: `elchead-pods11-05-8to12.csv`.
    DynatraceCsv,
    /// Alibaba GenAI `pod_memory_util` (fractions of a limit: give --limit).
    AlibabaGenai,
}

#[derive(clap::Args)]
pub struct ImportArgs {
    #[arg(long, value_enum)]
    format: Format,
    /// The trace to read; gzip is read directly.
    input: PathBuf,
    /// Where to write the samples; the job table goes beside it as NAME.jobs.csv.
    #[arg(long)]
    out: PathBuf,
    /// Each container's memory limit, for traces that give fractions of it (e.g. 16GiB).
    #[arg(long, value_parser = positive::<Memory>)]
    limit: Option<f64>,
}

#[derive(clap::Args)]
pub struct StatsArgs {
    /// A trace in migsim's format (NAME.csv, with NAME.jobs.csv beside it).
    trace: PathBuf,
}

pub fn trace(command: TraceCommand) -> Result<(), CliError> {
    match command {
        TraceCommand::Import(a) => import(a),
        TraceCommand::Stats(a) => {
            print!("{}", Stats::of(&Trace::read(&a.trace)?));
            println!();
            Ok(())
        }
    }
}

fn import(args: ImportArgs) -> Result<(), CliError> {
    let Imported { trace, notes } = match args.format {
        Format::ThesisJson => thesis_json(&args.input)?,
        Format::DynatraceCsv => dynatrace_csv(&args.input)?,
        Format::AlibabaGenai => {
            let limit = args.limit.ok_or_else(|| {
                CliError::Input("--format alibaba-genai needs --limit: the trace gives memory as a fraction of each container's limit, and no limits".into())
            })?;
            alibaba_genai(&args.input, limit)?
        }
    };
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
            path: args.out.clone(),
            source,
        })?;
    }
    trace.write(&args.out).map_err(|source| CliError::Write {
        path: args.out.clone(),
        source,
    })?;
    for note in &notes {
        println!("note: {note}");
    }
    println!(
        "wrote {} and {}: {} jobs",
        args.out.display(),
        Trace::jobs_path(&args.out).display(),
        trace.jobs.len()
    );
    Ok(())
}
