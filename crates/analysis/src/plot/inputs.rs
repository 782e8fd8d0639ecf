//! What the figures read: the files of a run folder or of a sweep folder, as written by
//! `migsim run` and `migsim sweep` (figures come from files, so any old result can be drawn).

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::input::{csv_records, read_csv, read_input, read_json as json, table, InputError};

#[derive(Debug, Deserialize)]
pub struct NodeRow {
    pub time_s: f64,
    pub node: String,
    pub memory_used_bytes: f64,
    pub memory_capacity_bytes: f64,
}

#[derive(Debug, Deserialize)]
pub struct MigrationRow {
    pub source: String,
    pub target: String,
    pub start_s: Option<f64>,
    pub end_s: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct KillRow {
    pub time_s: f64,
    pub node: String,
}

#[derive(Debug, Deserialize)]
pub struct JobRow {
    pub class: String,
    pub arrival_s: f64,
    pub end_s: Option<f64>,
    pub work_s: f64,
    pub outcome: String,
}

/// A run folder.
pub struct RunFiles {
    /// Scenario, variant and seed, for titles.
    pub title: String,
    pub nodes: Vec<NodeRow>,
    pub migrations: Vec<MigrationRow>,
    pub kills: Vec<KillRow>,
    pub jobs: Vec<JobRow>,
    /// The fraction of memory the controller keeps free, if there is a controller.
    pub keep_free: Option<f64>,
    /// The use above which the unscheduler cordons a node, if there is one.
    pub cordon_above: Option<f64>,
}

/// One row of a sweep's summary.csv.
#[derive(Debug)]
pub struct SummaryRow {
    /// The grid point's value on each axis, as written.
    pub labels: Vec<String>,
    pub metric: String,
    pub mean: Option<f64>,
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
}

/// A sweep folder.
pub struct SweepFiles {
    pub title: String,
    /// Each axis and its values, in grid order.
    pub axes: Vec<(String, Vec<String>)>,
    pub rows: Vec<SummaryRow>,
}

impl RunFiles {
    pub fn read(dir: &Path) -> Result<RunFiles, InputError> {
        let summary = json(&dir.join("summary.json"))?;
        let text = |k: &str| {
            summary
                .get(k)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
        };
        let mut title = text("scenario").unwrap_or_default();
        if let Some(v) = text("variant") {
            title = format!("{title}, {v}");
        }
        if let Some(s) = text("seed") {
            title = format!("{title}, seed {s}");
        }
        let param = |path: &[&str]| {
            path.iter()
                .try_fold(summary.get("parameters")?, |v, k| v.get(k))
                .and_then(Value::as_f64)
        };
        Ok(RunFiles {
            title,
            nodes: read_csv(&table(dir, "nodes.csv"))?,
            migrations: read_csv(&table(dir, "migrations.csv"))?,
            kills: read_csv(&table(dir, "oom_kills.csv"))?,
            jobs: read_csv(&table(dir, "jobs.csv"))?,
            keep_free: param(&["controller", "threshold"]),
            cordon_above: param(&["unscheduler", "threshold"]),
        })
    }
}

impl SweepFiles {
    pub fn read(dir: &Path) -> Result<SweepFiles, InputError> {
        let manifest_path = dir.join("sweep.json");
        let manifest = json(&manifest_path)?;
        let bad = |m: &str| InputError {
            file: manifest_path.clone(),
            line: None,
            field: Some("axes".into()),
            message: m.into(),
        };
        let axes: Vec<(String, Vec<String>)> = manifest
            .get("axes")
            .and_then(Value::as_array)
            .ok_or_else(|| bad("missing"))?
            .iter()
            .map(|a| {
                let name = a.get("name")?.as_str()?.to_string();
                let values = a.get("values")?.as_array()?;
                let values = values.iter().map(|v| v.as_str().map(String::from));
                Some((name, values.collect::<Option<Vec<_>>>()?))
            })
            .collect::<Option<_>>()
            .ok_or_else(|| bad("each axis needs a name and a list of values"))?;
        let title = manifest
            .get("scenario")
            .and_then(Value::as_str)
            .and_then(|s| Path::new(s).file_stem())
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let rows = summary_rows(&dir.join("summary.csv"), &axes)?;
        Ok(SweepFiles { title, axes, rows })
    }
}

fn summary_rows(
    path: &Path,
    axes: &[(String, Vec<String>)],
) -> Result<Vec<SummaryRow>, InputError> {
    let bytes = read_input(path)?;
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let error = |line: Option<usize>, field: Option<&str>, message: String| InputError {
        file: path.to_path_buf(),
        line,
        field: field.map(String::from),
        message,
    };
    let head = reader
        .headers()
        .map_err(|e| error(Some(1), None, e.to_string()))?
        .clone();
    let column = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .ok_or_else(|| error(Some(1), Some(name), "no such column".into()))
    };
    let axis_columns: Vec<usize> = axes
        .iter()
        .map(|(n, _)| column(n))
        .collect::<Result<_, _>>()?;
    let [metric, mean, low, high] = ["metric", "mean", "ci95_low", "ci95_high"].map(column);
    let (metric, mean, low, high) = (metric?, mean?, low?, high?);
    let mut out = Vec::new();
    for row in csv_records(&mut reader) {
        let (line, rec) = row.map_err(|(line, m)| error(Some(line), None, m))?;
        let number = |i: usize| -> Result<Option<f64>, InputError> {
            match &rec[i] {
                "" => Ok(None),
                s => s.parse().map(Some).map_err(|_| {
                    error(Some(line), Some(&head[i]), format!("`{s}` is not a number"))
                }),
            }
        };
        out.push(SummaryRow {
            labels: axis_columns.iter().map(|&i| rec[i].to_string()).collect(),
            metric: rec[metric].to_string(),
            mean: number(mean)?,
            ci95_low: number(low)?,
            ci95_high: number(high)?,
        });
    }
    Ok(out)
}
