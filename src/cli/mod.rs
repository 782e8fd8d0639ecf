mod calibrate;
mod compare;
mod error;
mod interrupt;
mod live;
#[cfg(feature = "plot")]
mod plot;
mod profiles;
mod progress;
mod run;
mod sweep;
mod sweep_table;
mod trace;
mod validate;
mod variants;

use std::path::PathBuf;

use clap::{Parser, Subcommand};
pub use error::CliError;
use migsim::scenario::Override;

#[derive(Parser)]
#[command(
    name = "migsim",
    version,
    about = "Simulate placement and live migration of memory-growing stateful jobs"
)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario and write summary.json, jobs.csv, nodes.csv and migrations.csv.
    Run(run::RunArgs),
    /// Check a scenario without running it.
    Validate(validate::ValidateArgs),
    /// Show the named migration cost profiles and how well they fit their data.
    Profiles(profiles::ProfilesArgs),
    /// Measure real CRIU timings, fit cost models to them, predict and plot.
    #[command(subcommand)]
    Calibrate(calibrate::CalibrateCommand),
    /// Import workload traces and look at them.
    #[command(subcommand)]
    Trace(trace::TraceCommand),
    /// Run every [variants] entry of a scenario over several seeds and print one table.
    Variants(variants::VariantsArgs),
    /// Run a scenario's [sweep] grid over its seeds in parallel; write runs.csv and summary.csv.
    Sweep(sweep::SweepArgs),
    /// Run a scenario's policies on a real cluster (this machine: cgroups, namespaces, criu).
    Live(live::LiveArgs),
    /// The gap between a simulated run and a live run of one scenario (Markdown tables).
    Compare(compare::CompareArgs),
    /// Draw the figures of a run folder or a sweep folder (PNG or SVG).
    #[cfg(feature = "plot")]
    Plot(plot::PlotArgs),
}

/// Options every command that reads a scenario takes.
#[derive(clap::Args)]
struct ScenarioArgs {
    /// The scenario file (TOML).
    file: PathBuf,
    /// Override the scenario's seed (TOML integers stop at 2^63 - 1, and so do seeds).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Apply the scenario's `[variants.NAME]` table.
    #[arg(long)]
    variant: Option<String>,
    /// Override any scenario value, e.g. `--set scheduler.placement=best-fit` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    sets: Vec<Override>,
}

impl ScenarioArgs {
    fn load(&self) -> Result<migsim::Scenario, CliError> {
        let mut sets = self.sets.clone();
        if let Some(seed) = self.seed {
            sets.push(
                Override::parse(&format!("simulation.seed={seed}")).expect("a valid override"),
            );
        }
        Ok(migsim::scenario::load_variant(
            &self.file,
            self.variant.as_deref(),
            &sets,
        )?)
    }
}

pub fn dispatch(args: Args) -> Result<(), CliError> {
    match args.command {
        Command::Run(a) => run::run(a),
        Command::Validate(a) => validate::validate(a),
        Command::Profiles(a) => profiles::profiles(a),
        Command::Calibrate(c) => calibrate::calibrate(c),
        Command::Trace(c) => trace::trace(c),
        Command::Variants(a) => variants::variants(a),
        Command::Sweep(a) => sweep::sweep(a),
        Command::Live(a) => live::live(a),
        Command::Compare(a) => compare::compare(a),
        #[cfg(feature = "plot")]
        Command::Plot(a) => plot::plot(a),
    }
}
