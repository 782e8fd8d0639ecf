use crate::engine::{SimDuration, SimTime};
use crate::migration::Mechanism;
use crate::model::{JobId, MigrationOutcome, NodeId};

/// One migration, from the controller's order to its outcome, as `migrations.csv` shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct MigrationRecord {
    pub job: JobId,
    pub source: NodeId,
    pub target: NodeId,
    pub mechanism: Mechanism,
    pub issued: SimTime,
    /// When its setup ended.
    pub started: Option<SimTime>,
    pub ended: Option<SimTime>,
    /// The job's memory when it started (when it was issued, if it never did).
    pub memory: f64,
    pub downtime: SimDuration,
    pub bytes_sent: f64,
    pub rounds: u32,
    pub lost_work: SimDuration,
    /// None: still in flight when the run ended.
    pub outcome: Option<MigrationOutcome>,
    /// Why the controller ordered it.
    pub cause: String,
    /// Why it failed or was cancelled.
    pub reason: String,
}
