//! When a node asks for memory to be freed, and how much.

use serde::{Deserialize, Serialize};

use crate::engine::{SimDuration, SimTime};
use crate::model::{NodeId, Usage};
use crate::policy::controller::risk::Prior;
use crate::policy::NodeView;
use crate::units::Seconds;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RequestPolicy {
    /// A node whose free memory is below the threshold asks for the shortfall.
    Threshold {},
    /// As `threshold`, on the free memory predicted `lookahead` from now at the jobs' recent
    /// growth.
    Slope {
        #[serde(default = "five_minutes")]
        lookahead: Seconds,
    },
    /// Acts when a node's time to OOM, at its jobs' recent growth, is shorter than the time
    /// a migration of its largest job is expected to take plus `margin`; asks for what would
    /// otherwise overflow by then.
    Predictive {
        #[serde(default = "one_minute")]
        margin: Seconds,
    },
    /// Acts when the probability that a node runs out of memory before a move started now
    /// could finish is above `target`, as learnt from the growth monitoring has shown (see
    /// `controller/risk`); moves the jobs that cut it most per second of expected downtime,
    /// to targets whose own risk stays within `target` (and that keep the target margin free:
    /// the threshold does not apply, nor does selection).
    Risk {
        #[serde(default = "ten_percent")]
        target: f64,
        /// What a job too new to have a history of its own is expected to do: what the jobs
        /// seen at its age did (`age`), or those of its class at its age (`class`).
        #[serde(default)]
        prior: Prior,
    },
    /// The per-task peak predictor of the overcommit literature (Autopilot; Bashir et al.,
    /// EuroSys 2021): a node's peak is the sum of its jobs' `percentile`-th percentiles of the
    /// memory monitoring showed over `window`; it asks for what that peak leaves short of the
    /// threshold.
    Percentile {
        #[serde(default = "ninety_nine_percent")]
        percentile: f64,
        #[serde(default = "one_hour")]
        window: Seconds,
    },
    /// The machine-level N-sigma predictor (Bashir et al., EuroSys 2021): a node's peak is
    /// the mean of its memory in use over `window` plus `n` standard deviations; it asks for
    /// what that peak leaves short of the threshold.
    NSigma {
        #[serde(default = "three")]
        n: f64,
        #[serde(default = "one_hour")]
        window: Seconds,
    },
}

fn ninety_nine_percent() -> f64 {
    0.99
}

fn three() -> f64 {
    3.0
}

fn one_hour() -> Seconds {
    Seconds::new(3600.0)
}

fn ten_percent() -> f64 {
    0.1
}

fn five_minutes() -> Seconds {
    Seconds::new(300.0)
}

fn one_minute() -> Seconds {
    Seconds::new(60.0)
}

impl Default for RequestPolicy {
    fn default() -> Self {
        RequestPolicy::Threshold {}
    }
}

/// A node's request for `amount` bytes to be moved away.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub node: NodeId,
    pub amount: f64,
    pub why: Why,
}

/// Why a node asked: the figures, spelled out (for `migrations.csv`) only for the requests
/// that become orders; most never do, and formatting floats for each node at each decision
/// showed in profiles.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Why {
    Threshold {
        free_pct: f64,
    },
    Slope {
        free_pct: f64,
        lookahead_s: f64,
    },
    Predictive {
        to_oom_s: f64,
        horizon_s: f64,
    },
    Risk {
        risk: f64,
        horizon_s: f64,
    },
    /// A peak predictor's figure for the node, as a percentage of its memory.
    Peak {
        predictor: &'static str,
        peak_pct: f64,
    },
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Why::Threshold { free_pct } => write!(f, "threshold: {free_pct:.1}% free"),
            Why::Slope {
                free_pct,
                lookahead_s,
            } => write!(f, "slope: {free_pct:.1}% free in {lookahead_s}s"),
            Why::Predictive {
                to_oom_s,
                horizon_s,
            } => write!(
                f,
                "predictive: OOM in {to_oom_s:.0}s, a move takes {horizon_s:.0}s"
            ),
            Why::Risk { risk, horizon_s } => write!(
                f,
                "risk: {:.1}% chance of OOM within {horizon_s:.0}s",
                100.0 * risk
            ),
            Why::Peak {
                predictor,
                peak_pct,
            } => write!(f, "{predictor}: predicted peak {peak_pct:.1}% of memory"),
        }
    }
}

