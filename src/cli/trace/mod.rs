//! `migsim trace`: import published traces into migsim's format and look at them.

use std::path::PathBuf;

use clap::Subcommand;
use migsim::trace::import::{self, Imported};
use migsim::trace::Format;
use migsim::trace::{Stats, Trace};
use migsim::units::{positive, Memory};

use crate::cli::CliError;

mod fit;

#[derive(Subcommand)]
pub enum TraceCommand {
    /// Convert a published trace into migsim's trace format (NAME.csv and NAME.jobs.csv).
    Import(ImportArgs),
    /// Jobs, span, sample step, and the spread of durations, peaks and growth.
    Stats(StatsArgs),
    /// Fit a generator to a trace: [[workload.generate]] classes that draw jobs like it.
    Fit(fit::FitArgs),
}

/// `--format`: one of the importers' names, each with what it reads in `--help`.
pub fn format_parser() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let names = Format::ALL.map(|f| PossibleValue::new(f.name()).help(f.about()));
    PossibleValuesParser::new(names).map(|name| {
        let known = Format::ALL.into_iter().find(|f| f.name() == name);
        known.expect("the parser accepts only the formats' names")
    })
}

#[derive(clap::Args)]
pub struct ImportArgs {
    #[arg(long, value_parser = format_parser())]
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
        TraceCommand::Fit(a) => fit::fit(a),
        TraceCommand::Stats(a) => {
            print!("{}", Stats::of(&Trace::read(&a.trace)?));
            println!();
            Ok(())
        }
    }
}

fn import(args: ImportArgs) -> Result<(), CliError> {
    if args.format == Format::Migsim {
        return Err(CliError::Input(
            "the input is already in migsim's format: nothing to import".into(),
        ));
    }
    let Imported { trace, notes } = import::import(args.format, &args.input, args.limit)?;
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
