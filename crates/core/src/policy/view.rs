use crate::engine::SimTime;
use crate::model::{ClassId, JobId, NodeId, Usage};

/// The cluster as a monitoring system shows it at `time` (which may lag the present).
#[derive(Clone, Debug, Default)]
pub struct ClusterView {
    pub time: SimTime,
    pub nodes: Vec<NodeView>,
    /// The nodes whose jobs the view holds, by id: all of a whole view; a monitoring snapshot
    /// holds only those a decision may read (see [`crate::policy::Controller::reads_jobs_of`]).
    pub with_jobs: Vec<NodeId>,
    /// Migrations in flight. The controller knows its own, so these are current, not stale.
    pub migrations: Vec<MigrationView>,
    /// Each node's usage line, in a snapshot that keeps them (empty otherwise): such a node
    /// uses what its line gives at `time` (see [`ClusterView::used`]).
    pub lines: Vec<Option<Usage>>,
}

impl ClusterView {
    /// Memory in use on `node` at the view's time.
    pub fn used(&self, node: NodeId) -> f64 {
        match self.lines.get(node.index()) {
            Some(Some(line)) => line.at(self.time),
            _ => self.nodes[node.index()].memory_used,
        }
    }

    /// Memory free on `node` at the view's time.
    pub fn free(&self, node: NodeId) -> f64 {
        self.nodes[node.index()].memory_capacity - self.used(node)
    }

    /// Sets `node`'s own figure of memory in use from its line, if it has one (see
    /// [`NodeView::memory_used`]).
    pub fn settle(&mut self, node: NodeId) {
        if let Some(Some(line)) = self.lines.get(node.index()) {
            self.nodes[node.index()].memory_used = line.at(self.time);
        }
    }
}

/// A migration in flight, as the controller tracks it.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationView {
    pub job: JobId,
    pub source: NodeId,
    pub target: NodeId,
    pub issued: SimTime,
    /// Bytes the target will still receive.
    pub incoming: f64,
    /// CPUs held on the target for the job.
    pub cpu: f64,
    /// Past the switch-over: the job already runs on the target and cannot go back.
    pub committed: bool,
    /// The job is frozen: the move's cost is being paid.
    pub frozen: bool,
}

#[derive(Clone, Debug)]
pub struct NodeView {
    pub id: NodeId,
    pub memory_capacity: f64,
    /// Memory in use at the view's time. A snapshot whose nodes keep usage lines evaluates
    /// this only for the nodes a decision reads of their own figures (those asked whether they
    /// request memory, and those migrations touch), so that a retake need not touch every
    /// node; [`ClusterView::used`] gives every node's.
    pub memory_used: f64,
    pub cpu_capacity: f64,
    pub cpu_requested: f64,
    /// NIC bandwidth, bytes per second each way.
    pub network: f64,
    pub cordoned: bool,
    /// Failed: runs nothing and takes nothing until repaired.
    pub down: bool,
    pub jobs: Vec<JobView>,
}

#[derive(Clone, Debug)]
pub struct JobView {
    pub id: JobId,
    pub class: ClassId,
    /// Bytes in use.
    pub memory: f64,
    /// Recent growth, bytes per second (over the monitoring window).
    pub growth: f64,
    /// Declared memory request, bytes (0 when unknown).
    pub request: f64,
    /// Its declared dirty rate, bytes per second; None: the scenario's.
    pub dirty_rate: Option<f64>,
    pub cpu: f64,
    /// Seconds since it last started.
    pub age: f64,
    /// Times it has been migrated.
    pub migrations: u32,
    /// A migration of it is in flight.
    pub migrating: bool,
    /// Migrations of it that failed since its last successful one, and when the last did.
    pub failed_moves: u32,
    pub last_failed_move: Option<SimTime>,
    /// Seconds of work left. Monitoring cannot know this; only an oracle policy may use it.
    pub remaining: f64,
}

impl JobView {
    /// A view with usage, request and CPU; everything else is zero.
    #[cfg(test)]
    pub fn placement(id: JobId, memory: f64, request: f64, cpu: f64) -> Self {
        JobView {
            id,
            class: ClassId::default(),
            memory,
            growth: 0.0,
            request,
            dirty_rate: None,
            cpu,
            age: 0.0,
            migrations: 0,
            migrating: false,
            failed_moves: 0,
            last_failed_move: None,
            remaining: 0.0,
        }
    }
}

/// Of its own figure, [`NodeView::memory_used`]: in a snapshot on usage lines, only for the
/// nodes it settles.
impl NodeView {
    pub fn utilization(&self) -> f64 {
        self.memory_used / self.memory_capacity
    }

    pub fn free(&self) -> f64 {
        self.memory_capacity - self.memory_used
    }

    /// Sum of its jobs' recent growth, bytes per second.
    pub fn growth(&self) -> f64 {
        self.jobs.iter().map(|j| j.growth).sum()
    }
}
