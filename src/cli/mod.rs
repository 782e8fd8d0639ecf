mod args;
mod bench;
mod calibrate;
#[cfg(feature = "kubernetes")]
mod cluster;
mod compare;
mod error;
mod interrupt;
mod live;
#[cfg(feature = "plot")]
mod plot;
mod profiles;
mod progress;
mod run;
mod summary;
mod sweep;
mod sweep_table;
mod trace;
mod validate;
mod variants;

use args::{OutArgs, ScenarioArgs, SetArgs};
use clap::{Parser, Subcommand};
pub use error::CliError;

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
    /// A local Kubernetes control plane with migsim's node agents (`up`, `down`).
    #[cfg(feature = "kubernetes")]
    #[command(subcommand)]
    Cluster(cluster::ClusterCommand),
    /// A node agent of a `migsim cluster`: a kubelet for migsim jobs (started by `cluster up`).
    #[cfg(feature = "kubernetes")]
    Node(cluster::NodeArgs),
    /// The gap between a simulated run and a live run of one scenario (Markdown tables).
    Compare(compare::CompareArgs),
    /// The scale benchmark: production-shaped scenarios at several sizes beside the bare
    /// engine's hold model, in one run.
    Bench(bench::BenchArgs),
    /// Draw the figures of a run folder or a sweep folder (PNG or SVG).
    #[cfg(feature = "plot")]
    Plot(plot::PlotArgs),
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
        #[cfg(feature = "kubernetes")]
        Command::Cluster(c) => cluster::cluster(c),
        #[cfg(feature = "kubernetes")]
        Command::Node(a) => cluster::node(a),
        Command::Compare(a) => compare::compare(a),
        Command::Bench(a) => bench::bench(a),
        #[cfg(feature = "plot")]
        Command::Plot(a) => plot::plot(a),
    }
}
