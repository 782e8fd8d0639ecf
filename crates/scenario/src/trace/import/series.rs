//! Jobs from sampled series in which a missing value means "not running": the job starts at
//! its first value, missing values are notes (never read as zero), and a job whose every
//! value is missing is not a job.

use crate::record::percentile;
use crate::trace::{JobMeta, TraceJob};

/// `times` in seconds, one per value; `origin` is the trace's start.
pub fn job_from_series(
    name: &str,
    times: &[f64],
    values: &[Option<f64>],
    origin: f64,
) -> Option<TraceJob> {
    let present: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let (&(first, _), &(last, _)) = (present.first()?, present.last()?);
    let start = times[first];
    Some(TraceJob {
        meta: JobMeta {
            job: name.to_string(),
            class: size_class(name),
            start_s: start - origin,
            cpu: None,
            request_bytes: None,
            limit_bytes: None,
            started_before: first == 0,
            running_at_end: last + 1 == values.len(),
            duration_s: None,
            ended: None,
            priority: None,
        },
        samples: present
            .iter()
            .map(|&(k, v)| (times[k] - start, v))
            .collect(),
    })
}

/// The thesis pods' size class: `o10n-worker-l-2xs2w-c7hh4` -> `l`.
pub fn size_class(name: &str) -> Option<String> {
    let rest = name.strip_prefix("o10n-worker-")?;
    let (class, _) = rest.split_once('-')?;
    Some(class.to_string())
}

/// How close to a trace's first or last time a series must begin or end to count as already
/// running or still running there: two median steps, since series are sampled at slightly
/// different moments. `gaps` are the times between consecutive samples.
pub fn edge_tolerance(mut gaps: Vec<f64>) -> f64 {
    gaps.sort_by(f64::total_cmp);
    2.0 * percentile(&gaps, 0.5)
}
