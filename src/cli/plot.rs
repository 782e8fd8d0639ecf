//! `migsim plot`: the figures of a run folder or of a sweep folder.

use std::path::{Path, PathBuf};

use migsim::plot::{draw_memory, draw_metric, draw_slowdown, pick_x_axis, RunFiles, SweepFiles};
use migsim::sweep::HEADLINES;

use crate::cli::CliError;

#[derive(Clone, Copy, clap::ValueEnum)]
enum FigureFormat {
    Png,
    Svg,
}

#[derive(clap::Args)]
pub struct PlotArgs {
    /// A folder written by `migsim run` or `migsim sweep`.
    dir: PathBuf,
    #[arg(long, value_enum, default_value = "png")]
    format: FigureFormat,
    /// Where the figures go (default: DIR/figures).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Sweeps: the metrics to draw (repeatable; default: the headline metrics).
    #[arg(long)]
    metric: Vec<String>,
    /// Sweeps: the axis along x (default: the first numeric axis with several values).
    #[arg(long)]
    x: Option<String>,
}

pub fn plot(args: PlotArgs) -> Result<(), CliError> {
    let out = args.out.clone().unwrap_or_else(|| args.dir.join("figures"));
    std::fs::create_dir_all(&out).map_err(|source| CliError::Write {
        path: out.clone(),
        source,
    })?;
    let ext = match args.format {
        FigureFormat::Png => "png",
        FigureFormat::Svg => "svg",
    };
    let figure = |name: &str| out.join(format!("{name}.{ext}"));
    let written = if args.dir.join("sweep.json").exists() {
        sweep_figures(&args, &figure)?
    } else if args.dir.join("summary.json").exists() {
        run_figures(&args.dir, &figure)?
    } else {
        return Err(CliError::Input(format!(
            "{}: neither a run (summary.json) nor a sweep (sweep.json) folder",
            args.dir.display()
        )));
    };
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}

fn run_figures(dir: &Path, figure: &dyn Fn(&str) -> PathBuf) -> Result<Vec<PathBuf>, CliError> {
    let run = RunFiles::read(dir).map_err(|e| CliError::Input(e.to_string()))?;
    let (memory, slowdown) = (figure("memory"), figure("slowdown"));
    draw_memory(&run, &memory).map_err(CliError::Failed)?;
    draw_slowdown(&run, &slowdown).map_err(CliError::Failed)?;
    Ok(vec![memory, slowdown])
}

fn sweep_figures(
    args: &PlotArgs,
    figure: &dyn Fn(&str) -> PathBuf,
) -> Result<Vec<PathBuf>, CliError> {
    let files = SweepFiles::read(&args.dir).map_err(|e| CliError::Input(e.to_string()))?;
    let x = pick_x_axis(&files, args.x.as_deref()).map_err(CliError::Input)?;
    let metrics: Vec<String> = match args.metric.is_empty() {
        true => HEADLINES.iter().map(|h| h.metric.to_string()).collect(),
        false => args.metric.clone(),
    };
    let mut written = Vec::new();
    for m in &metrics {
        let path = figure(m);
        draw_metric(&files, m, x, &path).map_err(CliError::Input)?;
        written.push(path);
    }
    Ok(written)
}
