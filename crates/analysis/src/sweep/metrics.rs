//! A run's metrics as flat, named cells (`migrations.complete` becomes
//! `migrations_complete`), the same whether they come from a run just finished or from the
//! `summary.json` of one finished before a `--resume`.

use serde_json::Value;

use crate::record::Metrics;

/// Metric name and value, in the order `Metrics` declares them.
pub type MetricCells = Vec<(String, Value)>;

pub fn metric_cells(m: &Metrics) -> MetricCells {
    let value = serde_json::to_value(m).expect("metrics are plain numbers");
    let mut out = Vec::new();
    flatten("", &value, &mut out);
    out
}

/// The cells of a `summary.json`'s `metrics` object.
pub fn cells_of_summary(summary: &Value) -> Option<MetricCells> {
    let metrics = summary.get("metrics")?;
    metrics.is_object().then(|| {
        let mut out = Vec::new();
        flatten("", metrics, &mut out);
        out
    })
}

fn flatten(prefix: &str, v: &Value, out: &mut MetricCells) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let name = match prefix {
                    "" => k.clone(),
                    p => format!("{p}_{k}"),
                };
                flatten(&name, v, out);
            }
        }
        v => out.push((prefix.to_string(), v.clone())),
    }
}

/// A cell as a number for aggregation: booleans count as 0 or 1, null is missing.
pub fn cell_number(v: &Value) -> Option<f64> {
    match v {
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        v => v.as_f64(),
    }
}

/// A cell as CSV text: numbers in their shortest exact form, null empty.
pub fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}
