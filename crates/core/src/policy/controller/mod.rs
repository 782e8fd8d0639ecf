//! The migration controller: every control interval it reads a (possibly stale) view of the
//! cluster and decides which jobs to move where, which moves to call off, and where the
//! cluster lacks capacity. A pure function of the view, so the live adapter runs the same
//! code. Its four parts are chosen in the scenario: when a node asks for memory (request),
//! which jobs go (selection), where (target) and how fast (pacing).

mod knapsack;
mod ledger;
mod pacing;
mod request;
mod selection;
mod target;
mod target_index;

pub use knapsack::knapsack;
use ledger::Ledger;
pub use pacing::Pacing;
pub use request::{Request, RequestPolicy, Why};
pub use selection::SelectionPolicy;
pub use target::{Candidate, TargetPolicy, TargetSpec};
pub use target_index::TargetIndex;

use serde::{Deserialize, Serialize};

use crate::engine::{SimDuration, SimTime};
use crate::keypath::{FieldIssue, KeyPath};
use crate::migration::{CostModel, MigrationSpec};
use crate::model::{JobId, NodeId, Usage};
use crate::policy::{ClusterView, JobView, NodeView};
use crate::units::{Bytes, Seconds};

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ControllerSpec {
    /// How often it decides.
    #[serde(default = "ten_seconds")]
    pub interval: Seconds,
    /// The fraction of each node's memory it keeps free.
    #[serde(default = "forty_five_percent")]
    pub threshold: f64,
    #[serde(default)]
    pub request: RequestPolicy,
    #[serde(default)]
    pub selection: SelectionPolicy,
    #[serde(default)]
    pub target: TargetSpec,
    #[serde(default)]
    pub pacing: Pacing,
    /// Requests smaller than this are ignored.
    #[serde(default = "no_bytes")]
    pub min_request: Bytes,
    /// Skip jobs that would finish before a migration of them would: needs their remaining
    /// work, which no real monitoring system knows.
    #[serde(default)]
    pub oracle: bool,
    /// Call off a migration whose source no longer needs it (before the job is frozen) or
    /// whose target filled up.
    #[serde(default = "yes")]
    pub cancel: bool,
    /// A job whose migration failed is left alone this long, doubled for every further
    /// failure in a row (at most 64 times): retrying at once could keep it frozen forever.
    #[serde(default = "five_minutes")]
    pub retry_backoff: Seconds,
}

fn five_minutes() -> Seconds {
    Seconds::new(300.0)
}

fn ten_seconds() -> Seconds {
    Seconds::new(10.0)
}

fn forty_five_percent() -> f64 {
    0.45
}

fn no_bytes() -> Bytes {
    Bytes::new(0.0)
}

fn yes() -> bool {
    true
}

/// Move `job` from `source` to `target`.
#[derive(Clone, Debug, PartialEq)]
pub struct Order {
    pub job: JobId,
    pub source: NodeId,
    pub target: NodeId,
    pub cause: String,
}

