//! The thesis's pod export (`elchead-pods.json.gz`): a JSON list of
//! `{"Name": str, "Memory": [bytes or null], "Time": [epoch ms]}`. `null` means the pod was not
//! running: a pod starts at its first non-null sample, and nulls are dropped, never read as
//! zero. A null between two values is a gap: no sample is written for it. The size class is the
//! letter after `o10n-worker-` in the name.

use std::path::Path;

use serde::Deserialize;

use crate::input::InputError;
use crate::trace::import::{read_input, Imported};
use crate::trace::{JobMeta, TraceJob};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pod {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Memory")]
    memory: Vec<Option<f64>>,
    #[serde(rename = "Time")]
    time: Vec<i64>,
}

pub fn thesis_json(path: &Path) -> Result<Imported, InputError> {
    let bytes = read_input(path)?;
    let fail = |line, field: Option<String>, message: String| InputError {
        file: path.to_path_buf(),
        line,
        field,
        message,
    };
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let pods: Vec<Pod> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let line = Some(e.inner().line());
        fail(line, Some(e.path().to_string()), e.inner().to_string())
    })?;
    let origin = pods
        .iter()
        .filter_map(|p| p.time.first())
        .min()
        .copied()
        .unwrap_or(0);
    let mut imported = Imported::default();
    for (i, pod) in pods.iter().enumerate() {
        if pod.memory.len() != pod.time.len() {
            let message = format!(
                "{} memory values but {} times",
                pod.memory.len(),
                pod.time.len()
            );
            return Err(fail(None, Some(format!("[{i}].Memory")), message));
        }
        if let Some(bad) = pod
            .memory
            .iter()
            .flatten()
            .find(|v| v.is_nan() || **v < 0.0)
        {
            return Err(fail(
                None,
                Some(format!("[{i}].Memory")),
                format!("expected bytes >= 0, got {bad}"),
            ));
        }
        match job(pod, origin) {
            Some(j) => imported.trace.jobs.push(j),
            None => imported
                .dropped
                .push(format!("{}: every sample is null", pod.name)),
        }
    }
    imported.trace.sort();
    Ok(imported)
}

fn job(pod: &Pod, origin: i64) -> Option<TraceJob> {
    let present: Vec<(usize, f64)> = pod
        .memory
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
    let (&(first, _), &(last, _)) = (present.first()?, present.last()?);
    let start_ms = pod.time[first];
    let samples = present
        .iter()
        .map(|&(k, v)| ((pod.time[k] - start_ms) as f64 / 1000.0, v))
        .collect();
    Some(TraceJob {
        meta: JobMeta {
            job: pod.name.clone(),
            class: size_class(&pod.name),
            start_s: (start_ms - origin) as f64 / 1000.0,
            cpu: None,
            request_bytes: None,
            limit_bytes: None,
            started_before: first == 0,
            running_at_end: last + 1 == pod.memory.len(),
        },
        samples,
    })
}

/// `o10n-worker-l-2xs2w-c7hh4` -> `l`.
fn size_class(name: &str) -> Option<String> {
    let rest = name.strip_prefix("o10n-worker-")?;
    let (class, _) = rest.split_once('-')?;
    Some(class.to_string())
}
