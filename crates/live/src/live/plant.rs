//! A live cluster as the control loop's plant: the facts come from the backend's last
//! observation and the run's own state; every order is journaled, applied to the state, and
//! handed to the backend.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::engine::{SimDuration, SimTime};
use crate::live::backend::{Backend, MoveOrder, Observation};
use crate::live::journal::{Ending, Entry, Journal, Step};
use crate::live::state::{LiveState, Where};
use crate::migration::Mechanism;
use crate::model::{JobId, NodeId};
use crate::policy::control::{Facts, Footprint, JobFacts, NodeFacts, Plant};
use crate::policy::controller::{Order, Shortage};
use crate::policy::{MigrationView, PendingJob};
use crate::record::RunEvent;

/// Each running job's recent memory readings, for its growth.
#[derive(Default)]
pub struct Growth {
    history: Vec<VecDeque<(f64, f64)>>,
    window: f64,
}

impl Growth {
    pub fn new(jobs: usize, window: f64) -> Self {
        Growth {
            history: vec![VecDeque::new(); jobs],
            window,
        }
    }

    pub fn observe(&mut self, job: JobId, t: f64, memory: f64) {
        let h = &mut self.history[job.index()];
        h.push_back((t, memory));
        while h.len() > 2 && h[1].0 <= t - self.window {
            h.pop_front();
        }
    }

    pub fn forget(&mut self, job: JobId) {
        self.history[job.index()].clear();
    }

    /// Bytes per second over the window (0 until two readings are a moment apart).
    pub fn rate(&self, job: JobId) -> f64 {
        let h = &self.history[job.index()];
        match (h.front(), h.back()) {
            (Some(a), Some(b)) if b.0 - a.0 > 1e-3 => (b.1 - a.1) / (b.0 - a.0),
            _ => 0.0,
        }
    }
}

/// Journals an entry, then applies it to the run's state.
pub fn commit(journal: &Mutex<Journal>, state: &mut LiveState, entry: Entry) {
    journal
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .append_or_note(&entry);
    state.apply(&entry);
}

/// The cluster at `now` (simulated seconds), for one turn of the control loop.
pub struct LivePlant<'a> {
    pub state: &'a mut LiveState,
    pub journal: &'a Mutex<Journal>,
    pub observation: &'a Observation,
    /// Readings over the monitoring window; the loop's window is the same spec value.
    pub growth: &'a Growth,
    pub backend: &'a mut dyn Backend,
    /// How every migration is made.
    pub mechanism: Mechanism,
    pub now: f64,
    pub stalled: &'a mut bool,
}

impl LivePlant<'_> {
    fn commit(&mut self, entry: Entry) {
        commit(self.journal, self.state, entry);
    }

    /// A job that has not reported its memory yet counts with its profile's start, as the
    /// simulator's would, so that two jobs placed at one instant see each other.
    fn memory(&self, job: JobId) -> f64 {
        match self.state.jobs[job.index()].memory {
            m if m > 0.0 => m,
            _ => self.state.spec(job).profile.bytes_at(0),
        }
    }

    fn running_on(&self, node: NodeId) -> impl Iterator<Item = JobId> + '_ {
        self.state
            .jobs
            .iter()
            .enumerate()
            .filter(move |(_, j)| j.at == Where::Running(node))
            .map(|(i, _)| JobId(i as u32))
    }
}

