//! Where a selected job goes. A move is refused when the target's free memory after it would
//! fall below the controller's threshold plus a margin.

use serde::{Deserialize, Serialize};

use crate::model::NodeId;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    #[serde(default)]
    pub policy: TargetPolicy,
    /// Added to the threshold when validating a target, as a fraction of its memory.
    #[serde(default = "five_percent")]
    pub margin: f64,
}

fn five_percent() -> f64 {
    0.05
}

impl Default for TargetSpec {
    fn default() -> Self {
        TargetSpec {
            policy: TargetPolicy::default(),
            margin: five_percent(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetPolicy {
    /// The valid node with the largest fraction of its memory free.
    #[default]
    LeastUsed,
    /// The valid node with the least free memory left after the move.
    BestFit,
}

/// A node as a possible target: its free memory after in-flight moves into it.
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    pub id: NodeId,
    pub capacity: f64,
    pub free: f64,
}

impl TargetSpec {
    /// The free fraction a target must keep after a move.
    pub fn keep(&self, threshold: f64) -> f64 {
        threshold + self.margin
    }

    /// Picks a target for `bytes` among `candidates` (already without the source and nodes
    /// that cannot take work), keeping `threshold + margin` of each target free.
    pub fn choose(
        &self,
        candidates: impl Iterator<Item = Candidate>,
        bytes: f64,
        threshold: f64,
    ) -> Option<NodeId> {
        let keep = self.keep(threshold);
        let valid = candidates.filter(|c| c.free - bytes >= keep * c.capacity);
        let best = match self.policy {
            // Among nodes of different sizes the least used (by fraction) may be too small
            // while a larger one is valid, so validate first. `min_by` on the reversed order
            // keeps the first of equals.
            TargetPolicy::LeastUsed => {
                valid.min_by(|a, b| (b.free / b.capacity).total_cmp(&(a.free / a.capacity)))
            }
            TargetPolicy::BestFit => {
                valid.min_by(|a, b| (a.free - bytes).total_cmp(&(b.free - bytes)))
            }
        };
        best.map(|c| c.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: u32, free: f64) -> Candidate {
        Candidate {
            id: NodeId(id),
            capacity: 100.0,
            free,
        }
    }

    #[test]
    fn least_used_and_best_fit_respect_the_margin() {
        let nodes = [c(0, 60.0), c(1, 90.0), c(2, 75.0)];
        let least = TargetSpec::default();
        // Keep 45% + 5%: a 30-byte job leaves 60 on node 1 (valid).
        assert_eq!(least.choose(nodes.into_iter(), 30.0, 0.45), Some(NodeId(1)));
        // A 45-byte job would leave 45 < 50 on the least-used node: refused everywhere.
        assert_eq!(least.choose(nodes.into_iter(), 45.0, 0.45), None);
        // A larger node that is fuller by fraction can still be the valid one.
        let mixed = [
            c(0, 100.0),
            Candidate {
                id: NodeId(1),
                capacity: 1000.0,
                free: 900.0,
            },
        ];
        assert_eq!(least.choose(mixed.into_iter(), 55.0, 0.45), Some(NodeId(1)));
        let best = TargetSpec {
            policy: TargetPolicy::BestFit,
            margin: 0.05,
        };
        // 20 bytes: node 0 would keep 40 (invalid), node 2 keeps 55, node 1 keeps 70.
        assert_eq!(best.choose(nodes.into_iter(), 20.0, 0.45), Some(NodeId(2)));
    }
}
