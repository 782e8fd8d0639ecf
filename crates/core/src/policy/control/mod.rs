//! The control loop every driver runs: the simulator, and each live backend. It owns what lies
//! between a cluster's facts and the policies' decisions (monitoring snapshots and when each
//! becomes visible, assembling the views, calling the scheduler, unscheduler and controller,
//! checking orders against the present, shortage spells, the stall verdict), so that the same
//! policy in every driver is true by construction. A driver only says when a turn is due and
//! implements [`Plant`]: the facts, and the orders carried out.

mod facts;
mod monitoring;
mod notes;
mod orders;
mod snapshot;
mod spells;
#[cfg(any(test, feature = "tape"))]
pub mod tape;
mod targets;

pub use facts::{Facts, Footprint, JobFacts, Moves, NodeFacts, Plant, Trend};
pub use monitoring::{MonitorSpec, Snapshots};
pub use orders::is_current;
pub use snapshot::Snapshot;

use crate::engine::{SimDuration, StreamRng};
use crate::migration::MigrationSpec;
use crate::model::{JobId, NodeId, Usage};
use crate::policy::scheduler::{Drift, Room, Rooms};
use crate::policy::{
    Controller, ControllerSpec, MigrationView, NodeView, PendingJob, Scheduler, SchedulerSpec,
    UnschedulerSpec,
};
use notes::Notes;
use spells::ShortageSpells;
use targets::Targets;

/// A node's room as placement reads it now, and how it moves until the node next changes.
fn room(
    scheduler: &Scheduler,
    facts: &impl Facts,
    id: NodeId,
    jobs: &mut Vec<JobId>,
) -> (Room, Drift) {
    let n = facts.node(id);
    // With nothing reserved and no migration's memory on the node, its jobs' usage is its
    // own: it commits what it uses, and its jobs need not be read.
    let committed = match scheduler.reserves() || n.terms {
        true => {
            facts.jobs_on(id, jobs);
            let footprints = jobs.iter().map(|&j| {
                let f = facts.footprint(j);
                (f.memory, f.request)
            });
            scheduler.committed(n.memory_used, footprints)
        }
        false => n.memory_used,
    };
    let room = Room {
        memory_capacity: n.memory_capacity,
        committed,
        cpu_capacity: n.cpu_capacity,
        cpu_requested: n.cpu_requested,
        open: !n.cordoned && !n.down,
    };
    let drift = match facts.trend(id) {
        Trend::Still => Drift::Still,
        Trend::Rising(g) => Drift::Narrowing(scheduler.commitment_floor(g)),
        Trend::Unknown => Drift::Unknown,
    };
    (room, drift)
}

/// The policies of a run and how they are monitored.
#[derive(Clone, Copy)]
pub struct ControlSpec<'a> {
    pub scheduler: &'a SchedulerSpec,
    pub unscheduler: Option<&'a UnschedulerSpec>,
    pub controller: Option<&'a ControllerSpec>,
    pub migration: &'a MigrationSpec,
    pub monitor: &'a MonitorSpec,
}

/// The loop's turns; a driver says when each is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Turn {
    /// Whenever a job arrives or stops, a node is uncordoned or repaired.
    Schedule,
    /// Every monitoring interval from time zero.
    Monitor,
    /// Every controller interval from one interval in.
    Control,
}

pub struct ControlLoop {
    scheduler: Scheduler,
    /// The scheduler's tie-breaks (`random` placement).
    rng: StreamRng,
    unscheduler: Option<UnschedulerSpec>,
    controller: Option<Controller>,
    snapshots: Snapshots,
    spells: ShortageSpells,
    /// Every node's room, kept from pass to pass.
    rooms: Rooms,
    notes: Notes,
    targets: Targets,
    /// Reused by every scheduling pass.
    pending: Vec<PendingJob>,
    changed: Vec<NodeId>,
    jobs: Vec<JobId>,
    moves: Vec<MigrationView>,
    /// A dropped snapshot, for the next to retake.
    spare: Option<Snapshot>,
}

impl ControlLoop {
    pub fn new(spec: ControlSpec, rng: StreamRng) -> Self {
        let monitored = spec.unscheduler.is_some() || spec.controller.is_some();
        ControlLoop {
            scheduler: Scheduler::new(spec.scheduler),
            rng,
            unscheduler: spec.unscheduler.cloned(),
            controller: spec.controller.map(|c| Controller::new(c, spec.migration)),
            snapshots: Snapshots::new(spec.monitor),
            spells: ShortageSpells::default(),
            rooms: Rooms::default(),
            notes: Notes::new(monitored),
            targets: Targets::default(),
            pending: Vec::new(),
            changed: Vec::new(),
            jobs: Vec::new(),
            moves: Vec::new(),
            spare: None,
        }
    }

    /// How often a snapshot is due (from time zero), if a policy reads them.
    pub fn monitor_interval(&self) -> Option<SimDuration> {
        (self.unscheduler.is_some() || self.controller.is_some()).then_some(self.snapshots.interval)
    }

    /// How often the controller decides (from one interval in), if there is one.
    pub fn control_interval(&self) -> Option<SimDuration> {
        self.controller.as_ref().map(Controller::interval)
    }

