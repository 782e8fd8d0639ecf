//! What a live job's process is told to do: follow the job's memory profile over its own
//! executed time, at `speed` simulated seconds per real second, with every size multiplied by
//! `scale`. The adapter writes it as JSON; `migsim-memhog --job FILE` reads it.

use serde::{Deserialize, Serialize};

use crate::workload::{JobSpec, MemoryProfile};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveWorkload {
    pub name: String,
    /// Simulated seconds of work to do before exiting.
    pub work_s: f64,
    /// Simulated seconds of work done per real second.
    pub speed: f64,
    /// Real bytes per scenario byte.
    pub scale: f64,
    /// The profile's breakpoints, (progress in ns, scenario bytes).
    pub points: Vec<(u64, f64)>,
    pub stepped: bool,
    /// Scenario bytes per simulated second it dirties besides its growth (the job's own
    /// `dirty_rate`; the scenario-wide pre-copy rate is the simulator's alone).
    #[serde(default)]
    pub dirty_rate: f64,
}

impl LiveWorkload {
    pub fn of(job: &JobSpec, speed: f64, scale: f64) -> Self {
        LiveWorkload {
            name: job.name.clone(),
            work_s: job.work.as_secs(),
            speed,
            scale,
            points: job.profile.points(),
            stepped: job.profile.is_stepped(),
            dirty_rate: job.dirty_rate.unwrap_or(0.0),
        }
    }

    /// Real bytes per real second it dirties.
    pub fn real_dirty_rate(&self) -> f64 {
        self.dirty_rate * self.speed * self.scale
    }

    pub fn profile(&self) -> MemoryProfile {
        if self.stepped {
            MemoryProfile::steps(&self.points)
        } else {
            MemoryProfile::from_points(&self.points)
        }
    }

    /// Real bytes the process holds after `progress_ns` of work.
    pub fn bytes_at(&self, profile: &MemoryProfile, progress_ns: u64) -> f64 {
        profile.bytes_at(progress_ns) * self.scale
    }
}
