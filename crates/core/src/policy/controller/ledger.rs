//! What one decision has committed so far: per node, the migrations touching it and the
//! memory and CPUs left once moves under way and just ordered have landed.

use crate::model::{JobId, NodeId};
use crate::policy::controller::Candidate;
use crate::policy::{ClusterView, JobView, NodeView};

pub struct Ledger {
    per_node: u32,
    cluster: u32,
    busy: Vec<u32>,
    free: Vec<f64>,
    cpu: Vec<f64>,
    leaving: Vec<f64>,
    total: u32,
}

impl Ledger {
    /// Starts from the view and the migrations in flight that are not being `cancelled`,
    /// with the pacing's (per node, cluster-wide) limits.
    pub fn new(view: &ClusterView, cancelled: &[JobId], (per_node, cluster): (u32, u32)) -> Self {
        let n = view.nodes.len();
        let mut ledger = Ledger {
            per_node,
            cluster,
            busy: vec![0; n],
            free: view.nodes.iter().map(NodeView::free).collect(),
            // The view's CPU requests already include what in-flight moves hold on targets.
            cpu: view
                .nodes
                .iter()
                .map(|n| n.cpu_capacity - n.cpu_requested)
                .collect(),
            leaving: vec![0.0; n],
            total: 0,
        };
        for m in view
            .migrations
            .iter()
            .filter(|m| !cancelled.contains(&m.job))
        {
            ledger.busy[m.source.index()] += 1;
            ledger.busy[m.target.index()] += 1;
            ledger.free[m.target.index()] -= m.incoming;
            ledger.leaving[m.source.index()] += job_memory(view, m.source, m.job);
            ledger.total += 1;
        }
        ledger
    }

    /// Memory already on its way off `node`.
    pub fn leaving(&self, node: NodeId) -> f64 {
        self.leaving[node.index()]
    }

    /// Whether the pacing lets `source` start another migration.
    pub fn source_may_send(&self, source: NodeId) -> bool {
        self.total < self.cluster && self.busy[source.index()] < self.per_node
    }

    /// Nodes other than `source` that are up, uncordoned and have the CPUs for `job`; with
    /// `paced`, only those the pacing lets take one more migration.
    pub fn targets(
        &self,
        view: &ClusterView,
        source: NodeId,
        job: &JobView,
        paced: bool,
    ) -> Vec<Candidate> {
        view.nodes
            .iter()
            .filter(|t| t.id != source && !t.down && !t.cordoned)
            .filter(|t| self.cpu[t.id.index()] + 1e-9 >= job.cpu)
            .filter(|t| !paced || self.busy[t.id.index()] < self.per_node)
            .map(|t| Candidate {
                id: t.id,
                capacity: t.memory_capacity,
                free: self.free[t.id.index()],
            })
            .collect()
    }

    /// Books a move of `job` from `source` to `target`.
    pub fn commit(&mut self, source: NodeId, target: NodeId, job: &JobView) {
        self.free[target.index()] -= job.memory;
        self.cpu[target.index()] -= job.cpu;
        self.busy[source.index()] += 1;
        self.busy[target.index()] += 1;
        self.total += 1;
    }
}

fn job_memory(view: &ClusterView, node: NodeId, job: JobId) -> f64 {
    view.nodes[node.index()]
        .jobs
        .iter()
        .find(|j| j.id == job)
        .map_or(0.0, |j| j.memory)
}
