use std::path::PathBuf;
use std::time::Instant;

use migsim::units::{human_bytes, human_duration};
use migsim::RecordOptions;

use crate::cli::progress::Bar;
use crate::cli::{CliError, ScenarioArgs};

#[derive(clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// Directory for the results (default: results/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write events.jsonl with every event.
    #[arg(long)]
    events: bool,
    /// Also write job_samples.csv with every running job's memory at each sample.
    #[arg(long)]
    job_samples: bool,
    /// No progress bar and no summary on stdout.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: RunArgs) -> Result<(), CliError> {
    let scenario = args.scenario.load()?;
    let out = args.out.clone().unwrap_or_else(|| {
        let name = match &scenario.variant {
            Some(v) => format!("{}-{v}", scenario.name()),
            None => scenario.name(),
        };
        PathBuf::from("results").join(name)
    });
    let bar = Bar::new(!args.quiet);
    let started = Instant::now();
    let options = RecordOptions {
        events: args.events,
        job_samples: args.job_samples,
    };
    let output =
        migsim::run_to_dir(&scenario, &out, options, &mut |p| bar.update(p)).map_err(|source| {
            CliError::Write {
                path: out.clone(),
                source,
            }
        })?;
    bar.finish();
    if args.quiet {
        return Ok(());
    }
    let wall = started.elapsed().as_secs_f64();
    let m = &output.metrics;
    let total_memory: f64 = output.cluster.nodes.iter().map(|n| n.memory).sum();
    println!(
        "scenario   {} (seed {}): {} nodes, {} memory",
        scenario.name(),
        scenario.spec.simulation.seed,
        output.cluster.nodes.len(),
        human_bytes(total_memory)
    );
    println!(
        "jobs       {} finished, {} failed, {} running, {} pending (of {})",
        m.jobs_finished, m.jobs_failed, m.jobs_running, m.jobs_pending, m.jobs
    );
    println!(
        "OOM kills  {} (lost work {})",
        m.oom_kills,
        human_duration(m.lost_work_s)
    );
    if scenario.spec.controller.is_some() || !output.record.migrations.is_empty() {
        let c = &m.migrations;
        println!(
            "migrations {} complete, {} failed, {} cancelled, {} in flight; downtime {} ({} per move); {} sent; {} provision requests",
            c.complete,
            c.failed,
            c.cancelled,
            c.in_flight,
            human_duration(m.downtime_total_s),
            m.downtime_mean_s.map_or("-".into(), human_duration),
            human_bytes(m.migration_bytes),
            m.provisions
        );
    }
    if m.node_failures > 0 {
        println!("failures   {} node failures", m.node_failures);
    }
    println!(
        "memory     mean {:.1}% / p95 {:.1}% node utilisation",
        100.0 * m.mean_memory_utilization,
        100.0 * m.p95_memory_utilization
    );
    println!(
        "makespan   {}",
        m.makespan_s.map_or("-".into(), human_duration)
    );
    if m.stalled {
        println!(
            "warning    stopped early: queued jobs fit on no node and nothing else can happen"
        );
    }
    println!("results    {}", out.display());
    println!(
        "ran        {} events in {:.2}s ({:.1} M events/s)",
        m.events,
        wall,
        m.events as f64 / wall.max(1e-9) / 1e6
    );
    Ok(())
}
