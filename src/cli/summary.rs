//! The summary a run prints, simulated or live.

use std::path::Path;

use migsim::units::{human_bytes, human_duration};
use migsim::RunOutput;

/// Prints what `output` did under a first line that says what ran where; `controller`: the
/// scenario has one (the migrations line shows even when nothing moved).
pub fn print(header: &str, output: &RunOutput, controller: bool, out: &Path) {
    let m = &output.metrics;
    println!("scenario   {header}");
    println!(
        "jobs       {} finished, {} failed, {} running, {} pending (of {})",
        m.jobs_finished, m.jobs_failed, m.jobs_running, m.jobs_pending, m.jobs
    );
    println!(
        "OOM kills  {} (lost work {})",
        m.oom_kills,
        human_duration(m.lost_work_s)
    );
    if controller || !output.record.migrations.is_empty() {
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
}
