//! The migration mechanisms as one table: for each, its phases in order, and for each phase
//! how long it takes, whether the job is frozen, what its pages do to the target's memory,
//! which steps of it can fail and what its good end does. The simulator (`migsim-sim`'s
//! `migrate.rs`) and the closed-form [`estimate`](super::Estimate) walk this table, and the live
//! state reads from it what a move in flight is (frozen, past return) after each live step, so
//! a new mechanism is one entry here plus one live transfer (`live::local::migrate`).

use crate::migration::{CostModel, Mechanism, PhaseFailures};

/// Where a migration is. `Setup` is the `Issued` state (the target's container is being
/// created, the job still runs); every later phase is `InProgress`; `Done` is the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Setup,
    /// Frozen, dumping to local disk (stop-and-copy without streaming).
    Checkpoint,
    /// Pages on the wire, after a fixed latency.
    Transfer,
    /// Pre-copy: live rounds while the job runs on the source.
    Rounds,
    /// Post-copy: frozen while the non-memory state moves and the target restores.
    Handoff,
    Restore,
    /// Post-copy: the job runs degraded on the target while its pages are pulled.
    Pull,
    Done,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Checkpoint => "checkpoint",
            Phase::Transfer => "transfer",
            Phase::Rounds => "pre-copy rounds",
            Phase::Handoff => "handoff",
            Phase::Restore => "restore",
            Phase::Pull => "post-copy pull",
            Phase::Done => "done",
        }
    }
}

/// What the job does during a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobDuring {
    /// Runs on its source.
    Runs,
    Frozen,
    /// Deleted from its source, not yet re-created on the target (restart).
    Deleted,
    /// Runs on the target, degraded, while its pages are pulled (post-copy).
    RunsOnTarget,
}

/// What the pages a phase sends do to the target's memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pages {
    /// They land and take room there.
    Land,
    /// Only the first round's land; later rounds re-send pages already there (pre-copy).
    LandFirstRound,
    /// They overwrite pages already there (pre-copy's final round).
    Overwrite,
    /// They fill the room the job already counts on there (post-copy's pull).
    Fill,
}

/// The steps of `[failures.migration]` a phase performs; its chance of failure combines
/// theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Risk {
    Setup,
    Checkpoint,
    Transfer,
    Restore,
}

/// One phase of one mechanism.
#[derive(Debug)]
pub struct PhaseSpec {
    pub phase: Phase,
    /// Its name in an estimate.
    pub label: &'static str,
    pub job: JobDuring,
    /// Seconds for a job of `bytes`: the whole phase, or for a transfer its latency before
    /// the pages go.
    pub timer: fn(&CostModel, f64) -> f64,
    /// Pages on the wire after the timer, and what they do on the target.
    pub pages: Option<Pages>,
    /// Rounds repeat until the rest is small enough for one frozen round (pre-copy).
    pub repeats: bool,
    /// The last frozen phase: it is lengthened so the whole frozen time rounds up.
    pub rounds_up: bool,
    pub risks: &'static [Risk],
    /// Its good end moves the job to the target (re-creates it there, for a restart).
    pub switches_over: bool,
}

impl PhaseSpec {
    /// The chance that this phase fails.
    pub fn failure(&self, f: &PhaseFailures) -> f64 {
        let p = |r: &Risk| match r {
            Risk::Setup => f.setup,
            Risk::Checkpoint => f.checkpoint,
            Risk::Transfer => f.transfer,
            Risk::Restore => f.restore,
        };
        let mut risks = self.risks.iter().map(p);
        let first = risks.next().unwrap_or(0.0);
        risks.fold(first, |a, b| 1.0 - (1.0 - a) * (1.0 - b))
    }

    pub fn frozen(&self) -> bool {
        matches!(self.job, JobDuring::Frozen | JobDuring::Deleted)
    }

    /// There is no going back: the job runs on the target or was deleted from its source.
    pub fn committed(&self) -> bool {
        matches!(self.job, JobDuring::RunsOnTarget | JobDuring::Deleted)
    }
}

const SETUP: PhaseSpec = PhaseSpec {
    phase: Phase::Setup,
    label: "setup",
    job: JobDuring::Runs,
    timer: |c, _| c.setup,
    pages: None,
    repeats: false,
    rounds_up: false,
    risks: &[Risk::Setup],
    switches_over: false,
};

const RESTORE: PhaseSpec = PhaseSpec {
    phase: Phase::Restore,
    label: "restore",
    job: JobDuring::Frozen,
    timer: |c, bytes| c.restore_time(bytes),
    pages: None,
    repeats: false,
    rounds_up: true,
    risks: &[Risk::Restore],
    switches_over: true,
};

const RESTART: &[PhaseSpec] = &[PhaseSpec {
    job: JobDuring::Deleted,
    switches_over: true,
    ..SETUP
}];

