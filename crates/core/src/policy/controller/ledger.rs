//! What one decision has committed so far: per node, the migrations touching it and the
//! memory and CPUs left once moves under way and just ordered have landed. Only the nodes a
//! move touches are booked, so a decision costs the moves it weighs, not the cluster.

use crate::model::{JobId, NodeId};
use crate::policy::controller::Candidate;
use crate::policy::{ClusterView, JobView, NodeView};

pub struct Ledger {
    per_node: u32,
    cluster: u32,
    /// The nodes moves touch, by id.
    booked: Vec<(NodeId, Booking)>,
    total: u32,
}

/// A node as the moves touching it leave it.
#[derive(Clone, Copy)]
struct Booking {
    busy: u32,
    free: f64,
    cpu: f64,
    leaving: f64,
}

impl Booking {
    /// A node no move touches yet. The view's CPU requests already include what in-flight
    /// moves hold on targets.
    fn untouched(view: &ClusterView, n: &NodeView) -> Self {
        Booking {
            busy: 0,
            free: view.free(n.id),
            cpu: n.cpu_capacity - n.cpu_requested,
            leaving: 0.0,
        }
    }
}

impl Ledger {
    /// Starts from the view and the migrations in flight that are not being `cancelled`,
    /// with the pacing's (per node, cluster-wide) limits.
    pub fn new(view: &ClusterView, cancelled: &[JobId], (per_node, cluster): (u32, u32)) -> Self {
        let mut ledger = Ledger {
            per_node,
            cluster,
            booked: Vec::new(),
            total: 0,
        };
        for m in view
            .migrations
            .iter()
            .filter(|m| !cancelled.contains(&m.job))
        {
            ledger.book(view, m.source).busy += 1;
            let target = ledger.book(view, m.target);
            target.busy += 1;
            target.free -= m.incoming;
            ledger.book(view, m.source).leaving += job_memory(view, m.source, m.job);
            ledger.total += 1;
        }
        ledger
    }

    fn book(&mut self, view: &ClusterView, node: NodeId) -> &mut Booking {
        let i = match self.booked.binary_search_by_key(&node, |&(id, _)| id) {
            Ok(i) => i,
            Err(i) => {
                let fresh = Booking::untouched(view, &view.nodes[node.index()]);
                self.booked.insert(i, (node, fresh));
                i
            }
        };
        &mut self.booked[i].1
    }

    fn booking(&self, node: NodeId) -> Option<&Booking> {
        let i = self.booked.binary_search_by_key(&node, |&(id, _)| id);
        i.ok().map(|i| &self.booked[i].1)
    }

    /// Memory already on its way off `node`.
    pub fn leaving(&self, node: NodeId) -> f64 {
        self.booking(node).map_or(0.0, |b| b.leaving)
    }

    /// Whether the pacing lets `source` start another migration.
    pub fn source_may_send(&self, source: NodeId) -> bool {
        let busy = self.booking(source).map_or(0, |b| b.busy);
        self.total < self.cluster && busy < self.per_node
    }

    /// Nodes other than `source` that are up, uncordoned and have the CPUs for `job`, by id;
    /// with `paced`, only those the pacing lets take one more migration.
    pub fn targets<'a>(
        &'a self,
        view: &'a ClusterView,
        source: NodeId,
        job: &'a JobView,
        paced: bool,
    ) -> impl Iterator<Item = Candidate> + 'a {
        (0..view.nodes.len()).filter_map(move |i| self.candidate(view, i, source, job, paced))
    }

    /// Node `i` as one of [`Ledger::targets`], if it is one.
    pub fn candidate(
        &self,
        view: &ClusterView,
        i: usize,
        source: NodeId,
        job: &JobView,
        paced: bool,
    ) -> Option<Candidate> {
        let t = &view.nodes[i];
        if t.id == source || t.down || t.cordoned {
            return None;
        }
        let b = self
            .booking(t.id)
            .copied()
            .unwrap_or_else(|| Booking::untouched(view, t));
        let room = b.cpu + 1e-9 >= job.cpu && (!paced || b.busy < self.per_node);
        room.then_some(Candidate {
            id: t.id,
            capacity: t.memory_capacity,
            free: b.free,
        })
    }

    /// Books a move of `job` from `source` to `target`.
    pub fn commit(&mut self, view: &ClusterView, source: NodeId, target: NodeId, job: &JobView) {
        let t = self.book(view, target);
        t.free -= job.memory;
        t.cpu -= job.cpu;
        t.busy += 1;
        self.book(view, source).busy += 1;
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
