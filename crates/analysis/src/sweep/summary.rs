//! `summary.csv`: per grid point and metric, over the point's seeds: count, mean, standard
//! deviation, the 95% confidence interval of the mean (Student's t), median and 95th
//! percentile (linear interpolation, as numpy's default). Aggregated with polars.

use std::io::{self, Write};

use polars::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::sweep::metrics::cell_number;
use crate::sweep::{Outcome, RunResult, Sweep};

const STATS: [&str; 5] = ["count", "mean", "std", "p50", "p95"];

/// Writes the summary of the runs that finished; runs that failed have no metrics.
pub fn write_summary(
    w: &mut dyn Write,
    sweep: &Sweep,
    results: &[RunResult],
    metrics: &[String],
) -> io::Result<()> {
    let stats = aggregate(results).map_err(|e| io::Error::other(format!("polars: {e}")))?;
    let column = |name: &str| -> io::Result<Vec<Option<f64>>> {
        let c = stats
            .column(name)
            .and_then(|c| c.cast(&DataType::Float64))
            .map_err(|e| io::Error::other(format!("polars: {e}")))?;
        Ok(c.f64().expect("cast to f64").iter().collect())
    };
    let point = column("point")?;
    let metric = column("metric")?;
    let [count, mean, std, p50, p95] = STATS.map(column);
    let (count, mean, std, p50, p95) = (count?, mean?, std?, p50?, p95?);

    let mut out = csv::Writer::from_writer(w);
    let mut head = vec!["point".to_string()];
    head.extend(sweep.spec.axes.iter().map(|a| a.name.clone()));
    head.extend(
        [
            "metric",
            "count",
            "mean",
            "std",
            "ci95_low",
            "ci95_high",
            "p50",
            "p95",
        ]
        .map(String::from),
    );
    out.write_record(&head)?;
    for i in 0..point.len() {
        let p = point[i].expect("a key") as usize;
        let n = count[i].unwrap_or(0.0);
        let half = ci95_half_width(n, std[i]);
        let mut row = vec![p.to_string()];
        row.extend(sweep.spec.labels(&sweep.points[p]));
        row.push(metrics[metric[i].expect("a key") as usize].clone());
        row.push(format!("{n}"));
        row.extend(
            [
                mean[i],
                std[i],
                mean[i].zip(half).map(|(m, h)| m - h),
                mean[i].zip(half).map(|(m, h)| m + h),
                p50[i],
                p95[i],
            ]
            .map(number),
        );
        out.write_record(&row)?;
    }
    out.flush()
}

/// One group per grid point and metric, in that order; a metric that is null in a run (a
/// mean of nothing) is left out of that run's count.
fn aggregate(results: &[RunResult]) -> PolarsResult<DataFrame> {
    let (mut point, mut metric, mut value) = (Vec::new(), Vec::new(), Vec::new());
    for r in results {
        let Outcome::Done(cells) = &r.outcome else {
            continue;
        };
        for (i, (_, v)) in cells.iter().enumerate() {
            point.push(r.key.point as u32);
            metric.push(i as u32);
            value.push(cell_number(v));
        }
    }
    let long = DataFrame::new(
        point.len(),
        vec![
            Column::new("point".into(), point),
            Column::new("metric".into(), metric),
            Column::new("value".into(), value),
        ],
    )?;
    let value = || col("value");
    // The in-memory engine sums each group in row order, whatever the machine's core count,
    // so the figures are the same bytes everywhere.
    long.lazy()
        .group_by_stable([col("point"), col("metric")])
        .agg([
            value().count().alias("count"),
            value().mean().alias("mean"),
            value().std(1).alias("std"),
            value()
                .quantile(lit(0.5), QuantileMethod::Linear)
                .alias("p50"),
            value()
                .quantile(lit(0.95), QuantileMethod::Linear)
                .alias("p95"),
        ])
        .sort(["point", "metric"], SortMultipleOptions::default())
        .collect_with_engine(Engine::InMemory)
        // One query, one frame: only multi-sink plans give several.
        .map(|r| r.unwrap_single())
}

/// Half the width of the 95% confidence interval of a mean of `n` values with sample
/// standard deviation `std`; none for fewer than two values.
pub fn ci95_half_width(n: f64, std: Option<f64>) -> Option<f64> {
    let std = std.filter(|_| n >= 2.0)?;
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .expect("positive degrees of freedom")
        .inverse_cdf(0.975);
    Some(t * std / n.sqrt())
}

fn number(v: Option<f64>) -> String {
    v.map(|v| format!("{v}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_intervals_match_tables() {
        // Student's t, 97.5th percentile: 12.706 (1 df), 2.776 (4 df), 1.984 (99 df).
        let t = |n: f64| ci95_half_width(n, Some(1.0)).unwrap() * n.sqrt();
        assert!((t(2.0) - 12.706).abs() < 1e-3);
        assert!((t(5.0) - 2.776).abs() < 1e-3);
        assert!((t(100.0) - 1.984).abs() < 1e-3);
        assert_eq!(ci95_half_width(1.0, Some(0.0)), None);
        assert_eq!(ci95_half_width(3.0, None), None);
    }
}
