use std::path::PathBuf;

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct CompareArgs {
    /// A `migsim run` folder.
    sim: PathBuf,
    /// A `migsim live` folder of the same scenario.
    live: PathBuf,
    /// Also write the report to this file (Markdown).
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn compare(args: CompareArgs) -> Result<(), CliError> {
    let report = migsim::compare::compare(&args.sim, &args.live)
        .map_err(|e| CliError::Input(e.to_string()))?;
    let text = migsim::compare::markdown(&report);
    print!("{text}");
    if let Some(path) = &args.out {
        migsim::output::write_atomic(path, &|w| w.write_all(text.as_bytes())).map_err(
            |source| CliError::Write {
                path: path.clone(),
                source,
            },
        )?;
    }
    Ok(())
}
