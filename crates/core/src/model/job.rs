use crate::engine::{Generation, SimDuration, SimTime};
use crate::model::{ClassId, MigrationId, NodeId};
use crate::workload::profile::Segment;
use crate::workload::JobSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobState {
    /// Its arrival time has not come.
    NotArrived,
    /// Waiting in the scheduler's queue.
    Queued,
    Running(NodeId),
    /// Deleted by a `restart` migration and being re-created on this node.
    Restarting(NodeId),
    Finished,
    /// Killed more often than the retry limit allows.
    Failed,
}

/// A job and where it is in its life. While running, progress grows at `speed` (1 normally, 0
/// while frozen for a migration, in between while degraded) from `anchor`; `segment` is the
/// profile segment that holds the progress.
#[derive(Clone, Debug)]
pub struct Job {
    pub spec: JobSpec,
    /// Its spec's class as a key, hashed once: every view of the job carries it.
    pub class: ClassId,
    pub state: JobState,
    progress: u64,
    anchor: SimTime,
    speed: f64,
    segment: Segment,
    pub gen: Generation,
    /// When the current run started.
    pub started: SimTime,
    /// Times it was killed by the OOM killer and restarted from scratch.
    pub restarts: u32,
    /// Completed migrations.
    pub migrations: u32,
    /// The migration in flight, if any.
    pub migration: Option<MigrationId>,
    /// Migrations that failed since the last one that completed, and when the last failed.
    pub failed_moves: u32,
    pub last_failed_move: Option<SimTime>,
}

impl Job {
    pub fn new(spec: JobSpec) -> Self {
        Job {
            segment: spec.profile.segment(0),
            class: ClassId::of(&spec.class),
            spec,
            state: JobState::NotArrived,
            progress: 0,
            anchor: SimTime::ZERO,
            speed: 1.0,
            gen: Generation::default(),
            started: SimTime::ZERO,
            restarts: 0,
            migrations: 0,
            migration: None,
            failed_moves: 0,
            last_failed_move: None,
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
            JobState::Running(_) => {
                (self.progress + self.executed(t - self.anchor)).min(self.spec.work.0)
            }
            _ => self.progress,
        }
    }

    /// Work done in `elapsed` at the current speed; exact integers at full speed.
    fn executed(&self, elapsed: SimDuration) -> u64 {
        if self.speed == 1.0 {
            elapsed.0
        } else {
            (elapsed.0 as f64 * self.speed) as u64
        }
    }

    pub fn memory_at(&self, t: SimTime) -> f64 {
        match self.state {
            JobState::Running(_) => self.segment.bytes_at(self.progress_at(t)),
            _ => 0.0,
        }
    }

    /// Growth now, bytes per second of wall time.
    pub fn growth(&self) -> f64 {
        match self.state {
            JobState::Running(_) => self.segment.slope * self.speed,
            _ => 0.0,
        }
    }

