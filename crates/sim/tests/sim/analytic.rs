//! Cases with answers worked out by hand: exact OOM instants, exact completion times, and the
//! conservative scheduler's guarantee.

use crate::common;

use common::{run, run_str, scenario_with, GIB};
use migsim_core::engine::{SimDuration, SimTime};
use migsim_core::record::JobOutcome;
use migsim_sim::RecordOptions;

const ONE_NODE: &str = r#"
[simulation]
seed = 1
sample_interval = "1s"

[[nodes]]
name = "n"
memory = "100GiB"
cpu = 16
"#;

#[test]
fn linear_growth_fills_the_node_at_the_computed_instant() {
    // 10 + 20 + 5 GiB growing at 1 + 2 + 0.5 GiB/s: 35 + 3.5 t = 100  =>  t = 65 / 3.5 s.
    let toml = format!(
        "{ONE_NODE}{}",
        r#"
[oom]
kill = "largest"
[[workload.jobs]]
name = "a"
work = "1h"
profile = { shape = "linear", start = "10GiB", growth = "1GiB/s" }
[[workload.jobs]]
name = "b"
work = "1h"
profile = { shape = "linear", start = "20GiB", growth = "2GiB/s" }
[[workload.jobs]]
name = "c"
work = "1h"
profile = { shape = "linear", start = "5GiB", growth = "0.5GiB/s" }
"#
    );
    let out = run_str(&toml);
    let first = &out.record.oom_kills[0];
    let exact_ns: f64 = 65.0 / 3.5 * 1e9;
    // The kill happens at the first whole nanosecond at which the node is full.
    assert_eq!(first.time, SimTime(exact_ns.ceil() as u64));
    assert_eq!(first.time, SimTime(18_571_428_572));
    // The largest job is b: 20 + 2 t GiB.
    assert_eq!(out.cluster.job(first.job).spec.name, "b");
    let expected_b = 20.0 * GIB + 2.0 * GIB * first.time.as_secs();
    assert!(
        (first.memory - expected_b).abs() < 1e-6 * expected_b,
        "{} vs {expected_b}",
        first.memory
    );
    assert!((first.lost_work - first.time.as_secs()).abs() < 1e-9);
}

#[test]
fn round_numbers_give_a_round_oom_time() {
    let toml = format!(
        "{ONE_NODE}{}",
        r#"
[[workload.jobs]]
name = "a"
work = "1h"
profile = { shape = "linear", start = "10GiB", growth = "1GiB/s" }
[[workload.jobs]]
name = "b"
work = "1h"
profile = { shape = "linear", start = "10GiB", growth = "1GiB/s" }
"#
    );
    let out = run_str(&toml);
    assert_eq!(out.record.oom_kills[0].time, SimTime::from_secs(40.0));
}

#[test]
fn oom_after_a_profile_breakpoint_is_exact() {
    // a grows 2 GiB/s to its cap of 50 GiB (t = 20 s), then only b grows: 50 + 10 + 1 t = 100.
    let toml = format!(
        "{ONE_NODE}{}",
        r#"
[[workload.jobs]]
name = "a"
work = "1h"
profile = { shape = "linear", start = "10GiB", growth = "2GiB/s", cap = "50GiB" }
[[workload.jobs]]
name = "b"
work = "1h"
profile = { shape = "linear", start = "10GiB", growth = "1GiB/s" }
"#
    );
    let out = run_str(&toml);
    assert_eq!(out.record.oom_kills[0].time, SimTime::from_secs(40.0));
}

#[test]
fn completion_times_without_contention_are_exact() {
    let toml = r#"
[simulation]
seed = 5
[[nodes]]
name = "n"
memory = "1TiB"
cpu = 64
[[workload.jobs]]
name = "flat"
arrival = "3s"
work = "1h"
profile = { shape = "constant", size = "1GiB" }
[[workload.jobs]]
name = "exp"
arrival = "17.25s"
work = "2h"
profile = { shape = "exponential", start = "1GiB", doubling = "10m", cap = "8GiB" }
[[workload.jobs]]
name = "logistic"
arrival = "1m"
work = "12345.678901s"
profile = { shape = "logistic", start = "1GiB", peak = "16GiB" }
[[workload.jobs]]
name = "points"
arrival = "1ms"
work = "7m"
profile = { shape = "points", points = [[0, "1GiB"], ["1m", "3GiB"], ["5m", "2GiB"]] }
"#;
    let out = run_str(toml);
    for (job, rec) in out.cluster.jobs.iter().zip(&out.record.jobs) {
        assert_eq!(rec.outcome, JobOutcome::Finished, "{}", job.spec.name);
        assert_eq!(rec.first_start, Some(job.spec.arrival), "{}", job.spec.name);
        assert_eq!(
            rec.end,
            Some(job.spec.arrival + job.spec.work),
            "{}",
            job.spec.name
        );
    }
    let logistic = out
        .cluster
        .jobs
        .iter()
        .find(|j| j.spec.name == "logistic")
        .unwrap();
    assert_eq!(logistic.spec.work, SimDuration(12_345_678_901_000));
    assert_eq!(out.metrics.makespan_s, Some(60.0 + 12345.678901));
}

#[test]
fn queued_jobs_start_when_cpu_frees_up() {
    // One CPU: three 10-minute jobs run back to back.
    let toml = r#"
[simulation]
seed = 1
[[nodes]]
name = "n"
memory = "64GiB"
cpu = 1
[[workload.generate]]
name = "j"
count = 3
arrival = { process = "batch" }
work = "10m"
profile = { shape = "constant", size = "1GiB" }
"#;
    let out = run_str(toml);
    let ends: Vec<f64> = out
        .record
        .jobs
        .iter()
        .map(|j| j.end.unwrap().as_secs())
        .collect();
    assert_eq!(ends, vec![600.0, 1200.0, 1800.0]);
    assert_eq!(out.metrics.mean_wait_s, 600.0);
}

