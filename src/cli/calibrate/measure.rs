use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use migsim::criu::support::require_root;
use migsim::criu::{write_csv, Cleanup, Criu, Measurer, MemhogSpec, Row, Status, Support};
use migsim::live::local::measure::LivePath;
use migsim::live::local::preflight;
use migsim::live::local::session::{Session, DEFAULT_STATE};
use migsim::migration::calibration::Phase;
use migsim::migration::Mechanism;
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
    /// What to time: `live`, the local backend's own moves between two nodes' namespaces and
    /// cgroups (stream, restore, downtime; handoff, lazy_pull), or `loopback`, criu's steps
    /// one by one on this host (pre_dump, dump, restore, stream, lazy_restore, lazy_pull).
    #[arg(long, value_enum, default_value = "live")]
    path: MeasuredPath,
    /// The CSV to write (default: traces/criu/<host>-live.csv, or <host>.csv for loopback);
    /// rewritten after every run.
    #[arg(long)]
    out: Option<PathBuf>,
    /// How fast the workload dirties its pages, e.g. 64MiB/s (loopback only).
    #[arg(long, value_parser = non_negative::<Rate>, default_value = "0")]
    dirty_rate: f64,
    /// The criu binary (default: `criu` on the PATH).
    #[arg(long)]
    criu: Option<PathBuf>,
    /// Where images are written while measuring (default: the system's temporary folder;
    /// the live path keeps its images in its session, under --state).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Where the live path keeps its session, as `migsim live --state` does.
    #[arg(long, default_value = DEFAULT_STATE)]
    state: PathBuf,
    /// Make the workload hold a socket, to see how criu fails on one (loopback only).
    #[arg(long, value_parser = ["tcp", "udp"])]
    hold_socket: Option<String>,
    /// No progress bar and no table.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MeasuredPath {
    Live,
    Loopback,
}

/// One of the two ways to measure, run by run.
enum Timer {
    Loopback(Box<Measurer>),
    Live(Box<LivePath>),
}

impl Timer {
    fn run(&mut self, index: usize, size: u64, on_phase: &mut dyn FnMut(Phase)) -> Vec<Row> {
        match self {
            Timer::Loopback(m) => m.run(index, size, on_phase),
            Timer::Live(l) => l.run(index, size, on_phase),
        }
    }
}

pub fn measure(args: MeasureArgs) -> Result<(), CliError> {
    if args.path == MeasuredPath::Live && (args.dirty_rate > 0.0 || args.hold_socket.is_some()) {
        return Err(CliError::Failed(
            "--dirty-rate and --hold-socket shape the loopback workload; give them with --path loopback".into(),
        ));
    }
    let criu = Criu::locate(args.criu.as_deref())
        .map_err(|m| CliError::Failed(format!("criu is missing: {m}")))?;
    require_root().map_err(CliError::Failed)?;
    let support = Support::detect(&criu);
    let host = read_proc("kernel/hostname");
    let kernel = read_proc("kernel/osrelease");
    let out = args.out.clone().unwrap_or_else(|| {
        let name = match args.path {
            MeasuredPath::Live => format!("{host}-live.csv"),
            MeasuredPath::Loopback => format!("{host}.csv"),
        };
        PathBuf::from("traces/criu").join(name)
    });
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
            path: out.clone(),
            source,
        })?;
    }
    let cleanup = Cleanup::default();
    let work = tempfile::Builder::new()
        .prefix("migsim-criu-")
        .tempdir_in(args.work_dir.clone().unwrap_or_else(std::env::temp_dir))
        .map_err(|e| CliError::Failed(format!("cannot create a work folder: {e}")))?;
    cleanup.track_dir(work.path());
    let session = Arc::new(Mutex::new(None));
    install_interrupt(&cleanup, &session, &out);
    let plan = plan(&args);
    if !args.quiet {
        announce(&criu, &support, &host, &kernel, &args);
    }
    let timer = match args.path {
        MeasuredPath::Loopback => {
            let exe =
                MemhogSpec::beside_current_exe().map_err(|e| CliError::Failed(e.to_string()))?;
            Timer::Loopback(Box::new(Measurer {
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
                kernel,
            }))
        }
        MeasuredPath::Live => {
            let ready = preflight::check(args.criu.as_deref(), Mechanism::StopAndCopy, true)
                .map_err(CliError::Failed)?;
            let template = Row::blank(&host, &kernel, &ready.criu.version);
            let live = LivePath::open(ready, &args.state, work.path(), &plan, template)
                .map_err(CliError::Failed)?;
            let (record, state) = live.session();
            if !args.quiet {
                println!(
                    "  session {}: two nodes under {}",
                    record.id,
                    state.display()
                );
            }
            *session.lock().unwrap_or_else(|e| e.into_inner()) = Some((record, state));
            Timer::Live(Box::new(live))
        }
    };
    let (rows, closed) = measure_all(timer, &plan, args.quiet, &out);
    cleanup.run();
    let rows = rows?;
    closed.map_err(CliError::Failed)?;
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
fn plan(args: &MeasureArgs) -> Vec<u64> {
    (0..args.repeat)
        .flat_map(|_| args.sizes.iter().map(|&s| s as u64))
        .collect()
}