impl RequestPolicy {
    pub fn name(&self) -> &'static str {
        match self {
            RequestPolicy::Threshold {} => "threshold",
            RequestPolicy::Slope { .. } => "slope",
            RequestPolicy::Predictive { .. } => "predictive",
            RequestPolicy::Risk { .. } => "risk",
            RequestPolicy::Percentile { .. } => "percentile",
            RequestPolicy::NSigma { .. } => "n-sigma",
        }
    }

    /// The window of history a peak predictor reads.
    pub fn window(&self) -> Option<Seconds> {
        match self {
            RequestPolicy::Percentile { window, .. } | RequestPolicy::NSigma { window, .. } => {
                Some(*window)
            }
            _ => None,
        }
    }

    /// Whether a request reads the node's jobs, not only its own figures.
    pub fn reads_jobs(&self) -> bool {
        !matches!(self, RequestPolicy::Threshold {})
    }

    /// Whether `n` makes a request, as [`RequestPolicy::request`] says, without spelling out
    /// why: a snapshot asks it of every node past its instant (see [`RequestPolicy::asks_from`]),
    /// and few of those do.
    pub fn asks(&self, n: &NodeView, threshold: f64, expected: &dyn Fn(&NodeView) -> f64) -> bool {
        match self {
            RequestPolicy::Threshold {} => {
                shortfall(n.memory_used, n.memory_capacity, threshold) > 0.0
            }
            _ => self.request(n, threshold, expected).is_some(),
        }
    }

    /// An instant before which a node whose usage follows `line` makes no request, however
    /// its jobs grow (`None`: not while the line holds), so that a snapshot asks only the nodes
    /// past theirs; a policy that reads jobs may ask at any time. The threshold's instant is
    /// taken a billionth of the node early, far above the rounding of a usage figure.
    pub fn asks_from(&self, line: &Usage, capacity: f64, threshold: f64) -> Option<SimTime> {
        if self.reads_jobs() {
            return Some(SimTime::ZERO);
        }
        let below = -shortfall(line.used, capacity, threshold) - ASK_SLACK * capacity;
        match (below <= 0.0, line.slope > 0.0) {
            (true, _) => Some(line.anchor),
            (false, true) => Some(line.anchor + SimDuration::from_secs(below / line.slope)),
            (false, false) => None,
        }
    }

    /// The request of one node, if it makes one. `threshold` is the free fraction to keep;
    /// `expected` estimates seconds to migrate a job of the given view. `risk` and the peak
    /// predictors need the history the controller has learnt, so they are the controller's to
    /// answer: None here.
    pub fn request(
        &self,
        n: &NodeView,
        threshold: f64,
        expected: &dyn Fn(&NodeView) -> f64,
    ) -> Option<Request> {
        let keep = threshold * n.memory_capacity;
        let pct = |free: f64| 100.0 * free / n.memory_capacity;
        let (amount, why) = match self {
            RequestPolicy::Threshold {} => {
                let free = n.free();
                (
                    shortfall(n.memory_used, n.memory_capacity, threshold),
                    Why::Threshold {
                        free_pct: pct(free),
                    },
                )
            }
            RequestPolicy::Slope { lookahead } => {
                let free = n.free() - n.growth().max(0.0) * lookahead.value;
                let (free_pct, lookahead_s) = (pct(free), lookahead.value);
                (
                    keep - free,
                    Why::Slope {
                        free_pct,
                        lookahead_s,
                    },
                )
            }
            RequestPolicy::Risk { .. }
            | RequestPolicy::Percentile { .. }
            | RequestPolicy::NSigma { .. } => return None,
            RequestPolicy::Predictive { margin } => {
                let growth = n.growth();
                if growth <= 0.0 || n.jobs.is_empty() {
                    return None;
                }
                let horizon = expected(n) + margin.value;
                let to_oom = n.free().max(0.0) / growth;
                if to_oom >= horizon {
                    return None;
                }
                (
                    growth * horizon - n.free(),
                    Why::Predictive {
                        to_oom_s: to_oom,
                        horizon_s: horizon,
                    },
                )
            }
        };
        (amount > 0.0).then_some(Request {
            node: n.id,
            amount,
            why,
        })
    }
}

/// How much of a node the threshold's instant is taken early (see [`RequestPolicy::asks_from`]).
const ASK_SLACK: f64 = 1e-9;

/// What a node of `capacity` using `used` lacks of the free memory the threshold keeps.
fn shortfall(used: f64, capacity: f64, threshold: f64) -> f64 {
    threshold * capacity - (capacity - used)
}
