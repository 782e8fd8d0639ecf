//! What every driver reports about a run: the typed events the [`Recorder`](super::Recorder)
//! reduces into the tables and the metrics. A driver says what happened and the figures only
//! it can know (memory, work lost, bytes sent); the record's bookkeeping is in the reducer.

use crate::engine::{SimDuration, SimTime};
use crate::migration::Mechanism;
use crate::model::{JobId, MigrationId, MigrationOutcome, NodeId};
use crate::record::{JobSample, NodeSample};

#[derive(Clone, Debug, PartialEq)]
pub enum RunEvent {
    Arrived {
        t: SimTime,
        job: JobId,
    },
    /// Placed on `node` from the queue, or re-created there by a restart migration.
    Started {
        t: SimTime,
        job: JobId,
        node: NodeId,
        memory: f64,
    },
    /// Seen holding `memory`, for its peak.
    Held {
        job: JobId,
        memory: f64,
    },
    Finished {
        t: SimTime,
        job: JobId,
        node: NodeId,
        memory: f64,
    },
    /// The OOM killer took it; `gave_up`: that was one kill too many, it is not queued again.
    OomKilled {
        t: SimTime,
        job: JobId,
        node: NodeId,
        memory: f64,
        lost_work: SimDuration,
        gave_up: bool,
    },
    /// Stopped for another reason than an OOM kill (its node failed, a migration failed over
    /// to a restart) and queued again.
    Requeued {
        t: SimTime,
        job: JobId,
        lost_work: SimDuration,
    },
    Cordoned {
        t: SimTime,
        node: NodeId,
        on: bool,
    },
    /// The controller found no node for `job`, which had to leave `node`.
    Provisioned {
        t: SimTime,
        node: NodeId,
        job: JobId,
        bytes: f64,
    },
    /// A controller order was dropped: its view was out of date.
    StaleOrder,
    NodeFailed {
        t: SimTime,
        node: NodeId,
    },
    NodeRepaired {
        t: SimTime,
        node: NodeId,
    },
    NodeSampled(NodeSample),
    JobSampled(JobSample),
    /// Migrations are numbered in the order they were issued.
    MigrationIssued {
        t: SimTime,
        job: JobId,
        source: NodeId,
        target: NodeId,
        mechanism: Mechanism,
        memory: f64,
        cause: String,
    },
    /// The setup is done; `memory` is what it moves.
    MigrationStarted {
        t: SimTime,
        migration: MigrationId,
        memory: f64,
    },
    /// A restart deleted the job from its source: all its work is lost.
    MigrationDeleted {
        migration: MigrationId,
        lost_work: SimDuration,
    },
    MigrationFrozen {
        t: SimTime,
        migration: MigrationId,
    },
    /// The job runs on the target.
    MigrationSwitchedOver {
        t: SimTime,
        migration: MigrationId,
    },
    /// The running totals: when it ends, and for those in flight when the run ends.
    MigrationTally {
        migration: MigrationId,
        downtime: SimDuration,
        bytes_sent: f64,
        rounds: u32,
    },
    MigrationEnded {
        t: SimTime,
        migration: MigrationId,
        outcome: MigrationOutcome,
        reason: String,
    },
    /// Work the migration cost its job, counted on the migration only (the job's record counts
    /// it where the job lost it): a failed move that restarted the job, a restart that deleted it.
    MigrationLostWork {
        migration: MigrationId,
        lost_work: SimDuration,
    },
}
