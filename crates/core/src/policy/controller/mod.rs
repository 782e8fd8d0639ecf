//! The migration controller: every control interval it reads a (possibly stale) view of the
//! cluster and decides which jobs to move where, which moves to call off, and where the
//! cluster lacks capacity. A pure function of the view, so the live adapter runs the same
//! code. Its four parts are chosen in the scenario: when a node asks for memory (request),
//! which jobs go (selection), where (target) and how fast (pacing).

mod knapsack;
mod ledger;
mod levels;
mod pacing;
mod request;
mod risk;
mod selection;
mod target;
mod target_index;

pub use knapsack::knapsack;
use ledger::Ledger;
pub use levels::Levels;
pub use pacing::Pacing;
pub use request::{Request, RequestPolicy, Why};
pub use risk::{overflow, Growth, Prior};
pub use selection::SelectionPolicy;
pub use target::{Candidate, TargetPolicy, TargetSpec};
pub use target_index::TargetIndex;

use serde::{Deserialize, Serialize};

use crate::engine::{SimDuration, SimTime};
use crate::keypath::{FieldIssue, KeyPath};
use crate::migration::{CostModel, Estimate, MigrationSpec};
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
        match self.request {
            RequestPolicy::Risk { target, .. } if !(target > 0.0 && target < 1.0) => {
                return Err(FieldIssue::new(
                    at.key("request").key("target"),
                    format!("a probability of OOM must be in (0, 1), got {target}"),
                ));
            }
            RequestPolicy::Percentile { percentile, .. }
                if !(percentile > 0.0 && percentile <= 1.0) =>
            {
                return Err(FieldIssue::new(
                    at.key("request").key("percentile"),
                    format!("a percentile must be in (0, 1], got {percentile}"),
                ));
            }
            RequestPolicy::NSigma { n, .. } if !(n >= 0.0 && n.is_finite()) => {
                return Err(FieldIssue::new(
                    at.key("request").key("n"),
                    format!("standard deviations must be a number >= 0, got {n}"),
                ));
            }
            _ => {}
        }
        if let Some(window) = self.request.window().filter(|w| w.value <= 0.0) {
            return Err(FieldIssue::new(
                at.key("request").key("window"),
                format!("must be positive, got {}s", window.value),
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

/// A controller ready to decide: its policies, the migration costs it expects, and for the
/// requests that learn, the history of the views it decided on: the `risk` request's growth,
/// the peak predictors' levels.
#[derive(Clone, Debug)]
pub struct Controller {
    pub spec: ControllerSpec,
    migration: MigrationSpec,
    cost: CostModel,
    growth: Growth,
    levels: Option<Levels>,
}

/// What became of a job a node would send away.
enum Placed {
    Ordered,
    /// A target that could take it is busy: wait for the pacing, not for capacity.
    Busy,
    /// No node can take it.
    Short,
}

impl Controller {
    pub fn new(spec: &ControllerSpec, migration: &MigrationSpec) -> Self {
        Controller {
            spec: spec.clone(),
            migration: migration.clone(),
            cost: migration.cost_model(),
            growth: match spec.request {
                RequestPolicy::Risk { prior, .. } => Growth::new(prior),
                _ => Growth::default(),
            },
            levels: spec
                .request
                .window()
                .map(|w| Levels::new(SimDuration::from_secs(w.value))),
        }
    }

    /// Learns from a view it is about to decide on (the history of the requests that learn;
    /// a view seen before teaches nothing).
    pub fn observe(&mut self, view: &ClusterView) {
        if matches!(self.spec.request, RequestPolicy::Risk { .. }) {
            self.growth.observe(view);
        }
        if let Some(levels) = &mut self.levels {
            levels.observe(view);
        }
    }

    pub fn interval(&self) -> SimDuration {
        SimDuration::from_secs(self.spec.interval.value)
    }

    /// Seconds a migration of `job` off `node` is expected to take.
    pub fn expected(&self, node: &NodeView, job: &JobView) -> f64 {
        self.estimate(node, job).total
    }

    /// The cost model's estimate of a migration of `job` off `node`, the job dirtying its
    /// own rate (or the scenario's) plus its growth.
    fn estimate(&self, node: &NodeView, job: &JobView) -> Estimate {
        let own = job
            .dirty_rate
            .unwrap_or(self.migration.pre_copy.dirty_rate.value);
        let dirty = own + job.growth.max(0.0);
        self.migration
            .estimate(&self.cost, job.memory, node.network, dirty)
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
        if let RequestPolicy::Risk { target, .. } = self.spec.request {
            let horizon = self.spec.interval.value + self.largest_move(n);
            let risk = self.risk(n, &[], 0.0, horizon);
            return (risk > target).then_some(Request {
                node: n.id,
                amount: risk,
                why: Why::Risk {
                    risk,
                    horizon_s: horizon,
                },
            });
        }
        if let Some(peak) = self.predicted_peak(n) {
            let amount = peak - (1.0 - self.spec.threshold) * n.memory_capacity;
            return (amount > 0.0).then_some(Request {
                node: n.id,
                amount,
                why: Why::Peak {
                    predictor: self.spec.request.name(),
                    peak_pct: 100.0 * peak / n.memory_capacity,
                },
            });
        }
        let expected = |n: &NodeView| self.largest_move(n);
        self.spec.request.request(n, self.spec.threshold, &expected)
    }

    /// A peak predictor's figure for the memory `n` will use: the percentile predictor's is
    /// per job, with what no job accounts for (a migration's pages) counted as it is now; the
    /// N-sigma predictor's is from the node's own figures.
    fn predicted_peak(&self, n: &NodeView) -> Option<f64> {
        let levels = self.levels.as_ref()?;
        match self.spec.request {
            RequestPolicy::Percentile { percentile, .. } => {
                let jobs: f64 = n.jobs.iter().map(|j| j.memory).sum();
                let peaks: f64 = n
                    .jobs
                    .iter()
                    .map(|j| levels.percentile(j, percentile))
                    .sum();
                Some(peaks + (n.memory_used - jobs).max(0.0))
            }
            RequestPolicy::NSigma { n: sigmas, .. } => {
                Some(levels.n_sigma(n.id, sigmas).unwrap_or(n.memory_used))
            }
            _ => None,
        }
    }

    /// The probability that `n`, without the growth of the jobs `leaving` (it stops when they
    /// freeze) and with `freed` more bytes free, runs out of memory within `seconds`.
    fn risk(&self, n: &NodeView, leaving: &[JobId], freed: f64, seconds: f64) -> f64 {
        let staying: Vec<&JobView> = n
            .jobs
            .iter()
            .filter(|j| !j.migrating && !leaving.contains(&j.id))
            .collect();
        overflow(&self.growth, &staying, n.free() + freed, seconds)
    }

    /// The free fraction a target must keep, before the target margin: a risk request judges
    /// targets by their risk instead.
    fn target_threshold(&self) -> f64 {
        match self.spec.request {
            RequestPolicy::Risk { .. } => 0.0,
            _ => self.spec.threshold,
        }
    }

    /// Seconds of downtime a move of `job` off `node` is expected to cost.
    fn expected_downtime(&self, node: &NodeView, job: &JobView) -> f64 {
        self.estimate(node, job).downtime
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
            // A risk request is not asked again here: with its job frozen a source's risk
            // always looks lower, and calling the move off would bring it back.
            let risk = matches!(self.spec.request, RequestPolicy::Risk { .. });
            let relaxed = !risk
                && source_free
                    >= (self.spec.threshold + self.spec.target.margin) * source.memory_capacity;
            // Once the job is frozen its downtime is being paid; calling the move off then
            // would waste it, unless the target cannot take the job any more.
            let reason = if relaxed && !m.frozen && self.request(source).is_none() {
                format!(
                    "cancelled: source {:.1}% free, no longer needs it",
                    100.0 * source_free / source.memory_capacity
                )
            } else if target_free - m.incoming < self.target_threshold() * target.memory_capacity {
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
        if let RequestPolicy::Risk { target, .. } = self.spec.request {
            return self.risk_orders(view, index, ledger, target, requests, d);
        }
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
                self.place(view, index, &mut ledger, r.node, job, &r.why, &|_| true, d);
            }
        }
    }

    /// Orders a move of `job` off `source` to a target `accept` takes, or says why not.
    #[allow(clippy::too_many_arguments)]
    fn place(
        &self,
        view: &ClusterView,
        index: Option<&TargetIndex>,
        ledger: &mut Ledger,
        source: NodeId,
        job: &JobView,
        why: &Why,
        accept: &dyn Fn(NodeId) -> bool,
        d: &mut Decisions,
    ) -> Placed {
        let choose = |ledger: &Ledger, paced: bool| {
            let threshold = self.target_threshold();
            match index {
                Some(index) => {
                    let keep = self.spec.target.keep(threshold);
                    let mut candidate = |i| {
                        ledger
                            .candidate(view, i, source, job, paced)
                            .filter(|c| accept(c.id))
                    };
                    index.least_used(keep, job.memory, &mut candidate)
                }
                None => {
                    let candidates = ledger
                        .targets(view, source, job, paced)
                        .filter(|c| accept(c.id));
                    self.spec.target.choose(candidates, job.memory, threshold)
                }
            }
        };
        match choose(ledger, true) {
            Some(target) => {
                ledger.commit(view, source, target, job);
                d.orders.push(Order {
                    job: job.id,
                    source,
                    target,
                    cause: why.to_string(),
                });
                Placed::Ordered
            }
            None if choose(ledger, false).is_some() => Placed::Busy,
            None => {
                d.shortages.push(Shortage {
                    node: source,
                    job: job.id,
                    bytes: job.memory,
                });
                Placed::Short
            }
        }
    }

    /// The `risk` request's orders: the riskiest nodes first, each sending away, one at a
    /// time, the job whose move cuts its risk most per second of expected downtime, until its
    /// risk is within `target`, to a target whose own risk stays within it.
    fn risk_orders(
        &self,
        view: &ClusterView,
        index: Option<&TargetIndex>,
        mut ledger: Ledger,
        target: f64,
        mut requests: Vec<Request>,
        d: &mut Decisions,
    ) {
        requests.sort_by(|a, b| b.amount.total_cmp(&a.amount).then(a.node.cmp(&b.node)));
        let interval = self.spec.interval.value;
        for r in requests {
            let source = &view.nodes[r.node.index()];
            let (mut leaving, mut freed): (Vec<JobId>, f64) = (Vec::new(), 0.0);
            let mut movable: Vec<&JobView> = source
                .jobs
                .iter()
                .filter(|j| !j.migrating && !self.backing_off(j, view.time))
                .filter(|j| !self.spec.oracle || j.remaining > self.expected(source, j))
                .collect();
            let horizon = interval + self.largest_move(source);
            while ledger.source_may_send(r.node) {
                let now = self.risk(source, &leaving, freed, horizon);
                // While a job moves it is frozen and its memory still held; after, it is free.
                let gain = |j: &JobView| {
                    let moving = interval + self.expected(source, j);
                    let with_j: Vec<JobId> = leaving.iter().copied().chain([j.id]).collect();
                    let during = self.risk(source, &with_j, freed, moving);
                    let after = self.risk(source, &with_j, freed + j.memory, horizon);
                    (now - during.max(after)) / self.expected_downtime(source, j).max(1e-3)
                };
                let Some((at, job)) = movable
                    .iter()
                    .copied()
                    .enumerate()
                    .map(|(i, j)| (i, j, gain(j)))
                    .filter(|&(_, _, g)| g > 0.0)
                    .max_by(|a, b| a.2.total_cmp(&b.2).then(b.1.id.cmp(&a.1.id)))
                    .map(|(i, j, _)| (i, j))
                else {
                    break;
                };
                movable.remove(at);
                let within = interval + self.expected(source, job);
                let accept = |t: NodeId| {
                    let t = &view.nodes[t.index()];
                    let mut jobs: Vec<&JobView> = t.jobs.iter().filter(|j| !j.migrating).collect();
                    jobs.push(job);
                    overflow(&self.growth, &jobs, view.free(t.id) - job.memory, within) <= target
                };
                match self.place(view, index, &mut ledger, r.node, job, &r.why, &accept, d) {
                    Placed::Ordered => {
                        leaving.push(job.id);
                        freed += job.memory;
                    }
                    Placed::Busy | Placed::Short => break,
                }
                if self.risk(source, &leaving, freed, horizon) <= target {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
