use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};
use migsim::criu::support::require_root;
use migsim::criu::{write_csv, Cleanup, Criu, Measurer, MemhogSpec, Row, Status, Support};
use migsim::units::{human_bytes, non_negative, positive, Memory, Rate};

use crate::cli::CliError;

#[derive(clap::Args)]
pub struct MeasureArgs {
    /// Memory sizes of the workload, comma-separated.
    #[arg(long, value_delimiter = ',', value_parser = positive::<Memory>, default_value = "64MiB,256MiB,1GiB")]
    sizes: Vec<f64>,
    /// Runs per size.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    repeat: u32,
    /// The CSV to write (default: traces/criu/<host>.csv); rewritten after every run.
    #[arg(long)]
    out: Option<PathBuf>,
    /// How fast the workload dirties its pages, e.g. 64MiB/s.
    #[arg(long, value_parser = non_negative::<Rate>, default_value = "0")]
    dirty_rate: f64,
    /// The criu binary (default: `criu` on the PATH).
    #[arg(long)]
    criu: Option<PathBuf>,
    /// Where images are written while measuring (default: the system's temporary folder).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Make the workload hold a socket, to see how criu fails on one.
    #[arg(long, value_parser = ["tcp", "udp"])]
    hold_socket: Option<String>,
    /// No progress bar and no table.
    #[arg(long, short)]
    quiet: bool,
}

pub fn measure(args: MeasureArgs) -> Result<(), CliError> {
    let criu = Criu::locate(args.criu.as_deref())
        .map_err(|m| CliError::Failed(format!("criu is missing: {m}")))?;
    require_root().map_err(CliError::Failed)?;
    let support = Support::detect(&criu);
    let host = read_proc("kernel/hostname");
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("traces/criu").join(format!("{host}.csv")));
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
            path: out.clone(),
            source,
        })?;
    }
    let exe = MemhogSpec::beside_current_exe().map_err(|e| CliError::Failed(e.to_string()))?;
    let cleanup = Cleanup::default();
    let work = tempfile::Builder::new()
        .prefix("migsim-criu-")
        .tempdir_in(args.work_dir.clone().unwrap_or_else(std::env::temp_dir))
        .map_err(|e| CliError::Failed(format!("cannot create a work folder: {e}")))?;
    cleanup.track_dir(work.path());
    install_interrupt(&cleanup, &out);
    let measurer = Measurer {
        criu,
        support,
        workload: MemhogSpec {
            exe,
            dirty_rate: args.dirty_rate,
            hold_socket: args.hold_socket.clone(),
        },
        cleanup: cleanup.clone(),
        work: work.path().to_path_buf(),
        host,
        kernel: read_proc("kernel/osrelease"),
    };
    if !args.quiet {
        announce(&measurer, &args);
    }
    let rows = measure_all(&measurer, &args, &out);
    cleanup.run();
    let rows = rows?;
    if !args.quiet {
        print_table(&rows);
        println!("wrote {} ({} rows)", out.display(), rows.len());
    }
    if rows.iter().all(|r| r.status != Status::Ok) {
        let why = rows
            .iter()
            .find(|r| r.status == Status::Failed)
            .map_or("", |r| r.note.as_str());
        return Err(CliError::Failed(format!(
            "no phase could be measured: {why}"
        )));
    }
    Ok(())
}

/// Every size once per repeat, so that drift over the session spreads over all sizes.
fn measure_all(m: &Measurer, args: &MeasureArgs, out: &Path) -> Result<Vec<Row>, CliError> {
    let plan: Vec<u64> = (0..args.repeat)
        .flat_map(|_| args.sizes.iter().map(|&s| s as u64))
        .collect();
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(plan.len() as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} runs {msg}",
        )
        .expect("a valid template"),
    );
    let mut rows = Vec::new();
    for (index, &size) in plan.iter().enumerate() {
        let new = m.run(index, size, &mut |phase| {
            bar.set_message(format!("{}: {phase}", human_bytes(size as f64)));
        });
        rows.extend(new);
        write_csv(out, &rows).map_err(|source| CliError::Write {
            path: out.to_path_buf(),
            source,
        })?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(rows)
}

fn announce(m: &Measurer, args: &MeasureArgs) {
    let sizes: Vec<String> = args.sizes.iter().map(|&s| human_bytes(s)).collect();
    println!(
        "criu {} on {} (kernel {}): sizes {}, {} runs each",
        m.criu.version,
        m.host,
        m.kernel,
        sizes.join(", "),
        args.repeat
    );
    if let Err(why) = &m.support.pre_dump {
        println!("  pre_dump will be skipped: {why}");
    }
    if let Err(why) = &m.support.lazy {
        println!("  lazy_restore and lazy_pull will be skipped: {why}");
    }
}

/// Median seconds per size and phase, and what did not run.
fn print_table(rows: &[Row]) {
    let mut by: BTreeMap<(String, u64), Vec<f64>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status == Status::Ok) {
        by.entry((r.phase.to_string(), r.size_bytes))
            .or_default()
            .push(r.seconds.unwrap_or(0.0));
    }
    println!(
        "{:<14} {:>12} {:>5} {:>10}",
        "phase", "size", "runs", "median"
    );
    for ((phase, size), mut secs) in by {
        secs.sort_by(f64::total_cmp);
        println!(
            "{:<14} {:>12} {:>5} {:>9.3}s",
            phase,
            human_bytes(size as f64),
            secs.len(),
            secs[secs.len() / 2]
        );
    }
    let mut notes: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.status != Status::Ok) {
        let status = format!("{:?}", r.status).to_lowercase();
        *notes
            .entry((format!("{} {status}", r.phase), r.note.clone()))
            .or_default() += 1;
    }
    for ((what, note), n) in notes {
        println!("{what} ({n}x): {note}");
    }
}

/// Ctrl-C (or SIGTERM) kills every process and removes every image the measurement made; the
/// CSV keeps the runs that finished.
fn install_interrupt(cleanup: &Cleanup, out: &std::path::Path) {
    let cleanup = cleanup.clone();
    let out = out.display().to_string();
    crate::cli::interrupt::exit_after(
        move || {
            cleanup.run();
            eprintln!(
                "\ninterrupted: removed the workload processes and images; finished runs are in {out}"
            );
        },
        "an interrupted measurement may leave processes behind",
    );
}

fn read_proc(key: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/{key}"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
