use serde::Serialize;

use crate::engine::SimTime;
use crate::model::{JobId, NodeId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Arrive,
    Start,
    Finish,
    OomKill,
    Requeue,
    Fail,
    Cordon,
    Uncordon,
    /// The controller ordered a migration (node: the source).
    MigrationIssued,
    /// Setup done: the migration is in progress.
    MigrationStarted,
    /// The job is frozen for a migration.
    Freeze,
    /// The job runs on its new node.
    SwitchOver,
    MigrationComplete,
    MigrationFailed,
    MigrationCancelled,
    /// No node could take a job that had to leave (node: the source).
    Provision,
    NodeFail,
    NodeRepair,
}

/// One thing that happened, for `events.jsonl`.
#[derive(Clone, Debug)]
pub struct RecordedEvent {
    pub time: SimTime,
    pub kind: EventKind,
    pub job: Option<JobId>,
    pub node: Option<NodeId>,
}
