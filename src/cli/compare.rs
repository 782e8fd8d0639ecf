use std::path::PathBuf;

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct CompareArgs {
    /// A `migsim run` folder.
    sim: PathBuf,
    /// `migsim live` folders of the same scenario (one per backend, say): with more than one,
    /// a side-by-side table comes first, then each one's report.
    #[arg(required = true, num_args = 1..)]
    live: Vec<PathBuf>,
    /// Also write the report to this file (Markdown, or JSON with --json).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The report as JSON: one object (an array of them for several live folders) with the
    /// metrics, kills, utilisation, and per migration its outcome and live/model ratios
    /// (`downtime_ratio`, `total_ratio`).
    #[arg(long)]
    json: bool,
}

pub fn compare(args: CompareArgs) -> Result<(), CliError> {
    let reports = args
        .live
        .iter()
        .map(|live| migsim::compare::compare(&args.sim, live))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Input(e.to_string()))?;
    let text = match args.json {
        true => json(&reports),
        false => markdown(&reports),
    };
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

fn json(reports: &[migsim::compare::Report]) -> String {
    let mut each: Vec<serde_json::Value> = reports.iter().map(migsim::compare::json).collect();
    let value = match each.len() {
        1 => each.remove(0),
        _ => serde_json::Value::Array(each),
    };
    format!("{value:#}\n")
}

fn markdown(reports: &[migsim::compare::Report]) -> String {
    let each = reports.iter().map(migsim::compare::markdown);
    match reports.len() {
        1 => each.collect::<String>(),
        _ => std::iter::once(migsim::compare::side_by_side(reports))
            .chain(each)
            .collect::<Vec<_>>()
            .join("\n"),
    }
}
