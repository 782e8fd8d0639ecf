//! The sim-to-real report: one scenario run by the simulator (`migsim run`) and on a real
//! cluster (`migsim live`), side by side. Both folders hold the same files, so the gap is read
//! off them: headline metrics, each real migration against the cost model's prediction and the
//! simulator's move of the same job, OOM kills, and node utilisation over time.

mod json;
mod markdown;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::input::{read_csv, read_json, table, InputError};
use crate::live::{LiveInfo, INFO_FILE};
use crate::migration::MigrationSpec;

pub use json::json;
pub use markdown::{markdown, side_by_side};

#[derive(Debug, Deserialize)]
struct MigrationRow {
    job: String,
    mechanism: String,
    memory_bytes: f64,
    issued_s: f64,
    start_s: Option<f64>,
    end_s: Option<f64>,
    downtime_s: f64,
    outcome: String,
    reason: String,
}

#[derive(Debug, Deserialize)]
struct KillRow {
    time_s: f64,
    job: String,
}

#[derive(Debug, Deserialize)]
struct NodeRow {
    time_s: f64,
    node: String,
    memory_utilization: f64,
}

/// One folder's files.
struct Side {
    summary: Value,
    migrations: Vec<MigrationRow>,
    kills: Vec<KillRow>,
    nodes: Vec<NodeRow>,
}

impl Side {
    fn read(dir: &Path) -> Result<Side, InputError> {
        Ok(Side {
            summary: read_json(&dir.join("summary.json"))?,
            migrations: read_csv(&table(dir, "migrations.csv"))?,
            kills: read_csv(&table(dir, "oom_kills.csv"))?,
            nodes: read_csv(&table(dir, "nodes.csv"))?,
        })
    }

    fn metric(&self, key: &str) -> Option<f64> {
        let v = self.summary.get("metrics")?;
        key.split('.').try_fold(v, |v, k| v.get(k))?.as_f64()
    }
}

/// A headline metric in both runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MetricPair {
    pub name: &'static str,
    pub sim: Option<f64>,
    pub live: Option<f64>,
}

/// One real migration, against the model and the simulator.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MigrationGap {
    pub job: String,
    pub mechanism: String,
    pub outcome: String,
    pub reason: String,
    pub memory_bytes: f64,
    pub issued_s: f64,
    /// Real seconds from freeze to the end.
    pub live_duration_s: Option<f64>,
    pub live_downtime_s: f64,
    /// The cost model's expectation for this memory.
    pub model_duration_s: f64,
    pub model_downtime_s: f64,
    /// The simulator's move of the same job nearest in time, if any.
    pub sim_issued_s: Option<f64>,
    pub sim_memory_bytes: Option<f64>,
    pub sim_downtime_s: Option<f64>,
}

impl MigrationGap {
    /// Live downtime over the model's, where the model expects some.
    pub fn downtime_ratio(&self) -> Option<f64> {
        (self.model_downtime_s > 0.0).then(|| self.live_downtime_s / self.model_downtime_s)
    }

    /// The live move from freeze to end over the model's, where both are known.
    pub fn total_ratio(&self) -> Option<f64> {
        let live = self.live_duration_s?;
        (self.model_duration_s > 0.0).then(|| live / self.model_duration_s)
    }
}

/// OOM kills of one job in both runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KillGap {
    pub job: String,
    pub sim: Vec<f64>,
    pub live: Vec<f64>,
}

/// Utilisation of one node: the live series read at the simulator's sample times.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct UtilizationGap {
    pub node: String,
    pub sim_mean: f64,
    pub live_mean: f64,
    /// Mean and largest |live - sim| over the common samples.
    pub mean_abs_diff: f64,
    pub max_abs_diff: f64,
    pub samples: usize,
}

#[derive(Clone, Debug)]
pub struct Report {
    pub scenario: String,
    pub live: LiveInfo,
    pub metrics: Vec<MetricPair>,
    pub migrations: Vec<MigrationGap>,
    pub kills: Vec<KillGap>,
    pub utilization: Vec<UtilizationGap>,
}

const METRICS: [&str; 10] = [
    "jobs_finished",
    "jobs_failed",
    "oom_kills",
    "lost_work_s",
    "migrations.complete",
    "migrations.failed",
    "downtime_mean_s",
    "migration_bytes",
    "mean_memory_utilization",
    "makespan_s",
];

