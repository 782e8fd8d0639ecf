//! The Markdown table `migsim sweep` and `migsim variants` print: per grid point, the mean of
//! the headline metrics over the seeds, with their range.

use std::fmt::Write as _;

use migsim::sweep::{cell_number, Outcome, RunResult, Sweep, HEADLINES};

pub fn markdown(sweep: &Sweep, results: &[RunResult]) -> String {
    let mut out = String::new();
    let mut head: Vec<&str> = sweep.spec.axes.iter().map(|a| a.name.as_str()).collect();
    if head.is_empty() {
        head.push("scenario");
    }
    let axes = head.len();
    head.extend(HEADLINES.iter().map(|h| h.label));
    let _ = writeln!(out, "| {} |", head.join(" | "));
    let _ = writeln!(
        out,
        "|{}{}",
        "---|".repeat(axes),
        "---:|".repeat(HEADLINES.len())
    );
    for (p, point) in sweep.points.iter().enumerate() {
        let mut labels = sweep.spec.labels(point);
        if labels.is_empty() {
            labels.push(sweep.name.clone());
        }
        let mine: Vec<_> = results
            .iter()
            .filter(|r| r.key.point == p)
            .filter_map(|r| match &r.outcome {
                Outcome::Done(cells) => Some(cells),
                Outcome::Failed(_) => None,
            })
            .collect();
        let cells: Vec<String> = HEADLINES
            .iter()
            .map(|h| {
                let values: Vec<f64> = mine
                    .iter()
                    .filter_map(|cells| cells.iter().find(|(n, _)| n == h.metric))
                    .filter_map(|(_, v)| cell_number(v))
                    .map(|v| v * h.scale)
                    .collect();
                cell(&values)
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", labels.join(" | "), cells.join(" | "));
    }
    let seeds = &sweep.spec.seeds;
    let _ = writeln!(
        out,
        "\nmeans over {} seeds ({}..{}), with [min, max] where the seeds differ",
        seeds.len(),
        seeds.iter().min().unwrap_or(&0),
        seeds.iter().max().unwrap_or(&0)
    );
    out
}

fn cell(values: &[f64]) -> String {
    if values.is_empty() {
        return "-".into();
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    match max - min > 1e-9 {
        true => format!("{} [{}, {}]", short(mean), short(min), short(max)),
        false => short(mean),
    }
}

/// Three significant figures, at most one decimal for large values.
fn short(v: f64) -> String {
    match v.abs() {
        a if a >= 100.0 || a == a.trunc() => format!("{v:.0}"),
        a if a >= 10.0 => format!("{v:.1}"),
        _ => format!("{v:.2}"),
    }
}