impl Facts for LivePlant<'_> {
    fn now(&self) -> SimTime {
        SimTime::from_secs(self.now)
    }

    fn node_count(&self) -> usize {
        self.state.cluster.nodes().len()
    }

    fn node(&self, node: NodeId) -> NodeFacts {
        let n = self.state.cluster.node(node);
        let observed = self.observation.nodes.get(node.index()).copied();
        let jobs: f64 = self.running_on(node).map(|j| self.memory(j)).sum();
        let cpu = |j: JobId| self.state.spec(j).cpu;
        let incoming: f64 = self
            .state
            .in_flight()
            .filter(|(_, m)| m.target == node)
            .map(|(_, m)| cpu(m.job))
            .sum();
        NodeFacts {
            memory_capacity: n.memory,
            memory_used: observed.unwrap_or(0.0).max(jobs),
            cpu_capacity: n.cpu,
            cpu_requested: self.running_on(node).map(cpu).sum::<f64>() + incoming,
            network: n.network,
            cordoned: self.state.cordoned[node.index()],
            down: false,
            // Its usage is never below its jobs': it is taken as at least their sum.
            terms: false,
        }
    }

    fn jobs_on(&self, node: NodeId, out: &mut Vec<JobId>) {
        out.clear();
        out.extend(self.running_on(node));
        let since = |j: &JobId| self.state.jobs[j.index()].since;
        out.sort_by(|a, b| since(a).total_cmp(&since(b)).then(a.cmp(b)));
    }

    fn job(&self, job: JobId) -> JobFacts {
        let j = &self.state.jobs[job.index()];
        let spec = self.state.spec(job);
        JobFacts {
            node: match j.at {
                Where::Running(n) => Some(n),
                _ => None,
            },
            class: self.state.cluster.job(job).class,
            memory: self.memory(job),
            request: spec.request,
            dirty_rate: spec.dirty_rate,
            cpu: spec.cpu,
            started: SimTime::from_secs(j.since),
            migrations: j.migrations,
            migrating: j.migrating.is_some(),
            failed_moves: j.failed_moves,
            last_failed_move: j.last_failed_move.map(SimTime::from_secs),
            remaining: (spec.work.as_secs() - j.work_s).max(0.0),
        }
    }

    fn footprint(&self, job: JobId) -> Footprint {
        let spec = self.state.spec(job);
        Footprint {
            memory: self.memory(job),
            request: spec.request,
            cpu: spec.cpu,
        }
    }

    fn growth(&self, job: JobId, _window: SimDuration) -> f64 {
        self.growth.rate(job)
    }

    fn migrations(&self, out: &mut Vec<MigrationView>) {
        out.clear();
        out.extend(self.state.in_flight().map(|(id, m)| {
            let f = self.state.flights[id as usize];
            MigrationView {
                job: m.job,
                source: m.source,
                target: m.target,
                issued: m.issued,
                incoming: if f.committed {
                    0.0
                } else {
                    self.state.jobs[m.job.index()].memory
                },
                cpu: self.state.spec(m.job).cpu,
                committed: f.committed,
                frozen: f.frozen,
            }
        }));
    }

    fn queue(&self, out: &mut Vec<PendingJob>) {
        out.clear();
        out.extend(self.state.queue.iter().map(|&id| {
            let s = self.state.spec(id);
            PendingJob {
                id,
                request: s.request,
                cpu: s.cpu,
            }
        }));
    }

    fn last_migration_end(&self) -> Option<SimTime> {
        self.state.last_migration_end.map(SimTime::from_secs)
    }

    fn busy(&self) -> bool {
        self.state
            .jobs
            .iter()
            .any(|j| matches!(j.at, Where::Running(_) | Where::NotArrived))
    }
}

impl Plant for LivePlant<'_> {
    fn place(&mut self, placements: &[(JobId, NodeId)]) {
        let t = self.now;
        for &(job, node) in placements {
            self.commit(Entry::Started {
                t,
                job: job.0,
                node: node.0,
            });
            if let Err(e) = self.backend.start(job, node) {
                let note = format!("cannot start {}: {e}", self.state.spec(job).name);
                self.journal
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .note(note);
                self.commit(Entry::Ended {
                    t,
                    job: job.0,
                    how: Ending::Exited,
                    memory: 0.0,
                    work_s: 0.0,
                });
            }
        }
    }

    fn cordon(&mut self, node: NodeId, cordoned: bool) {
        self.commit(Entry::Cordon {
            t: self.now,
            node: node.0,
            cordoned,
        });
    }

    fn call_off(&mut self, job: JobId, reason: String) {
        if let Some(id) = self.state.jobs[job.index()].migrating {
            self.backend.cancel(id, &reason);
        }
    }

    fn migrate(&mut self, o: &Order) {
        let j = &self.state.jobs[o.job.index()];
        let (memory, work_s) = (j.memory, j.work_s);
        let id = self.state.record.migrations.len() as u32;
        let mechanism = self.mechanism;
        self.commit(Entry::Migration {
            t: self.now,
            id,
            step: Step::Issued {
                job: o.job.0,
                source: o.source.0,
                target: o.target.0,
                mechanism,
                cause: o.cause.clone(),
            },
        });
        self.backend.migrate(MoveOrder {
            id,
            job: o.job,
            source: o.source,
            target: o.target,
            mechanism,
            memory,
            work_s,
        });
    }

    fn stale(&mut self, _: &Order) {
        self.state.record.apply(RunEvent::StaleOrder);
    }

    fn provision(&mut self, s: &Shortage) {
        self.commit(Entry::Shortage {
            t: self.now,
            node: s.node.0,
            job: s.job.0,
            bytes: s.bytes,
        });
    }

    fn stalled(&mut self) {
        *self.stalled = true;
    }
}
