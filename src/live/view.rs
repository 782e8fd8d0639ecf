//! What the policies see on a live cluster: the same `ClusterView` the simulator builds, filled
//! from the backend's last observation and the run's own state.

use std::collections::VecDeque;

use crate::engine::SimTime;
use crate::live::backend::Observation;
use crate::live::state::{LiveState, Where};
use crate::model::{JobId, NodeId};
use crate::policy::{ClusterView, JobView, MigrationView, NodeView};

/// Each running job's recent memory readings, for its growth.
#[derive(Default)]
pub struct Growth {
    history: Vec<VecDeque<(f64, f64)>>,
    window: f64,
}

impl Growth {
    pub fn new(jobs: usize, window: f64) -> Self {
        Growth {
            history: vec![VecDeque::new(); jobs],
            window,
        }
    }

    pub fn observe(&mut self, job: JobId, t: f64, memory: f64) {
        let h = &mut self.history[job.index()];
        h.push_back((t, memory));
        while h.len() > 2 && h[1].0 <= t - self.window {
            h.pop_front();
        }
    }

    pub fn forget(&mut self, job: JobId) {
        self.history[job.index()].clear();
    }

    /// Bytes per second over the window (0 until two readings are a moment apart).
    pub fn rate(&self, job: JobId) -> f64 {
        let h = &self.history[job.index()];
        match (h.front(), h.back()) {
            (Some(a), Some(b)) if b.0 - a.0 > 1e-3 => (b.1 - a.1) / (b.0 - a.0),
            _ => 0.0,
        }
    }
}

/// The cluster now. A job that has not reported its memory yet counts with its profile's
/// start, as the simulator's would, so that two jobs placed at one instant see each other.
pub fn build(state: &LiveState, obs: &Observation, growth: &Growth, now: f64) -> ClusterView {
    let mut nodes: Vec<NodeView> = state
        .cluster
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| NodeView {
            id: NodeId(i as u32),
            memory_capacity: n.memory,
            memory_used: obs.nodes.get(i).copied().unwrap_or(0.0),
            cpu_capacity: n.cpu,
            cpu_requested: 0.0,
            network: n.network,
            cordoned: state.cordoned[i],
            down: false,
            jobs: Vec::new(),
        })
        .collect();
    let mut running: Vec<(f64, JobId, NodeId)> = state
        .jobs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| match j.at {
            Where::Running(node) => Some((j.since, JobId(i as u32), node)),
            _ => None,
        })
        .collect();
    running.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (since, id, node) in running {
        let j = &state.jobs[id.index()];
        let spec = state.spec(id);
        let memory = if j.memory > 0.0 {
            j.memory
        } else {
            spec.profile.bytes_at(0)
        };
        let n = &mut nodes[node.index()];
        n.cpu_requested += spec.cpu;
        n.jobs.push(JobView {
            id,
            memory,
            growth: growth.rate(id),
            request: spec.request,
            cpu: spec.cpu,
            age: now - since,
            migrations: j.migrations,
            migrating: j.migrating.is_some(),
            failed_moves: j.failed_moves,
            last_failed_move: j.last_failed_move.map(SimTime::from_secs),
            remaining: (spec.work.as_secs() - j.work_s).max(0.0),
        });
    }
    for n in &mut nodes {
        let jobs: f64 = n.jobs.iter().map(|j| j.memory).sum();
        n.memory_used = n.memory_used.max(jobs);
    }
    let migrations = state
        .in_flight()
        .map(|(id, m)| {
            let f = state.flights[id as usize];
            let cpu = state.spec(m.job).cpu;
            nodes[m.target.index()].cpu_requested += cpu;
            MigrationView {
                job: m.job,
                source: m.source,
                target: m.target,
                issued: m.issued,
                incoming: if f.committed {
                    0.0
                } else {
                    state.jobs[m.job.index()].memory
                },
                cpu,
                committed: f.committed,
                frozen: f.frozen,
            }
        })
        .collect();
    ClusterView {
        time: SimTime::from_secs(now),
        nodes,
        migrations,
    }
}
