//! What each step of a migration costs: the fixed overheads and throughputs of checkpoint,
//! transfer and restore. Values come from the scenario, from a named profile fitted to
//! published measurements, or from both (scenario values override the profile's).

use serde::{Deserialize, Serialize};

use crate::keypath::{FieldIssue, KeyPath};
use crate::migration::Phase;
use crate::units::{ByteRate, Seconds};

/// Cost parameters as written: every field optional, so a scenario can override a profile one
/// value at a time.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostSpec {
    /// Creating the job's container on the target, before anything is frozen; also how long a
    /// `restart` takes to bring the job up again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup: Option<Seconds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_overhead: Option<Seconds>,
    /// How fast CRIU dumps memory; absent: instantly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_rate: Option<ByteRate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_overhead: Option<Seconds>,
    /// Fraction of a transfer's bandwidth share that carries pages (protocol overhead, TCP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub efficiency: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_overhead: Option<Seconds>,
    /// How fast CRIU restores memory; absent: instantly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_rate: Option<ByteRate>,
    /// Checkpoint and transfer overlap (a CRIU page server streams pages as they are dumped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub streaming: Option<bool>,
    /// A job's frozen time is rounded up to a whole multiple of this, the rest spent restoring
    /// (the thesis charged whole seconds); absent: no rounding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_up: Option<Seconds>,
    /// Post-copy: seconds frozen from the freeze until the job runs on the target without its
    /// memory; absent: the checkpoint's, transfer's and restore's overheads together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_overhead: Option<Seconds>,
    /// Post-copy: how the frozen handoff grows with the job's memory (page maps, not pages);
    /// absent: it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff_rate: Option<ByteRate>,
    /// Post-copy: seconds before the first page is pulled, once the job runs on the target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_overhead: Option<Seconds>,
    /// Post-copy: how fast `criu lazy-pages` pulls pages, at most (the link may be slower);
    /// absent: as a streamed checkpoint goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pull_rate: Option<ByteRate>,
}

/// Resolved cost parameters, in seconds and bytes per second. An infinite rate costs nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CostModel {
    pub setup: f64,
    pub checkpoint_overhead: f64,
    pub checkpoint_rate: f64,
    pub transfer_overhead: f64,
    pub efficiency: f64,
    pub restore_overhead: f64,
    pub restore_rate: f64,
    pub streaming: bool,
    /// 0: no rounding.
    pub round_up: f64,
    /// None: the three overheads together.
    pub handoff_overhead: Option<f64>,
    pub handoff_rate: f64,
    pub pull_overhead: f64,
    pub pull_rate: f64,
}

impl Default for CostModel {
    /// Free checkpoints and restores: only the network costs anything.
    fn default() -> Self {
        CostModel {
            setup: 0.0,
            checkpoint_overhead: 0.0,
            checkpoint_rate: f64::INFINITY,
            transfer_overhead: 0.0,
            efficiency: 1.0,
            restore_overhead: 0.0,
            restore_rate: f64::INFINITY,
            streaming: false,
            round_up: 0.0,
            handoff_overhead: None,
            handoff_rate: f64::INFINITY,
            pull_overhead: 0.0,
            pull_rate: f64::INFINITY,
        }
    }
}

impl CostSpec {
    /// `self` over `base`: each value given here wins.
    pub fn over(&self, base: &CostModel) -> CostModel {
        let secs = |v: Option<Seconds>, b: f64| v.map_or(b, |s| s.value);
        let rate = |v: Option<ByteRate>, b: f64| v.map_or(b, |r| r.value);
        CostModel {
            setup: secs(self.setup, base.setup),
            checkpoint_overhead: secs(self.checkpoint_overhead, base.checkpoint_overhead),
            checkpoint_rate: rate(self.checkpoint_rate, base.checkpoint_rate),
            transfer_overhead: secs(self.transfer_overhead, base.transfer_overhead),
            efficiency: self.efficiency.unwrap_or(base.efficiency),
            restore_overhead: secs(self.restore_overhead, base.restore_overhead),
            restore_rate: rate(self.restore_rate, base.restore_rate),
            streaming: self.streaming.unwrap_or(base.streaming),
            round_up: secs(self.round_up, base.round_up),
            handoff_overhead: self
                .handoff_overhead
                .map(|s| s.value)
                .or(base.handoff_overhead),
            handoff_rate: rate(self.handoff_rate, base.handoff_rate),
            pull_overhead: secs(self.pull_overhead, base.pull_overhead),
            pull_rate: rate(self.pull_rate, base.pull_rate),
        }
    }

    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        let times = [
            ("setup", self.setup),
            ("checkpoint_overhead", self.checkpoint_overhead),
            ("transfer_overhead", self.transfer_overhead),
            ("restore_overhead", self.restore_overhead),
            ("round_up", self.round_up),
            ("handoff_overhead", self.handoff_overhead),
            ("pull_overhead", self.pull_overhead),
        ];
        for (key, v) in times {
            if let Some(v) = v.filter(|v| v.value < 0.0) {
                return Err(FieldIssue::new(
                    at.key(key),
                    format!("must not be negative, got {}", v.value),
                ));
            }
        }
        for (key, v) in [
            ("checkpoint_rate", self.checkpoint_rate),
            ("restore_rate", self.restore_rate),
            ("handoff_rate", self.handoff_rate),
            ("pull_rate", self.pull_rate),
        ] {
            if let Some(v) = v.filter(|v| v.value <= 0.0) {
                return Err(FieldIssue::new(
                    at.key(key),
                    format!("must be positive, got {}", v.value),
                ));
            }
        }
        match self.efficiency {
            Some(e) if !(e > 0.0 && e <= 1.0) => Err(FieldIssue::new(
                at.key("efficiency"),
                format!("must be a fraction in (0, 1], got {e}"),
            )),
            _ => Ok(()),
        }
    }
}

