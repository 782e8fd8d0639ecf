//! The `[failures]` table: injected migration failures per phase and node failures, scheduled
//! or random. Random draws come from their own streams, so turning failures on changes nothing
//! else in a run.

use serde::{Deserialize, Serialize};

use crate::keypath::{FieldIssue, KeyPath};
use crate::units::Seconds;

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FailureSpec {
    #[serde(default)]
    pub migration: PhaseFailures,
    /// Failures at given times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeFailureSpec>,
    /// Every node fails at random, independently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub random: Option<RandomFailureSpec>,
}

/// Probability that each phase of a migration fails; it fails at the end of the phase, after
/// its cost was paid.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PhaseFailures {
    #[serde(default)]
    pub setup: f64,
    #[serde(default)]
    pub checkpoint: f64,
    #[serde(default)]
    pub transfer: f64,
    #[serde(default)]
    pub restore: f64,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NodeFailureSpec {
    /// A node's name (`<group>-<i>`, or the group's name for a group of one).
    pub node: String,
    pub at: Seconds,
    /// Back in service this long after failing; absent: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repair: Option<Seconds>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RandomFailureSpec {
    /// Mean time between failures of one node (exponentially distributed up-times).
    pub mtbf: Seconds,
    pub repair: Seconds,
}

impl FailureSpec {
    /// Checks values; node names are checked against the cluster by the caller.
    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        let m = &self.migration;
        let phases = [
            ("setup", m.setup),
            ("checkpoint", m.checkpoint),
            ("transfer", m.transfer),
            ("restore", m.restore),
        ];
        for (key, p) in phases {
            if !(0.0..=1.0).contains(&p) {
                return Err(FieldIssue::new(
                    at.key("migration").key(key),
                    format!("a probability must be in [0, 1], got {p}"),
                ));
            }
        }
        for (i, n) in self.nodes.iter().enumerate() {
            let here = at.key("nodes").index(i);
            if n.at.value < 0.0 {
                return Err(FieldIssue::new(here.key("at"), "must not be negative"));
            }
            if n.repair.is_some_and(|r| r.value <= 0.0) {
                return Err(FieldIssue::new(here.key("repair"), "must be positive"));
            }
        }
        if let Some(r) = &self.random {
            if r.mtbf.value <= 0.0 {
                return Err(FieldIssue::new(
                    at.key("random").key("mtbf"),
                    "must be positive",
                ));
            }
            if r.repair.value <= 0.0 {
                return Err(FieldIssue::new(
                    at.key("random").key("repair"),
                    "must be positive",
                ));
            }
        }
        Ok(())
    }
}
