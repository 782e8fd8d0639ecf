//! The sim-to-real report as JSON, for scripts and notebooks: every figure of the Markdown
//! report, and per migration its live/model ratios.

use serde::Serialize;
use serde_json::Value;

use super::{KillGap, MetricPair, MigrationGap, Report, UtilizationGap};
use crate::live::LiveInfo;

#[derive(Serialize)]
struct ReportJson<'a> {
    scenario: &'a str,
    live: &'a LiveInfo,
    metrics: &'a [MetricPair],
    migrations: Vec<MigrationJson<'a>>,
    kills: &'a [KillGap],
    utilization: &'a [UtilizationGap],
}

#[derive(Serialize)]
struct MigrationJson<'a> {
    #[serde(flatten)]
    gap: &'a MigrationGap,
    /// Live over model; null where the model expects none or the move has no end.
    downtime_ratio: Option<f64>,
    total_ratio: Option<f64>,
}

/// One report as a JSON object.
pub fn json(r: &Report) -> Value {
    let report = ReportJson {
        scenario: &r.scenario,
        live: &r.live,
        metrics: &r.metrics,
        migrations: r
            .migrations
            .iter()
            .map(|gap| MigrationJson {
                gap,
                downtime_ratio: gap.downtime_ratio(),
                total_ratio: gap.total_ratio(),
            })
            .collect(),
        kills: &r.kills,
        utilization: &r.utilization,
    };
    serde_json::to_value(report).expect("a report serialises")
}
