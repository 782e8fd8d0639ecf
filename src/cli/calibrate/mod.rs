//! `migsim calibrate`: measure real CRIU checkpoints and restores, fit cost models to them (or
//! to published measurements), predict with a fitted model, and plot the fits.

mod fit;
mod measure;
#[cfg(feature = "plot")]
mod plot;
mod predict;
pub mod report;

use clap::Subcommand;

use crate::cli::CliError;

#[derive(Subcommand)]
pub enum CalibrateCommand {
    /// Time real `criu` dumps, streams and restores of memory hogs; write one CSV row per run and phase.
    Measure(measure::MeasureArgs),
    /// Fit per-phase lines and a cost model to measurements; write a calibration file.
    Fit(fit::FitArgs),
    /// Predict each phase, the downtime and the total of one migration from a calibration file.
    Predict(predict::PredictArgs),
    /// Draw measured points and fitted lines per phase (PNG or SVG).
    #[cfg(feature = "plot")]
    Plot(plot::PlotArgs),
}

pub fn calibrate(command: CalibrateCommand) -> Result<(), CliError> {
    match command {
        CalibrateCommand::Measure(a) => measure::measure(a),
        CalibrateCommand::Fit(a) => fit::fit(a),
        CalibrateCommand::Predict(a) => predict::predict(a),
        #[cfg(feature = "plot")]
        CalibrateCommand::Plot(a) => plot::plot(a),
    }
}
