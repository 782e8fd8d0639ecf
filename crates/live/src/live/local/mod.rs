//! The local backend: this machine as a cluster. Each node is a memory cgroup with the node's
//! capacity (times the memory scale) and a network namespace on a private bridge; each job is
//! `migsim-memhog` following its memory profile in its own PID namespace and cgroup below its
//! node's; migrations are real `criu` dumps and restores between the nodes' namespaces.

pub mod cgroup;
pub(crate) mod job;
pub mod measure;
pub(crate) mod migrate;
pub mod netns;
mod place;
pub mod preflight;
mod recover;
pub mod session;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::criu::Criu;
use crate::live::backend::{Backend, JobUsage, Life, MoveOrder, Observation, StepTaken};
use crate::live::journal::{Journal, Step};
use crate::live::{Clock, LiveWorkload};
use crate::model::{JobId, NodeId};

use cgroup::Cgroup;
use job::JobFiles;
use netns::Network;
pub use recover::{recover, InFlight};
use session::{Owner, Session};

/// Faults the tests inject for real (`MIGSIM_LIVE_FAULT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every job holds a TCP socket, which criu cannot dump on this kernel.
    DumpSocket,
    /// The task images are emptied before the restore.
    RestoreImages,
    /// The target node's limit drops below the job's size just before the restore.
    SmallTarget,
    /// The adapter kills itself (SIGKILL) once the dump is journaled.
    CrashAfterDump,
}

impl Fault {
    pub fn from_env() -> Result<Option<Fault>, String> {
        let Ok(v) = std::env::var("MIGSIM_LIVE_FAULT") else {
            return Ok(None);
        };
        Ok(Some(match v.as_str() {
            "dump-socket" => Fault::DumpSocket,
            "restore-images" => Fault::RestoreImages,
            "small-target" => Fault::SmallTarget,
            "crash-after-dump" => Fault::CrashAfterDump,
            other => return Err(format!("MIGSIM_LIVE_FAULT={other}: expected dump-socket, restore-images, small-target or crash-after-dump")),
        }))
    }
}

/// What the migration threads share with the backend.
pub struct Ctx {
    criu: Criu,
    clock: Clock,
    journal: Arc<Mutex<Journal>>,
    /// Real bytes per scenario byte.
    scale: f64,
    network: Network,
    /// Node cgroups, by node index.
    nodes: Vec<Cgroup>,
    work: PathBuf,
    memhog: PathBuf,
    workloads: Vec<LiveWorkload>,
    fault: Option<Fault>,
    steps: Mutex<Sender<StepTaken>>,
    /// `unshare` parents of started jobs, reaped as they end.
    parents: Mutex<Vec<Child>>,
    cancel_reasons: Mutex<HashMap<u32, String>>,
}

/// What the migration threads are given, by the local backend or a Kubernetes node agent.
pub struct CtxParts {
    pub criu: Criu,
    pub clock: Clock,
    pub journal: Arc<Mutex<Journal>>,
    pub scale: f64,
    pub session: Session,
    pub nodes: usize,
    pub memhog: PathBuf,
    /// The jobs a restart starts again (none where restarts are not the threads' to do).
    pub workloads: Vec<LiveWorkload>,
    pub fault: Option<Fault>,
}

impl Ctx {
    /// A context for migrations between a session's nodes; its steps come out of the
    /// receiver.
    pub fn new(parts: CtxParts) -> (Arc<Ctx>, Receiver<StepTaken>) {
        let (tx, rx) = channel();
        let ctx = Ctx {
            criu: parts.criu,
            clock: parts.clock,
            journal: parts.journal,
            scale: parts.scale,
            network: parts.session.network.clone(),
            nodes: (0..parts.nodes)
                .map(|k| node_cgroup(&parts.session, k))
                .collect(),
            work: parts.session.work.clone(),
            memhog: parts.memhog,
            workloads: parts.workloads,
            fault: parts.fault,
            steps: Mutex::new(tx),
            parents: Mutex::new(Vec::new()),
            cancel_reasons: Mutex::new(HashMap::new()),
        };
        (Arc::new(ctx), rx)
    }

    /// Journals a step, then reports it to the driver.
    pub fn step(&self, id: u32, step: Step) {
        let taken = StepTaken {
            t: self.clock.now_s(),
            id,
            step,
        };
        let entry = crate::live::journal::Entry::Migration {
            t: taken.t,
            id,
            step: taken.step.clone(),
        };
        lock(&self.journal).append_or_note(&entry);
        let _ = lock(&self.steps).send(taken);
    }

