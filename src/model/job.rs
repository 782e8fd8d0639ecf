use crate::engine::{Generation, SimDuration, SimTime};
use crate::model::NodeId;
use crate::workload::profile::Segment;
use crate::workload::JobSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Its arrival time has not come.
    NotArrived,
    /// Waiting in the scheduler's queue.
    Queued,
    Running(NodeId),
    Finished,
    /// Killed more often than the retry limit allows.
    Failed,
}

/// A job and where it is in its life. While running, progress grows one-for-one with time from
/// `anchor`; `segment` is the profile segment that holds the progress.
#[derive(Clone, Debug)]
pub struct Job {
    pub spec: JobSpec,
    pub state: JobState,
    progress: u64,
    anchor: SimTime,
    segment: Segment,
    pub gen: Generation,
    /// When the current run started.
    pub started: SimTime,
    /// Times it was killed and restarted from scratch.
    pub restarts: u32,
    /// When it last entered the queue.
    pub queued_at: SimTime,
}

impl Job {
    pub fn new(spec: JobSpec) -> Self {
        Job {
            segment: spec.profile.segment(0),
            spec,
            state: JobState::NotArrived,
            progress: 0,
            anchor: SimTime::ZERO,
            gen: Generation::default(),
            started: SimTime::ZERO,
            restarts: 0,
            queued_at: SimTime::ZERO,
        }
    }

    pub fn node(&self) -> Option<NodeId> {
        match self.state {
            JobState::Running(n) => Some(n),
            _ => None,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.state, JobState::Finished | JobState::Failed)
    }

    /// Executed work at `t`.
    pub fn progress_at(&self, t: SimTime) -> u64 {
        match self.state {
            JobState::Running(_) => (self.progress + (t - self.anchor).0).min(self.spec.work.0),
            _ => self.progress,
        }
    }

    pub fn memory_at(&self, t: SimTime) -> f64 {
        match self.state {
            JobState::Running(_) => self.segment.bytes_at(self.progress_at(t)),
            _ => 0.0,
        }
    }

    /// Growth now, bytes per second.
    pub fn growth(&self) -> f64 {
        match self.state {
            JobState::Running(_) => self.segment.slope,
            _ => 0.0,
        }
    }

    /// Starts a fresh run on `node` at `t`; progress restarts from zero.
    pub fn start(&mut self, node: NodeId, t: SimTime) {
        self.state = JobState::Running(node);
        self.progress = 0;
        self.segment = self.spec.profile.segment(0);
        self.anchor = t;
        self.started = t;
    }

    /// Stops the run at `t` and returns the work it loses.
    pub fn stop(&mut self, t: SimTime, next: JobState) -> SimDuration {
        let lost = SimDuration(self.progress_at(t));
        self.progress = 0;
        self.segment = self.spec.profile.segment(0);
        self.state = next;
        self.gen.bump();
        lost
    }

    /// Moves to the segment that holds the progress at `t` and returns the change of growth.
    pub fn enter_segment(&mut self, t: SimTime) -> f64 {
        let old = self.growth();
        self.progress = self.progress_at(t);
        self.anchor = t;
        self.segment = self
            .spec
            .profile
            .segment(self.spec.profile.segment_of(self.progress));
        self.growth() - old
    }

    /// When the running job next changes slope or finishes, whichever comes first.
    pub fn next_step(&self) -> SimTime {
        let work = self.spec.work.0;
        let until = self.segment.end.map_or(work, |end| end.min(work));
        self.anchor + SimDuration(until - self.progress)
    }

    pub fn is_done(&self, t: SimTime) -> bool {
        self.progress_at(t) >= self.spec.work.0
    }
}
