//! Property tests over random small scenarios (seeded, so every run checks the same cases):
//! every job ends in exactly one consistent terminal state, node usage equals the sum of its
//! jobs' usage at every sample, memory is never negative, and a node is above capacity only at
//! the instant the OOM killer acts.

use crate::common;

use std::cell::Cell;
use std::collections::BTreeMap;

use migsim_core::engine::SimTime;
use migsim_core::record::{EventKind, JobOutcome};
use migsim_sim::{RecordOptions, RunOutput};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn profile() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..8).prop_map(|g| format!(r#"{{ shape = "constant", size = "{g}GiB" }}"#)),
        (1u32..4, 1u32..64, prop::option::of(4u32..24)).prop_map(|(s, r, cap)| {
            let cap = cap.map_or(String::new(), |c| format!(r#", cap = "{c}GiB""#));
            format!(r#"{{ shape = "linear", start = "{s}GiB", growth = {{ dist = "uniform", min = "1MiB/s", max = "{r}MiB/s" }}{cap} }}"#)
        }),
        (1u32..1024, 5u32..60, 2u32..20).prop_map(|(s, d, cap)| {
            format!(r#"{{ shape = "exponential", start = "{s}MiB", doubling = "{d}m", cap = "{cap}GiB" }}"#)
        }),
        (1u32..4, 4u32..24, 1u32..10, 2u32..30).prop_map(|(s, p, m, k)| {
            format!(r#"{{ shape = "logistic", start = "{s}GiB", peak = "{p}GiB", midpoint = 0.{m}, steepness = {k} }}"#)
        }),
        prop::collection::vec((1u32..60, 0u32..20), 1..5).prop_map(|steps| {
            let mut t = 0;
            let points: Vec<String> = steps
                .iter()
                .map(|(dt, g)| {
                    t += dt;
                    format!(r#"["{t}m", "{g}GiB"]"#)
                })
                .collect();
            format!(r#"{{ shape = "points", points = [[0, "1GiB"], {}] }}"#, points.join(", "))
        }),
    ]
}

fn arrival() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u32..60).prop_map(|m| format!(r#"{{ process = "batch", at = "{m}m" }}"#)),
        (1u32..30).prop_map(|g| format!(r#"{{ process = "periodic", gap = "{g}m" }}"#)),
        (1u32..30).prop_map(|g| format!(r#"{{ process = "poisson", mean_gap = "{g}m" }}"#)),
    ]
}

fn request() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("request = \"peak\"\n".to_string()),
        (1u32..16).prop_map(|g| format!("request = \"{g}GiB\"\n")),
    ]
}

fn class() -> impl Strategy<Value = String> {
    (1u32..12, arrival(), 5u32..240, 1u32..4, request(), profile()).prop_map(|(count, arrival, work, cpu, request, profile)| {
        format!(
            "count = {count}\narrival = {arrival}\nwork = {{ dist = \"uniform\", min = \"5m\", max = \"{work}m\" }}\ncpu = {cpu}\n{request}profile = {profile}\n"
        )
    })
}

fn scenario() -> impl Strategy<Value = String> {
    let nodes = prop::collection::vec((1u32..3, 16u32..64, 4u32..16), 1..3);
    let classes = prop::collection::vec(class(), 1..4);
    let scheduler = (
        prop_oneof!["speculative", "conservative"],
        prop_oneof!["first-fit", "best-fit", "worst-fit", "random"],
        0u32..10,
    );
    let unscheduler = prop::option::of((50u32..95, 0u32..30));
    let misc = (
        0..i64::MAX as u64,
        prop::option::of(1u32..24),
        prop_oneof!["largest", "newest", "oldest"],
        0u32..4,
        0u32..120,
    );
    let migration = prop::option::of((
        prop_oneof!["restart", "stop-and-copy", "pre-copy", "post-copy"],
        prop_oneof!["max", "big-enough", "optimal", "slope"],
        prop_oneof!["threshold", "slope", "predictive"],
        prop_oneof!["rollback", "restart"],
        (0u32..60, 0u32..4, prop::bool::ANY, prop::bool::ANY),
    ));
    (nodes, classes, scheduler, unscheduler, misc, migration).prop_map(|(nodes, classes, (kind, placement, res), unsched, (seed, end, kill, retries, delay), migration)| {
        let mut s = format!("[simulation]\nseed = {seed}\nsample_interval = \"7m\"\n");
        if let Some(h) = end {
            s += &format!("end = \"{h}h\"\n");
        }
        for (i, (count, mem, cpu)) in nodes.iter().enumerate() {
            s += &format!("[[nodes]]\nname = \"g{i}\"\ncount = {count}\nmemory = \"{mem}GiB\"\ncpu = {cpu}\n");
        }
        for (i, c) in classes.iter().enumerate() {
            s += &format!("[[workload.generate]]\nname = \"c{i}\"\n{c}");
        }
        s += &format!("[scheduler]\nkind = \"{kind}\"\nplacement = \"{placement}\"\n");
        if kind == "speculative" {
            s += &format!("reservation = 0.{res}\n");
        }
        if let Some((t, h)) = unsched {
            s += &format!("[unscheduler]\nthreshold = 0.{t}\nhysteresis = 0.{:02}\n", h.min(t - 1));
        }
        s += &format!("[monitor]\ninterval = \"30s\"\ndelay = \"{delay}s\"\n[oom]\nkill = \"{kill}\"\nmax_retries = {retries}\n");
        if let Some((mechanism, selection, request, failover, (threshold, fail, concurrent, nodes_fail))) = migration {
            let pacing = if concurrent {
                r#"{ policy = "concurrent", per_node = 2, cluster = 3 }"#
            } else {
                r#"{ policy = "blocking", cooldown = "20s" }"#
            };
            s += &format!(
                "[controller]\nthreshold = 0.{threshold:02}\nselection = {{ policy = \"{selection}\" }}\nrequest = {{ policy = \"{request}\" }}\npacing = {pacing}\nretry_backoff = \"2m\"\n"
            );
            s += &format!(
                "[migration]\nmechanism = \"{mechanism}\"\nfailover = \"{failover}\"\ncost = {{ setup = \"3s\", checkpoint_overhead = \"1s\", checkpoint_rate = \"500MB/s\", restore_overhead = \"1s\", restore_rate = \"1GB/s\" }}\npre_copy = {{ dirty_rate = \"100MB/s\" }}\n"
            );
            let p = [0.0, 0.1, 0.5, 1.0][fail as usize];
            s += &format!("[failures]\nmigration = {{ setup = {p}, checkpoint = {p}, transfer = {p}, restore = {p} }}\n");
            if nodes_fail {
                s += "random = { mtbf = \"3h\", repair = \"10m\" }\n";
            }
        }
        s
    })
}

/// How many cases reached each situation, so the test proves it explored them.
#[derive(Default, Debug)]
struct Coverage {
    oom_kills: Cell<u32>,
    failed: Cell<u32>,
    cut_by_end: Cell<u32>,
    cordons: Cell<u32>,
    waited: Cell<u32>,
    migrated: Cell<u32>,
    failed_migrations: Cell<u32>,
    node_failures: Cell<u32>,
}

fn bump(c: &Cell<u32>, hit: bool) {
    c.set(c.get() + hit as u32);
}

fn check_run(toml: &str, seen: &Coverage) -> Result<(), TestCaseError> {
    let scenario = common::scenario(toml);
    let out = common::run(
        &scenario,
        RecordOptions {
            events: true,
            job_samples: true,
            ..Default::default()
        },
    );
    check_terminal_states(&out, scenario.spec.oom.max_retries)?;
    check_samples(&out)?;
    check_migrations(&out)?;
    let m = &out.metrics;
    bump(&seen.oom_kills, m.oom_kills > 0);
    bump(&seen.failed, m.jobs_failed > 0);
    bump(&seen.cut_by_end, m.jobs_running + m.jobs_pending > 0);
    bump(&seen.cordons, m.cordons > 0);
    bump(&seen.waited, m.mean_wait_s > 0.0);
    bump(&seen.migrated, m.migrations.complete > 0);
    bump(&seen.failed_migrations, m.migrations.failed > 0);
    bump(&seen.node_failures, m.node_failures > 0);
    Ok(())
}

/// Every migration has one outcome (or is in flight at the end), times in order, and no job
/// has two in flight.
fn check_migrations(out: &RunOutput) -> Result<(), TestCaseError> {
    let mut in_flight = BTreeMap::new();
    for m in &out.record.migrations {
        prop_assert!(m.started.is_none_or(|s| s >= m.issued));
        match (m.outcome, m.ended) {
            (Some(_), Some(end)) => prop_assert!(end >= m.started.unwrap_or(m.issued)),
            (None, None) => {
                prop_assert!(
                    in_flight.insert(m.job, ()).is_none(),
                    "two migrations of one job in flight"
                );
                prop_assert_eq!(out.cluster.job(m.job).migration.is_some(), true);
            }
            other => prop_assert!(false, "outcome and end disagree: {other:?}"),
        }
        prop_assert!(
            m.bytes_sent >= 0.0
                && m.downtime.0 <= (m.ended.unwrap_or(SimTime(u64::MAX)).0 - m.issued.0)
        );
    }
    let complete = out
        .record
        .migrations
        .iter()
        .filter(|m| m.outcome == Some(migsim_core::model::MigrationOutcome::Complete));
    let per_job: usize = out.record.jobs.iter().map(|j| j.migrations as usize).sum();
    prop_assert_eq!(complete.count(), per_job);
    Ok(())
}

fn check_terminal_states(out: &RunOutput, max_retries: u32) -> Result<(), TestCaseError> {
    let events = out.record.events.as_ref().unwrap();
    let m = &out.metrics;
    prop_assert_eq!(
        m.jobs_finished + m.jobs_failed + m.jobs_running + m.jobs_pending,
        m.jobs
    );
    prop_assert_eq!(
        out.record
            .jobs
            .iter()
            .map(|j| j.oom_kills as usize)
            .sum::<usize>(),
        out.record.oom_kills.len()
    );
    for (i, (job, rec)) in out.cluster.jobs.iter().zip(&out.record.jobs).enumerate() {
        let mine = |k: EventKind| {
            events
                .iter()
                .filter(|e| e.job.map(|j| j.index()) == Some(i) && e.kind == k)
                .count()
        };
        let terminal = mine(EventKind::Finish) + mine(EventKind::Fail);
        prop_assert!(mine(EventKind::Arrive) <= 1);
        prop_assert_eq!(mine(EventKind::Start) as u32, rec.starts);
        prop_assert_eq!(mine(EventKind::OomKill) as u32, rec.oom_kills);
        match rec.outcome {
            JobOutcome::Finished => {
                prop_assert_eq!(terminal, 1);
                prop_assert!(rec.oom_kills <= max_retries);
                let last_start = events
                    .iter()
                    .rfind(|e| e.job.map(|j| j.index()) == Some(i) && e.kind == EventKind::Start)
                    .unwrap()
                    .time;
                // Downtime and degraded running only delay a job; without migrations, exact.
                if rec.migrations == 0 && !out.record.migrations.iter().any(|m| m.job.index() == i)
                {
                    prop_assert_eq!(rec.end, Some(last_start + job.spec.work));
                } else {
                    prop_assert!(rec.end >= Some(last_start + job.spec.work));
                }
            }
            JobOutcome::Failed => {
                prop_assert_eq!(terminal, 1);
                prop_assert_eq!(rec.oom_kills, max_retries + 1);
                prop_assert!(rec.end.is_some());
            }
            JobOutcome::Running => {
                prop_assert_eq!(terminal, 0);
                prop_assert!(rec.end.is_none() && job.node().is_some());
            }
            JobOutcome::Pending => {
                prop_assert_eq!(terminal, 0);
                prop_assert!(rec.end.is_none() && job.node().is_none());
            }
        }
        prop_assert!(rec.lost_work.0 <= rec.starts as u64 * job.spec.work.0);
    }
    Ok(())
}

fn check_samples(out: &RunOutput) -> Result<(), TestCaseError> {
    let mut sums: BTreeMap<(SimTime, u32), f64> = BTreeMap::new();
    for s in out.record.job_samples.as_ref().unwrap() {
        prop_assert!(s.memory >= 0.0, "negative job memory {}", s.memory);
        *sums.entry((s.time, s.node.0)).or_default() += s.memory;
    }
    for s in &out.record.node_samples {
        let tol = 1e-6 * s.memory_capacity;
        let sum = sums.get(&(s.time, s.node.0)).copied().unwrap_or(0.0) + s.migration_memory;
        prop_assert!(
            (s.memory_used - sum).abs() <= tol,
            "node {} at {}: accounted {} vs sum of jobs and migrations {}",
            s.node.0,
            s.time,
            s.memory_used,
            sum
        );
        prop_assert!(
            s.memory_used >= -tol,
            "negative node memory {}",
            s.memory_used
        );
        let node = out.cluster.node(s.node);
        prop_assert!(s.cpu_requested <= node.cpu + 1e-9);
        if s.memory_used > s.memory_capacity * (1.0 + 1e-9) {
            let killed_now = out
                .record
                .oom_kills
                .iter()
                .any(|k| k.node == s.node && k.time == s.time)
                || out
                    .record
                    .migrations
                    .iter()
                    .any(|m| m.ended == Some(s.time) && m.reason.contains("ran out of memory"));
            prop_assert!(
                killed_now,
                "node {} over capacity at {} with no OOM kill",
                node.name,
                s.time
            );
        }
    }
    Ok(())
}

#[test]
fn random_scenarios_keep_the_model_invariants() {
    let config = Config {
        cases: 120,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let seen = Coverage::default();
    runner
        .run(&scenario(), |toml| check_run(&toml, &seen))
        .unwrap();
    for (what, hits) in [
        ("OOM kills", &seen.oom_kills),
        ("failed jobs", &seen.failed),
        ("runs cut by the end time", &seen.cut_by_end),
        ("cordons", &seen.cordons),
        ("queueing", &seen.waited),
        ("completed migrations", &seen.migrated),
        ("failed migrations", &seen.failed_migrations),
        ("node failures", &seen.node_failures),
    ] {
        assert!(
            hits.get() >= 5,
            "only {} cases had {what}: {seen:?}",
            hits.get()
        );
    }
}
