//! What every figure shares: colours, type sizes for a figure printed at column width, and
//! the time axis.

use plotters::chart::{ChartContext, SeriesLabelPosition};
use plotters::coord::CoordTranslate;
use plotters::prelude::{Color, DrawingAreaErrorKind, DrawingBackend, BLACK, WHITE};
use plotters::style::RGBColor;

use crate::plot::FONT;

/// Colour-blind-safe series colours (Okabe and Ito).
pub const SERIES: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(120, 120, 120),
];

pub const RED: RGBColor = RGBColor(200, 30, 30);

/// Type sizes in pixels for a 1000-pixel-wide figure, which a paper shrinks to about 3.5
/// inches: tick labels stay at about 8 points there.
pub const CAPTION: u32 = 30;
pub const AXIS: u32 = 28;
pub const TICKS: u32 = 24;
pub const LEGEND: u32 = 22;

/// The colour of series `i`.
pub fn series(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Seconds shown in the unit that suits a span: minutes up to 3 hours, hours up to 3 days,
/// then days.
#[derive(Clone, Copy)]
pub struct TimeAxis {
    pub per_second: f64,
    pub unit: &'static str,
}

impl TimeAxis {
    pub fn for_span(seconds: f64) -> Self {
        let (per_second, unit) = match seconds {
            s if s <= 3.0 * 3600.0 => (1.0 / 60.0, "min"),
            s if s <= 3.0 * 86400.0 => (1.0 / 3600.0, "h"),
            _ => (1.0 / 86400.0, "days"),
        };
        TimeAxis { per_second, unit }
    }

    pub fn at(&self, seconds: f64) -> f64 {
        seconds * self.per_second
    }
}

/// Tick labels with as many decimals as an axis spanning `span` needs.
pub fn ticks(span: f64) -> impl Fn(&f64) -> String {
    let decimals = match span.abs() {
        s if s >= 10.0 => 0,
        s if s >= 1.0 => 1,
        _ => 2,
    };
    move |v| format!("{v:.decimals$}")
}

/// The legend of a chart's labelled series, boxed, at `at`.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    at: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(at)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font((FONT, LEGEND))
        .draw()
}
