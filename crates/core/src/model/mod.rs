//! Cluster state: nodes with exact piecewise-linear memory accounting, jobs and their state
//! machine, and the OOM killer's choice of victim.

mod cluster;
mod job;
mod migration;
mod node;
mod oom;
mod term;
mod usage;

pub use crate::migration::Phase;
pub use cluster::{Cluster, NodeGroupSpec};
pub use job::{Job, JobState};
pub use migration::{Migration, MigrationId, MigrationOutcome};
pub use node::Node;
pub use oom::{KillPolicy, OomKill, OomSpec};
pub use term::Term;
pub use usage::Usage;

/// Index of a node in the cluster, in scenario order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// The class a job was drawn from (a workload group, a trace's size or priority class), as a
/// key: its name's stable hash, so that a class needs no table and a key no lifetime.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClassId(pub u64);

impl ClassId {
    pub fn of(name: &str) -> Self {
        ClassId(crate::engine::fnv1a(name.as_bytes()))
    }
}

/// Index of a job, in arrival order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JobId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl JobId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
