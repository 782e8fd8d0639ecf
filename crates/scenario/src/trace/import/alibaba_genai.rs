//! Alibaba cluster-trace-v2026-GenAI `pod_memory_util`: rows of
//! `value,timestamp_anon,container_ip`, where `value` is the fraction (0..1) of the container's
//! memory limit in use and timestamps are seconds from an anonymised origin, about 57 s apart.
//! The trace has no limits, so the user gives one. Rows come in time order across containers;
//! they are grouped per container. Rows without a container id cannot belong to a job and are
//! left out, as is a second value at a timestamp a container already has; fractions just below
//! zero (noise, down to -0.001) are read as zero; the import says how many of each. A container seen within two steps of the trace's first (last) timestamp is marked as
//! already running at its start (still running at its end).

use std::collections::BTreeMap;
use std::path::Path;

use crate::input::read_input;
use crate::input::{csv_records, InputError};
use crate::trace::import::series::edge_tolerance;
use crate::trace::import::Imported;
use crate::trace::{JobMeta, TraceJob};

/// Measurement noise: fractions this little below zero are zero.
const NOISE: f64 = 1e-3;

pub fn alibaba_genai(path: &Path, limit: f64) -> Result<Imported, InputError> {
    let bytes = read_input(path)?;
    let fail = |line: usize, field: &str, message: String| InputError {
        file: path.to_path_buf(),
        line: Some(line),
        field: (!field.is_empty()).then(|| field.to_string()),
        message,
    };
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let header = reader
        .headers()
        .map_err(|e| fail(1, "", e.to_string()))?
        .clone();
    let column = |name: &str| {
        header.iter().position(|h| h == name).ok_or_else(|| {
            fail(
                1,
                name,
                "missing column; expected value,timestamp_anon,container_ip".into(),
            )
        })
    };
    let (value, time, container) = (
        column("value")?,
        column("timestamp_anon")?,
        column("container_ip")?,
    );
    let mut series: BTreeMap<String, Vec<(f64, f64)>> = BTreeMap::new();
    let (mut anonymous, mut rounded) = (0usize, 0usize);
    for row in csv_records(&mut reader) {
        let (line, record) = row.map_err(|(line, m)| fail(line, "", m))?;
        let number = |i: usize, name: &str| {
            let v = record.get(i).unwrap_or("");
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| fail(line, name, format!("expected a number, got `{v}`")))
        };
        let mut fraction = number(value, "value")?;
        if (-NOISE..0.0).contains(&fraction) {
            fraction = 0.0;
            rounded += 1;
        }
        if !(0.0..=1.0).contains(&fraction) {
            return Err(fail(
                line,
                "value",
                format!("expected a fraction of the limit in [0, 1], got {fraction}"),
            ));
        }
        let t = number(time, "timestamp_anon")?;
        match record.get(container).unwrap_or("") {
            "" => anonymous += 1,
            id => series
                .entry(id.to_string())
                .or_default()
                .push((t, fraction * limit)),
        }
    }
    let mut imported = Imported::default();
    if rounded > 0 {
        imported.notes.push(format!(
            "{rounded} values just below 0 (down to -{NOISE}) read as 0"
        ));
    }
    if anonymous > 0 {
        imported
            .notes
            .push(format!("{anonymous} rows without a container id"));
    }
    let mut repeated = 0usize;
    for points in series.values_mut() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let before = points.len();
        points.dedup_by(|b, a| a.0 == b.0);
        repeated += before - points.len();
    }
    if repeated > 0 {
        imported.notes.push(format!(
            "{repeated} repeated timestamps (the first value is kept)"
        ));
    }
    let (first, last) = series
        .values()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p[0].0), hi.max(p[p.len() - 1].0))
        });
    let near = edge_tolerance(
        series
            .values()
            .flat_map(|p| p.windows(2).map(|w| w[1].0 - w[0].0))
            .collect(),
    );
    for (id, points) in series {
        let (start, end) = (points[0].0, points[points.len() - 1].0);
        imported.trace.jobs.push(TraceJob {
            meta: JobMeta {
                job: id,
                class: None,
                start_s: start - first,
                cpu: None,
                request_bytes: None,
                limit_bytes: Some(limit),
                started_before: start - first < near,
                running_at_end: last - end < near,
                duration_s: None,
                ended: None,
                priority: None,
            },
            samples: points.iter().map(|&(t, b)| (t - start, b)).collect(),
        });
    }
    imported.trace.sort();
    Ok(imported)
}
