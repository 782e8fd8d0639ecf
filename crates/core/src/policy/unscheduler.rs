//! Cordons a node whose memory use is above a threshold, so that the scheduler stops adding
//! jobs to it, and uncordons it once use falls below the threshold minus a hysteresis band.

use serde::{Deserialize, Serialize};

use crate::keypath::{FieldIssue, KeyPath};
use crate::model::NodeId;
use crate::policy::ClusterView;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnschedulerSpec {
    /// Fraction of a node's memory above which it is cordoned.
    pub threshold: f64,
    /// It is uncordoned below `threshold - hysteresis`.
    #[serde(default)]
    pub hysteresis: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CordonChange {
    pub node: NodeId,
    pub cordon: bool,
}

impl UnschedulerSpec {
    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        if !(self.threshold > 0.0 && self.threshold <= 1.0) {
            return Err(FieldIssue::new(
                at.key("threshold"),
                format!("must be a fraction in (0, 1], got {}", self.threshold),
            ));
        }
        if !(self.hysteresis >= 0.0 && self.hysteresis < self.threshold) {
            return Err(FieldIssue::new(
                at.key("hysteresis"),
                format!(
                    "must be >= 0 and below the threshold {}, got {}",
                    self.threshold, self.hysteresis
                ),
            ));
        }
        Ok(())
    }

    pub fn decide(&self, view: &ClusterView) -> Vec<CordonChange> {
        view.nodes
            .iter()
            .filter_map(|n| {
                let u = view.used(n.id) / n.memory_capacity;
                if !n.cordoned && u > self.threshold {
                    Some(CordonChange {
                        node: n.id,
                        cordon: true,
                    })
                } else if n.cordoned && u < self.threshold - self.hysteresis {
                    Some(CordonChange {
                        node: n.id,
                        cordon: false,
                    })
                } else {
                    None
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimTime;
    use crate::policy::NodeView;

    #[test]
    fn hysteresis_band_holds_state() {
        let spec = UnschedulerSpec {
            threshold: 0.8,
            hysteresis: 0.1,
        };
        let view = |used: f64, cordoned: bool| ClusterView {
            time: SimTime::ZERO,
            nodes: vec![NodeView {
                id: NodeId(0),
                memory_capacity: 100.0,
                memory_used: used,
                cpu_capacity: 1.0,
                cpu_requested: 0.0,
                network: 1e9,
                cordoned,
                down: false,
                jobs: vec![],
            }],
            with_jobs: vec![NodeId(0)],
            migrations: vec![],
            lines: vec![],
        };
        assert_eq!(
            spec.decide(&view(85.0, false)),
            vec![CordonChange {
                node: NodeId(0),
                cordon: true
            }]
        );
        assert!(
            spec.decide(&view(75.0, true)).is_empty(),
            "inside the band it stays cordoned"
        );
        assert_eq!(
            spec.decide(&view(69.0, true)),
            vec![CordonChange {
                node: NodeId(0),
                cordon: false
            }]
        );
        assert!(spec.decide(&view(75.0, false)).is_empty());
    }
}