/// A request no target could serve: the cluster needs `bytes` more room for `job`.
#[derive(Clone, Debug, PartialEq)]
pub struct Shortage {
    pub node: NodeId,
    pub job: JobId,
    pub bytes: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cancel {
    pub job: JobId,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Decisions {
    pub orders: Vec<Order>,
    pub shortages: Vec<Shortage>,
    pub cancels: Vec<Cancel>,
}

impl ControllerSpec {
    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        if self.interval.value <= 0.0 {
            return Err(FieldIssue::new(at.key("interval"), "must be positive"));
        }
        if !(0.0..1.0).contains(&self.threshold) {
            return Err(FieldIssue::new(
                at.key("threshold"),
                format!("a free fraction must be in [0, 1), got {}", self.threshold),
            ));
        }
        let m = self.target.margin;
        if !(0.0..1.0).contains(&m) || self.threshold + m >= 1.0 {
            return Err(FieldIssue::new(
                at.key("target").key("margin"),
                format!("must be >= 0 with threshold + margin below 1, got {m}"),
            ));
        }
        if self.retry_backoff.value < 0.0 {
            return Err(FieldIssue::new(
                at.key("retry_backoff"),
                "must not be negative",
            ));
        }
        if let Pacing::Concurrent { per_node, cluster } = self.pacing {
            if per_node == 0 || cluster == 0 {
                return Err(FieldIssue::new(
                    at.key("pacing"),
                    "concurrent pacing needs per_node and cluster of at least 1",
                ));
            }
        }
        Ok(())
    }
}

/// A controller ready to decide: its policies and the migration costs it expects.
#[derive(Clone, Debug)]
pub struct Controller {
    pub spec: ControllerSpec,
    migration: MigrationSpec,
    cost: CostModel,
}

impl Controller {
    pub fn new(spec: &ControllerSpec, migration: &MigrationSpec) -> Self {
        Controller {
            spec: spec.clone(),
            migration: migration.clone(),
            cost: migration.cost_model(),
        }
    }

    pub fn interval(&self) -> SimDuration {
        SimDuration::from_secs(self.spec.interval.value)
    }

    /// Seconds a migration of `job` off `node` is expected to take.
    pub fn expected(&self, node: &NodeView, job: &JobView) -> f64 {
        let own = job
            .dirty_rate
            .unwrap_or(self.migration.pre_copy.dirty_rate.value);
        let dirty = own + job.growth.max(0.0);
        self.migration
            .expected_duration(&self.cost, job.memory, node.network, dirty)
    }

    /// Decides at `view.time`; `last_end` is when the last migration ended. With an `index`
    /// of the view's free fractions, the least-used target is found through it; the decisions
    /// are the same.
    pub fn decide(
        &self,
        view: &ClusterView,
        index: Option<&TargetIndex>,
        last_end: Option<SimTime>,
    ) -> Decisions {
        let mut d = Decisions::default();
        if self.spec.cancel {
            self.cancels(view, &mut d);
        }
        let in_flight = view.migrations.len() - d.cancels.len();
        if let Pacing::Blocking { cooldown } = &self.spec.pacing {
            let cooling =
                last_end.is_some_and(|e| view.time < e + SimDuration::from_secs(cooldown.value));
            if in_flight > 0 || cooling {
                return d;
            }
        }
        self.orders(view, index, &mut d);
        d
    }

    /// Whether `job` is still waiting out the back-off after a failed migration.
    fn backing_off(&self, job: &JobView, now: SimTime) -> bool {
        let Some(failed) = job.last_failed_move else {
            return false;
        };
        let doublings = job.failed_moves.saturating_sub(1).min(6);
        let wait = self.spec.retry_backoff.value * f64::from(1u32 << doublings);
        now < failed + SimDuration::from_secs(wait)
    }

    /// Whether a decision may read the jobs of `n`, told by its own figures alone (`n.jobs`
    /// may be empty): those of a node that asks, or of every node when the request policy
    /// reads jobs. Orders, selections and cancels read no other node's jobs.
    pub fn reads_jobs_of(&self, n: &NodeView) -> bool {
        let request = &self.spec.request;
        request.reads_jobs() || request.asks(n, self.spec.threshold, &|n| self.largest_move(n))
    }

    /// An instant before which [`Controller::reads_jobs_of`] says no of a node of `capacity`
    /// whose usage follows `line` (see [`RequestPolicy::asks_from`]).
    pub fn reads_jobs_from(&self, line: &Usage, capacity: f64) -> Option<SimTime> {
        self.spec
            .request
            .asks_from(line, capacity, self.spec.threshold)
    }

    fn request(&self, n: &NodeView) -> Option<Request> {
        let expected = |n: &NodeView| self.largest_move(n);
        self.spec.request.request(n, self.spec.threshold, &expected)
    }

