//! Simulated time on a live cluster: real seconds since the run's origin times the speed. The
//! origin is wall-clock time, so that an adapter restarted after a crash carries on the same
//! timeline (the jobs kept running meanwhile).

use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    pub origin_unix_s: f64,
    /// Simulated seconds per real second.
    pub speed: f64,
}

impl Clock {
    pub fn starting_now(speed: f64) -> Clock {
        Clock {
            origin_unix_s: unix_now(),
            speed,
        }
    }

    /// Simulated seconds since the origin.
    pub fn now_s(&self) -> f64 {
        (unix_now() - self.origin_unix_s).max(0.0) * self.speed
    }

    /// Real seconds for `sim_s` simulated ones.
    pub fn real(&self, sim_s: f64) -> f64 {
        sim_s / self.speed
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}
