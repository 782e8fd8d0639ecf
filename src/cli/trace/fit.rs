//! `migsim trace fit`: a trace's jobs as distributions, checked by drawing from them.

use std::fmt::Write as _;
use std::path::PathBuf;

use migsim::engine::RngStreams;
use migsim::trace::fit::{fit as fit_trace, ClassFit};
use migsim::trace::import::import;
use migsim::trace::Format;
use migsim::trace::Spread;
use migsim::units::{human_bytes, human_duration, positive, Plain};
use migsim::workload::{generate, WorkloadSpec};

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct FitArgs {
    /// The trace (migsim's format unless --format says otherwise).
    trace: PathBuf,
    #[arg(long, value_parser = super::format_parser(), default_value = "migsim")]
    format: Format,
    /// Each container's limit, for a format that gives fractions of it.
    #[arg(long, value_parser = positive::<migsim::units::Memory>)]
    limit: Option<f64>,
    /// Generate this many times the trace's jobs over the same span.
    #[arg(long, default_value = "1", value_parser = positive::<Plain>)]
    scale: f64,
    /// Where to write the [[workload.generate]] classes (TOML); default: print them.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Seed of the check draw.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

pub fn fit(args: FitArgs) -> Result<(), CliError> {
    let trace = import(args.format, &args.trace, args.limit)?.trace;
    let fits = fit_trace(&trace, trace.step_s(), args.scale);
    let workload = WorkloadSpec {
        generate: fits.iter().map(|f| f.spec.clone()).collect(),
        ..WorkloadSpec::default()
    };
    let toml = classes_toml(&args, &workload)?;
    match &args.out {
        Some(path) => migsim::output::write_atomic(path, &|w| w.write_all(toml.as_bytes()))
            .map_err(|source| CliError::Write {
                path: path.clone(),
                source,
            })?,
        None => print!("{toml}"),
    }
    // The check: draw from the fit and set its jobs beside the trace's.
    let drawn = generate(&workload, &RngStreams::new(args.seed))
        .map_err(|e| CliError::Failed(format!("the fitted classes do not draw: {}", e.message)))?;
    let report = report(&fits, &trace, &drawn, args.scale);
    match args.out {
        Some(_) => print!("{report}"),
        None => eprint!("{report}"),
    }
    Ok(())
}

fn classes_toml(args: &FitArgs, workload: &WorkloadSpec) -> Result<String, CliError> {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        workload: &'a WorkloadSpec,
    }
    let body = toml::to_string(&Doc { workload })
        .map_err(|e| CliError::Failed(format!("cannot write the classes: {e}")))?;
    Ok(format!(
        "# migsim trace fit {} --scale {}: paste into a scenario.\n{body}",
        args.trace.display(),
        args.scale
    ))
}

/// Per class: jobs, how well logistic curves fit, and the medians and 95th percentiles of
/// peak and duration in the trace and in one draw of the fit.
fn report(
    fits: &[ClassFit],
    trace: &migsim::trace::Trace,
    drawn: &[migsim::workload::JobSpec],
    scale: f64,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| class | jobs (trace / drawn) | median R^2 of the curves | peak p50 (trace / drawn) | peak p95 | duration p50 | duration p95 |"
    );
    let _ = writeln!(out, "|---|---|---:|---|---|---|---|");
    for f in fits {
        let of_trace: Vec<&migsim::trace::TraceJob> =
            trace.jobs.iter().filter(|j| j.class() == f.class).collect();
        let of_draw: Vec<&migsim::workload::JobSpec> =
            drawn.iter().filter(|j| j.class == f.class).collect();
        let tp = Spread::of(of_trace.iter().map(|j| j.peak()).collect());
        let dp = Spread::of(of_draw.iter().map(|j| j.profile.peak()).collect());
        let td = Spread::of(of_trace.iter().map(|j| j.duration()).collect());
        let dd = Spread::of(of_draw.iter().map(|j| j.work.as_secs()).collect());
        let r2 = Spread::of(f.curves.iter().map(|c| c.r2).collect()).p50;
        let bytes = |a: f64, b: f64| format!("{} / {}", human_bytes(a), human_bytes(b));
        let secs = |a: f64, b: f64| format!("{} / {}", human_duration(a), human_duration(b));
        let _ = writeln!(
            out,
            "| {} | {} / {} | {r2:.3} | {} | {} | {} | {} |",
            f.class,
            f.jobs,
            of_draw.len(),
            bytes(tp.p50, dp.p50),
            bytes(tp.p95, dp.p95),
            secs(td.p50, dd.p50),
            secs(td.p95, dd.p95),
        );
    }
    let _ = writeln!(out, "scale {scale}: drawn once with the check seed");
    out
}
