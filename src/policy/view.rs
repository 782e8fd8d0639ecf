use crate::engine::SimTime;
use crate::model::{JobId, NodeId};

/// The cluster as a monitoring system shows it at `time` (which may lag the present).
#[derive(Clone, Debug, Default)]
pub struct ClusterView {
    pub time: SimTime,
    pub nodes: Vec<NodeView>,
}

#[derive(Clone, Debug)]
pub struct NodeView {
    pub id: NodeId,
    pub memory_capacity: f64,
    pub memory_used: f64,
    pub cpu_capacity: f64,
    pub cpu_requested: f64,
    pub cordoned: bool,
    pub jobs: Vec<JobView>,
}

#[derive(Clone, Debug)]
pub struct JobView {
    pub id: JobId,
    /// Bytes in use.
    pub memory: f64,
    /// Current growth, bytes per second.
    pub growth: f64,
    /// Declared memory request, bytes (0 when unknown).
    pub request: f64,
    pub cpu: f64,
    /// Seconds since it last started.
    pub age: f64,
}

impl NodeView {
    pub fn utilization(&self) -> f64 {
        self.memory_used / self.memory_capacity
    }
}
