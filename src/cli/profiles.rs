use migsim::migration::calibration::{thesis_2022, ums_fits, PROFILES, THESIS_2022};
use migsim::migration::CostSpec;

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
    let (name, what) = THESIS_2022;
    let cost = toml::to_string(&CostSpec::from(&thesis_2022())).expect("a cost serialises");
    println!("{name}: {what}\n{cost}");
    Ok(())
}
