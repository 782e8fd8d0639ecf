use std::path::PathBuf;

use migsim::migration::calibration::{Calibration, Sample};
use migsim::plot::draw_calibration;

use crate::cli::calibrate::fit::read_inputs;
use crate::cli::CliError;

#[derive(clap::Args)]
pub struct PlotArgs {
    /// Measurements, as for `calibrate fit`.
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// The figure: a .png or .svg file.
    #[arg(long, default_value = "calibration.svg")]
    out: PathBuf,
}

/// Fits the inputs as `calibrate fit` does and draws each phase's points and line.
pub fn plot(args: PlotArgs) -> Result<(), CliError> {
    let inputs = read_inputs(&args.inputs)?;
    let calibration = Calibration::from_inputs(&inputs).map_err(CliError::Input)?;
    let samples: Vec<Sample> = inputs.iter().flat_map(|i| i.samples.clone()).collect();
    draw_calibration(&calibration, &samples, &args.out).map_err(CliError::Failed)?;
    println!("wrote {}", args.out.display());
    Ok(())
}
