use crate::engine::SimTime;
use crate::model::{JobId, NodeId};

/// A node's state at a sample time.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSample {
    pub time: SimTime,
    pub node: NodeId,
    pub memory_used: f64,
    /// Part of `memory_used` held by migrations rather than running jobs.
    pub migration_memory: f64,
    pub memory_capacity: f64,
    pub cpu_requested: f64,
    pub jobs: u32,
    pub cordoned: bool,
}

impl NodeSample {
    pub fn utilization(&self) -> f64 {
        self.memory_used / self.memory_capacity
    }
}

/// A running job's memory at a sample time.
#[derive(Clone, Debug, PartialEq)]
pub struct JobSample {
    pub time: SimTime,
    pub job: JobId,
    pub node: NodeId,
    pub memory: f64,
}