const STOP_AND_COPY: &[PhaseSpec] = &[
    SETUP,
    PhaseSpec {
        phase: Phase::Checkpoint,
        label: "checkpoint",
        job: JobDuring::Frozen,
        timer: |c, bytes| c.checkpoint_time(bytes),
        pages: None,
        repeats: false,
        rounds_up: false,
        risks: &[Risk::Checkpoint],
        switches_over: false,
    },
    PhaseSpec {
        phase: Phase::Transfer,
        label: "transfer",
        job: JobDuring::Frozen,
        timer: |c, _| c.transfer_overhead,
        pages: Some(Pages::Land),
        repeats: false,
        rounds_up: false,
        risks: &[Risk::Transfer],
        switches_over: false,
    },
    RESTORE,
];

/// Stop-and-copy whose dump streams straight to the target.
const STOP_AND_COPY_STREAMING: &[PhaseSpec] = &[
    SETUP,
    PhaseSpec {
        phase: Phase::Transfer,
        label: "checkpoint+transfer",
        job: JobDuring::Frozen,
        timer: |c, _| c.checkpoint_overhead + c.transfer_overhead,
        pages: Some(Pages::Land),
        repeats: false,
        rounds_up: false,
        risks: &[Risk::Checkpoint, Risk::Transfer],
        switches_over: false,
    },
    RESTORE,
];

const PRE_COPY: &[PhaseSpec] = &[
    SETUP,
    PhaseSpec {
        phase: Phase::Rounds,
        label: "rounds",
        job: JobDuring::Runs,
        timer: |c, _| c.transfer_overhead,
        pages: Some(Pages::LandFirstRound),
        repeats: true,
        rounds_up: false,
        risks: &[Risk::Transfer],
        switches_over: false,
    },
    PhaseSpec {
        phase: Phase::Transfer,
        label: "final round",
        job: JobDuring::Frozen,
        timer: |c, _| c.checkpoint_overhead,
        pages: Some(Pages::Overwrite),
        repeats: false,
        rounds_up: false,
        risks: &[Risk::Checkpoint, Risk::Transfer],
        switches_over: false,
    },
    PhaseSpec {
        timer: |c, _| c.restore_overhead,
        ..RESTORE
    },
];

const POST_COPY: &[PhaseSpec] = &[
    SETUP,
    PhaseSpec {
        phase: Phase::Handoff,
        label: "handoff",
        job: JobDuring::Frozen,
        timer: |c, bytes| c.handoff_time(bytes),
        pages: None,
        repeats: false,
        rounds_up: false,
        risks: &[Risk::Checkpoint, Risk::Restore],
        switches_over: true,
    },
    PhaseSpec {
        phase: Phase::Pull,
        label: "pull",
        job: JobDuring::RunsOnTarget,
        timer: |c, _| c.pull_overhead,
        pages: Some(Pages::Fill),
        repeats: false,
        rounds_up: false,
        risks: &[Risk::Transfer],
        switches_over: false,
    },
];

impl Mechanism {
    /// Its phases in order; `streaming`: the cost model streams checkpoints to the target.
    pub fn phases(self, streaming: bool) -> &'static [PhaseSpec] {
        match self {
            Mechanism::Restart => RESTART,
            Mechanism::StopAndCopy if streaming => STOP_AND_COPY_STREAMING,
            Mechanism::StopAndCopy => STOP_AND_COPY,
            Mechanism::PreCopy => PRE_COPY,
            Mechanism::PostCopy => POST_COPY,
        }
    }

    /// Its pages go at the pace of a streamed dump (every mechanism but a stop-and-copy that
    /// dumps to disk first).
    pub fn streams(self, streaming: bool) -> bool {
        self != Mechanism::StopAndCopy || streaming
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Mechanism; 4] = [
        Mechanism::Restart,
        Mechanism::StopAndCopy,
        Mechanism::PreCopy,
        Mechanism::PostCopy,
    ];

    #[test]
    fn every_mechanism_begins_with_its_setup_and_moves_the_job_once() {
        for m in ALL {
            for streaming in [false, true] {
                let phases = m.phases(streaming);
                assert_eq!(phases[0].phase, Phase::Setup, "{m:?}");
                let moves = phases.iter().filter(|p| p.switches_over).count();
                assert_eq!(moves, 1, "{m:?} streaming={streaming}");
                // Once on the target the job never goes back to being frozen on the source.
                let after = phases.iter().skip_while(|p| !p.switches_over).skip(1);
                assert!(after.clone().all(|p| !p.frozen()), "{m:?}");
                assert!(phases.iter().filter(|p| p.rounds_up).all(|p| p.frozen()));
            }
        }
    }

    #[test]
    fn a_phase_fails_with_the_combined_chance_of_its_steps() {
        let f = PhaseFailures {
            setup: 0.5,
            checkpoint: 0.1,
            transfer: 0.2,
            restore: 0.0,
        };
        let [_, transfer, _] = STOP_AND_COPY_STREAMING else {
            unreachable!()
        };
        assert!((transfer.failure(&f) - 0.28).abs() < 1e-12);
        assert_eq!(SETUP.failure(&f), 0.5, "one step: its own chance, exactly");
    }
}
