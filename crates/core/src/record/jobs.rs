use serde::Serialize;
use smallvec::SmallVec;

use crate::engine::{SimDuration, SimTime};
use crate::model::NodeId;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    Finished,
    /// Killed more often than the retry limit allows.
    Failed,
    /// Still running when the run ended.
    Running,
    /// Waiting (or not yet arrived) when the run ended.
    #[default]
    Pending,
}

impl JobOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            JobOutcome::Finished => "finished",
            JobOutcome::Failed => "failed",
            JobOutcome::Running => "running",
            JobOutcome::Pending => "pending",
        }
    }
}

/// The life of one job.
#[derive(Clone, Debug, Default)]
pub struct JobRecord {
    pub first_start: Option<SimTime>,
    pub end: Option<SimTime>,
    pub outcome: JobOutcome,
    pub starts: u32,
    /// Distinct nodes it ran on, in first-visit order; most jobs' one or two are kept in
    /// place (a million jobs, a million allocations fewer).
    pub nodes: SmallVec<[NodeId; 2]>,
    pub oom_kills: u32,
    pub migrations: u32,
    pub lost_work: SimDuration,
    /// Total time spent queued.
    pub wait: SimDuration,
    pub peak_memory: f64,
}

impl JobRecord {
    pub fn started(&mut self, t: SimTime, node: NodeId) {
        self.first_start.get_or_insert(t);
        self.starts += 1;
        if !self.nodes.contains(&node) {
            self.nodes.push(node);
        }
    }

    /// A migration moved it to `node`, without a restart.
    pub fn moved_to(&mut self, node: NodeId) {
        if !self.nodes.contains(&node) {
            self.nodes.push(node);
        }
    }

    pub fn observe_memory(&mut self, bytes: f64) {
        self.peak_memory = self.peak_memory.max(bytes);
    }
}