/// Runs the plan, writing the CSV after every run; then takes the live path's session away.
fn measure_all(
    mut timer: Timer,
    plan: &[u64],
    quiet: bool,
    out: &Path,
) -> (Result<Vec<Row>, CliError>, Result<(), String>) {
    let bar = if quiet {
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
    let mut written = Ok(());
    for (index, &size) in plan.iter().enumerate() {
        let new = timer.run(index, size, &mut |phase| {
            bar.set_message(format!("{}: {phase}", human_bytes(size as f64)));
        });
        rows.extend(new);
        written = write_csv(out, &rows).map_err(|source| CliError::Write {
            path: out.to_path_buf(),
            source,
        });
        if written.is_err() {
            break;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let closed = match timer {
        Timer::Live(l) => l.close(),
        Timer::Loopback(_) => Ok(()),
    };
    (written.map(|()| rows), closed)
}

fn announce(criu: &Criu, support: &Support, host: &str, kernel: &str, args: &MeasureArgs) {
    let sizes: Vec<String> = args.sizes.iter().map(|&s| human_bytes(s)).collect();
    let path = match args.path {
        MeasuredPath::Live => "the local backend's moves between two nodes",
        MeasuredPath::Loopback => "criu's steps over loopback",
    };
    println!(
        "criu {} on {host} (kernel {kernel}), {path}: sizes {}, {} runs each",
        criu.version,
        sizes.join(", "),
        args.repeat
    );
    if args.path == MeasuredPath::Loopback {
        if let Err(why) = &support.pre_dump {
            println!("  pre_dump, and with it the workload's dirty rate, will be skipped: {why}");
        }
    }
    if let Err(why) = &support.lazy {
        println!("  post-copy (lazy pages) will be skipped: {why}");
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
    let mut dirtied: Vec<f64> = rows.iter().filter_map(|r| r.dirtied_rate).collect();
    if !dirtied.is_empty() {
        dirtied.sort_by(f64::total_cmp);
        println!(
            "the workload dirtied {}/s (median of {} runs; a job's dirty_rate)",
            human_bytes(dirtied[dirtied.len() / 2]),
            dirtied.len()
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

/// Ctrl-C (or SIGTERM) kills every process and removes every image the measurement made,
/// and the live path's session with its cgroups and namespaces; the CSV keeps the runs that
/// finished.
fn install_interrupt(
    cleanup: &Cleanup,
    session: &Arc<Mutex<Option<(Session, PathBuf)>>>,
    out: &Path,
) {
    let (cleanup, session) = (cleanup.clone(), Arc::clone(session));
    let out = out.display().to_string();
    crate::cli::interrupt::exit_after(
        move || {
            cleanup.run();
            if let Some((s, state)) = session.lock().unwrap_or_else(|e| e.into_inner()).take() {
                let _ = s.remove(&state);
            }
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
