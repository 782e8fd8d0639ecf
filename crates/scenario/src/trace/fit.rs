//! A trace turned into a generator: per job class, the distributions of arrival gaps,
//! durations and the parameters of a logistic growth curve fitted to each job, written as
//! `[[workload.generate]]` classes that draw as many jobs as a user asks for.
//!
//! Per class: arrivals are Poisson with the mean gap between the starts of the jobs the trace
//! saw begin (jobs already running at its start say nothing about gaps), divided by the scale
//! so that `scale` times the jobs arrive over the same span; work is lognormal through the
//! median and 95th percentile of the jobs' durations; memory is logistic from `start` to
//! `peak`, each job's curve fitted by least squares over a grid of midpoints and steepnesses,
//! and the class's parameters lognormal (sizes, steepness; through median and 95th
//! percentile) or normal (midpoint) over its jobs' fits. Correlations between parameters (a
//! long job that grows large) are not kept: each is drawn on its own.

use std::collections::BTreeMap;

use crate::record::percentile;
use crate::trace::{Trace, TraceJob};
use crate::units::{Memory, Plain, Seconds, Time};
use crate::workload::dist::{Dist, DistKind};
use crate::workload::{ArrivalSpec, JobClassSpec, ProfileSpec, RequestSpec};

const MIDPOINTS: [f64; 19] = [
    0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
    0.9, 0.95,
];
const STEEPNESS: [f64; 10] = [1.0, 2.0, 4.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 50.0];

/// One job's logistic curve and how well it fits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CurveFit {
    pub start: f64,
    pub peak: f64,
    pub midpoint: f64,
    pub steepness: f64,
    /// 1 - SSE / SST over the job's samples; 1 for a flat job.
    pub r2: f64,
}

/// What was fitted for one class.
#[derive(Clone, Debug)]
pub struct ClassFit {
    pub class: String,
    pub jobs: usize,
    pub curves: Vec<CurveFit>,
    pub spec: JobClassSpec,
}

/// Fits every class of `trace`; `step` is the trace's sample step (a job's work is its span
/// plus one step, as a scenario replays it).
pub fn fit(trace: &Trace, step: f64, scale: f64) -> Vec<ClassFit> {
    let mut classes: BTreeMap<String, Vec<&TraceJob>> = BTreeMap::new();
    for j in &trace.jobs {
        classes.entry(j.class().to_string()).or_default().push(j);
    }
    classes
        .into_iter()
        .map(|(class, jobs)| fit_class(class, &jobs, step, scale))
        .collect()
}

fn fit_class(class: String, jobs: &[&TraceJob], step: f64, scale: f64) -> ClassFit {
    let curves: Vec<CurveFit> = jobs.iter().map(|j| logistic(&j.samples)).collect();
    let mut starts: Vec<f64> = jobs
        .iter()
        .filter(|j| !j.meta.started_before)
        .map(|j| j.meta.start_s)
        .collect();
    starts.sort_by(f64::total_cmp);
    let gaps: Vec<f64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
    let first = starts.first().copied().unwrap_or(0.0);
    let arrival = match mean_std(&gaps) {
        Some((mean, _)) if mean > 0.0 => ArrivalSpec::Poisson {
            mean_gap: Seconds::new(mean / scale),
            start: Seconds::new(first),
        },
        _ => ArrivalSpec::Batch {
            at: Seconds::new(first),
        },
    };
    let durations: Vec<f64> = jobs
        .iter()
        .map(|j| j.meta.duration_s.unwrap_or(j.span() + step))
        .collect();
    let cpus: Vec<f64> = jobs.iter().filter_map(|j| j.meta.cpu).collect();
    let param = |f: fn(&CurveFit) -> f64| curves.iter().map(f).collect::<Vec<f64>>();
    let spec = JobClassSpec {
        name: class.clone(),
        count: (jobs.len() as f64 * scale).round().max(1.0) as u32,
        arrival,
        work: lognormal::<Time>(&durations),
        cpu: Dist::<Plain>::constant(mean_std(&cpus).map_or(1.0, |m| m.0)),
        request: RequestSpec::Unknown,
        profile: ProfileSpec::Logistic {
            start: lognormal::<Memory>(&param(|c| c.start)),
            peak: lognormal::<Memory>(&param(|c| c.peak)),
            midpoint: normal(&param(|c| c.midpoint)),
            steepness: lognormal::<Plain>(&param(|c| c.steepness)),
        },
        // Traces record memory, not how fast pages are written.
        dirty_rate: None,
    };
    ClassFit {
        class,
        jobs: jobs.len(),
        curves,
        spec,
    }
}

