use serde::Serialize;

use crate::model::MigrationOutcome;
use crate::record::{JobOutcome, MigrationRecord, Recorder};

#[derive(Clone, Debug, Default, Serialize)]
pub struct MigrationCounts {
    pub complete: usize,
    pub failed: usize,
    pub cancelled: usize,
    pub in_flight: usize,
}

impl MigrationCounts {
    fn of(migrations: &[MigrationRecord]) -> Self {
        let count =
            |o: Option<MigrationOutcome>| migrations.iter().filter(|m| m.outcome == o).count();
        MigrationCounts {
            complete: count(Some(MigrationOutcome::Complete)),
            failed: count(Some(MigrationOutcome::Failed)),
            cancelled: count(Some(MigrationOutcome::Cancelled)),
            in_flight: count(None),
        }
    }
}

/// The headline figures of one run, as written to `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Metrics {
    pub jobs: usize,
    pub jobs_finished: usize,
    pub jobs_failed: usize,
    pub jobs_running: usize,
    pub jobs_pending: usize,
    pub oom_kills: usize,
    /// Work thrown away by kills, seconds.
    pub lost_work_s: f64,
    /// Mean and 95th percentile of memory utilisation over all node samples.
    pub mean_memory_utilization: f64,
    pub p95_memory_utilization: f64,
    /// When the last job finished or failed, seconds; null if none did.
    pub makespan_s: Option<f64>,
    pub mean_wait_s: f64,
    /// Sum over finished jobs of (end - arrival), seconds.
    pub total_job_time_s: f64,
    pub cordons: u64,
    /// Migrations that ended, by outcome, and those still in flight at the end.
    pub migrations: MigrationCounts,
    /// Time jobs spent frozen or deleted by migrations (all outcomes), seconds.
    pub downtime_total_s: f64,
    /// Mean downtime of a completed migration, seconds; null if none completed.
    pub downtime_mean_s: Option<f64>,
    /// Page bytes the migrations sent.
    pub migration_bytes: f64,
    /// Work lost to migrations (restarts, failovers that restart), seconds; included in
    /// `lost_work_s`.
    pub migration_lost_work_s: f64,
    /// Times the controller found no node with room for a job that had to move.
    pub provisions: usize,
    pub node_failures: u64,
    /// Controller orders notes because the view they came from was out of date.
    pub stale_orders: u64,
    pub end_time_s: f64,
    pub events: u64,
    /// The run stopped because queued jobs could never be placed.
    pub stalled: bool,
}

/// `summary.json`: the metrics with what produced them.
#[derive(Clone, Debug, Serialize)]
pub struct Summary<'a, P: Serialize> {
    pub migsim_version: &'static str,
    pub scenario: &'a str,
    /// The scenario's `[variants]` entry applied, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant: Option<&'a str>,
    pub seed: u64,
    pub metrics: &'a Metrics,
    /// The scenario as resolved: every default filled in, every `--set` applied.
    pub parameters: &'a P,
}

impl Metrics {
    pub fn compute(
        rec: &Recorder,
        arrivals: &[f64],
        end_time_s: f64,
        events: u64,
        stalled: bool,
    ) -> Self {
        let migrations = &rec.migrations;
        let count = |o: JobOutcome| rec.jobs.iter().filter(|j| j.outcome == o).count();
        let mut utils: Vec<f64> = rec.node_samples.iter().map(|s| s.utilization()).collect();
        utils.sort_by(f64::total_cmp);
        let mean = |v: &[f64]| {
            if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let started: Vec<f64> = rec
            .jobs
            .iter()
            .filter(|j| j.first_start.is_some())
            .map(|j| j.wait.as_secs())
            .collect();
        Metrics {
            jobs: rec.jobs.len(),
            jobs_finished: count(JobOutcome::Finished),
            jobs_failed: count(JobOutcome::Failed),
            jobs_running: count(JobOutcome::Running),
            jobs_pending: count(JobOutcome::Pending),
            oom_kills: rec.oom_kills.len(),
            lost_work_s: total(rec.jobs.iter().map(|j| j.lost_work.as_secs())),
            mean_memory_utilization: mean(&utils),
            p95_memory_utilization: percentile(&utils, 0.95),
            makespan_s: rec
                .jobs
                .iter()
                .filter_map(|j| j.end)
                .max()
                .map(|t| t.as_secs()),
            mean_wait_s: mean(&started),
            total_job_time_s: rec
                .jobs
                .iter()
                .zip(arrivals)
                .filter(|(j, _)| j.outcome == JobOutcome::Finished)
                .map(|(j, a)| j.end.map_or(0.0, |e| e.as_secs() - a))
                .sum(),
            cordons: rec.cordons,
            migrations: MigrationCounts::of(migrations),
            downtime_total_s: total(migrations.iter().map(|m| m.downtime.as_secs())),
            downtime_mean_s: {
                let done: Vec<f64> = migrations
                    .iter()
                    .filter(|m| m.outcome == Some(MigrationOutcome::Complete))
                    .map(|m| m.downtime.as_secs())
                    .collect();
                (!done.is_empty()).then(|| mean(&done))
            },
            migration_bytes: total(migrations.iter().map(|m| m.bytes_sent)),
            migration_lost_work_s: total(migrations.iter().map(|m| m.lost_work.as_secs())),
            provisions: rec.provisions.len(),
            node_failures: rec.node_failures,
            stale_orders: rec.stale_orders,
            end_time_s,
            events,
            stalled,
        }
    }
}

/// A sum that is 0, not -0, when empty (float `Sum` starts from -0).
fn total(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, |a, b| a + b)
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentile() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.95), 95.0);
        assert_eq!(percentile(&v, 1.0), 100.0);
        assert_eq!(percentile(&[3.0], 0.95), 3.0);
        assert_eq!(percentile(&[], 0.95), 0.0);
    }
}
