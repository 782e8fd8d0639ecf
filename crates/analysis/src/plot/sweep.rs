//! A sweep's figures: one metric against one swept axis, one line per combination of the
//! other axes (the policies), each with its 95% confidence band. An axis of numbers, sizes or
//! durations is drawn to scale; any other (variant names) as categories with error bars.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::inputs::{SummaryRow, SweepFiles};
use crate::plot::style::{self, AXIS, CAPTION, TICKS};
use crate::plot::{render, Figure, FONT};
use crate::sweep::label_of;
use crate::units::{Memory, Time, Unit};

/// The axis to draw against: the one asked for, else the first numeric axis with several
/// values, else the first axis with several values.
pub fn pick_x_axis(files: &SweepFiles, asked: Option<&str>) -> Result<usize, String> {
    let names = || {
        files
            .axes
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = asked {
        return files
            .axes
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| format!("--x: no axis `{name}`; the sweep has {}", names()));
    }
    let varied = |i: &usize| files.axes[*i].1.len() > 1;
    (0..files.axes.len())
        .filter(varied)
        .find(|&i| Scale::of(&files.axes[i].1).is_some())
        .or_else(|| (0..files.axes.len()).find(varied))
        .ok_or_else(|| "nothing to draw against: every axis of the sweep has one value".into())
}

/// How the values of a numeric axis map to numbers, and the unit the axis shows.
struct Scale {
    unit: &'static str,
    values: Vec<f64>,
}

impl Scale {
    /// Plain numbers, memory sizes (in GiB) or durations (in the unit that suits them); none
    /// if the values are names.
    fn of(values: &[String]) -> Option<Scale> {
        let all = |f: &dyn Fn(&str) -> Option<f64>| values.iter().map(|v| f(v)).collect();
        if let Some(v) = all(&|s| s.parse::<f64>().ok()) {
            return Some(Scale {
                unit: "",
                values: v,
            });
        }
        let has_unit = values
            .iter()
            .all(|v| v.ends_with(|c: char| c.is_alphabetic()));
        if !has_unit {
            return None;
        }
        if let Some(v) = all(&|s| Memory::parse(s).ok().map(|b| b / 1073741824.0)) {
            return Some(Scale {
                unit: "GiB",
                values: v,
            });
        }
        let secs: Vec<f64> = all(&|s| Time::parse(s).ok())?;
        let max = secs.iter().copied().fold(0.0, f64::max);
        let (unit, per) = match max {
            m if m >= 7200.0 => ("h", 3600.0),
            m if m >= 120.0 => ("min", 60.0),
            _ => ("s", 1.0),
        };
        Some(Scale {
            unit,
            values: secs.iter().map(|s| s / per).collect(),
        })
    }
}

/// One line of the figure: a combination of the other axes' values, and per x value the mean
/// and its interval.
struct Line {
    label: String,
    points: Vec<(f64, f64, f64, f64)>,
}