impl From<&CostModel> for CostSpec {
    /// Every value spelled out, for the resolved parameters in `summary.json`. Infinite rates
    /// stay absent, which is how they are written.
    fn from(m: &CostModel) -> Self {
        let rate = |r: f64| r.is_finite().then(|| ByteRate::new(r));
        CostSpec {
            setup: Some(Seconds::new(m.setup)),
            checkpoint_overhead: Some(Seconds::new(m.checkpoint_overhead)),
            checkpoint_rate: rate(m.checkpoint_rate),
            transfer_overhead: Some(Seconds::new(m.transfer_overhead)),
            efficiency: Some(m.efficiency),
            restore_overhead: Some(Seconds::new(m.restore_overhead)),
            restore_rate: rate(m.restore_rate),
            streaming: Some(m.streaming),
            round_up: (m.round_up > 0.0).then(|| Seconds::new(m.round_up)),
            handoff_overhead: m.handoff_overhead.map(Seconds::new),
            handoff_rate: rate(m.handoff_rate),
            pull_overhead: (m.pull_overhead > 0.0).then(|| Seconds::new(m.pull_overhead)),
            pull_rate: rate(m.pull_rate),
        }
    }
}

impl CostModel {
    pub fn checkpoint_time(&self, bytes: f64) -> f64 {
        self.checkpoint_overhead + bytes / self.checkpoint_rate
    }

    pub fn restore_time(&self, bytes: f64) -> f64 {
        self.restore_overhead + bytes / self.restore_rate
    }

    /// The restore of a job already frozen for `frozen` seconds, lengthened so that its whole
    /// frozen time is a multiple of `round_up`.
    pub fn rounded_restore(&self, frozen: f64, restore: f64) -> f64 {
        if self.round_up <= 0.0 {
            return restore;
        }
        let whole = ((frozen + restore) / self.round_up - 1e-9).ceil() * self.round_up;
        whole.max(frozen + restore) - frozen
    }

    /// Post-copy's frozen part for a job of `bytes`: its state moves and the target restores
    /// it without its memory.
    pub fn handoff_time(&self, bytes: f64) -> f64 {
        let overhead = self
            .handoff_overhead
            .unwrap_or(self.checkpoint_overhead + self.transfer_overhead + self.restore_overhead);
        overhead + bytes / self.handoff_rate
    }

    /// The fastest the pages of `phase` may go, in bytes on the wire per second: a streamed
    /// checkpoint sends no faster than CRIU dumps, a post-copy pull no faster than
    /// `criu lazy-pages` was measured to pull (where it was not, as a streamed dump).
    pub fn wire_cap(&self, phase: Phase, streaming: bool) -> Option<f64> {
        let rate = if phase == Phase::Pull && self.pull_rate.is_finite() {
            self.pull_rate
        } else if streaming {
            self.checkpoint_rate
        } else {
            f64::INFINITY
        };
        rate.is_finite().then(|| rate / self.efficiency)
    }

    /// Seconds to send `bytes` of pages alone on a link of `bandwidth` bytes per second.
    pub fn transfer_time(&self, bytes: f64, bandwidth: f64, streaming: bool) -> f64 {
        let wire = self
            .wire_cap(Phase::Transfer, streaming)
            .map_or(bandwidth, |c| c.min(bandwidth));
        self.transfer_overhead + bytes / (self.efficiency * wire)
    }
}