/// The logistic curve through a job's samples: from its first value to its largest, with the
/// midpoint and steepness of least squared error on the grid.
pub fn logistic(samples: &[(f64, f64)]) -> CurveFit {
    let start = samples.first().map_or(0.0, |s| s.1);
    let peak = samples.iter().map(|s| s.1).fold(start, f64::max);
    let span = samples.last().map_or(0.0, |s| s.0);
    let flat = CurveFit {
        start,
        peak,
        midpoint: 0.5,
        steepness: 10.0,
        r2: 1.0,
    };
    if peak <= start || span <= 0.0 {
        return flat;
    }
    let mean = samples.iter().map(|s| s.1).sum::<f64>() / samples.len() as f64;
    let sst: f64 = samples.iter().map(|s| (s.1 - mean).powi(2)).sum();
    let mut best = (f64::INFINITY, 0.5, 10.0);
    for &m in &MIDPOINTS {
        for &k in &STEEPNESS {
            let sse: f64 = samples
                .iter()
                .map(|&(t, y)| (curve(start, peak, m, k, t / span) - y).powi(2))
                .sum();
            if sse < best.0 {
                best = (sse, m, k);
            }
        }
    }
    CurveFit {
        start,
        peak,
        midpoint: best.1,
        steepness: best.2,
        r2: if sst > 0.0 { 1.0 - best.0 / sst } else { 1.0 },
    }
}

/// The scenario's logistic shape at fraction `x` of the work (see `workload::profile`).
fn curve(start: f64, peak: f64, midpoint: f64, steepness: f64, x: f64) -> f64 {
    let sigma = |x: f64| 1.0 / (1.0 + (-steepness * (x - midpoint)).exp());
    let (lo, hi) = (sigma(0.0), sigma(1.0));
    start + (peak - start) * (sigma(x) - lo) / (hi - lo)
}

fn mean_std(v: &[f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    Some((mean, var.sqrt()))
}

/// The lognormal through the data's median and 95th percentile (robust where the values
/// are heavy-tailed or bimodal, as job sizes are; moments miss both quantiles there), written
/// as the mean and standard deviation of the values, as scenarios give it. Zeros are left out.
fn lognormal<U>(v: &[f64]) -> Dist<U> {
    let mut pos: Vec<f64> = v.iter().copied().filter(|&x| x > 0.0).collect();
    if pos.is_empty() {
        return Dist::constant(0.0);
    }
    pos.sort_by(f64::total_cmp);
    let (p50, p95) = (percentile(&pos, 0.5), percentile(&pos, 0.95));
    // z of the 95th percentile of a standard normal.
    let sigma = (p95 / p50).ln() / 1.6449;
    if sigma <= 0.0 {
        return Dist::constant(p50);
    }
    let mean = p50 * (sigma * sigma / 2.0).exp();
    let std = mean * (sigma * sigma).exp_m1().sqrt();
    Dist::from_kind(DistKind::LogNormal { mean, std })
}

fn normal(v: &[f64]) -> Dist<Plain> {
    match mean_std(v) {
        Some((mean, std)) if std > 0.0 => Dist::from_kind(DistKind::Normal { mean, std }),
        Some((mean, _)) => Dist::constant(mean),
        None => Dist::constant(0.5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_logistic_curve_on_the_grid() {
        let samples: Vec<(f64, f64)> = (0..=100)
            .map(|i| {
                let x = i as f64 / 100.0;
                (x * 3600.0, curve(1e9, 9e9, 0.3, 15.0, x))
            })
            .collect();
        let c = logistic(&samples);
        assert_eq!((c.start, c.peak), (1e9, 9e9));
        assert_eq!((c.midpoint, c.steepness), (0.3, 15.0));
        assert!(c.r2 > 0.999_999, "{}", c.r2);
    }

    #[test]
    fn a_flat_or_shrinking_job_is_flat() {
        let c = logistic(&[(0.0, 5.0), (60.0, 3.0)]);
        assert_eq!((c.start, c.peak, c.r2), (5.0, 5.0, 1.0));
    }
}
