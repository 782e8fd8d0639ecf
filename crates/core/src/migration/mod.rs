//! How jobs move between nodes and what it costs: the mechanisms (restart, stop-and-copy,
//! pre-copy, post-copy), their cost models, bandwidth sharing between concurrent transfers,
//! and calibration of the costs from measured migrations. Like SimGrid's live-migration
//! plugin, this sits beside the cluster model; `sim` drives it.

pub mod calibration;
mod cost;
mod estimate;
mod failures;
mod network;
mod phases;
mod precopy;
mod spec;

pub use cost::{CostModel, CostSpec};
pub use estimate::{Estimate, PhaseEstimate};
pub use failures::{FailureSpec, NodeFailureSpec, PhaseFailures, RandomFailureSpec};
pub use network::{Flow, FlowId, Network, RateChange};
pub use phases::{JobDuring, Pages, Phase, PhaseSpec, Risk};
pub use precopy::{NextRound, PreCopySpec};
pub use spec::{Failover, Mechanism, MigrationSpec, PostCopySpec};
