use std::path::PathBuf;

use migsim::migration::calibration::Calibration;
use migsim::migration::{Estimate, Mechanism, MigrationSpec};
use migsim::units::{human_bytes, non_negative, positive, Memory, Rate};

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct PredictArgs {
    /// A calibration file from `migsim calibrate fit`.
    calibration: PathBuf,
    /// The job's memory, e.g. 50GB.
    #[arg(long, value_parser = positive::<Memory>)]
    memory: f64,
    /// One mechanism (restart, stop-and-copy, pre-copy, post-copy); default: all four.
    #[arg(long, value_parser = Mechanism::parse)]
    mechanism: Option<Mechanism>,
    /// The network, e.g. 10Gbit/s; default: the link the calibration was measured on.
    #[arg(long, value_parser = positive::<Rate>)]
    bandwidth: Option<f64>,
    /// How fast the job dirties its pages while pre-copy runs, e.g. 100MiB/s.
    #[arg(long, value_parser = non_negative::<Rate>, default_value = "0")]
    dirty_rate: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

pub fn predict(args: PredictArgs) -> Result<(), CliError> {
    let calibration = Calibration::read(&args.calibration)?;
    let bandwidth = args.bandwidth.unwrap_or_else(|| calibration.bandwidth());
    let mechanisms = args.mechanism.map_or(Mechanism::ALL.to_vec(), |m| vec![m]);
    let estimates: Vec<Estimate> = mechanisms
        .into_iter()
        .map(|mechanism| {
            let spec = MigrationSpec {
                mechanism,
                ..MigrationSpec::default()
            };
            spec.estimate(&calibration.cost, args.memory, bandwidth, args.dirty_rate)
        })
        .collect();
    if args.json {
        let text = serde_json::to_string_pretty(&estimates).expect("estimates serialise");
        println!("{text}");
        return Ok(());
    }
    let link = if bandwidth.is_finite() {
        format!("{}/s", human_bytes(bandwidth))
    } else {
        "unlimited bandwidth (loopback calibration; give --bandwidth for a network)".into()
    };
    println!("{} over {link}", human_bytes(args.memory));
    for e in &estimates {
        println!("{}", e.mechanism);
        for p in &e.phases {
            let frozen = if p.frozen { "  (frozen)" } else { "" };
            println!("  {:<20} {:>10.3} s{frozen}", p.phase, p.seconds);
        }
        println!("  {:<20} {:>10.3} s", "downtime", e.downtime);
        println!("  {:<20} {:>10.3} s", "total", e.total);
        if let Some(why) = &e.diverges {
            println!("  {why}");
        }
    }
    Ok(())
}
