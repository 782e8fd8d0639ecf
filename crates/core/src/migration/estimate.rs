//! What one migration costs when it moves alone, phase by phase, in closed form. The
//! predictive controller uses the total; `migsim calibrate predict` prints the phases. It walks
//! the mechanism's phase table as `sim::migrate` does, so a lone migration in a run takes
//! exactly this long (pre-copy aside, whose rounds the estimate sends at one average rate).

use serde::Serialize;

use crate::migration::{CostModel, MigrationSpec, NextRound};

/// Seconds per phase, how long the job is frozen, and the whole migration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub mechanism: &'static str,
    pub memory_bytes: f64,
    /// In order; each says whether the job is frozen during it.
    pub phases: Vec<PhaseEstimate>,
    pub downtime: f64,
    pub total: f64,
    /// Why the total is infinite, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diverges: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PhaseEstimate {
    pub phase: &'static str,
    pub seconds: f64,
    pub frozen: bool,
}

impl MigrationSpec {
    /// The phases of moving `bytes` alone over `bandwidth` bytes per second while the job
    /// dirties `dirty` bytes per second. `cost` is [`MigrationSpec::cost_model`].
    pub fn estimate(&self, cost: &CostModel, bytes: f64, bandwidth: f64, dirty: f64) -> Estimate {
        let c = cost;
        let streams = self.mechanism.streams(c.streaming);
        let pace = |phase| {
            let wire = c
                .wire_cap(phase, streams)
                .map_or(bandwidth, |w| w.min(bandwidth));
            c.efficiency * wire
        };
        // Pages go at the pace of their phase, or after pre-copy's rounds at their average rate.
        let (mut bytes_left, mut average) = (bytes, None);
        let mut diverges = None;
        let mut frozen_before = 0.0;
        let mut phases = Vec::new();
        for p in self.mechanism.phases(c.streaming) {
            let mut seconds = (p.timer)(c, bytes);
            if p.repeats {
                let (live, last, rate) = self.pre_copy_rounds(bytes, c, bandwidth, dirty);
                if let Err(why) = &live {
                    diverges = Some(why.clone());
                }
                seconds = live.unwrap_or(f64::INFINITY);
                (bytes_left, average) = (last, Some(rate));
            } else if p.pages.is_some() {
                seconds += bytes_left / average.unwrap_or_else(|| pace(p.phase));
            }
            if p.rounds_up {
                seconds = c.rounded_restore(frozen_before, seconds);
            }
            if p.frozen() {
                frozen_before += seconds;
            }
            phases.push((p.label, seconds, p.frozen()));
        }
        let sum = |frozen_only: bool| -> f64 {
            phases
                .iter()
                .filter(|p| p.2 || !frozen_only)
                .map(|p| p.1)
                .sum()
        };
        Estimate {
            mechanism: self.mechanism.as_str(),
            memory_bytes: bytes,
            downtime: sum(true),
            total: sum(false),
            phases: phases
                .into_iter()
                .map(|(phase, seconds, frozen)| PhaseEstimate {
                    phase,
                    seconds,
                    frozen,
                })
                .collect(),
            diverges,
        }
    }

    /// Pre-copy's live rounds at one average rate: their seconds (or why they never end), the
    /// bytes left for the frozen round, and the rate.
    fn pre_copy_rounds(
        &self,
        bytes: f64,
        c: &CostModel,
        bandwidth: f64,
        dirty: f64,
    ) -> (Result<f64, String>, f64, f64) {
        let rate = bytes
            / c.transfer_time(bytes, bandwidth, true)
                .max(f64::MIN_POSITIVE);
        let (mut total, mut sent, mut round) = (0.0, bytes, 0);
        loop {
            let secs = sent / rate;
            total += secs;
            match self.pre_copy.next(round, sent, secs, dirty, rate) {
                NextRound::Live(v) => sent = v,
                NextRound::Final(v) => return (Ok(total), v, rate),
                NextRound::Diverges {
                    dirty_rate,
                    send_rate,
                } => {
                    let why = format!(
                        "pre-copy does not converge: pages are dirtied at {dirty_rate:.0} B/s, sent at {send_rate:.0} B/s"
                    );
                    return (Err(why), 0.0, rate);
                }
            }
            round += 1;
        }
    }
}
