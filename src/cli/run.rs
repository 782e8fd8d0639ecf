use std::time::Instant;

use migsim::units::human_bytes;
use migsim::RecordOptions;

use crate::cli::progress::Bar;
use crate::cli::{summary, CliError, OutArgs, ScenarioArgs};

#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    #[command(flatten)]
    out: OutArgs,
    /// Also write events.jsonl with every event.
    #[arg(long)]
    events: bool,
    /// Also write job_samples.csv with every running job's memory at each sample.
    #[arg(long)]
    job_samples: bool,
    /// Write the tables gzipped (NAME.csv.gz); `plot` and `compare` read them as they are.
    #[arg(long)]
    compress: bool,
    /// Write the tables as Parquet (NAME.parquet), for polars, pandas and OpenDC users.
    #[cfg(feature = "analysis")]
    #[arg(long, conflicts_with = "compress")]
    parquet: bool,
    /// No progress bar and no summary on stdout.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: RunArgs) -> Result<(), CliError> {
    let scenario = args.scenario.load()?;
    let out = args
        .out
        .or_default(&scenario.name(), scenario.variant.as_deref(), None);
    let bar = Bar::new(!args.quiet);
    let started = Instant::now();
    let options = RecordOptions {
        events: args.events,
        job_samples: args.job_samples,
        compress: args.compress,
    };
    let written = |source| CliError::Write {
        path: out.clone(),
        source,
    };
    let (output, files) =
        migsim::run_to_dir(&scenario, &out, options, &mut |p| bar.update(p)).map_err(written)?;
    #[cfg(feature = "analysis")]
    if args.parquet {
        migsim::parquet::to_parquet(files).map_err(written)?;
    }
    #[cfg(not(feature = "analysis"))]
    drop(files);
    bar.finish();
    if args.quiet {
        return Ok(());
    }
    let wall = started.elapsed().as_secs_f64();
    let m = &output.metrics;
    let total_memory: f64 = output.cluster.nodes().iter().map(|n| n.memory).sum();
    let header = format!(
        "{} (seed {}): {} nodes, {} memory",
        scenario.name(),
        scenario.spec.simulation.seed,
        output.cluster.nodes().len(),
        human_bytes(total_memory)
    );
    summary::print(&header, &output, scenario.spec.controller.is_some(), &out);
    println!(
        "ran        {} events in {:.2}s ({:.1} M events/s)",
        m.events,
        wall,
        m.events as f64 / wall.max(1e-9) / 1e6
    );
    Ok(())
}
