//! `migsim calibrate plot`: per phase, the measured points and the fitted line.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::migration::calibration::{Calibration, Phase, Sample};
use crate::plot::{render, Figure, FONT};
use crate::units::human_bytes;

const MIB: f64 = 1048576.0;
const PANEL: (u32, u32) = (520, 380);
const COLUMNS: usize = 3;

/// One panel per fitted phase: every sample as a point, the line through them.
pub fn draw_calibration(c: &Calibration, samples: &[Sample], path: &Path) -> Result<(), String> {
    let phases: Vec<Phase> = c.phases.keys().copied().collect();
    if phases.is_empty() {
        return Err("nothing to draw: the calibration has no phases".into());
    }
    let columns = COLUMNS.min(phases.len());
    let rows = phases.len().div_ceil(columns);
    let size = (PANEL.0 * columns as u32, PANEL.1 * rows as u32);
    let figure = CalibrationFigure {
        c,
        samples,
        phases: &phases,
        rows,
        columns,
    };
    render(&figure, size, path)
}

#[derive(Clone, Copy)]
struct CalibrationFigure<'a> {
    c: &'a Calibration,
    samples: &'a [Sample],
    phases: &'a [Phase],
    rows: usize,
    columns: usize,
}

impl Figure for CalibrationFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), String> {
        let Self {
            c,
            samples,
            phases,
            rows,
            columns,
        } = *self;
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        root.fill(&WHITE).map_err(err)?;
        for (phase, area) in phases.iter().zip(root.split_evenly((rows, columns))) {
            panel(&area, c, samples, *phase).map_err(err)?;
        }
        root.present().map_err(err)
    }
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Calibration,
    samples: &[Sample],
    phase: Phase,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let fit = &c.phases[&phase];
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.phase == phase)
        .map(|s| (s.memory_bytes / MIB, s.seconds))
        .collect();
    let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max) * 1.05;
    let line_end = fit.line.predict(x_max * MIB);
    let y_max = points
        .iter()
        .map(|p| p.1)
        .fold(line_end, f64::max)
        .max(1e-3)
        * 1.1;
    let rate = fit.line.rate();
    let rate = if rate.is_finite() {
        format!("{}/s", human_bytes(rate))
    } else {
        "flat".into()
    };
    let caption = format!(
        "{phase}: {:.3} s + {rate}, R\u{b2} {:.3}",
        fit.line.intercept, fit.line.r_squared
    );
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
    chart
        .configure_mesh()
        .x_desc("memory (MiB)")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .light_line_style(WHITE)
        .y_desc("seconds")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()?;
    chart.draw_series(
        points
            .iter()
            .map(|&(x, y)| Circle::new((x, y), 3, BLUE.mix(0.6).filled())),
    )?;
    chart.draw_series(LineSeries::new(
        [(0.0, fit.line.predict(0.0)), (x_max, line_end)],
        RED.stroke_width(2),
    ))?;
    Ok(())
}