    /// Work left, in seconds of full-speed execution.
    pub fn remaining_at(&self, t: SimTime) -> f64 {
        SimDuration(self.spec.work.0 - self.progress_at(t)).as_secs()
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Mean growth over the last `window` of its work at `t`, scaled by its current speed: what
    /// a monitoring query over that window reports.
    pub fn recent_growth(&self, t: SimTime, window: SimDuration) -> f64 {
        let now = self.progress_at(t);
        let then = now.saturating_sub(window.0);
        if now == then {
            return self.growth();
        }
        // Within the segment it runs on, the profile's own lookup would find that segment:
        // reading it directly gives the same bytes without the search.
        let seg = &self.segment;
        let within = |p: u64| seg.start <= p && seg.end.is_none_or(|e| p < e);
        let (bytes_now, bytes_then) = if within(then) && within(now) {
            (seg.bytes_at(now), seg.bytes_at(then))
        } else {
            let profile = &self.spec.profile;
            (profile.bytes_at(now), profile.bytes_at(then))
        };
        let per_work = (bytes_now - bytes_then) / SimDuration(now - then).as_secs();
        per_work * self.speed
    }

    /// Starts a fresh run on `node` at `t`; progress restarts from zero.
    pub fn start(&mut self, node: NodeId, t: SimTime) {
        self.state = JobState::Running(node);
        self.progress = 0;
        self.segment = self.spec.profile.segment(0);
        self.anchor = t;
        self.speed = 1.0;
        self.started = t;
    }

    /// Stops the run at `t` and returns the work it loses.
    pub fn stop(&mut self, t: SimTime, next: JobState) -> SimDuration {
        let lost = SimDuration(self.progress_at(t));
        self.progress = 0;
        self.segment = self.spec.profile.segment(0);
        self.state = next;
        self.speed = 1.0;
        self.gen.bump();
        lost
    }

    /// Fixes progress at `t` as the new anchor. A step event fires at the first nanosecond at
    /// or after the breakpoint, so when `t` has reached it the breakpoint counts as passed even
    /// if a fractional speed rounded the work down.
    fn settle(&mut self, t: SimTime) {
        let step = self.next_step();
        self.progress = self.progress_at(t);
        if step.is_some_and(|s| t >= s) {
            self.progress = self.progress.max(self.step_target());
        }
        self.anchor = t;
    }

    /// Moves to the segment that holds the progress at `t` and returns the change of memory
    /// (nonzero only for a step profile) and of growth.
    pub fn enter_segment(&mut self, t: SimTime) -> (f64, f64) {
        let old = self.growth();
        self.settle(t);
        let before = self.segment.bytes_at(self.progress);
        self.segment = self
            .spec
            .profile
            .segment(self.spec.profile.segment_of(self.progress));
        // A continuous profile would only add rounding noise here, so it adds nothing.
        let jump = match self.spec.profile.is_stepped() {
            true => self.segment.bytes_at(self.progress) - before,
            false => 0.0,
        };
        (jump, self.growth() - old)
    }

    /// Runs at `speed` from `t` on and returns the change of growth. The pending step event
    /// becomes stale: the caller schedules [`Job::next_step`] under the new generation.
    pub fn set_speed(&mut self, t: SimTime, speed: f64) -> f64 {
        let old = self.growth();
        self.settle(t);
        self.speed = speed;
        self.gen.bump();
        self.growth() - old
    }

    /// Progress at which the running job next changes slope or finishes.
    fn step_target(&self) -> u64 {
        let work = self.spec.work.0;
        self.segment.end.map_or(work, |end| end.min(work))
    }

    /// When the running job next changes slope or finishes, whichever comes first; `None`
    /// while it is frozen.
    pub fn next_step(&self) -> Option<SimTime> {
        let left = self.step_target().saturating_sub(self.progress);
        if self.speed == 1.0 {
            Some(self.anchor + SimDuration(left))
        } else if self.speed > 0.0 {
            Some(self.anchor + SimDuration((left as f64 / self.speed).ceil() as u64))
        } else {
            None
        }
    }

    pub fn is_done(&self, t: SimTime) -> bool {
        self.progress_at(t) >= self.spec.work.0
            || (self.next_step().is_some_and(|s| t >= s) && self.step_target() == self.spec.work.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::MemoryProfile;

    /// The growth over a window read off the job's own segment is the profile's, bit for bit,
    /// inside a segment and across a breakpoint.
    #[test]
    fn recent_growth_is_the_profiles_wherever_the_window_falls() {
        let s = |x: f64| SimDuration::from_secs(x).0;
        let profile = MemoryProfile::from_points(&[(0, 1e9), (s(100.0), 3e9), (s(250.0), 3.5e9)]);
        let mut job = Job::new(JobSpec {
            name: "j".into(),
            class: "c".into(),
            arrival: SimTime::ZERO,
            work: SimDuration::from_secs(1000.0),
            cpu: 1.0,
            request: 0.0,
            profile: profile.clone(),
            dirty_rate: None,
        });
        job.start(NodeId(0), SimTime::ZERO);
        let window = SimDuration::from_secs(30.0);
        for t in [10.0, 40.0, 99.0, 100.0, 115.0, 160.0, 260.0] {
            let at = SimTime::from_secs(t);
            if job.next_step().is_some_and(|n| n <= at) {
                job.enter_segment(job.next_step().unwrap());
            }
            let now = job.progress_at(at);
            let then = now.saturating_sub(window.0);
            let expected = (profile.bytes_at(now) - profile.bytes_at(then))
                / SimDuration(now - then).as_secs();
            assert_eq!(job.recent_growth(at, window), expected, "at {t} s");
        }
    }
}
