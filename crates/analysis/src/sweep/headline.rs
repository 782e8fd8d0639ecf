//! The metrics a study looks at first, with the label and unit they are shown in (tables and
//! figures share them).

/// A metric of runs.csv, how to label it, and the factor from its unit to the label's.
#[derive(Clone, Copy, Debug)]
pub struct Headline {
    pub metric: &'static str,
    pub label: &'static str,
    pub scale: f64,
}

const fn h(metric: &'static str, label: &'static str, scale: f64) -> Headline {
    Headline {
        metric,
        label,
        scale,
    }
}

pub const HEADLINES: [Headline; 8] = [
    h("oom_kills", "OOM kills", 1.0),
    h("jobs_failed", "failed jobs", 1.0),
    h("migrations_complete", "migrations", 1.0),
    h("downtime_total_s", "downtime (s)", 1.0),
    h("lost_work_s", "lost work (h)", 1.0 / 3600.0),
    h("mean_memory_utilization", "mean utilisation (%)", 100.0),
    h("mean_wait_s", "mean wait (min)", 1.0 / 60.0),
    h("total_job_time_s", "total job time (h)", 1.0 / 3600.0),
];

/// How to show `metric`: its headline label and scale, or its own name, unscaled.
pub fn label_of(metric: &str) -> (String, f64) {
    HEADLINES
        .iter()
        .find(|h| h.metric == metric)
        .map_or((metric.to_string(), 1.0), |h| {
            (h.label.to_string(), h.scale)
        })
}
