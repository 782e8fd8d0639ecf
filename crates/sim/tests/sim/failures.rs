//! Failures: injected migration failures at every phase, with either failover, lose no job;
//! node failures kill and re-queue their jobs; random failures are seeded.

use crate::common;

use common::{run, scenario_with};
use migsim_core::model::MigrationOutcome;
use migsim_core::record::JobOutcome;
use migsim_sim::RecordOptions;

/// Three 60 GB jobs on 100 GB nodes (one each: they are placed by their peaks) keep asking to
/// move (40% free < 45%), and `big` (1 TB) could take them. Re-queued jobs also fit on `big`.
const RESTLESS: &str = r#"
[simulation]
seed = 5

[[nodes]]
name = "small"
count = 3
memory = "100GB"
cpu = 8

[[nodes]]
name = "big"
memory = "1TB"
cpu = 8
network = "1GB/s"

[[workload.jobs]]
name = "j0"
work = "20m"
request = "peak"
profile = { shape = "linear", start = "55GB", growth = "10MB/s", cap = "60GB" }

[[workload.jobs]]
name = "j1"
work = "30m"
arrival = "1m"
request = "peak"
profile = { shape = "constant", size = "60GB" }

[[workload.jobs]]
name = "j2"
work = "25m"
arrival = "2m"
request = "peak"
profile = { shape = "constant", size = "60GB" }

[scheduler]
kind = "conservative"

[controller]
pacing = { policy = "concurrent", per_node = 1, cluster = 2 }
"#;

fn runs(sets: &[&str]) -> migsim_sim::RunOutput {
    run(
        &scenario_with(RESTLESS, sets),
        RecordOptions {
            events: true,
            job_samples: false,
            ..Default::default()
        },
    )
}

#[test]
fn certain_failure_in_any_phase_loses_no_job() {
    let mechanisms = ["restart", "stop-and-copy", "pre-copy", "post-copy"];
    let phases = ["setup", "checkpoint", "transfer", "restore"];
    for mechanism in mechanisms {
        for phase in phases {
            for failover in ["rollback", "restart"] {
                let sets = [
                    format!("migration.mechanism={mechanism}"),
                    format!("migration.failover={failover}"),
                    format!("failures.migration.{phase}=1.0"),
                ];
                let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
                let out = runs(&sets);
                let case = format!("{mechanism} / {phase} / {failover}");
                assert!(
                    out.record
                        .jobs
                        .iter()
                        .all(|j| j.outcome == JobOutcome::Finished),
                    "{case}: {:?}",
                    out.record
                        .jobs
                        .iter()
                        .map(|j| j.outcome)
                        .collect::<Vec<_>>()
                );
                assert!(
                    !out.record.migrations.is_empty(),
                    "{case}: nothing was tried"
                );
                // The phase exists in this mechanism: every attempt failed in it.
                let has_phase = match mechanism {
                    "restart" => phase == "setup",
                    _ => true,
                };
                if has_phase {
                    assert!(
                        out.record
                            .migrations
                            .iter()
                            .all(|m| m.outcome != Some(MigrationOutcome::Complete)),
                        "{case}: a migration completed"
                    );
                    assert!(
                        out.record
                            .migrations
                            .iter()
                            .any(|m| m.reason.contains("failed (injected)")),
                        "{case}"
                    );
                }
            }
        }
    }
}

#[test]
fn rollback_keeps_progress_and_restart_loses_it() {
    let rollback = runs(&["failures.migration.transfer=1.0"]);
    assert_eq!(rollback.metrics.lost_work_s, 0.0);
    assert!(rollback.metrics.migrations.failed > 0);
    let restart = runs(&[
        "failures.migration.transfer=1.0",
        "migration.failover=restart",
    ]);
    assert!(restart.metrics.lost_work_s > 0.0);
    assert!(restart
        .record
        .jobs
        .iter()
        .all(|j| j.outcome == JobOutcome::Finished));
}

