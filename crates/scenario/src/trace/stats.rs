//! What a user checks first about a trace: how many jobs, over how long, sampled how often, and
//! how big and how fast-growing they get.

use std::collections::BTreeMap;
use std::fmt;

use crate::record::percentile;
use crate::trace::Trace;
use crate::units::{human_bytes, human_duration};

#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    pub jobs: usize,
    pub samples: usize,
    pub classes: BTreeMap<String, usize>,
    /// From the trace's start to its last sample.
    pub span_s: f64,
    /// The median time between two samples of a job.
    pub step_s: f64,
    pub started_before: usize,
    pub running_at_end: usize,
    pub duration_s: Spread,
    pub peak_bytes: Spread,
    /// (last - first) / duration per job with more than one sample, bytes per second.
    pub growth: Spread,
}

/// Nearest-rank quantiles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub p50: f64,
    pub p95: f64,
    pub max: f64,
}

impl Spread {
    /// Nearest-rank quantiles of `v`; all 0 when it is empty.
    pub fn of(mut v: Vec<f64>) -> Spread {
        v.sort_by(f64::total_cmp);
        Spread {
            min: v.first().copied().unwrap_or(0.0),
            p50: percentile(&v, 0.5),
            p95: percentile(&v, 0.95),
            max: v.last().copied().unwrap_or(0.0),
        }
    }
}

impl Stats {
    pub fn of(trace: &Trace) -> Stats {
        let mut classes = BTreeMap::new();
        for j in &trace.jobs {
            let class = j.meta.class.clone().unwrap_or_else(|| "-".into());
            *classes.entry(class).or_insert(0) += 1;
        }
        let growing = trace.jobs.iter().filter(|j| j.span() > 0.0);
        Stats {
            jobs: trace.jobs.len(),
            samples: trace.jobs.iter().map(|j| j.samples.len()).sum(),
            classes,
            span_s: trace
                .jobs
                .iter()
                .map(|j| j.meta.start_s + j.duration())
                .fold(0.0, f64::max),
            step_s: trace.step_s(),
            started_before: trace.jobs.iter().filter(|j| j.meta.started_before).count(),
            running_at_end: trace.jobs.iter().filter(|j| j.meta.running_at_end).count(),
            duration_s: Spread::of(trace.jobs.iter().map(|j| j.duration()).collect()),
            peak_bytes: Spread::of(trace.jobs.iter().map(|j| j.peak()).collect()),
            growth: Spread::of(
                growing
                    .map(|j| (j.samples.last().unwrap().1 - j.samples[0].1) / j.span())
                    .collect(),
            ),
        }
    }
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let classes: Vec<String> = self
            .classes
            .iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        writeln!(
            f,
            "jobs       {} ({}), {} samples",
            self.jobs,
            classes.join(", "),
            self.samples
        )?;
        writeln!(
            f,
            "span       {} (sample step {})",
            human_duration(self.span_s),
            human_duration(self.step_s)
        )?;
        writeln!(
            f,
            "censored   {} already running at the start, {} still running at the end",
            self.started_before, self.running_at_end
        )?;
        let spread = |s: &Spread, show: &dyn Fn(f64) -> String| {
            format!(
                "min {} | p50 {} | p95 {} | max {}",
                show(s.min),
                show(s.p50),
                show(s.p95),
                show(s.max)
            )
        };
        writeln!(
            f,
            "duration   {}",
            spread(&self.duration_s, &human_duration)
        )?;
        writeln!(f, "peak       {}", spread(&self.peak_bytes, &human_bytes))?;
        write!(
            f,
            "growth     {}",
            spread(&self.growth, &|r| format!("{}/s", human_bytes(r)))
        )
    }
}
