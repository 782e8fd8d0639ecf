use std::fmt;
use std::ops::{Add, AddAssign, Sub};

const NANOS_PER_SEC: f64 = 1e9;

/// An instant of simulated time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub fn from_secs(secs: f64) -> Self {
        SimTime(SimDuration::from_secs(secs).0)
    }

    pub fn as_secs(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC
    }

    /// The time elapsed since `earlier`; zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    /// Rounds to the nearest nanosecond; negative and NaN inputs give zero and huge ones
    /// saturate, so a bad float can never wrap the clock. (Adding a half and truncating is
    /// `round` for non-negative values without a libm call on baseline x86-64, and this sits on
    /// the path of every scheduled event.)
    pub fn from_secs(secs: f64) -> Self {
        SimDuration((secs * NANOS_PER_SEC + 0.5) as u64)
    }

    /// The smallest duration not shorter than `secs`. A float that lies within a picosecond
    /// above an integer nanosecond counts as that nanosecond: otherwise rounding noise in an
    /// exact crossing time (40 s computed as the next float above 40) would add a nanosecond.
    pub fn from_secs_ceil(secs: f64) -> Self {
        SimDuration((secs * NANOS_PER_SEC - 1e-3).ceil().max(0.0) as u64)
    }

    pub fn as_secs(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceil_ignores_float_noise_but_not_real_fractions() {
        assert_eq!(
            SimDuration::from_secs_ceil(40.0_f64.next_up()).0,
            40_000_000_000
        );
        assert_eq!(SimDuration::from_secs_ceil(40.0000000001).0, 40_000_000_001);
        assert_eq!(SimDuration::from_secs_ceil(-1.0).0, 0);
    }

    #[test]
    fn conversions_round_trip() {
        assert_eq!(SimTime::from_secs(1.5).0, 1_500_000_000);
        assert_eq!(SimTime(2_500_000_000).as_secs(), 2.5);
        assert_eq!(SimTime(5) - SimTime(7), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs(1.4e-9).0, 1);
        assert_eq!(SimDuration::from_secs(1.6e-9).0, 2);
        assert_eq!(SimDuration::from_secs(-3.0).0, 0);
        assert_eq!(SimDuration::from_secs(f64::NAN).0, 0);
        assert_eq!(SimDuration::from_secs(1e300).0, u64::MAX);
    }
}
