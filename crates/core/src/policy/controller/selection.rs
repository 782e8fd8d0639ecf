//! Which jobs leave a node that asked for memory.

use serde::{Deserialize, Serialize};

use crate::policy::controller::knapsack::knapsack;
use crate::policy::JobView;
use crate::units::Bytes;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "policy", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SelectionPolicy {
    /// The largest job.
    Max {},
    /// The smallest job at least as large as the request; the largest if none is.
    BigEnough {},
    /// 0/1 knapsack over jobs of at least `min_job`: value = memory x 0.5^(times migrated),
    /// total at most the request. When no such set exists, as `big-enough` over those jobs.
    Optimal {
        #[serde(default = "five_gb")]
        min_job: Bytes,
    },
    /// Fastest-growing first, until the request is covered.
    Slope {},
}

fn five_gb() -> Bytes {
    Bytes::new(5e9)
}

impl Default for SelectionPolicy {
    fn default() -> Self {
        SelectionPolicy::Max {}
    }
}

/// Largest first; equal sizes keep their order (the earlier started first).
fn by_size_desc(a: &&JobView, b: &&JobView) -> std::cmp::Ordering {
    b.memory.total_cmp(&a.memory)
}

impl SelectionPolicy {
    pub fn name(&self) -> &'static str {
        match self {
            SelectionPolicy::Max {} => "max",
            SelectionPolicy::BigEnough {} => "big-enough",
            SelectionPolicy::Optimal { .. } => "optimal",
            SelectionPolicy::Slope {} => "slope",
        }
    }

    /// Chooses among `jobs` (the movable ones of one node) for a request of `amount` bytes.
    pub fn select<'a>(&self, jobs: &[&'a JobView], amount: f64) -> Vec<&'a JobView> {
        match self {
            SelectionPolicy::Max {} => largest(jobs).into_iter().collect(),
            SelectionPolicy::BigEnough {} => big_enough(jobs, amount).into_iter().collect(),
            SelectionPolicy::Optimal { min_job } => {
                let eligible: Vec<&JobView> = jobs
                    .iter()
                    .copied()
                    .filter(|j| j.memory >= min_job.value)
                    .collect();
                let items: Vec<(f64, f64)> = eligible
                    .iter()
                    .map(|j| (j.memory, j.memory * 0.5f64.powi(j.migrations as i32)))
                    .collect();
                let chosen = knapsack(&items, amount);
                if chosen.is_empty() {
                    big_enough(&eligible, amount).into_iter().collect()
                } else {
                    chosen.into_iter().map(|i| eligible[i]).collect()
                }
            }
            SelectionPolicy::Slope {} => {
                let mut order = jobs.to_vec();
                order.sort_by(|a, b| b.growth.total_cmp(&a.growth));
                let mut covered = 0.0;
                order
                    .into_iter()
                    .take_while(|j| {
                        let more = covered < amount;
                        covered += j.memory;
                        more
                    })
                    .collect()
            }
        }
    }
}

fn largest<'a>(jobs: &[&'a JobView]) -> Option<&'a JobView> {
    let mut v = jobs.to_vec();
    v.sort_by(by_size_desc);
    v.first().copied()
}

fn big_enough<'a>(jobs: &[&'a JobView], amount: f64) -> Option<&'a JobView> {
    let fitting = jobs
        .iter()
        .filter(|j| j.memory >= amount)
        .min_by(|a, b| a.memory.total_cmp(&b.memory));
    fitting.copied().or_else(|| largest(jobs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::JobId;

    fn job(id: u32, memory: f64, growth: f64, migrations: u32) -> JobView {
        JobView {
            growth,
            migrations,
            ..JobView::placement(JobId(id), memory, 0.0, 1.0)
        }
    }

    fn ids(v: Vec<&JobView>) -> Vec<u32> {
        v.iter().map(|j| j.id.0).collect()
    }

    const GB: f64 = 1e9;

    #[test]
    fn each_policy_picks_the_documented_jobs() {
        let jobs = [
            job(0, 20.0 * GB, 0.1 * GB, 0),
            job(1, 8.0 * GB, 0.5 * GB, 0),
            job(2, 12.0 * GB, 0.0, 0),
            job(3, 6.0 * GB, 0.2 * GB, 2),
        ];
        let refs: Vec<&JobView> = jobs.iter().collect();
        assert_eq!(
            ids(SelectionPolicy::Max {}.select(&refs, 10.0 * GB)),
            vec![0]
        );
        assert_eq!(
            ids(SelectionPolicy::BigEnough {}.select(&refs, 10.0 * GB)),
            vec![2]
        );
        assert_eq!(
            ids(SelectionPolicy::BigEnough {}.select(&refs, 30.0 * GB)),
            vec![0]
        );
        // Request 15 GB: {8, 6} weighs 14 but job 3 was moved twice (value 8 + 1.5); {12}
        // is worth 12 and wins. Jobs under 5 GB would not be considered.
        let optimal = SelectionPolicy::Optimal {
            min_job: Bytes::new(5.0 * GB),
        };
        assert_eq!(ids(optimal.select(&refs, 15.0 * GB)), vec![2]);
        // Request 3 GB: no set fits under it, so the smallest job above 3 GB goes.
        assert_eq!(ids(optimal.select(&refs, 3.0 * GB)), vec![3]);
        // Fastest growth first until 10 GB are covered: 8 (0.5) then 6 (0.2).
        assert_eq!(
            ids(SelectionPolicy::Slope {}.select(&refs, 10.0 * GB)),
            vec![1, 3]
        );
    }
}
