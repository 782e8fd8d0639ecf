//! Risk-aware requests: the probability that a node runs out of memory before a move started
//! now could finish, from the growth monitoring has shown (see [`Growth`]), and the moves that
//! cut that risk most per second of expected downtime.
//!
//! Within a horizon each job rises by its own learnt distribution; the node overflows if one
//! job's rise exceeds what the others' expected rise leaves free. With large rises rare and
//! independent across jobs, that is 1 - prod_j (1 - P(rise_j > free - sum_{i != j} E[rise_i])).

mod growth;
mod reruns;

pub use growth::{Growth, Prior};

use crate::policy::JobView;

/// The probability that `jobs` outgrow `free` bytes within `seconds`.
pub fn overflow(growth: &Growth, jobs: &[&JobView], free: f64, seconds: f64) -> f64 {
    if free <= 0.0 {
        return 1.0;
    }
    let means: Vec<f64> = jobs
        .iter()
        .map(|j| growth.rise(j, seconds, f64::INFINITY).1)
        .collect();
    let expected: f64 = means.iter().sum();
    if expected >= free {
        return 1.0;
    }
    let safe: f64 = jobs
        .iter()
        .zip(&means)
        .map(|(j, mean)| 1.0 - growth.rise(j, seconds, free - (expected - mean)).0)
        .product();
    1.0 - safe
}

#[cfg(test)]
mod tests;
