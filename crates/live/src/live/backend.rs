//! The `Backend` trait: what the live driver needs from a real cluster. The driver owns the
//! run (queue, records, policy calls); a backend only starts, observes, migrates and stops
//! jobs. Sizes cross this boundary in scenario bytes, times in simulated seconds.

use crate::live::journal::Step;
use crate::migration::Mechanism;
use crate::model::{JobId, NodeId};

/// What monitoring reads now.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// Memory in use per node, by node index.
    pub nodes: Vec<f64>,
    /// The jobs the backend runs.
    pub jobs: Vec<JobUsage>,
}

#[derive(Clone, Debug)]
pub struct JobUsage {
    pub job: JobId,
    pub memory: f64,
    /// Simulated seconds of work done.
    pub work_s: f64,
    pub life: Life,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Life {
    Running,
    Finished,
    OomKilled,
    /// Gone without finishing or an OOM kill.
    Exited,
}

/// A migration for the backend to carry out.
#[derive(Clone, Debug)]
pub struct MoveOrder {
    pub id: u32,
    pub job: JobId,
    pub source: NodeId,
    pub target: NodeId,
    pub mechanism: Mechanism,
    /// The job's memory as last seen, scenario bytes.
    pub memory: f64,
    /// Simulated seconds of work it had done when last seen.
    pub work_s: f64,
}

/// One migration step the backend took (and journaled before taking it).
#[derive(Clone, Debug)]
pub struct StepTaken {
    pub t: f64,
    pub id: u32,
    pub step: Step,
}

pub trait Backend {
    /// Starts `job` from scratch on `node`.
    fn start(&mut self, job: JobId, node: NodeId) -> Result<(), String>;
    /// Reads memory and job states; a job reported ended is forgotten.
    fn observe(&mut self) -> Observation;
    /// Begins a migration in the background; its steps come back from [`Backend::steps`].
    fn migrate(&mut self, order: MoveOrder);
    /// Calls a migration off if it has not frozen the job yet; whether it will be.
    fn cancel(&mut self, id: u32, reason: &str) -> bool;
    /// Migration steps taken since the last call, in order.
    fn steps(&mut self) -> Vec<StepTaken>;
    /// Migration memory each node holds for migrations in flight (pages landed on a target).
    fn migration_memory(&self, node: NodeId) -> f64;
    /// Waits for migrations in flight, then stops every job and removes what was created.
    fn shutdown(&mut self) -> Result<(), String>;
    /// How long each start took to run its job, real seconds (see [`crate::live::latency`]).
    fn start_latencies(&self) -> Vec<f64>;
}
