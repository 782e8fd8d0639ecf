//! What the control loop reads from a cluster, and what it tells the cluster to do. The
//! simulator and each live backend implement these two traits; everything between them (views,
//! snapshots, validation, spells, the stall verdict) is the loop's.

use crate::engine::{SimDuration, SimTime};
use crate::model::{ClassId, JobId, NodeId, Usage};
use crate::policy::controller::{Order, Shortage};
use crate::policy::{MigrationView, PendingJob};

/// A node as it is now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeFacts {
    pub memory_capacity: f64,
    pub memory_used: f64,
    pub cpu_capacity: f64,
    /// CPUs of its jobs and of the jobs on their way there.
    pub cpu_requested: f64,
    /// NIC bandwidth, bytes per second each way.
    pub network: f64,
    pub cordoned: bool,
    pub down: bool,
    /// Memory no job here accounts for is open on it (a migration's pages landing or held, or
    /// the pages a pulled job still lacks): its usage is then not its jobs' sum.
    pub terms: bool,
}

/// How a node's memory moves between its changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Trend {
    /// Nothing on it grows or shrinks: its usage and every job's stay as they are.
    Still,
    /// Nothing on it shrinks, and its usage grows at this rate (bytes per second).
    Rising(f64),
    /// Something on it shrinks, or the driver cannot tell.
    Unknown,
}

/// A job as it is now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct JobFacts {
    /// Where it runs, if it runs.
    pub node: Option<NodeId>,
    /// Its class: what an orchestrator knows of a job before it runs (its owner, its kind).
    pub class: ClassId,
    pub memory: f64,
    pub request: f64,
    /// Its own dirty rate, bytes per second, where it declares one.
    pub dirty_rate: Option<f64>,
    pub cpu: f64,
    /// When it last started.
    pub started: SimTime,
    pub migrations: u32,
    pub migrating: bool,
    pub failed_moves: u32,
    pub last_failed_move: Option<SimTime>,
    /// Seconds of work left (only an oracle policy may use it).
    pub remaining: f64,
}

/// What a job takes on its node: all that placement reads of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Footprint {
    pub memory: f64,
    pub request: f64,
    pub cpu: f64,
}

/// A job's moves as the cluster knows them now, not through monitoring: what a snapshot is
/// brought up to date with at every decision.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moves {
    pub migrations: u32,
    pub migrating: bool,
    pub failed_moves: u32,
    pub last_failed_move: Option<SimTime>,
}

/// The facts of a cluster. Lists are written into `out` (cleared first) so that a pass over
/// the cluster reuses its buffers.
pub trait Facts {
    fn now(&self) -> SimTime;
    fn node_count(&self) -> usize;
    fn node(&self, node: NodeId) -> NodeFacts;
    /// The jobs running on `node`, in the order they started there.
    fn jobs_on(&self, node: NodeId, out: &mut Vec<JobId>);
    fn job(&self, job: JobId) -> JobFacts;
    /// As much of [`Facts::job`] as placement reads: every scheduling pass asks for every job.
    fn footprint(&self, job: JobId) -> Footprint;
    /// As much of [`Facts::job`] as a decision patches its snapshot with: every decision asks
    /// for every job, so a driver whose usage figures cost something answers this alone.
    fn moves(&self, job: JobId) -> Moves {
        let j = self.job(job);
        Moves {
            migrations: j.migrations,
            migrating: j.migrating,
            failed_moves: j.failed_moves,
            last_failed_move: j.last_failed_move,
        }
    }
    /// How `node`'s memory moves until it next changes (see [`Plant::take_changes`]). A
    /// driver that cannot tell says [`Trend::Unknown`], and the node is read anew in every
    /// scheduling pass.
    fn trend(&self, _node: NodeId) -> Trend {
        Trend::Unknown
    }
    /// `node`'s memory use as a line that stays exact until the node's next change note (see
    /// [`Plant::take_changes`]), so that a snapshot need not read an unchanged node again. A
    /// driver that cannot tell says `None`, and the node is read at every snapshot.
    fn usage(&self, _node: NodeId) -> Option<Usage> {
        None
    }
    /// A running job's mean growth over its last `window` of work, bytes per second, as a
    /// monitoring query would compute it.
    fn growth(&self, job: JobId, window: SimDuration) -> f64;
    /// The migrations in flight, in the order they were issued.
    fn migrations(&self, out: &mut Vec<MigrationView>);
    /// The jobs waiting for a node, first come first served.
    fn queue(&self, out: &mut Vec<PendingJob>);
    fn last_migration_end(&self) -> Option<SimTime>;
    /// Whether a job runs or will still arrive: while one does, a queue that fits nowhere may
    /// fit later.
    fn busy(&self) -> bool;
}

/// What the control loop orders. Each call takes effect before the loop reads the facts again,
/// so an order is checked against the cluster as the orders before it left it.
pub trait Plant: Facts {
    /// The nodes that changed since the last call, other than by the passage of time: a job
    /// started, stopped or changed its growth there, migration memory came or went, it was
    /// cordoned, failed or repaired. A driver that cannot tell lists every node.
    fn take_changes(&mut self, out: &mut Vec<NodeId>) {
        out.clear();
        out.extend((0..self.node_count() as u32).map(NodeId));
    }
    /// Starts each job on its node, in order.
    fn place(&mut self, placements: &[(JobId, NodeId)]);
    fn cordon(&mut self, node: NodeId, cordoned: bool);
    /// Calls off the job's migration, if one is in flight and not yet committed.
    fn call_off(&mut self, job: JobId, reason: String);
    /// Begins a migration the loop has checked against the current facts.
    fn migrate(&mut self, order: &Order);
    /// An order dropped because the snapshot it came from was out of date.
    fn stale(&mut self, order: &Order);
    /// The first shortage of a spell on its node: the cluster needs capacity.
    fn provision(&mut self, shortage: &Shortage);
    /// The queue can never be placed: nothing runs, nothing will arrive, and not even empty,
    /// uncordoned, repaired nodes would take a queued job.
    fn stalled(&mut self);
}
