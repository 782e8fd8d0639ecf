use crate::engine::Generation;
use crate::model::{JobId, NodeId};

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
    /// Record node samples.
    Sample,
    End,
}
