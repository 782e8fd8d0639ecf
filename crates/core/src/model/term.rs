use crate::engine::SimTime;
use crate::model::NodeId;

/// Memory a migration holds on a node outside any running job: the pages that have arrived on
/// the target, or the frozen copy the source keeps until it is released. Linear between
/// events, like everything else on a node, so OOM times stay exact.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Term {
    pub node: NodeId,
    bytes: f64,
    slope: f64,
    anchor: SimTime,
}

impl Term {
    pub(super) fn new(node: NodeId, t: SimTime, bytes: f64, slope: f64) -> Self {
        Term {
            node,
            bytes,
            slope,
            anchor: t,
        }
    }

    pub fn bytes_at(&self, t: SimTime) -> f64 {
        self.bytes + self.slope * (t - self.anchor).as_secs()
    }

    pub fn slope(&self) -> f64 {
        self.slope
    }

    /// Re-anchors at `t` with a new slope; returns the change of slope.
    pub(super) fn set_slope(&mut self, t: SimTime, slope: f64) -> f64 {
        self.bytes = self.bytes_at(t);
        self.anchor = t;
        slope - std::mem::replace(&mut self.slope, slope)
    }
}
