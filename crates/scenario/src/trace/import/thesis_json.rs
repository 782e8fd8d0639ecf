//! The thesis's pod export (`elchead-pods.json.gz`): a JSON list of
//! `{"Name": str, "Memory": [bytes or null], "Time": [epoch ms]}`. `null` means the pod was not
//! running: a pod starts at its first non-null sample, and nulls are notes, never read as
//! zero. A null between two values is a gap: no sample is written for it. The size class is the
//! letter after `o10n-worker-` in the name.

use std::path::Path;

use serde::Deserialize;

use crate::input::read_input;
use crate::input::InputError;
use crate::trace::import::series::job_from_series;
use crate::trace::import::Imported;

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
        let times: Vec<f64> = pod.time.iter().map(|&ms| ms as f64 / 1000.0).collect();
        match job_from_series(&pod.name, &times, &pod.memory, origin as f64 / 1000.0) {
            Some(j) => imported.trace.jobs.push(j),
            None => imported
                .notes
                .push(format!("{}: every sample is null", pod.name)),
        }
    }
    imported.trace.sort();
    Ok(imported)
}
