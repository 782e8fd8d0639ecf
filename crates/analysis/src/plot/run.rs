//! The figures of one run: node memory over time, and the distribution of job slowdown.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::plot::inputs::{JobRow, RunFiles};
use crate::plot::style::{self, TimeAxis, AXIS, CAPTION, TICKS};
use crate::plot::{render, Figure, FONT};

const GIB: f64 = 1073741824.0;
/// Nodes drawn at most: the busiest ones (most OOM kills and migrations).
const MAX_NODES: usize = 4;
const PANEL: (u32, u32) = (1000, 380);

/// Memory used over time on the busiest nodes (at most four, one panel each), with capacity,
/// the controller's and unscheduler's thresholds, migrations out and in as shaded spans,
/// and OOM kills as crosses.
pub fn draw_memory(run: &RunFiles, path: &Path) -> Result<(), String> {
    let nodes = busiest_nodes(run);
    if nodes.is_empty() {
        return Err("nothing to draw: nodes.csv has no samples".into());
    }
    let end = run.nodes.iter().map(|r| r.time_s).fold(0.0, f64::max);
    let figure = MemoryFigure {
        run,
        nodes: &nodes,
        time: TimeAxis::for_span(end),
        end,
    };
    render(&figure, (PANEL.0, 50 + PANEL.1 * nodes.len() as u32), path)
}

/// Nodes ranked by how much happened on them, ties in the order they appear; then shown in
/// that original order.
fn busiest_nodes(run: &RunFiles) -> Vec<String> {
    let mut names: Vec<&str> = Vec::new();
    for r in &run.nodes {
        if !names.contains(&r.node.as_str()) {
            names.push(&r.node);
        }
    }
    let activity = |n: &str| {
        let kills = run.kills.iter().filter(|k| k.node == n).count();
        let moves = run
            .migrations
            .iter()
            .filter(|m| m.source == n || m.target == n)
            .count();
        kills + moves
    };
    let mut ranked: Vec<(usize, &str)> = names.iter().copied().enumerate().collect();
    ranked.sort_by_key(|&(i, n)| (std::cmp::Reverse(activity(n)), i));
    ranked.truncate(MAX_NODES);
    ranked.sort_by_key(|&(i, _)| i);
    ranked.into_iter().map(|(_, n)| n.to_string()).collect()
}

struct MemoryFigure<'a> {
    run: &'a RunFiles,
    nodes: &'a [String],
    time: TimeAxis,
    end: f64,
}

impl Figure for MemoryFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let root = root
            .titled(&format!("node memory: {}", self.run.title), (FONT, CAPTION))
            .map_err(err)?;
        let areas = root.split_evenly((self.nodes.len(), 1));
        for (i, (node, area)) in self.nodes.iter().zip(&areas).enumerate() {
            self.panel(area, node, i == 0).map_err(err)?;
        }
        root.present().map_err(err)
    }
}

impl MemoryFigure<'_> {
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        node: &str,
        legend: bool,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let run = self.run;
        let t = |s: f64| self.time.at(s);
        let samples: Vec<_> = run.nodes.iter().filter(|r| r.node == node).collect();
        let capacity = samples
            .iter()
            .map(|r| r.memory_capacity_bytes)
            .fold(0.0, f64::max);
        let y_max = samples
            .iter()
            .map(|r| r.memory_used_bytes)
            .fold(capacity, f64::max)
            / GIB
            * 1.08;
        let outgoing = run.migrations.iter().filter(|m| m.source == node).count();
        let incoming = run.migrations.iter().filter(|m| m.target == node).count();
        let kills: Vec<_> = run.kills.iter().filter(|k| k.node == node).collect();
        let caption = format!(
            "{node}: {} OOM kills, {outgoing} migrations out, {incoming} in",
            kills.len()
        );
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FONT, CAPTION))
            .margin(14)
            .x_label_area_size(58)
            .y_label_area_size(80)
            .build_cartesian_2d(0.0..t(self.end).max(1e-9), 0.0..y_max.max(1e-9))?;
        chart
            .configure_mesh()
            .x_desc(format!("time ({})", self.time.unit))
            .y_desc("memory (GiB)")
            .x_label_formatter(&style::ticks(t(self.end)))
            .y_label_formatter(&style::ticks(y_max))
            .light_line_style(WHITE)
            .label_style((FONT, TICKS))
            .axis_desc_style((FONT, AXIS))
            .draw()?;
        for (out, colour, label) in [
            (true, style::series(1), "migrating out"),
            (false, style::series(2), "migrating in"),
        ] {
            let spans: Vec<(f64, f64)> = run
                .migrations
                .iter()
                .filter(|m| match out {
                    true => m.source == node,
                    false => m.target == node,
                })
                .filter_map(|m| Some((t(m.start_s?), t(m.end_s.unwrap_or(self.end)))))
                // At least a few pixels wide: a 10-second move on a day-long axis still shows.
                .map(|(a, b)| (a, b.max(a + t(self.end) * 0.003)))
                .collect();
            let shade = colour.mix(0.45).filled();
            let series = chart.draw_series(
                spans
                    .iter()
                    .map(|&(a, b)| Rectangle::new([(a, 0.0), (b, y_max)], shade)),
            )?;
            if !spans.is_empty() {
                series
                    .label(label)
                    .legend(move |(x, y)| Rectangle::new([(x, y - 8), (x + 24, y + 8)], shade));
            }
        }
        let used = style::series(0);
        chart
            .draw_series(LineSeries::new(
                samples
                    .iter()
                    .map(|r| (t(r.time_s), r.memory_used_bytes / GIB)),
                used.stroke_width(3),
            ))?
            .label("memory used")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], used.stroke_width(3)));
        let mut limits = vec![(1.0, "capacity", BLACK)];
        if let Some(f) = run.keep_free {
            limits.push((1.0 - f, "controller limit", style::series(5)));
        }
        if let Some(f) = run.cordon_above {
            limits.push((f, "cordon above", style::series(6)));
        }
        for (fraction, label, colour) in limits {
            let y = capacity * fraction / GIB;
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, y), (t(self.end), y)],
                    12,
                    8,
                    colour.stroke_width(2),
                ))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(2))
                });
        }
        // At the capacity line: the node ran out there; the samples between may miss the peak.
        let killed =
            chart.draw_series(kills.iter().map(|k| {
                Cross::new((t(k.time_s), capacity / GIB), 9, style::RED.stroke_width(3))
            }))?;
        if !kills.is_empty() {
            killed
                .label("OOM kill")
                .legend(|(x, y)| Cross::new((x + 12, y), 8, style::RED.stroke_width(3)));
        }
        if legend {
            style::legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        }
        Ok(())
    }
}

