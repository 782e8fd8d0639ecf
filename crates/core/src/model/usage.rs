use crate::engine::SimTime;

/// Memory in use as a line: `used` bytes at `anchor`, growing at `slope` bytes per second.
/// A node's stays exact until the node next changes, so whoever kept it can read the node's
/// usage at any later instant without reading the node again, to the bit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Usage {
    pub used: f64,
    pub slope: f64,
    pub anchor: SimTime,
}

impl Usage {
    pub const ZERO: Usage = Usage {
        used: 0.0,
        slope: 0.0,
        anchor: SimTime::ZERO,
    };

    pub fn at(&self, t: SimTime) -> f64 {
        self.used + self.slope * (t - self.anchor).as_secs()
    }
}
