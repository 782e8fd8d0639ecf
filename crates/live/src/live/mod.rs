//! Replaying a scenario's policies on a real cluster. The driver runs the simulator's control
//! loop (`policy::control`) on a [`Backend`]'s observations as its facts,
//! journals every change, and writes the same outputs as `migsim run`, so the two can be
//! compared (`migsim compare`). The one backend so far is [`local`]: this machine.

mod backend;
mod clock;
mod driver;
pub mod journal;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
pub mod latency;
pub mod local;
mod plant;
mod state;
mod workload;

pub use backend::{Backend, JobUsage, Life, MoveOrder, Observation, StepTaken};
pub use clock::Clock;
pub use workload::LiveWorkload;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::live::journal::{Entry, Journal};
use crate::live::local::{Fault, LocalBackend, LocalSetup};
use crate::live::state::LiveState;
use crate::record::RunOutput;
use crate::scenario::Scenario;

/// How to run live.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    pub out: PathBuf,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// Real bytes per scenario byte; None: 1, or less when the nodes would not fit in half of
    /// this machine's available memory.
    pub memory_scale: Option<f64>,
    /// Where sessions are recorded (see [`local::session`]).
    pub state: PathBuf,
    pub criu: Option<PathBuf>,
    /// Carry on the run journaled in `out` after its adapter stopped.
    pub resume: bool,
    /// Write the tables gzipped (NAME.csv.gz), as `migsim run --compress` does.
    pub compress: bool,
}

/// `live.json`: how a live run was made, beside `summary.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LiveInfo {
    pub backend: String,
    pub session: String,
    pub speed: f64,
    pub memory_scale: f64,
    pub criu: String,
    pub kernel: String,
    pub cgroup: local::cgroup::Version,
    /// How long its backend took to start jobs (none in a `live.json` older than this).
    #[serde(default)]
    pub start_latency: Option<latency::StartLatency>,
    /// The run was stopped (Ctrl-C) before its end.
    pub interrupted: bool,
    /// Said on the way (leftover sessions removed, recoveries).
    pub notes: Vec<String>,
}

pub const INFO_FILE: &str = "live.json";

/// A finished live run.
pub struct LiveRun {
    pub output: RunOutput,
    pub info: LiveInfo,
}

/// A run's journal, opened (or created) in `out`, and the state it replays to.
struct Opened {
    journal: Arc<Mutex<Journal>>,
    entries: Vec<Entry>,
    state: LiveState,
    /// The header of a resumed run: its clock, memory scale and backend session.
    resumed: Option<(Clock, f64, String)>,
}

fn open_run(scenario: &Scenario, opts: &LiveOptions) -> Result<Opened, String> {
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| format!("cannot create {}: {e}", opts.out.display()))?;
    let (journal, entries) = if opts.resume {
        Journal::reopen(&opts.out).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("nothing to resume in {}: {e}", opts.out.display())
            }
            _ => e.to_string(),
        })?
    } else {
        if opts.out.join(journal::FILE).exists() {
            return Err(format!(
                "{} holds a live run already; add --resume to carry it on, or choose another --out",
                opts.out.display()
            ));
        }
        (
            Journal::create(&opts.out).map_err(|e| e.to_string())?,
            Vec::new(),
        )
    };
    let mut state = LiveState::new(&scenario.spec, &scenario.jobs);
    let resumed = match entries.first() {
        Some(Entry::Begin {
            session,
            origin_unix_s,
            speed,
            scale,
            ..
        }) => {
            entries.iter().for_each(|e| state.apply(e));
            if state.finished {
                return Err(format!(
                    "the run in {} finished already; there is nothing to resume",
                    opts.out.display()
                ));
            }
            let clock = Clock {
                origin_unix_s: *origin_unix_s,
                speed: *speed,
            };
            Some((clock, *scale, session.clone()))
        }
        Some(_) => {
            return Err(format!(
                "{} does not start with the run's header",
                opts.out.join(journal::FILE).display()
            ))
        }
        None if opts.resume => {
            return Err(format!(
                "{} is empty; there is nothing to resume",
                opts.out.join(journal::FILE).display()
            ))
        }
        None => None,
    };
    Ok(Opened {
        journal: Arc::new(Mutex::new(journal)),
        entries,
        state,
        resumed,
    })
}

