//! `migsim bench --plot`: wall time against cluster size, on log-log axes, one series with and
//! one without the controller, each beside the line of linear scaling from its smallest size.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::bench::Measured;
use crate::plot::style::{legend, series, AXIS, CAPTION, TICKS};
use crate::plot::{render, Figure, FONT};

const SIZE: (u32, u32) = (1000, 700);

/// Draws the rows of one bench run; sizes with one row each (and at least one) are needed.
pub fn draw_scaling(rows: &[Measured], path: &Path) -> Result<(), String> {
    if rows.is_empty() {
        return Err("nothing to draw: the bench measured no size".into());
    }
    render(&ScalingFigure { rows }, SIZE, path)
}

/// A log axis labels every integer step; only 1, 2 and 5 times a power of ten are named.
fn round_labels(x: &f64) -> String {
    let lead = *x / 10f64.powf(x.log10().floor());
    match [1.0, 2.0, 5.0].iter().any(|m| (lead - m).abs() < 1e-9) {
        true => format!("{x:.0}"),
        false => String::new(),
    }
}

struct ScalingFigure<'a> {
    rows: &'a [Measured],
}

impl ScalingFigure<'_> {
    /// (label, points sorted by nodes) for each controller setting that was measured.
    fn series(&self) -> Vec<(&'static str, Vec<(f64, f64)>)> {
        [(false, "no controller"), (true, "threshold controller")]
            .into_iter()
            .filter_map(|(controller, label)| {
                let mut points: Vec<(f64, f64)> = self
                    .rows
                    .iter()
                    .filter(|m| m.shape.controller == controller)
                    .map(|m| (f64::from(m.shape.nodes), m.wall_s.max(1e-3)))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                (!points.is_empty()).then_some((label, points))
            })
            .collect()
    }
}

impl Figure for ScalingFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        let all = self.series();
        let xs = all.iter().flat_map(|(_, p)| p.iter().map(|q| q.0));
        let (x_lo, x_hi) = xs.fold((f64::MAX, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
        let ys = all.iter().flat_map(|(_, p)| p.iter().map(|q| q.1));
        let (y_lo, y_hi) = ys.fold((f64::MAX, 0.0f64), |(lo, hi), y| (lo.min(y), hi.max(y)));
        // Room for the linear lines, which end above the curves where scaling beats linear.
        let linear_hi = all
            .iter()
            .map(|(_, p)| p[0].1 * p[p.len() - 1].0 / p[0].0)
            .fold(y_hi, f64::max);
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "wall time against cluster size (100 jobs per node, 30 days)",
                (FONT, CAPTION),
            )
            .margin(20)
            .x_label_area_size(70)
            .y_label_area_size(90)
            .build_cartesian_2d(
                (x_lo * 0.8..x_hi * 1.25).log_scale(),
                (y_lo * 0.5..linear_hi * 2.0).log_scale(),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("nodes")
            .y_desc("wall time (s)")
            .x_label_formatter(&round_labels)
            .y_label_formatter(&|y| format!("{y}"))
            .label_style((FONT, TICKS))
            .axis_desc_style((FONT, AXIS))
            .draw()
            .map_err(err)?;
        for (i, (label, points)) in all.iter().enumerate() {
            let colour = series(i);
            chart
                .draw_series(LineSeries::new(points.clone(), colour.stroke_width(3)))
                .map_err(err)?
                .label(*label)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.stroke_width(3))
                });
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 6, colour.filled())))
                .map_err(err)?;
            let (x0, y0) = points[0];
            let x1 = points[points.len() - 1].0;
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, y0), (x1, y0 * x1 / x0)],
                    8,
                    6,
                    colour.mix(0.6).stroke_width(2),
                ))
                .map_err(err)?
                .label(format!("{label}: linear from {x0:.0} nodes"))
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 24, y)], colour.mix(0.6).stroke_width(2))
                });
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft).map_err(err)?;
        root.present().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::Shape;

    fn row(nodes: u32, controller: bool, wall_s: f64) -> Measured {
        Measured {
            shape: Shape::production(nodes, controller),
            wall_s,
            events: 1000,
            peak_rss_bytes: None,
            page_faults: None,
            engine_events_per_s: 1e7,
            oom_kills: 0,
            migrations: 0,
            memory_load: 0.4,
        }
    }

    #[test]
    fn the_figure_holds_both_curves_and_their_linear_lines() {
        let rows = [
            row(1000, false, 0.59),
            row(10000, false, 13.9),
            row(2000, false, 1.45),
            row(1000, true, 3.88),
            row(10000, true, 79.5),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scaling.svg");
        draw_scaling(&rows, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for label in [
            "no controller",
            "threshold controller",
            "no controller: linear from 1000 nodes",
        ] {
            assert!(svg.contains(label), "no `{label}` in the figure");
        }
        let png = std::env::var("MIGSIM_SCALING_PNG").ok();
        if let Some(png) = png {
            draw_scaling(&rows, Path::new(&png)).unwrap();
        }
        assert!(draw_scaling(&[], &path).is_err());
    }
}
