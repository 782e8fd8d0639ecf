//! How long starting a job takes on a backend, in real seconds: from the driver's start to
//! the job running (on the local backend, its process spawned in its node; through the
//! Kubernetes API, the pod created and bound until the watch shows it Running). `live.json`
//! keeps the summary, and `migsim compare` sets the backends side by side.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartLatency {
    pub starts: usize,
    pub mean_s: f64,
    pub p50_s: f64,
    pub max_s: f64,
}

impl StartLatency {
    /// None for a run that started nothing.
    pub fn of(seconds: &[f64]) -> Option<StartLatency> {
        let mut sorted: Vec<f64> = seconds.iter().copied().filter(|s| s.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        Some(StartLatency {
            starts: n,
            mean_s: sorted.iter().sum::<f64>() / n as f64,
            p50_s: sorted[(n - 1) / 2],
            max_s: sorted[n - 1],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_three_starts() {
        let s = StartLatency::of(&[0.3, 0.1, 0.2]).unwrap();
        assert_eq!((s.starts, s.p50_s, s.max_s), (3, 0.2, 0.3));
        assert!((s.mean_s - 0.2).abs() < 1e-12);
        assert_eq!(StartLatency::of(&[]), None);
    }
}