const GROWING: &str = r#"
[simulation]
seed = 1
sample_interval = "1m"
[[nodes]]
name = "n"
count = 3
memory = "64GiB"
cpu = 32
[[workload.generate]]
name = "g"
count = 60
arrival = { process = "poisson", mean_gap = "1m" }
work = { dist = "uniform", min = "30m", max = "2h" }
cpu = 1
request = "peak"
profile = { shape = "logistic", start = "1GiB", peak = { dist = "uniform", min = "4GiB", max = "40GiB" } }
[scheduler]
kind = "conservative"
"#;

#[test]
fn conservative_scheduler_with_honest_requests_never_ooms() {
    for seed in 1..=5 {
        let seed_set = format!("simulation.seed={seed}");
        let conservative = run(
            &scenario_with(GROWING, &[&seed_set]),
            RecordOptions::default(),
        );
        assert_eq!(conservative.metrics.oom_kills, 0, "seed {seed}");
        assert_eq!(conservative.metrics.jobs_finished, 60, "seed {seed}");
        // The same jobs under the speculative scheduler do run out: the workload is a real test.
        let speculative = run(
            &scenario_with(GROWING, &[&seed_set, "scheduler.kind=speculative"]),
            RecordOptions::default(),
        );
        assert!(
            speculative.metrics.oom_kills > 0,
            "seed {seed}: the workload never stresses memory"
        );
    }
}

#[test]
fn killed_jobs_fail_after_the_retry_limit() {
    // A lone job whose peak exceeds the node: killed max_retries + 1 times, then failed.
    let toml = r#"
[simulation]
seed = 1
[[nodes]]
name = "n"
memory = "10GiB"
cpu = 4
[[workload.jobs]]
name = "too-big"
work = "1h"
profile = { shape = "linear", start = "1GiB", growth = "1GiB/s" }
[oom]
max_retries = 2
"#;
    let out = run_str(toml);
    let rec = &out.record.jobs[0];
    assert_eq!(rec.outcome, JobOutcome::Failed);
    assert_eq!(rec.oom_kills, 3);
    assert_eq!(rec.starts, 3);
    // Each run reaches 10 GiB after 9 s.
    assert_eq!(rec.end, Some(SimTime::from_secs(27.0)));
    assert_eq!(rec.lost_work, SimDuration::from_secs(27.0));
    assert_eq!(out.metrics.lost_work_s, 27.0);
}

/// Two empty nodes, and a job that fills 60% of the first from the start.
const TWO_NODES_ONE_HOG: &str = r#"
[simulation]
seed = 1
[[nodes]]
name = "a"
memory = "100GiB"
cpu = 64
[[nodes]]
name = "b"
memory = "100GiB"
cpu = 64
[[workload.jobs]]
name = "hog"
work = "1h"
profile = { shape = "constant", size = "60GiB" }
"#;

#[test]
fn unscheduler_cordons_and_steers_placement() {
    // Node a fills past 50% at once; later jobs must go to b while a is cordoned.
    let toml = format!(
        "{TWO_NODES_ONE_HOG}{}",
        r#"
[[workload.generate]]
name = "late"
count = 4
arrival = { process = "periodic", gap = "1m", start = "5m" }
work = "10m"
profile = { shape = "constant", size = "1GiB" }
[unscheduler]
threshold = 0.5
hysteresis = 0.1
[monitor]
interval = "10s"
"#
    );
    let out = run_str(&toml);
    assert_eq!(out.metrics.cordons, 1);
    for (job, rec) in out.cluster.jobs.iter().zip(&out.record.jobs).skip(1) {
        assert_eq!(
            out.cluster.node(rec.nodes[0]).name,
            "b",
            "{}",
            job.spec.name
        );
    }
}

#[test]
fn monitoring_delay_lets_the_scheduler_act_on_stale_cordons() {
    // With a 10-minute monitoring delay the cordon comes too late for the first late job.
    let toml = format!(
        "{TWO_NODES_ONE_HOG}{}",
        r#"
[[workload.jobs]]
name = "early"
arrival = "5m"
work = "10m"
profile = { shape = "constant", size = "1GiB" }
[[workload.jobs]]
name = "late"
arrival = "20m"
work = "10m"
profile = { shape = "constant", size = "1GiB" }
[unscheduler]
threshold = 0.5
[monitor]
interval = "1m"
delay = "10m"
"#
    );
    let out = run_str(&toml);
    let node_of = |name: &str| {
        let i = out
            .cluster
            .jobs
            .iter()
            .position(|j| j.spec.name == name)
            .unwrap();
        out.cluster.node(out.record.jobs[i].nodes[0]).name.clone()
    };
    assert_eq!(node_of("early"), "a");
    assert_eq!(node_of("late"), "b");
}

#[test]
fn a_job_that_fits_nowhere_stalls_the_run_instead_of_looping() {
    // CPU drawn above every node's: validation cannot know, the run must stop and say so.
    let toml = r#"
[simulation]
seed = 1
[[nodes]]
name = "n"
memory = "10GiB"
cpu = 4
[[workload.generate]]
name = "wide"
count = 1
arrival = { process = "batch" }
work = "1h"
cpu = { dist = "uniform", min = 8, max = 9 }
profile = { shape = "constant", size = "1GiB" }
"#;
    let out = run_str(toml);
    assert!(out.metrics.stalled);
    assert_eq!(out.record.jobs[0].outcome, JobOutcome::Pending);
}