    pub fn turn(&mut self, turn: Turn, plant: &mut impl Plant) {
        match turn {
            Turn::Schedule => self.schedule(plant),
            Turn::Monitor => self.monitor(plant),
            Turn::Control => self.control(plant),
        }
    }

    /// A scheduling pass: the queue, first come first served, goes to the scheduler on the
    /// cluster as it is now.
    pub fn schedule(&mut self, plant: &mut impl Plant) {
        plant.queue(&mut self.pending);
        if self.pending.is_empty() {
            return;
        }
        self.notes.pull(plant);
        self.notes.take_placement(&mut self.changed);
        let (scheduler, jobs) = (&self.scheduler, &mut self.jobs);
        let facts = &*plant;
        let mut source = |i: usize| room(scheduler, facts, NodeId(i as u32), jobs);
        let (now, nodes) = (facts.now().as_secs(), facts.node_count());
        let changed = self.changed.iter().map(|n| n.index());
        self.rooms.begin(now, nodes, changed, &mut source);
        let placements: Vec<(JobId, NodeId)> = scheduler
            .plan(&mut self.rooms, &mut source, &self.pending, &mut self.rng)
            .into_iter()
            .map(|(job, i)| (job, NodeId(i as u32)))
            .collect();
        if !placements.is_empty() {
            plant.place(&placements);
        } else if !plant.busy() && self.never_fits(plant) {
            plant.stalled();
        }
    }

    /// Whether no queued job would fit even with every node uncordoned and up; the
    /// draw is on a copy of the stream, so the verdict changes no later tie-break.
    fn never_fits(&mut self, facts: &impl Facts) -> bool {
        let (scheduler, jobs) = (&self.scheduler, &mut self.jobs);
        let mut source = |i: usize| {
            let (room, _) = room(scheduler, facts, NodeId(i as u32), jobs);
            (Room { open: true, ..room }, Drift::Unknown)
        };
        let mut rooms = Rooms::default();
        rooms.begin(facts.now().as_secs(), facts.node_count(), [], &mut source);
        scheduler
            .plan(
                &mut rooms,
                &mut source,
                &self.pending,
                &mut self.rng.clone(),
            )
            .is_empty()
    }

    /// A monitoring snapshot is taken; the unscheduler acts on the newest visible one, with the
    /// cordons it set itself as they are now.
    pub fn monitor(&mut self, plant: &mut impl Plant) {
        let now = plant.now();
        self.notes.pull(plant);
        let mut snapshot = self.spare.take().unwrap_or_default();
        let controller = self.controller.as_ref();
        // The unscheduler reads no jobs; the controller only those of nodes it may act on.
        let wants_jobs = |n: &NodeView| controller.is_some_and(|c| c.reads_jobs_of(n));
        let wanted_from =
            |line: &Usage, memory: f64| controller.and_then(|c| c.reads_jobs_from(line, memory));
        let window = self.snapshots.window;
        let jobs = &mut self.jobs;
        snapshot.retake(plant, &self.notes, window, jobs, wants_jobs, wanted_from);
        self.spare = self.snapshots.take(snapshot);
        let (newest, nodes) = (self.notes.mark(), plant.node_count());
        let synced = self.targets.mark(newest, nodes);
        let kept = self.snapshots.mark().into_iter().chain(synced);
        if let Some(oldest) = kept.chain(self.spare.as_ref().map(Snapshot::filled)).min() {
            self.notes.forget_before(oldest);
        }
        let Some(unscheduler) = &self.unscheduler else {
            return;
        };
        let Some(view) = self.snapshots.front_visible_mut(now) else {
            return;
        };
        for v in view.nodes.iter_mut() {
            v.cordoned = plant.node(v.id).cordoned;
        }
        for change in unscheduler.decide(view) {
            plant.cordon(change.node, change.cordon);
        }
    }

    /// The controller's turn: it decides on the newest visible snapshot brought up to date
    /// with what it knows now; its orders are checked against the present and carried out.
    pub fn control(&mut self, plant: &mut impl Plant) {
        let Some(controller) = &mut self.controller else {
            return;
        };
        let Some(snapshot) = self.snapshots.visible_mut(plant.now()) else {
            return;
        };
        // What monitoring shows, before the patch brings moves up to date.
        controller.observe(&snapshot.view);
        let controller = &*controller;
        if !snapshot.asks {
            plant.migrations(&mut self.moves);
            if self.moves.is_empty() {
                // Nothing asks and nothing moves: the decision would decide nothing.
                self.spells.opened(&[]);
                return;
            }
        }
        // In place: the patch overwrites all it changes at every decision, and monitoring's
        // figures it leaves alone.
        self.notes.pull(plant);
        snapshot.patch(plant, &self.notes);
        let index = self.targets.sync(snapshot, &self.notes);
        let decisions = controller.decide(&snapshot.view, index, plant.last_migration_end());
        for c in decisions.cancels {
            plant.call_off(c.job, c.reason);
        }
        for order in &decisions.orders {
            if is_current(plant, order) {
                plant.migrate(order);
            } else {
                plant.stale(order);
            }
        }
        for s in self.spells.opened(&decisions.shortages) {
            plant.provision(s);
        }
    }
}
