//! `migsim trace`: import published traces into migsim's format and look at them.

use std::path::PathBuf;

use clap::Subcommand;
use migsim::trace::import::cluster::{self, ClusterFormat, Keep, Options, Usage};
use migsim::trace::import::{self, Imported};
use migsim::trace::Format;
use migsim::trace::{Stats, Trace};
use migsim::units::{human_bytes, non_negative, positive, Memory, Plain, Time};

use crate::cli::progress::BytesBar;

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
    /// The trace to read; gzip is read directly. The cluster traces (google-2019, google-2011,
    /// alibaba-2018) take their tables' files or folders of shards, streamed.
    #[arg(required = true, num_args = 1..)]
    input: Vec<PathBuf>,
    /// Where to write the samples; the job table goes beside it as NAME.jobs.csv (and a
    /// cluster trace's machines as NAME.nodes.csv).
    #[arg(long)]
    out: PathBuf,
    /// Each container's memory limit, for traces that give fractions of it (e.g. 16GiB).
    #[arg(long, value_parser = positive::<Memory>)]
    limit: Option<f64>,
    #[command(flatten)]
    cluster: ClusterArgs,
}

/// Options of the cluster traces' streaming import.
#[derive(clap::Args)]
struct ClusterArgs {
    /// Which memory figure of a usage window is the sample: the window's average or maximum.
    #[arg(long, value_parser = ["average", "maximum"])]
    usage: Option<String>,
    /// The memory of a machine of normalised capacity 1 (Alibaba: 100); default 256GiB for
    /// Google's traces, 512GiB for Alibaba's (the traces do not say).
    #[arg(long, value_parser = positive::<Memory>)]
    machine_memory: Option<f64>,
    /// The CPUs of a machine of normalised capacity 1 (Google's traces); default 96.
    #[arg(long, value_parser = positive::<Plain>)]
    machine_cpu: Option<f64>,
    /// google-2019: the cell to read (inputs under a folder clusterdata_2019_<cell>).
    #[arg(long)]
    cell: Option<String>,
    /// Keep what runs from this long after the trace's start (e.g. 2d)...
    #[arg(long, value_parser = non_negative::<Time>)]
    from: Option<f64>,
    /// ...until this long after it.
    #[arg(long, value_parser = positive::<Time>)]
    to: Option<f64>,
    /// Keep the tasks of this many machines, drawn with --seed from the machine table.
    #[arg(long)]
    machines: Option<usize>,
    /// Seed of the --machines draw.
    #[arg(long)]
    seed: Option<u64>,
    /// Keep these tiers (comma-separated; google-2019: free, beb, mid, production,
    /// monitoring; google-2011: free, mid, production, monitoring; alibaba-2018: online, batch).
    #[arg(long, value_delimiter = ',')]
    tier: Vec<String>,
    /// Keep the priorities in this range, e.g. 120..359.
    #[arg(long)]
    priority: Option<String>,
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
    if let Some(format) = import::cluster_format(args.format) {
        return import_cluster(format, &args);
    }
    if let Some(flag) = args.cluster.given() {
        return Err(CliError::Input(format!(
            "{flag} applies to the cluster traces (google-2019, google-2011, alibaba-2018), not to {}",
            args.format.name()
        )));
    }
    let [input] = args.input.as_slice() else {
        return Err(CliError::Input(format!(
            "{} reads one input; got {}",
            args.format.name(),
            args.input.len()
        )));
    };
    let Imported { trace, notes } = import::import(args.format, input, args.limit)?;
    create_parent(&args.out)?;
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

fn create_parent(out: &std::path::Path) -> Result<(), CliError> {
    match out.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
            path: out.to_path_buf(),
            source,
        }),
        None => Ok(()),
    }
}

fn import_cluster(format: ClusterFormat, args: &ImportArgs) -> Result<(), CliError> {
    if args.limit.is_some() {
        return Err(CliError::Input(
            "--limit is for traces that give fractions of a limit; the cluster traces give their own sizes (see --machine-memory)".into(),
        ));
    }
    let options = args.cluster.options(format)?;
    let bar = BytesBar::new();
    let started = std::time::Instant::now();
    let report = cluster::import_cluster(format, &args.input, &options, &args.out, &mut |p| {
        bar.at(p.read, p.total)
    });
    bar.finish();
    let report = report?;
    let secs = started.elapsed().as_secs_f64();
    for note in &report.notes {
        println!("note: {note}");
    }
    let nodes = match report.nodes {
        Some(n) => format!(
            ", {} and {n} nodes",
            cluster::nodes_path(&args.out).display()
        ),
        None => String::new(),
    };
    println!(
        "wrote {} ({} jobs), {}{nodes}; read {} in {secs:.1} s ({}/s)",
        args.out.display(),
        report.jobs,
        Trace::jobs_path(&args.out).display(),
        human_bytes(report.bytes as f64),
        human_bytes(report.bytes as f64 / secs.max(1e-9)),
    );
    Ok(())
}

impl ClusterArgs {
    /// The first cluster-only flag given, for formats that take none.
    fn given(&self) -> Option<&'static str> {
        [
            (self.usage.is_some(), "--usage"),
            (self.machine_memory.is_some(), "--machine-memory"),
            (self.machine_cpu.is_some(), "--machine-cpu"),
            (self.cell.is_some(), "--cell"),
            (self.from.is_some(), "--from"),
            (self.to.is_some(), "--to"),
            (self.machines.is_some(), "--machines"),
            (self.seed.is_some(), "--seed"),
            (!self.tier.is_empty(), "--tier"),
            (self.priority.is_some(), "--priority"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }

    fn options(&self, format: ClusterFormat) -> Result<Options, CliError> {
        let tiers = format.tiers();
        if let Some(t) = self.tier.iter().find(|t| !tiers.contains(&t.as_str())) {
            return Err(CliError::Input(format!(
                "--tier: unknown tier `{t}`; this trace's are {}",
                tiers.join(", ")
            )));
        }
        if self.cell.is_some() && format != ClusterFormat::Google2019 {
            return Err(CliError::Input(
                "--cell applies to google-2019, whose eight cells come apart".into(),
            ));
        }
        let (from, to) = (self.from.unwrap_or(0.0), self.to);
        if to.is_some_and(|to| to <= from) {
            return Err(CliError::Input("--to must come after --from".into()));
        }
        if self.machines == Some(0) {
            return Err(CliError::Input("--machines must be at least 1".into()));
        }
        Ok(Options {
            usage: match self.usage.as_deref() {
                Some("maximum") => Usage::Maximum,
                _ => Usage::Average,
            },
            machine_memory: self.machine_memory,
            machine_cpu: self.machine_cpu,
            cell: self.cell.clone(),
            from,
            to,
            machines: self.machines,
            seed: self.seed.unwrap_or(1),
            keep: Keep {
                tiers: self.tier.clone(),
                priority: self.priority.as_deref().map(priority_range).transpose()?,
            },
            partition_input: None,
        })
    }
}

/// `A..B`, both ends kept.
fn priority_range(text: &str) -> Result<(i64, i64), CliError> {
    let bad = || {
        CliError::Input(format!(
            "--priority: expected a range of whole numbers such as 120..359, got `{text}`"
        ))
    };
    let (lo, hi) = text.split_once("..").ok_or_else(bad)?;
    let (lo, hi): (i64, i64) = (
        lo.trim().parse().map_err(|_| bad())?,
        hi.trim().parse().map_err(|_| bad())?,
    );
    if lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}
