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
