use crate::engine::{Generation, SimDuration, SimTime};
use crate::migration::{FlowId, Mechanism, Phase, PhaseSpec};
use crate::model::{JobId, NodeId, Term};

/// Index of a migration, in the order they were issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MigrationId(pub u32);

impl MigrationId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MigrationOutcome {
    Complete,
    Failed,
    /// Called off by the controller, or made moot (the job finished or was killed); the job
    /// carried on where it was.
    Cancelled,
}

impl MigrationOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            MigrationOutcome::Complete => "complete",
            MigrationOutcome::Failed => "failed",
            MigrationOutcome::Cancelled => "cancelled",
        }
    }
}

/// One migration in motion, as the simulator moves it; what it did is its run record
/// (`record::MigrationRecord`).
#[derive(Clone, Debug)]
pub struct Migration {
    pub job: JobId,
    pub source: NodeId,
    pub target: NodeId,
    pub mechanism: Mechanism,
    pub issued: SimTime,
    /// The job's memory when it went `InProgress`.
    pub memory: f64,
    pub phase: Phase,
    /// Stamps the pending end-of-phase event.
    pub gen: Generation,
    pub flow: Option<FlowId>,
    /// Payload bytes the current flow carries.
    pub flow_bytes: f64,
    /// Set while the job is frozen.
    pub frozen_at: Option<SimTime>,
    pub downtime: SimDuration,
    pub bytes_sent: f64,
    /// Pre-copy: rounds begun (the frozen final one included), and the current one's size
    /// and start.
    pub rounds: u32,
    pub round_bytes: f64,
    pub round_started: SimTime,
    /// Pages that have landed on the target (or, in post-copy, those still missing there).
    pub incoming: Option<Term>,
    /// Post-copy: the frozen copy the source keeps until every page is pulled.
    pub held: Option<Term>,
    /// The job's CPUs are held on the target until it runs there.
    pub cpu_reserved: bool,
    /// Drawn when the phase began: the phase ends in failure.
    pub fails_here: bool,
}

impl Migration {
    pub fn new(
        job: JobId,
        source: NodeId,
        target: NodeId,
        mechanism: Mechanism,
        t: SimTime,
    ) -> Self {
        Migration {
            job,
            source,
            target,
            mechanism,
            issued: t,
            memory: 0.0,
            phase: Phase::Setup,
            gen: Generation::default(),
            flow: None,
            flow_bytes: 0.0,
            frozen_at: None,
            downtime: SimDuration::ZERO,
            bytes_sent: 0.0,
            rounds: 0,
            round_bytes: 0.0,
            round_started: t,
            incoming: None,
            held: None,
            cpu_reserved: false,
            fails_here: false,
        }
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Its current phase in its mechanism's table (None once done).
    pub fn spec(&self, streaming: bool) -> Option<&'static PhaseSpec> {
        let phases = self.mechanism.phases(streaming);
        phases.iter().find(|p| p.phase == self.phase)
    }

    /// There is no going back: the job runs on the target (post-copy pull) or was deleted
    /// from the source (restart).
    pub fn committed(&self) -> bool {
        // Whether a phase commits does not depend on streaming.
        self.spec(false).is_some_and(PhaseSpec::committed)
    }
}
