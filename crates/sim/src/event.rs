use crate::engine::Generation;
use crate::migration::FlowId;
use crate::model::{JobId, MigrationId, NodeId};

/// Everything that can happen. Small and `Copy`: the heap moves these around constantly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Arrive(JobId),
    /// A running job reaches its next profile breakpoint or its end of work.
    Step {
        job: JobId,
        gen: Generation,
    },
    /// A node is predicted to run out of memory.
    Oom {
        node: NodeId,
        gen: Generation,
    },
    /// Place queued jobs (coalesced: at most one pending).
    Schedule,
    /// Take a monitoring snapshot and run the policies that act on it.
    Monitor,
    /// The migration controller decides.
    Control,
    /// A timed phase of a migration ends.
    Phase {
        migration: MigrationId,
        gen: Generation,
    },
    /// A transfer is predicted to finish.
    Flow {
        flow: FlowId,
        gen: Generation,
    },
    NodeFail(NodeId),
    NodeRepair(NodeId),
    /// Record node samples.
    Sample,
    End,
}
