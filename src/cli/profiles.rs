use migsim::migration::calibration::{ums_fits, UmsRun, PROFILES, UMS_APPROACHES};
use migsim::units::human_bytes;

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct ProfilesArgs {}

/// Prints each named cost profile, the fit behind it and how well it reproduces the data.
pub fn profiles(_: ProfilesArgs) -> Result<(), CliError> {
    for ((name, what), (fit, approach)) in
        PROFILES.iter().zip(ums_fits().iter().zip(&UMS_APPROACHES))
    {
        let m = &fit.model;
        println!("{name}: {what}");
        println!(
            "  setup {:.2} s | checkpoint {:.2} s + {}/s | transfer +{:.2} s at {:.0}% of the link | restore {:.2} s + {}/s | streaming {}",
            m.setup,
            m.checkpoint_overhead,
            human_bytes(m.checkpoint_rate),
            m.transfer_overhead,
            100.0 * m.efficiency,
            m.restore_overhead,
            human_bytes(m.restore_rate),
            m.streaming
        );
        println!(
            "  R^2: checkpoint {:.3}, checkpoint+transfer {:.3}, restore {:.3}",
            fit.checkpoint.r_squared,
            fit.checkpoint_and_transfer.r_squared,
            fit.restoration.r_squared
        );
        let runs = UmsRun::parse(approach.data).expect("the shipped UMS data parse");
        let mut sizes: Vec<f64> = runs.iter().map(|r| r.bytes).collect();
        sizes.dedup();
        print!("  total at 1 Gbit/s, measured -> model:");
        for b in sizes {
            let at: Vec<f64> = runs
                .iter()
                .filter(|r| r.bytes == b)
                .map(|r| r.total)
                .collect();
            let measured = at.iter().sum::<f64>() / at.len() as f64;
            print!(
                " {} {:.1}->{:.1} s;",
                human_bytes(b),
                measured,
                fit.predict_total(b)
            );
        }
        println!();
    }
    Ok(())
}