/// Compares the run in `sim_dir` with the live run in `live_dir`.
pub fn compare(sim_dir: &Path, live_dir: &Path) -> Result<Report, InputError> {
    let info_path = live_dir.join(INFO_FILE);
    let info: LiveInfo =
        serde_json::from_value(read_json(&info_path)?).map_err(|e| InputError {
            file: info_path.clone(),
            line: None,
            field: None,
            message: format!("{e}; is this a `migsim live` folder?"),
        })?;
    let (sim, live) = (Side::read(sim_dir)?, Side::read(live_dir)?);
    let spec_path = live_dir.join("summary.json");
    let migration: MigrationSpec = live
        .summary
        .pointer("/parameters/migration")
        .cloned()
        .ok_or("no parameters.migration")
        .and_then(|v| serde_json::from_value(v).map_err(|_| "parameters.migration does not parse"))
        .map_err(|m| InputError {
            file: spec_path.clone(),
            line: None,
            field: Some("parameters.migration".into()),
            message: m.into(),
        })?;
    let bandwidth = live
        .summary
        .pointer("/parameters/nodes/0/network")
        .and_then(Value::as_f64)
        .unwrap_or(1.25e9);
    Ok(Report {
        scenario: live
            .summary
            .get("scenario")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        metrics: METRICS
            .iter()
            .map(|&name| MetricPair {
                name,
                sim: sim.metric(name),
                live: live.metric(name),
            })
            .collect(),
        migrations: migrations(&sim, &live, &migration, bandwidth, info.speed),
        kills: kills(&sim, &live),
        utilization: utilization(&sim, &live),
        live: info,
    })
}

fn migrations(
    sim: &Side,
    live: &Side,
    spec: &MigrationSpec,
    bandwidth: f64,
    speed: f64,
) -> Vec<MigrationGap> {
    let cost = spec.cost_model();
    live.migrations
        .iter()
        .map(|m| {
            let estimate = spec.estimate(
                &cost,
                m.memory_bytes,
                bandwidth,
                spec.pre_copy.dirty_rate.value,
            );
            let twin = sim
                .migrations
                .iter()
                .filter(|s| s.job == m.job)
                .min_by(|a, b| {
                    (a.issued_s - m.issued_s)
                        .abs()
                        .total_cmp(&(b.issued_s - m.issued_s).abs())
                });
            MigrationGap {
                job: m.job.clone(),
                mechanism: m.mechanism.clone(),
                outcome: m.outcome.clone(),
                reason: m.reason.clone(),
                memory_bytes: m.memory_bytes,
                issued_s: m.issued_s,
                live_duration_s: m.start_s.zip(m.end_s).map(|(s, e)| (e - s) / speed),
                live_downtime_s: m.downtime_s / speed,
                model_duration_s: estimate.total,
                model_downtime_s: estimate.downtime,
                sim_issued_s: twin.map(|t| t.issued_s),
                sim_memory_bytes: twin.map(|t| t.memory_bytes),
                sim_downtime_s: twin.map(|t| t.downtime_s),
            }
        })
        .collect()
}

fn kills(sim: &Side, live: &Side) -> Vec<KillGap> {
    let mut jobs: Vec<&str> = sim
        .kills
        .iter()
        .chain(&live.kills)
        .map(|k| k.job.as_str())
        .collect();
    jobs.sort_unstable();
    jobs.dedup();
    let times = |s: &Side, job: &str| {
        s.kills
            .iter()
            .filter(|k| k.job == job)
            .map(|k| k.time_s)
            .collect()
    };
    jobs.into_iter()
        .map(|job| KillGap {
            job: job.to_string(),
            sim: times(sim, job),
            live: times(live, job),
        })
        .collect()
}

fn utilization(sim: &Side, live: &Side) -> Vec<UtilizationGap> {
    let mut names: Vec<&str> = sim.nodes.iter().map(|n| n.node.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let series = |s: &Side, node: &str| -> Vec<(f64, f64)> {
        s.nodes
            .iter()
            .filter(|n| n.node == node)
            .map(|n| (n.time_s, n.memory_utilization))
            .collect()
    };
    let mean = |v: &[(f64, f64)]| v.iter().map(|p| p.1).sum::<f64>() / v.len().max(1) as f64;
    names
        .into_iter()
        .filter_map(|node| {
            let (s, l) = (series(sim, node), series(live, node));
            let last_live = l.last()?.0;
            // The live value in force at each simulated sample time: the latest at or before it.
            let diffs: Vec<f64> = s
                .iter()
                .filter(|(t, _)| *t <= last_live)
                .filter_map(|&(t, u)| {
                    let i = l.partition_point(|p| p.0 <= t + 1e-9);
                    (i > 0).then(|| (l[i - 1].1 - u).abs())
                })
                .collect();
            (!diffs.is_empty()).then(|| UtilizationGap {
                node: node.to_string(),
                sim_mean: mean(&s),
                live_mean: mean(&l),
                mean_abs_diff: diffs.iter().sum::<f64>() / diffs.len() as f64,
                max_abs_diff: diffs.iter().copied().fold(0.0, f64::max),
                samples: diffs.len(),
            })
        })
        .collect()
}