/// Journals the header of a new run.
fn begin(
    journal: &Mutex<Journal>,
    scenario: &Scenario,
    session: &str,
    clock: Clock,
    scale: f64,
) -> Result<(), String> {
    let begin = Entry::Begin {
        session: session.to_string(),
        scenario: scenario.name(),
        seed: scenario.spec.simulation.seed,
        origin_unix_s: clock.origin_unix_s,
        speed: clock.speed,
        scale,
    };
    journal
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .append(&begin)
        .map_err(|e| e.to_string())
}

/// Runs the control loop on `backend` to the run's end, shuts the backend down and journals
/// the end; returns the run's records and the journal's notes.
fn drive(
    scenario: &Scenario,
    state: LiveState,
    clock: Clock,
    journal: &Arc<Mutex<Journal>>,
    backend: &mut dyn Backend,
    stop: &AtomicBool,
    on_tick: &mut dyn FnMut(f64),
) -> Result<(RunOutput, Vec<String>), String> {
    let mut driver = driver::Driver::new(&scenario.spec, state, clock, Arc::clone(journal));
    driver.run(backend, stop, &mut |_, now| on_tick(now));
    let shutdown = backend.shutdown();
    driver.take_steps(backend);
    let end = clock.now_s();
    let stalled = driver.stalled;
    let mut state = driver.state;
    let finish = Entry::Finish { t: end };
    let mut journal = journal.lock().unwrap_or_else(|e| e.into_inner());
    journal.append(&finish).map_err(|e| e.to_string())?;
    let notes = journal.take_notes();
    drop(journal);
    state.apply(&finish);
    shutdown?;
    Ok((state.finish(end, stalled), notes))
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Runs `scenario` on this machine with the local backend and writes its outputs to `out`.
pub fn run_local(
    scenario: &Scenario,
    opts: &LiveOptions,
    stop: &AtomicBool,
    on_tick: &mut dyn FnMut(f64),
) -> Result<LiveRun, String> {
    let spec = &scenario.spec;
    let ready = local::preflight::check(
        opts.criu.as_deref(),
        spec.migration.mechanism,
        spec.controller.is_some(),
    )?;
    let fault = Fault::from_env()?;
    let Opened {
        journal,
        entries,
        mut state,
        resumed,
    } = open_run(scenario, opts)?;
    let mut notes = Vec::new();
    let (clock, scale) = match &resumed {
        Some((clock, scale, _)) => (*clock, *scale),
        None => (
            Clock::starting_now(opts.speed),
            memory_scale(scenario, opts.memory_scale)?,
        ),
    };
    let resumed = resumed.map(|(_, _, session)| session);
    notes.extend(local::sweep_dead(&opts.state, resumed.as_deref()));
    let setup = LocalSetup {
        state: opts.state.clone(),
        out: opts.out.clone(),
        criu: ready.criu.clone(),
        memhog: ready.memhog,
        clock,
        scale,
        capacities: state.cluster.nodes().iter().map(|n| n.memory).collect(),
        workloads: scenario
            .jobs
            .iter()
            .map(|j| LiveWorkload::of(j, clock.speed, scale))
            .collect(),
        fault,
    };
    let mut backend = match &resumed {
        Some(id) => {
            let in_flight = journal::in_flight(&entries);
            let (b, steps) = LocalBackend::resume(
                setup,
                id,
                Arc::clone(&journal),
                &driver::running(&state),
                &in_flight,
            )?;
            take_steps(&mut state, steps, &mut notes);
            b
        }
        None => {
            // A run that never began leaves no journal, so the same --out can be used again.
            let b = LocalBackend::create(setup, Arc::clone(&journal))
                .inspect_err(|_| drop(std::fs::remove_file(opts.out.join(journal::FILE))))?;
            begin(&journal, scenario, b.session_id(), clock, scale)?;
            b
        }
    };
    let session = backend.session_id().to_string();
    let (output, more) = drive(
        scenario,
        state,
        clock,
        &journal,
        &mut backend,
        stop,
        on_tick,
    )?;
    notes.extend(more);
    let info = LiveInfo {
        backend: "local".into(),
        session,
        speed: clock.speed,
        memory_scale: scale,
        criu: ready.criu.version.clone(),
        kernel: kernel(),
        cgroup: local::cgroup::detect()?.version,
        start_latency: latency::StartLatency::of(&backend.start_latencies()),
        interrupted: stop.load(std::sync::atomic::Ordering::SeqCst),
        notes,
    };
    write_outputs(opts, scenario, &output, &info)
        .map_err(|e| format!("cannot write the results to {}: {e}", opts.out.display()))?;
    Ok(LiveRun { output, info })
}

/// Where the Kubernetes backend finds its cluster.
#[cfg(feature = "kubernetes")]
#[derive(Clone, Debug)]
pub struct KubeOptions {
    /// None: `$KUBECONFIG`, else `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    pub namespace: String,
    /// Read memory from this Prometheus (`http://HOST:PORT`), which scrapes the agents,
    /// rather than from the agents themselves.
    pub prometheus: Option<String>,
}

/// Runs `scenario` through the Kubernetes API of the cluster `kube` names (with migsim node
/// agents, as `migsim cluster up` makes) and writes its outputs to `out`.
#[cfg(feature = "kubernetes")]
pub fn run_kubernetes(
    scenario: &Scenario,
    opts: &LiveOptions,
    kube: &KubeOptions,
    stop: &AtomicBool,
    on_tick: &mut dyn FnMut(f64),
) -> Result<LiveRun, String> {
    use kubernetes::backend::KubeBackend;
    let kubeconfig = kubernetes::api::find_kubeconfig(kube.kubeconfig.as_deref())?;
    let Opened {
        journal,
        entries,
        mut state,
        resumed,
    } = open_run(scenario, opts)?;
    let (clock, run) = match &resumed {
        Some((clock, _, run)) => (*clock, run.clone()),
        None => (Clock::starting_now(opts.speed), local::session::new_id()),
    };
    let setup = kube_setup(scenario, kube, &kubeconfig, &run, clock, &journal)?;
    let connected = KubeBackend::connect(setup, scenario.spec.migration.mechanism);
    let mut notes = Vec::new();
    let mut backend = match resumed {
        Some((_, scale, _)) => {
            let mut b = connected?;
            if (b.scale() - scale).abs() > 1e-12 * scale {
                return Err(format!("the cluster's memory scale is {}, the run's was {scale}: run {run} began on another cluster", b.scale()));
            }
            let in_flight = journal::in_flight(&entries);
            let steps = b.take_over(&entries, &driver::running(&state), &in_flight)?;
            take_steps(&mut state, steps, &mut notes);
            b
        }
        None => {
            // A run that never began leaves no journal, so the same --out can be used again.
            let b = connected
                .inspect_err(|_| drop(std::fs::remove_file(opts.out.join(journal::FILE))))?;
            begin(&journal, scenario, &run, clock, b.scale())?;
            b
        }
    };
    let scale = backend.scale();
    let (output, more) = drive(
        scenario,
        state,
        clock,
        &journal,
        &mut backend,
        stop,
        on_tick,
    )?;
    notes.extend(more);
    let info = LiveInfo {
        backend: format!(
            "kubernetes ({}; memory from {})",
            kubeconfig.display(),
            kube.prometheus
                .as_ref()
                .map_or("the agents".to_string(), |p| format!("Prometheus at {p}"))
        ),
        session: run,
        speed: clock.speed,
        memory_scale: scale,
        criu: backend.criu(),
        kernel: kernel(),
        cgroup: local::cgroup::detect().map_or(local::cgroup::Version::V2, |c| c.version),
        start_latency: latency::StartLatency::of(&backend.start_latencies()),
        interrupted: stop.load(std::sync::atomic::Ordering::SeqCst),
        notes,
    };
    write_outputs(opts, scenario, &output, &info)
        .map_err(|e| format!("cannot write the results to {}: {e}", opts.out.display()))?;
    Ok(LiveRun { output, info })
}

/// What the Kubernetes backend of run `run` is given.
#[cfg(feature = "kubernetes")]
fn kube_setup(
    scenario: &Scenario,
    kube: &KubeOptions,
    kubeconfig: &std::path::Path,
    run: &str,
    clock: Clock,
    journal: &Arc<Mutex<Journal>>,
) -> Result<kubernetes::backend::KubeSetup, String> {
    Ok(kubernetes::backend::KubeSetup {
        kubeconfig: kubeconfig.to_path_buf(),
        namespace: kube.namespace.clone(),
        run: run.to_string(),
        nodes: scenario.spec.node_names(),
        clock,
        journal: Arc::clone(journal),
        workloads: scenario
            .jobs
            .iter()
            .map(|j| LiveWorkload::of(j, clock.speed, 1.0))
            .collect(),
        cpus: scenario.jobs.iter().map(|j| j.cpu).collect(),
        prometheus: kube
            .prometheus
            .as_deref()
            .map(kubernetes::backend::Prometheus::parse)
            .transpose()?,
    })
}

/// Applies the steps a backend's takeover of a resumed run took, each noted.
fn take_steps(state: &mut LiveState, steps: Vec<StepTaken>, notes: &mut Vec<String>) {
    for s in steps {
        notes.push(format!(
            "migration {} of {}: {}",
            s.id,
            state.spec(state.record.migrations[s.id as usize].job).name,
            describe(&s.step)
        ));
        state.apply(&Entry::Migration {
            t: s.t,
            id: s.id,
            step: s.step,
        });
    }
}

fn describe(step: &journal::Step) -> String {
    match step {
        journal::Step::Complete { .. } => "finished after the restart".into(),
        journal::Step::Failed { reason, .. } | journal::Step::Cancelled { reason } => {
            reason.clone()
        }
        other => format!("{other:?}"),
    }
}

/// Real bytes per scenario byte: as asked, else 1 unless the nodes need more than half of
/// this machine's available memory.
pub(crate) fn memory_scale(scenario: &Scenario, asked: Option<f64>) -> Result<f64, String> {
    if let Some(s) = asked {
        return if s > 0.0 && s.is_finite() {
            Ok(s)
        } else {
            Err(format!("--memory-scale {s}: must be a positive number"))
        };
    }
    let total: f64 = scenario
        .spec
        .nodes
        .iter()
        .map(|g| g.memory.value * g.node_names().count() as f64)
        .sum();
    let available = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| {
                    l.strip_prefix("MemAvailable:")
                        .map(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                })
                .flatten()
        })
        .map_or(f64::INFINITY, |kb| kb * 1024.0);
    Ok((0.5 * available / total).min(1.0))
}

fn write_outputs(
    opts: &LiveOptions,
    scenario: &Scenario,
    output: &RunOutput,
    info: &LiveInfo,
) -> std::io::Result<()> {
    crate::output::write_run(&opts.out, scenario, output, opts.compress)?;
    crate::output::write_atomic(&opts.out.join(INFO_FILE), &|w| {
        serde_json::to_writer_pretty(&mut *w, info).map_err(std::io::Error::other)?;
        writeln!(w)
    })
}