#[test]
fn a_failed_node_requeues_its_jobs_and_comes_back() {
    let out = runs(&[
        "failures.nodes=[{ node = \"small-0\", at = \"5m\", repair = \"10m\" }]",
        "controller.threshold=0.0",
    ]);
    assert_eq!(out.metrics.node_failures, 1);
    // j0 ran on small-0 from 0 to 5 m and started over.
    assert_eq!(out.record.jobs[0].lost_work.as_secs(), 300.0);
    assert_eq!(out.record.jobs[0].starts, 2);
    assert!(out
        .record
        .jobs
        .iter()
        .all(|j| j.outcome == JobOutcome::Finished));
}

#[test]
fn a_scenario_with_a_node_that_never_comes_back_still_finishes_elsewhere() {
    let out = runs(&["failures.nodes=[{ node = \"big\", at = \"3m\" }]"]);
    assert_eq!(out.metrics.node_failures, 1);
    assert!(out
        .record
        .jobs
        .iter()
        .all(|j| j.outcome == JobOutcome::Finished));
}

#[test]
fn random_node_failures_are_seeded() {
    let sets = ["failures.random={ mtbf = \"20m\", repair = \"2m\" }"];
    let a = runs(&sets);
    let b = runs(&sets);
    assert!(a.metrics.node_failures > 0);
    assert_eq!(a.metrics.node_failures, b.metrics.node_failures);
    assert_eq!(a.metrics.lost_work_s, b.metrics.lost_work_s);
    let c = runs(&[sets[0], "simulation.seed=6"]);
    assert_ne!(
        (a.metrics.node_failures, a.metrics.lost_work_s),
        (c.metrics.node_failures, c.metrics.lost_work_s)
    );
}

/// One node, failing three times while its one job runs; the OOM killer never acts.
const FLAKY_NODE: &str = r#"
[simulation]
seed = 1
[[nodes]]
name = "n"
memory = "8GiB"
cpu = 4
[[workload.jobs]]
name = "j"
work = "10m"
profile = { shape = "constant", size = "1GiB" }
[failures]
nodes = [
  { node = "n", at = "1m", repair = "10s" },
  { node = "n", at = "3m", repair = "10s" },
  { node = "n", at = "5m", repair = "10s" },
]
[oom]
max_retries = 1
"#;

#[test]
fn node_failures_do_not_count_towards_the_retry_limit() {
    let out = run(&scenario_with(FLAKY_NODE, &[]), RecordOptions::default());
    let rec = &out.record.jobs[0];
    assert_eq!((rec.starts, rec.oom_kills), (4, 0));
    assert_eq!(
        rec.outcome,
        JobOutcome::Finished,
        "three kills > max_retries = 1"
    );
    assert_eq!(out.metrics.node_failures, 3);
}

/// `big` fits only the large node, which fails before it arrives and is repaired an hour later.
const WAITS_FOR_REPAIR: &str = r#"
[simulation]
seed = 1
[[nodes]]
name = "large"
memory = "64GiB"
cpu = 8
[[nodes]]
name = "small"
memory = "8GiB"
cpu = 8
[[workload.jobs]]
name = "big"
arrival = "1m"
work = "10m"
request = "peak"
profile = { shape = "constant", size = "32GiB" }
[scheduler]
kind = "conservative"
[failures]
nodes = [{ node = "large", at = "30s", repair = "1h" }]
"#;

#[test]
fn a_queue_that_fits_only_a_failed_node_is_no_stall() {
    let out = run(
        &scenario_with(WAITS_FOR_REPAIR, &[]),
        RecordOptions::default(),
    );
    assert!(!out.metrics.stalled);
    let rec = &out.record.jobs[0];
    assert_eq!(rec.outcome, JobOutcome::Finished);
    assert_eq!(
        rec.first_start.map(|t| t.as_secs()),
        Some(3630.0),
        "starts at the repair"
    );
}
