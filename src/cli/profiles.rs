use migsim::migration::calibration::{ums_fits, PROFILES};

use crate::cli::calibrate::report;
use crate::cli::CliError;

#[derive(clap::Args)]
pub struct ProfilesArgs {}

/// Prints each named cost profile, the fit behind it and how well it reproduces the data.
pub fn profiles(_: ProfilesArgs) -> Result<(), CliError> {
    for ((name, what), fit) in PROFILES.iter().zip(ums_fits()) {
        println!("{name}: {what} ({})", fit.inputs.join(", "));
        report::print(fit);
        println!();
    }
    Ok(())
}
