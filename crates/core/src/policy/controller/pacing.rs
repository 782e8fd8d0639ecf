//! How fast the controller may issue migrations.

use serde::{Deserialize, Serialize};

use crate::units::Seconds;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Pacing {
    /// No new decision while a migration is in flight, nor within `cooldown` of the last end.
    Blocking {
        #[serde(default = "forty_five_seconds")]
        cooldown: Seconds,
    },
    /// Migrations overlap, at most `per_node` touching any node (as source or target) and
    /// `cluster` in all.
    Concurrent {
        #[serde(default = "one")]
        per_node: u32,
        #[serde(default = "four")]
        cluster: u32,
    },
}

fn forty_five_seconds() -> Seconds {
    Seconds::new(45.0)
}

fn one() -> u32 {
    1
}

fn four() -> u32 {
    4
}

impl Default for Pacing {
    fn default() -> Self {
        Pacing::Blocking {
            cooldown: forty_five_seconds(),
        }
    }
}

impl Pacing {
    pub fn name(&self) -> &'static str {
        match self {
            Pacing::Blocking { .. } => "blocking",
            Pacing::Concurrent { .. } => "concurrent",
        }
    }

    /// Limits as (per node, cluster-wide).
    pub fn limits(&self) -> (u32, u32) {
        match self {
            Pacing::Blocking { .. } => (u32::MAX, u32::MAX),
            Pacing::Concurrent { per_node, cluster } => (*per_node, *cluster),
        }
    }
}
