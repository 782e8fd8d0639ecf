use std::path::PathBuf;

use migsim::migration::calibration::{Calibration, Holdout, Input};
use migsim::output::write_atomic;
use migsim::units::{human_bytes, positive, Rate};

use crate::cli::calibrate::report;
use crate::cli::CliError;

#[derive(clap::Args)]
pub struct FitArgs {
    /// Measurements: CSVs from `calibrate measure`, generic CSVs (memory_bytes,phase,seconds)
    /// or UMS JSON files (`*_exp1.json`).
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<PathBuf>,
    /// Where to write the calibration (TOML); without it, only print the fits.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also fit on all sizes but the largest N, and show how well those N are predicted.
    #[arg(long, value_name = "N")]
    holdout: Option<usize>,
    /// The link every input's transfers crossed, e.g. 10Gbit/s (for a paper's table, the
    /// network it states); without it, what each input says (a generic CSV: loopback).
    #[arg(long, value_parser = positive::<Rate>)]
    link: Option<f64>,
}

pub fn fit(args: FitArgs) -> Result<(), CliError> {
    let mut inputs = read_inputs(&args.inputs)?;
    if let Some(link) = args.link {
        inputs.iter_mut().for_each(|i| i.link = Some(link));
    }
    let calibration = Calibration::from_inputs(&inputs).map_err(CliError::Input)?;
    println!("fitted {}", calibration.inputs.join(", "));
    report::print(&calibration);
    if let Some(n) = args.holdout {
        print_holdout(&Holdout::run(&inputs, n).map_err(CliError::Input)?);
    }
    if let Some(out) = &args.out {
        let text = calibration.to_toml();
        write_atomic(out, &|w| w.write_all(text.as_bytes())).map_err(|source| CliError::Write {
            path: out.clone(),
            source,
        })?;
        println!("wrote {}", out.display());
    }
    Ok(())
}

pub fn read_inputs(paths: &[PathBuf]) -> Result<Vec<Input>, CliError> {
    paths
        .iter()
        .map(|p| Input::read(p).map_err(CliError::from))
        .collect()
}

fn print_holdout(h: &Holdout) {
    let trained: Vec<String> = h.trained.iter().map(|&s| human_bytes(s)).collect();
    println!("  held out: fitted on {} only", trained.join(", "));
    println!(
        "    {:>12} {:<14} {:>10} {:>10} {:>8}",
        "size", "what", "measured", "predicted", "error"
    );
    for r in &h.rows {
        println!(
            "    {:>12} {:<14} {:>9.3}s {:>9.3}s {:>+7.1}%",
            human_bytes(r.size),
            r.what,
            r.measured,
            r.predicted,
            100.0 * r.relative_error()
        );
    }
}
