//! `migsim bench`: the scale benchmark, one row per size.

use migsim::bench::{measure, median, Measured, Shape, Spread};
use migsim::units::human_bytes;

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Cluster sizes (nodes, comma-separated); each gets 100 jobs per node over --days.
    #[arg(long, value_delimiter = ',', default_values_t = [100, 1000])]
    nodes: Vec<u32>,
    /// Simulated days over which the jobs arrive (the run ends then).
    #[arg(long, default_value_t = 30.0)]
    days: f64,
    /// Run with the threshold controller (10 s, 10 s monitoring delay) as well as without.
    #[arg(long)]
    controller: bool,
    /// Rounds: every size is run this many times, the rounds interleaved, and its median run
    /// reported with the fastest and slowest beside it.
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Write each size's scenario file (NAME.toml) into this folder and run nothing: the shapes
    /// as files, for `migsim run`, profiling, or comparing two builds' outputs.
    #[arg(long, value_name = "DIR")]
    scenarios: Option<std::path::PathBuf>,
    /// Measure the one size given (with the controller if --controller) in this process and
    /// print it as JSON: the bench runs every measurement so, each in a process of its own.
    #[arg(long, hide = true)]
    one: bool,
    /// Also draw wall time against nodes (log-log, with linear scaling for reference) into
    /// this figure (.svg or .png).
    #[cfg(feature = "plot")]
    #[arg(long, value_name = "FILE")]
    plot: Option<std::path::PathBuf>,
}

pub fn bench(args: BenchArgs) -> Result<(), CliError> {
    if !(args.days > 0.0 && args.days.is_finite()) {
        return Err(CliError::Input(format!(
            "--days {}: must be a positive number",
            args.days
        )));
    }
    if args.repeat == 0 {
        return Err(CliError::Input("--repeat 0: must be at least 1".into()));
    }
    if args.one {
        return measure_here(&args);
    }
    let controllers: &[bool] = if args.controller {
        &[false, true]
    } else {
        &[false]
    };
    let shapes: Vec<Shape> = controllers
        .iter()
        .flat_map(|&controller| {
            args.nodes.iter().map(move |&nodes| Shape {
                days: args.days,
                ..Shape::production(nodes, controller)
            })
        })
        .collect();
    if let Some(dir) = &args.scenarios {
        return write_scenarios(&shapes, dir);
    }
    let mut runs: Vec<Vec<Measured>> = vec![Vec::new(); shapes.len()];
    for round in 1..=args.repeat {
        for (shape, runs) in shapes.iter().zip(&mut runs) {
            let m = measure_apart(shape)?;
            eprintln!(
                "round {round}/{}: {} nodes, {}: {:.2} s",
                args.repeat,
                shape.nodes,
                controlled(shape),
                m.wall_s
            );
            runs.push(m);
        }
    }
    let rows: Vec<(Measured, Spread)> = runs.into_iter().filter_map(median).collect();
    println!("| nodes | jobs | controller | memory load | wall s (median [min, max]) | events | events/s | engine events/s | model/engine | peak RSS | page faults | OOM kills | migrations |");
    println!("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    rows.iter()
        .for_each(|(m, spread)| println!("{}", row(m, spread)));
    print_scaling(&rows);
    #[cfg(feature = "plot")]
    if let Some(path) = &args.plot {
        let medians: Vec<Measured> = rows.into_iter().map(|(m, _)| m).collect();
        migsim::plot::draw_scaling(&medians, path).map_err(CliError::Failed)?;
        println!("figure     {}", path.display());
    }
    Ok(())
}

/// Measures `shape` in a new process of this program, so that no run inherits the pages, the
/// allocator's state or the peak memory of the runs before it.
fn measure_apart(shape: &Shape) -> Result<Measured, CliError> {
    let failed = |why: String| CliError::Failed(format!("measuring {}: {why}", shape.name()));
    let exe = std::env::current_exe().map_err(|e| failed(e.to_string()))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["bench", "--one", "--nodes", &shape.nodes.to_string()])
        .args(["--days", &shape.days.to_string()])
        .stderr(std::process::Stdio::inherit());
    if shape.controller {
        cmd.arg("--controller");
    }
    let out = cmd.output().map_err(|e| failed(e.to_string()))?;
    if !out.status.success() {
        return Err(failed(format!(
            "the measuring process ended with {}",
            out.status
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| failed(format!("its report: {e}")))
}

/// `--one`: the single size asked for, measured here and printed as JSON.
fn measure_here(args: &BenchArgs) -> Result<(), CliError> {
    let [nodes] = args.nodes[..] else {
        return Err(CliError::Input(
            "--one measures one size: give one --nodes".into(),
        ));
    };
    let shape = Shape {
        days: args.days,
        ..Shape::production(nodes, args.controller)
    };
    let m = measure(shape).map_err(CliError::Failed)?;
    let json = serde_json::to_string(&m).map_err(|e| CliError::Failed(e.to_string()))?;
    println!("{json}");
    Ok(())
}

fn write_scenarios(shapes: &[Shape], dir: &std::path::Path) -> Result<(), CliError> {
    let failed = |e: std::io::Error| CliError::Failed(format!("{}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(failed)?;
    for shape in shapes {
        let path = dir.join(format!("{}.toml", shape.name()));
        migsim::output::write_atomic(&path, &|w| w.write_all(shape.toml().as_bytes()))
            .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
        println!("{}", path.display());
    }
    Ok(())
}

fn controlled(shape: &Shape) -> &'static str {
    if shape.controller {
        "controller"
    } else {
        "no controller"
    }
}

/// How time grows with the work: each size against the smallest of its kind, in median walls.
fn print_scaling(rows: &[(Measured, Spread)]) {
    let mut lines = Vec::new();
    for controller in [false, true] {
        let kind: Vec<&Measured> = rows
            .iter()
            .map(|(m, _)| m)
            .filter(|m| m.shape.controller == controller)
            .collect();
        let Some(base) = kind.iter().min_by_key(|m| m.shape.nodes) else {
            continue;
        };
        for m in kind.iter().filter(|m| m.shape.nodes > base.shape.nodes) {
            lines.push(format!(
                "| {} | {} -> {} | {:.1} | {:.1} | {:.1} |",
                if controller { "yes" } else { "no" },
                base.shape.nodes,
                m.shape.nodes,
                m.events as f64 / base.events.max(1) as f64,
                f64::from(m.shape.nodes) / f64::from(base.shape.nodes.max(1)),
                m.wall_s / base.wall_s.max(1e-9),
            ));
        }
    }
    // One size has nothing to scale against.
    if !lines.is_empty() {
        println!();
        println!("| controller | nodes | x work (events) | x nodes | x time |");
        println!("|---|---|---:|---:|---:|");
        lines.iter().for_each(|l| println!("{l}"));
    }
}

fn row(m: &Measured, spread: &Spread) -> String {
    format!(
        "| {} | {} | {} | {:.1}% | {:.2} [{:.2}, {:.2}] | {} | {:.0} | {:.0} | 1/{:.1} | {} | {} | {} | {} |",
        m.shape.nodes,
        m.shape.jobs,
        if m.shape.controller { "yes" } else { "no" },
        100.0 * m.memory_load,
        m.wall_s,
        spread.min_s,
        spread.max_s,
        m.events,
        m.events_per_s(),
        m.engine_events_per_s,
        m.engine_events_per_s / m.events_per_s().max(1e-9),
        m.peak_rss_bytes
            .map_or("-".into(), |b| human_bytes(b as f64)),
        m.page_faults.map_or("-".into(), |f| f.to_string()),
        m.oom_kills,
        m.migrations,
    )
}