    fn start_job(&self, job: usize, node: usize) -> std::io::Result<()> {
        let child = job::start(
            &self.memhog,
            &self.files(job),
            &self.workloads[job],
            &self.network.nodes[node],
            &self.nodes[node].child(&job::cgroup_name(job)),
            self.fault == Some(Fault::DumpSocket),
        )?;
        lock(&self.parents).push(child);
        Ok(())
    }

    fn cancel_reason(&self, id: u32) -> String {
        lock(&self.cancel_reasons)
            .remove(&id)
            .unwrap_or_else(|| "cancelled".into())
    }

    fn fault_point(&self, at: Fault) {
        if self.fault == Some(at) && at == Fault::CrashAfterDump {
            // As a kill -9 would: no cleanup, no flush beyond what is already on disk.
            // SAFETY: raising a signal at ourselves.
            unsafe {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
        }
    }

    fn inject_before_restore(&self, order: &MoveOrder, images: &Path) {
        match self.fault {
            Some(Fault::RestoreImages) => {
                // An empty core image: the restore fails as it reads the task's state.
                for e in std::fs::read_dir(images).into_iter().flatten().flatten() {
                    if e.file_name().to_string_lossy().starts_with("core-") {
                        let _ = std::fs::OpenOptions::new()
                            .write(true)
                            .open(e.path())
                            .and_then(|f| f.set_len(0));
                    }
                }
            }
            Some(Fault::SmallTarget) => {
                let bytes = (order.memory * self.scale / 4.0) as u64;
                let _ = self.nodes[order.target.index()].set_limit(bytes.max(1 << 20));
            }
            _ => {}
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A job the backend runs.
struct Running {
    node: NodeId,
    /// OOM kills its cgroup had counted when it started here.
    oom_base: u64,
    /// Its last readings, newest last: a job being killed shrinks before it is gone, so the
    /// memory it died with is the largest of them.
    recent: [f64; 4],
    work_s: f64,
    migrating: Option<u32>,
    /// When it was started here, until its workload has been seen: `unshare` forks the
    /// workload a moment after it starts, and a job read in between has not ended.
    starting: Option<Instant>,
}

/// How long a started job's workload may take to appear before the job counts as ended.
const START_GRACE: Duration = Duration::from_secs(10);

impl Running {
    fn new(node: NodeId, oom_base: u64, work_s: f64) -> Self {
        Running {
            node,
            oom_base,
            recent: [0.0; 4],
            work_s,
            migrating: None,
            starting: None,
        }
    }

    fn starting(&self) -> bool {
        self.starting.is_some_and(|t| t.elapsed() < START_GRACE)
    }

    fn memory(&self) -> f64 {
        self.recent[3]
    }

    fn last_alive(&self) -> f64 {
        self.recent.iter().copied().fold(0.0, f64::max)
    }
}

struct Move {
    job: JobId,
    target: NodeId,
    cancel: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

/// What the local backend is built from.
pub struct LocalSetup {
    pub state: PathBuf,
    pub out: PathBuf,
    pub criu: Criu,
    pub memhog: PathBuf,
    pub clock: Clock,
    pub scale: f64,
    /// Node capacities, scenario bytes, by node index.
    pub capacities: Vec<f64>,
    pub workloads: Vec<LiveWorkload>,
    pub fault: Option<Fault>,
}

pub struct LocalBackend {
    session: Session,
    state: PathBuf,
    ctx: Arc<Ctx>,
    jobs: HashMap<JobId, Running>,
    moves: HashMap<u32, Move>,
    steps: Receiver<StepTaken>,
    capacities: Vec<f64>,
    /// Real seconds each start took to spawn its job.
    started: Vec<f64>,
}

impl LocalBackend {
    /// Creates a new session's nodes. The session is on record before anything exists.
    pub fn create(setup: LocalSetup, journal: Arc<Mutex<Journal>>) -> Result<LocalBackend, String> {
        let id = session::new_id();
        let root = cgroup::detect()?.child(&format!("migsim-{id}"));
        let session = Session {
            id: id.clone(),
            owner: Owner::me(),
            out: setup.out.clone(),
            cgroup: root,
            network: Network::named(&id, setup.capacities.len()),
            work: setup.state.join(&id).join("work"),
        };
        session
            .save(&setup.state)
            .map_err(|e| format!("cannot record the session: {e}"))?;
        let backend = Self::open(setup, session, journal);
        backend.build_nodes().inspect_err(|_| {
            let _ = backend.session.remove(&backend.state);
        })?;
        Ok(backend)
    }

    /// Takes over a session whose adapter died: its nodes and running jobs as they are, its
    /// migration in flight finished or rolled back (the steps taken are returned).
    pub fn resume(
        setup: LocalSetup,
        id: &str,
        journal: Arc<Mutex<Journal>>,
        running: &[(JobId, NodeId, f64)],
        in_flight: &[InFlight],
    ) -> Result<(LocalBackend, Vec<StepTaken>), String> {
        let mut session = Session::load(&setup.state, id).map_err(|e| {
            format!(
                "{e}; the session was removed (by a later start?), so the run cannot be resumed"
            )
        })?;
        if session.owner.alive() && session.owner != Owner::me() {
            return Err(format!(
                "session {id} is still run by process {}",
                session.owner.pid
            ));
        }
        session.owner = Owner::me();
        session.save(&setup.state).map_err(|e| e.to_string())?;
        let mut backend = Self::open(setup, session, journal);
        for &(job, node, work_s) in running {
            let oom_base = backend
                .ctx
                .job_cgroup(node, job.index())
                .oom_kills()
                .unwrap_or(0);
            backend
                .jobs
                .insert(job, Running::new(node, oom_base, work_s));
        }
        for m in in_flight {
            recover::recover(&backend.ctx, m, "adapter");
        }
        let steps = backend.steps();
        // A move the recovery finished leaves its job on the target.
        for m in in_flight {
            let finished = steps
                .iter()
                .any(|s| s.id == m.id && matches!(s.step, Step::Complete { .. }));
            if let (true, Some(r)) = (finished, backend.jobs.get_mut(&JobId(m.job))) {
                r.node = NodeId(m.target);
            }
        }
        Ok((backend, steps))
    }

    fn open(setup: LocalSetup, session: Session, journal: Arc<Mutex<Journal>>) -> LocalBackend {
        let (ctx, rx) = Ctx::new(CtxParts {
            criu: setup.criu,
            clock: setup.clock,
            journal,
            scale: setup.scale,
            session: session.clone(),
            nodes: setup.capacities.len(),
            memhog: setup.memhog,
            workloads: setup.workloads,
            fault: setup.fault,
        });
        LocalBackend {
            session,
            state: setup.state,
            ctx,
            jobs: HashMap::new(),
            moves: HashMap::new(),
            steps: rx,
            capacities: setup.capacities,
            started: Vec::new(),
        }
    }

    pub fn session_id(&self) -> &str {
        &self.session.id
    }

    fn build_nodes(&self) -> Result<(), String> {
        build_nodes(&self.session, &self.capacities, self.ctx.scale).map(drop)
    }

    fn files(&self, job: JobId) -> JobFiles {
        self.ctx.files(job.index())
    }

    /// What `job` does now, and whether its workload process was there.
    fn observe_job(&self, job: JobId, r: &Running) -> (JobUsage, bool) {
        let cg = self.ctx.job_cgroup(r.node, job.index());
        let progress = self.files(job).read();
        let work_s = progress.map_or(r.work_s, |p| p.work as f64 / 1e9);
        let memory = cg
            .anon_bytes()
            .map_or(r.memory(), |b| b as f64 / self.ctx.scale);
        let there = job::workload_pid(&cg).is_some();
        let life = if r.migrating.is_some() || there {
            Life::Running
        } else if progress.is_some_and(|p| p.done) {
            Life::Finished
        } else if cg.oom_kills().unwrap_or(0) > r.oom_base {
            Life::OomKilled
        } else if r.starting() {
            Life::Running
        } else {
            Life::Exited
        };
        let usage = JobUsage {
            job,
            memory: if life == Life::Running {
                memory
            } else {
                r.last_alive()
            },
            work_s,
            life,
        };
        (usage, there)
    }
}

impl Backend for LocalBackend {
    fn start(&mut self, job: JobId, node: NodeId) -> Result<(), String> {
        let oom_base = 0;
        let asked = Instant::now();
        self.ctx
            .start_job(job.index(), node.index())
            .map_err(|e| e.to_string())?;
        self.started.push(asked.elapsed().as_secs_f64());
        let mut running = Running::new(node, oom_base, 0.0);
        running.starting = Some(asked);
        self.jobs.insert(job, running);
        Ok(())
    }

    fn start_latencies(&self) -> Vec<f64> {
        self.started.clone()
    }

    fn observe(&mut self) -> Observation {
        lock(&self.ctx.parents).retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_))));
        let nodes = self
            .ctx
            .nodes
            .iter()
            .map(|n| n.anon_bytes().unwrap_or(0) as f64 / self.ctx.scale)
            .collect();
        let mut seen: Vec<(JobUsage, bool)> = self
            .jobs
            .iter()
            .map(|(&j, r)| self.observe_job(j, r))
            .collect();
        seen.sort_by_key(|(u, _)| u.job);
        for (u, there) in &seen {
            if u.life == Life::Running {
                let r = self.jobs.get_mut(&u.job).expect("observed");
                r.recent.rotate_left(1);
                r.recent[3] = u.memory;
                r.work_s = u.work_s;
                if *there {
                    r.starting = None;
                }
            } else {
                self.jobs.remove(&u.job);
            }
        }
        let jobs = seen.into_iter().map(|(u, _)| u).collect();
        Observation { nodes, jobs }
    }

    fn migrate(&mut self, order: MoveOrder) {
        if let Some(r) = self.jobs.get_mut(&order.job) {
            r.migrating = Some(order.id);
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let (ctx, flag, o) = (Arc::clone(&self.ctx), Arc::clone(&cancel), order.clone());
        let thread = std::thread::spawn(move || migrate::run(&ctx, &o, &flag));
        self.moves.insert(
            order.id,
            Move {
                job: order.job,
                target: order.target,
                cancel,
                thread,
            },
        );
    }

    fn cancel(&mut self, id: u32, reason: &str) -> bool {
        let Some(m) = self.moves.get(&id) else {
            return false;
        };
        lock(&self.ctx.cancel_reasons).insert(id, reason.to_string());
        m.cancel.store(true, Ordering::SeqCst);
        true
    }

    fn steps(&mut self) -> Vec<StepTaken> {
        let taken: Vec<StepTaken> = self.steps.try_iter().collect();
        for s in &taken {
            let done = matches!(
                s.step,
                Step::Complete { .. } | Step::Failed { .. } | Step::Cancelled { .. }
            );
            if !done {
                continue;
            }
            let Some(m) = self.moves.remove(&s.id) else {
                continue;
            };
            let _ = m.thread.join();
            if let Some(r) = self.jobs.get_mut(&m.job) {
                r.migrating = None;
                if matches!(s.step, Step::Complete { .. }) {
                    r.node = m.target;
                    r.oom_base = self
                        .ctx
                        .job_cgroup(m.target, m.job.index())
                        .oom_kills()
                        .unwrap_or(0);
                }
            }
        }
        taken
    }

    fn migration_memory(&self, node: NodeId) -> f64 {
        self.moves
            .values()
            .filter(|m| m.target == node)
            .map(|m| {
                let cg = self.ctx.job_cgroup(m.target, m.job.index());
                cg.anon_bytes().unwrap_or(0) as f64 / self.ctx.scale
            })
            .fold(0.0, |a, b| a + b)
    }

    fn shutdown(&mut self) -> Result<(), String> {
        for (_, m) in self.moves.drain() {
            m.cancel.store(true, Ordering::SeqCst);
            let _ = m.thread.join();
        }
        for mut c in lock(&self.ctx.parents).drain(..) {
            let _ = c.kill();
            let _ = c.wait();
        }
        self.session
            .remove(&self.state)
            .map_err(|e| format!("cannot remove session {}: {e}", self.session.id))
    }
}

/// Node `k`'s cgroup in a session.
pub fn node_cgroup(session: &Session, k: usize) -> Cgroup {
    session.cgroup.child(&format!("n{k}"))
}

/// Creates a session's working folder, its nodes' cgroups (each limited to its capacity, in
/// scenario bytes, times `scale`) and its network.
pub fn build_nodes(
    session: &Session,
    capacities: &[f64],
    scale: f64,
) -> Result<Vec<Cgroup>, String> {
    std::fs::create_dir_all(&session.work).map_err(|e| e.to_string())?;
    session.cgroup.create().map_err(|e| e.to_string())?;
    let nodes: Vec<Cgroup> = (0..capacities.len())
        .map(|k| node_cgroup(session, k))
        .collect();
    for (node, capacity) in nodes.iter().zip(capacities) {
        node.create().map_err(|e| e.to_string())?;
        node.set_limit((capacity * scale) as u64)
            .map_err(|e| e.to_string())?;
    }
    session.network.create().map_err(|e| e.to_string())?;
    Ok(nodes)
}

/// Takes away what dead adapters left under `state` (except `keep`): their migrations in
/// flight are rolled back first, so their journals end consistently. Returns what it did.
pub fn sweep_dead(state: &Path, keep: Option<&str>) -> Vec<String> {
    let mut notes = Vec::new();
    for s in Session::all(state) {
        match s {
            Ok(s) if s.owner.alive() || Some(s.id.as_str()) == keep => {}
            Ok(s) => {
                recover::roll_back_journal(&s);
                notes.push(match s.remove(state) {
                    Ok(()) => format!(
                        "removed session {} left by a stopped adapter (results in {})",
                        s.id,
                        s.out.display()
                    ),
                    Err(e) => format!("could not remove session {}: {e}", s.id),
                });
            }
            Err((dir, e)) => notes.push(format!("unreadable session {}: {e}", dir.display())),
        }
    }
    notes
}