/// Draws `metric` against axis `x` into `path`.
pub fn draw_metric(files: &SweepFiles, metric: &str, x: usize, path: &Path) -> Result<(), String> {
    let (label, factor) = label_of(metric);
    let (x_name, x_values) = &files.axes[x];
    let scale = Scale::of(x_values);
    let position = |v: &str| {
        let i = x_values.iter().position(|x| x == v)?;
        Some(scale.as_ref().map_or(i as f64, |s| s.values[i]))
    };
    let rows: Vec<&SummaryRow> = files.rows.iter().filter(|r| r.metric == metric).collect();
    if rows.is_empty() {
        return Err(format!("summary.csv has no metric `{metric}`"));
    }
    let mut lines: Vec<Line> = Vec::new();
    for r in rows {
        let Some(mean) = r.mean else { continue };
        let key = line_label(files, x, &r.labels);
        let at = position(&r.labels[x])
            .ok_or_else(|| format!("`{}` is not on axis {x_name}", r.labels[x]))?;
        let (lo, hi) = (r.ci95_low.unwrap_or(mean), r.ci95_high.unwrap_or(mean));
        let point = (at, mean * factor, lo * factor, hi * factor);
        match lines.iter_mut().find(|l| l.label == key) {
            Some(l) => l.points.push(point),
            None => lines.push(Line {
                label: key,
                points: vec![point],
            }),
        }
    }
    for l in &mut lines {
        l.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let x_desc = match &scale {
        Some(s) if !s.unit.is_empty() => format!("{x_name} ({})", s.unit),
        _ => x_name.clone(),
    };
    let figure = MetricFigure {
        title: format!("{label}: {} (mean, 95% CI)", files.title),
        y_desc: label,
        x_desc,
        categories: scale.is_none().then(|| x_values.clone()),
        lines,
    };
    render(&figure, (1000, 700), path)
}

/// The values of every axis but `x`, as `value` (one other axis) or `name=value`.
fn line_label(files: &SweepFiles, x: usize, labels: &[String]) -> String {
    let others: Vec<usize> = (0..files.axes.len()).filter(|&i| i != x).collect();
    match others.as_slice() {
        [] => "mean".into(),
        [one] => labels[*one].clone(),
        many => many
            .iter()
            .map(|&i| format!("{}={}", files.axes[i].0, labels[i]))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

struct MetricFigure {
    title: String,
    y_desc: String,
    x_desc: String,
    /// The names along x when the axis is not numeric.
    categories: Option<Vec<String>>,
    lines: Vec<Line>,
}

impl Figure for MetricFigure {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        self.chart(&root).map_err(err)?;
        root.present().map_err(err)
    }
}

impl MetricFigure {
    fn chart<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let all = self.lines.iter().flat_map(|l| &l.points);
        let (x_lo, x_hi) = all
            .clone()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.0), b.max(p.0))
            });
        let y_lo = all.clone().map(|p| p.2).fold(0.0, f64::min);
        let y_hi = all.map(|p| p.3).fold(0.0, f64::max);
        let y_hi = if y_hi > y_lo {
            y_hi + 0.08 * (y_hi - y_lo)
        } else {
            y_lo + 1.0
        };
        let pad = match &self.categories {
            Some(_) => 0.5,
            None => 0.04 * (x_hi - x_lo).max(1e-9),
        };
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, (FONT, CAPTION))
            .margin(16)
            .x_label_area_size(64)
            .y_label_area_size(100)
            .build_cartesian_2d((x_lo - pad)..(x_hi + pad), y_lo..y_hi)?;
        let names = self.categories.clone().unwrap_or_default();
        let category = move |x: &f64| {
            let i = x.round();
            match (x - i).abs() < 1e-6 && i >= 0.0 {
                true => names.get(i as usize).cloned().unwrap_or_default(),
                false => String::new(),
            }
        };
        let (x_ticks, y_ticks) = (style::ticks(x_hi - x_lo), style::ticks(y_hi - y_lo));
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(&self.x_desc)
            .y_desc(&self.y_desc)
            .x_label_formatter(&x_ticks)
            .y_label_formatter(&y_ticks)
            .light_line_style(WHITE)
            .label_style((FONT, TICKS))
            .axis_desc_style((FONT, AXIS));
        if let Some(c) = &self.categories {
            mesh.x_labels(c.len() + 1).x_label_formatter(&category);
        }
        mesh.draw()?;
        let n = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            let colour = style::series(i);
            match &self.categories {
                // Side by side around each category, so the intervals do not hide each other.
                Some(_) => {
                    let shift = (i as f64 - (n as f64 - 1.0) / 2.0) * 0.5 / n.max(1) as f64;
                    chart.draw_series(line.points.iter().map(|&(x, _, lo, hi)| {
                        PathElement::new([(x + shift, lo), (x + shift, hi)], colour.stroke_width(3))
                    }))?;
                    chart
                        .draw_series(
                            line.points.iter().map(|&(x, m, _, _)| {
                                Circle::new((x + shift, m), 8, colour.filled())
                            }),
                        )?
                        .label(&line.label)
                        .legend(move |(x, y)| Circle::new((x + 12, y), 8, colour.filled()));
                }
                None => {
                    let band: Vec<(f64, f64)> = line
                        .points
                        .iter()
                        .map(|p| (p.0, p.2))
                        .chain(line.points.iter().rev().map(|p| (p.0, p.3)))
                        .collect();
                    chart.draw_series([Polygon::new(band, colour.mix(0.2).filled())])?;
                    chart
                        .draw_series(LineSeries::new(
                            line.points.iter().map(|p| (p.0, p.1)),
                            colour.stroke_width(3),
                        ))?
                        .label(&line.label)
                        .legend(move |(x, y)| {
                            PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(3))
                        });
                    chart.draw_series(
                        line.points
                            .iter()
                            .map(|p| Circle::new((p.0, p.1), 6, colour.filled())),
                    )?;
                }
            }
        }
        if n < 2 {
            return Ok(());
        }
        style::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        Ok(())
    }
}