/// The CDF of job slowdown, (end - arrival) / work, over finished jobs: one line for all of
/// them and, when there are a few classes, one per class.
pub fn draw_slowdown(run: &RunFiles, path: &Path) -> Result<(), String> {
    let all = slowdowns(run.jobs.iter());
    if all.is_empty() {
        return Err("nothing to draw: no job finished".into());
    }
    let mut classes: Vec<&str> = Vec::new();
    for j in &run.jobs {
        if !classes.contains(&j.class.as_str()) {
            classes.push(&j.class);
        }
    }
    let mut lines = vec![("all jobs".to_string(), all)];
    if (2..=6).contains(&classes.len()) {
        for c in classes {
            let mine = slowdowns(run.jobs.iter().filter(|j| j.class == c));
            if !mine.is_empty() {
                lines.push((format!("class {c}"), mine));
            }
        }
    }
    let figure = SlowdownFigure {
        title: &run.title,
        lines,
    };
    render(&figure, (1000, 700), path)
}

/// Sorted slowdowns of the finished jobs among `jobs`.
fn slowdowns<'a>(jobs: impl Iterator<Item = &'a JobRow>) -> Vec<f64> {
    let mut v: Vec<f64> = jobs
        .filter(|j| j.outcome == "finished" && j.work_s > 0.0)
        .filter_map(|j| Some((j.end_s? - j.arrival_s) / j.work_s))
        .collect();
    v.sort_by(f64::total_cmp);
    v
}

struct SlowdownFigure<'a> {
    title: &'a str,
    /// Label and sorted slowdowns.
    lines: Vec<(String, Vec<f64>)>,
}

impl Figure for SlowdownFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let max = self.lines[0].1.last().copied().unwrap_or(1.0);
        let min = self.lines[0].1.first().copied().unwrap_or(1.0);
        let range = (min.min(1.0) * 0.98)..(max.max(min * 1.1) * 1.05);
        // Slowdowns spread over orders of magnitude read best on a log axis.
        match max / min > 20.0 {
            true => self.chart(&root, range.log_scale()).map_err(err)?,
            false => self.chart(&root, range).map_err(err)?,
        }
        root.present().map_err(err)
    }
}

impl SlowdownFigure<'_> {
    fn chart<DB: DrawingBackend, X>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: X,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>
    where
        X: plotters::coord::ranged1d::AsRangedCoord<Value = f64>,
        X::CoordDescType: plotters::coord::ranged1d::ValueFormatter<f64>,
    {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("job slowdown: {}", self.title), (FONT, CAPTION))
            .margin(16)
            .x_label_area_size(64)
            .y_label_area_size(90)
            .build_cartesian_2d(x, 0.0..1.0)?;
        chart
            .configure_mesh()
            .x_desc("slowdown: (end - arrival) / work")
            .y_desc("fraction of finished jobs")
            .light_line_style(WHITE)
            .label_style((FONT, TICKS))
            .axis_desc_style((FONT, AXIS))
            .draw()?;
        for (i, (label, values)) in self.lines.iter().enumerate() {
            let colour = match i {
                0 => BLACK,
                i => style::series(i - 1),
            };
            let width = if i == 0 { 4 } else { 2 };
            let n = values.len() as f64;
            // A step function: the fraction jumps at each job's value.
            let steps = values
                .iter()
                .enumerate()
                .flat_map(|(k, &v)| [(v, k as f64 / n), (v, (k + 1) as f64 / n)]);
            chart
                .draw_series(LineSeries::new(steps, colour.stroke_width(width)))?
                .label(format!("{label} ({})", values.len()))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(width))
                });
        }
        style::legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        Ok(())
    }
}