    /// Seconds the move of `n`'s largest job not already moving is expected to take.
    fn largest_move(&self, n: &NodeView) -> f64 {
        n.jobs
            .iter()
            .filter(|j| !j.migrating)
            .max_by(|a, b| a.memory.total_cmp(&b.memory))
            .map_or(0.0, |j| self.expected(n, j))
    }

    fn cancels(&self, view: &ClusterView, d: &mut Decisions) {
        let node = |id: NodeId| &view.nodes[id.index()];
        for m in view.migrations.iter().filter(|m| !m.committed) {
            let (source, target) = (node(m.source), node(m.target));
            let (source_free, target_free) = (view.free(m.source), view.free(m.target));
            let relaxed = source_free
                >= (self.spec.threshold + self.spec.target.margin) * source.memory_capacity;
            // Once the job is frozen its downtime is being paid; calling the move off then
            // would waste it, unless the target cannot take the job any more.
            let reason = if relaxed && !m.frozen && self.request(source).is_none() {
                format!(
                    "cancelled: source {:.1}% free, no longer needs it",
                    100.0 * source_free / source.memory_capacity
                )
            } else if target_free - m.incoming < self.spec.threshold * target.memory_capacity {
                format!(
                    "cancelled: target would keep {:.1}% free, below the threshold",
                    100.0 * (target_free - m.incoming) / target.memory_capacity
                )
            } else {
                continue;
            };
            d.cancels.push(Cancel { job: m.job, reason });
        }
    }

    fn orders(&self, view: &ClusterView, index: Option<&TargetIndex>, d: &mut Decisions) {
        let index = index.filter(|_| self.spec.target.policy == TargetPolicy::LeastUsed);
        let cancelled: Vec<JobId> = d.cancels.iter().map(|c| c.job).collect();
        let mut ledger = Ledger::new(view, &cancelled, self.spec.pacing.limits());
        // A node whose jobs the view does not hold has none to move.
        let mut requests: Vec<Request> = view
            .with_jobs
            .iter()
            .map(|id| &view.nodes[id.index()])
            .filter(|n| !n.down)
            .filter_map(|n| self.request(n))
            .collect();
        requests.sort_by(|a, b| b.amount.total_cmp(&a.amount).then(a.node.cmp(&b.node)));
        for r in requests {
            let source = &view.nodes[r.node.index()];
            let amount = r.amount - ledger.leaving(r.node);
            if amount <= 0.0 || amount < self.spec.min_request.value {
                continue;
            }
            let movable: Vec<&JobView> = source
                .jobs
                .iter()
                .filter(|j| !j.migrating && !self.backing_off(j, view.time))
                .filter(|j| !self.spec.oracle || j.remaining > self.expected(source, j))
                .collect();
            for job in self.spec.selection.select(&movable, amount) {
                if !ledger.source_may_send(r.node) {
                    return;
                }
                let choose = |paced: bool| {
                    let threshold = self.spec.threshold;
                    match index {
                        Some(index) => {
                            let keep = self.spec.target.keep(threshold);
                            let mut candidate = |i| ledger.candidate(view, i, r.node, job, paced);
                            index.least_used(keep, job.memory, &mut candidate)
                        }
                        None => {
                            let candidates = ledger.targets(view, r.node, job, paced);
                            self.spec.target.choose(candidates, job.memory, threshold)
                        }
                    }
                };
                match choose(true) {
                    Some(target) => {
                        ledger.commit(view, r.node, target, job);
                        d.orders.push(Order {
                            job: job.id,
                            source: r.node,
                            target,
                            cause: r.why.to_string(),
                        });
                    }
                    // A node that could take it is busy: wait for the pacing, not for capacity.
                    None if choose(false).is_some() => {}
                    None => d.shortages.push(Shortage {
                        node: r.node,
                        job: job.id,
                        bytes: job.memory,
                    }),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
