//! Pre-copy rounds. Round 0 sends all memory while the job runs; round i sends what the job
//! dirtied during round i-1 (at the dirty rate, at most the writable working set). Once what
//! is left would go within the downtime target, or after the last allowed round, the job is
//! frozen for a final stop-and-copy of the rest. When pages are dirtied at least as fast as
//! they are sent, the rounds never shrink: that is reported, not looped on.

use serde::{Deserialize, Serialize};

use crate::keypath::{FieldIssue, KeyPath};
use crate::units::{ByteRate, Bytes, Seconds};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PreCopySpec {
    /// Pages a running job dirties, bytes per second (its own growth adds to this).
    #[serde(default = "zero_rate")]
    pub dirty_rate: ByteRate,
    /// At most this much can be dirty at once; absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_set: Option<Bytes>,
    /// Freeze once the rest would be sent within this.
    #[serde(default = "half_second")]
    pub downtime_target: Seconds,
    /// Freeze after this many rounds even if the rest is larger.
    #[serde(default = "thirty")]
    pub max_rounds: u32,
}

fn zero_rate() -> ByteRate {
    ByteRate::new(0.0)
}

fn half_second() -> Seconds {
    Seconds::new(0.5)
}

fn thirty() -> u32 {
    30
}

impl Default for PreCopySpec {
    fn default() -> Self {
        PreCopySpec {
            dirty_rate: zero_rate(),
            working_set: None,
            downtime_target: half_second(),
            max_rounds: thirty(),
        }
    }
}

/// What to do after a round.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NextRound {
    /// Send this many bytes in another live round.
    Live(f64),
    /// Freeze and send this many bytes.
    Final(f64),
    /// Pages are dirtied at least as fast as they are sent: the rounds would never shrink.
    Diverges { dirty_rate: f64, send_rate: f64 },
}

impl PreCopySpec {
    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        if self.dirty_rate.value < 0.0 {
            return Err(FieldIssue::new(
                at.key("dirty_rate"),
                "must not be negative",
            ));
        }
        if self.working_set.is_some_and(|w| w.value <= 0.0) {
            return Err(FieldIssue::new(at.key("working_set"), "must be positive"));
        }
        if self.downtime_target.value < 0.0 {
            return Err(FieldIssue::new(
                at.key("downtime_target"),
                "must not be negative",
            ));
        }
        Ok(())
    }

    /// Bytes dirtied while a round of `secs` ran, by a job dirtying `dirty` bytes per second.
    pub fn dirtied(&self, dirty: f64, secs: f64) -> f64 {
        let d = dirty * secs;
        self.working_set.map_or(d, |w| d.min(w.value))
    }

    /// Decides the round after round `round` (0-based), which sent `sent` bytes in `secs` at a
    /// mean `send_rate`, while the job dirtied `dirty` bytes per second.
    pub fn next(&self, round: u32, sent: f64, secs: f64, dirty: f64, send_rate: f64) -> NextRound {
        let left = self.dirtied(dirty, secs);
        if left <= self.downtime_target.value * send_rate || round + 1 >= self.max_rounds {
            return NextRound::Final(left);
        }
        // The rounds shrink only if less is dirtied than was sent; a working-set cap that
        // still leaves more than the target keeps them at that size forever.
        if left >= sent {
            return NextRound::Diverges {
                dirty_rate: dirty,
                send_rate,
            };
        }
        NextRound::Live(left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: f64 = 1e9;

    /// Runs the rounds at a constant rate and returns (live round volumes, final volume).
    fn rounds(spec: &PreCopySpec, memory: f64, dirty: f64, rate: f64) -> (Vec<f64>, NextRound) {
        let mut volumes = vec![memory];
        loop {
            let round = volumes.len() as u32 - 1;
            let sent = *volumes.last().unwrap();
            match spec.next(round, sent, sent / rate, dirty, rate) {
                NextRound::Live(v) => volumes.push(v),
                other => return (volumes, other),
            }
        }
    }

    #[test]
    fn round_volumes_follow_the_geometric_series() {
        // M = 8 GB, D = 0.25 GB/s, B = 1 GB/s: V_i = M (D/B)^i = 8, 2, 0.5, 0.125 GB.
        // The target 0.2 s allows 0.2 GB, so the final round sends V_3 = 0.125 GB.
        let spec = PreCopySpec {
            dirty_rate: ByteRate::new(0.25 * GB),
            downtime_target: Seconds::new(0.2),
            ..Default::default()
        };
        let (live, last) = rounds(&spec, 8.0 * GB, 0.25 * GB, GB);
        assert_eq!(live, vec![8.0 * GB, 2.0 * GB, 0.5 * GB]);
        assert_eq!(last, NextRound::Final(0.125 * GB));
        // Total sent is the partial geometric sum M (1 - r^4) / (1 - r), r = 1/4.
        let total: f64 = live.iter().sum::<f64>() + 0.125 * GB;
        let r: f64 = 0.25;
        assert!((total - 8.0 * GB * (1.0 - r.powi(4)) / (1.0 - r)).abs() < 1.0);
    }

    #[test]
    fn dirtying_as_fast_as_sending_is_reported_as_divergent() {
        let spec = PreCopySpec {
            downtime_target: Seconds::new(0.1),
            ..Default::default()
        };
        for d in [GB, 2.0 * GB] {
            let (live, last) = rounds(&spec, 4.0 * GB, d, GB);
            assert_eq!(live, vec![4.0 * GB]);
            assert_eq!(
                last,
                NextRound::Diverges {
                    dirty_rate: d,
                    send_rate: GB
                }
            );
        }
    }

    #[test]
    fn a_working_set_cap_or_the_round_limit_forces_the_final_round() {
        // D > B but at most 0.5 GB can be dirty: 0.5 GB at 1 GB/s fits a 0.5 s target.
        let capped = PreCopySpec {
            working_set: Some(Bytes::new(0.5 * GB)),
            ..Default::default()
        };
        let (live, last) = rounds(&capped, 4.0 * GB, 3.0 * GB, GB);
        assert_eq!((live.len(), last), (1, NextRound::Final(0.5 * GB)));
        // Slow shrinking (r = 0.9) hits a limit of 3 rounds: the third round's dirt goes frozen.
        let limited = PreCopySpec {
            max_rounds: 3,
            downtime_target: Seconds::new(0.0),
            ..Default::default()
        };
        let (live, last) = rounds(&limited, 10.0 * GB, 0.9 * GB, GB);
        assert_eq!(live.len(), 3);
        let NextRound::Final(v) = last else {
            panic!("{last:?}")
        };
        assert!((v - 10.0 * GB * 0.9f64.powi(3)).abs() < 1.0);
    }
}
