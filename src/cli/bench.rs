//! `migsim bench`: the scale benchmark, one row per size.

use migsim::bench::{measure, Measured, Shape};
use migsim::units::human_bytes;

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Cluster sizes (nodes, comma-separated); each gets 100 jobs per node over --days.
    #[arg(long, value_delimiter = ',', default_values_t = [100, 1000])]
    nodes: Vec<u32>,
    /// Simulated days over which the jobs arrive (the run ends then).
    #[arg(long, default_value_t = 30.0)]
    days: f64,
    /// Run with the threshold controller (10 s, 10 s monitoring delay) as well as without.
    #[arg(long)]
    controller: bool,
    /// Also draw wall time against nodes (log-log, with linear scaling for reference) into
    /// this figure (.svg or .png).
    #[cfg(feature = "plot")]
    #[arg(long, value_name = "FILE")]
    plot: Option<std::path::PathBuf>,
}

pub fn bench(args: BenchArgs) -> Result<(), CliError> {
    if !(args.days > 0.0 && args.days.is_finite()) {
        return Err(CliError::Input(format!(
            "--days {}: must be a positive number",
            args.days
        )));
    }
    let controllers: &[bool] = if args.controller {
        &[false, true]
    } else {
        &[false]
    };
    println!("| nodes | jobs | controller | memory load | wall s | events | events/s | engine events/s | model/engine | peak RSS | OOM kills | migrations |");
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut rows = Vec::new();
    for &controller in controllers {
        for &nodes in &args.nodes {
            let shape = Shape {
                days: args.days,
                ..Shape::production(nodes, controller)
            };
            let m = measure(shape).map_err(CliError::Failed)?;
            println!("{}", row(&m));
            rows.push(m);
        }
    }
    #[cfg(feature = "plot")]
    if let Some(path) = &args.plot {
        migsim::plot::draw_scaling(&rows, path).map_err(CliError::Failed)?;
        println!("figure     {}", path.display());
    }
    Ok(())
}

fn row(m: &Measured) -> String {
    format!(
        "| {} | {} | {} | {:.1}% | {:.2} | {} | {:.0} | {:.0} | 1/{:.1} | {} | {} | {} |",
        m.shape.nodes,
        m.shape.jobs,
        if m.shape.controller { "yes" } else { "no" },
        100.0 * m.memory_load,
        m.wall_s,
        m.events,
        m.events_per_s(),
        m.engine_events_per_s,
        m.engine_events_per_s / m.events_per_s().max(1e-9),
        m.peak_rss_bytes
            .map_or("-".into(), |b| human_bytes(b as f64)),
        m.oom_kills,
        m.migrations,
    )
}
