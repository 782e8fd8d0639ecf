use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::engine::{SimDuration, SimTime};
use crate::keypath::{FieldIssue, KeyPath};
use crate::model::{Job, JobId, JobState, Node, NodeId, Term};

use crate::units::{ByteRate, Bytes};
use crate::workload::JobSpec;

/// A group of identical nodes, named `<name>-<i>`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeGroupSpec {
    pub name: String,
    #[serde(default = "one")]
    pub count: u32,
    pub memory: Bytes,
    pub cpu: f64,
    #[serde(default = "ten_gbit")]
    pub network: ByteRate,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

fn one() -> u32 {
    1
}

fn ten_gbit() -> ByteRate {
    ByteRate::new(1.25e9)
}

impl NodeGroupSpec {
    /// Its nodes' names: `<name>-<i>`, or the group's name for a group of one.
    pub fn node_names(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.count).map(move |i| match self.count {
            1 => self.name.clone(),
            _ => format!("{}-{i}", self.name),
        })
    }

    pub fn check(&self, at: &KeyPath) -> Result<(), FieldIssue> {
        let positive = |key: &str, v: f64| match v > 0.0 {
            true => Ok(()),
            false => Err(FieldIssue::new(
                at.key(key),
                format!("must be positive, got {v}"),
            )),
        };
        if self.count == 0 {
            return Err(FieldIssue::new(
                at.key("count"),
                "a node group needs at least one node",
            ));
        }
        positive("memory", self.memory.value)?;
        positive("cpu", self.cpu)?;
        positive("network", self.network.value)
    }
}

/// Nodes and jobs, and the operations that keep their accounting consistent. It notes which
/// nodes changed (other than by the passage of time), so that whoever keeps an index over the
/// nodes refreshes only those.
pub struct Cluster {
    nodes: Vec<Node>,
    pub jobs: Vec<Job>,
    /// Nodes changed since [`Cluster::take_changes`] last ran, each once.
    changed: Vec<NodeId>,
    noted: Vec<bool>,
}

impl Cluster {
    pub fn new(groups: &[NodeGroupSpec], jobs: impl IntoIterator<Item = JobSpec>) -> Self {
        let nodes: Vec<Node> = groups
            .iter()
            .flat_map(|g| {
                g.node_names().map(move |name| {
                    Node::new(
                        name,
                        g.name.clone(),
                        g.memory.value,
                        g.cpu,
                        g.network.value,
                        g.labels.clone(),
                    )
                })
            })
            .collect();
        Cluster {
            changed: (0..nodes.len() as u32).map(NodeId).collect(),
            noted: vec![true; nodes.len()],
            nodes,
            jobs: jobs.into_iter().map(Job::new).collect(),
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
    }

    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The nodes changed since the last call (every node the first time), into `out`.
    pub fn take_changes(&mut self, out: &mut Vec<NodeId>) {
        out.clear();
        std::mem::swap(out, &mut self.changed);
        for n in out.iter() {
            self.noted[n.index()] = false;
        }
    }

    /// The node, noted as changed.
    fn touch(&mut self, id: NodeId) -> &mut Node {
        let i = id.index();
        if !std::mem::replace(&mut self.noted[i], true) {
            self.changed.push(id);
        }
        &mut self.nodes[i]
    }

    /// Each job's arrival (seconds), by job index: what the metrics measure waits from.
    pub fn arrivals(&self) -> Vec<f64> {
        self.jobs.iter().map(|j| j.spec.arrival.as_secs()).collect()
    }

    pub fn job(&self, id: JobId) -> &Job {
        &self.jobs[id.index()]
    }

    pub fn job_mut(&mut self, id: JobId) -> &mut Job {
        &mut self.jobs[id.index()]
    }

    /// The node, for changes the cluster's own operations do not make (cordons, failures).
    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        self.touch(id)
    }

    pub fn start(&mut self, job: JobId, node: NodeId, t: SimTime) {
        let j = &mut self.jobs[job.index()];
        j.start(node, t);
        let (bytes, growth, cpu) = (j.memory_at(t), j.growth(), j.spec.cpu);
        let n = self.touch(node);
        n.add_job(t, job, bytes, growth, cpu);
        n.regrow(0.0, growth);
    }

    /// Stops a running job (finished or killed) and returns the work it loses.
    pub fn stop(&mut self, job: JobId, t: SimTime, next: JobState) -> SimDuration {
        let j = &mut self.jobs[job.index()];
        let node = j.node().expect("only a running job stops");
        let (bytes, growth, cpu) = (j.memory_at(t), j.growth(), j.spec.cpu);
        let lost = j.stop(t, next);
        let n = self.touch(node);
        n.remove_job(t, job, bytes, growth, cpu);
        n.regrow(growth, 0.0);
        lost
    }

    /// Moves a running job to its next profile segment.
    pub fn enter_segment(&mut self, job: JobId, t: SimTime) {
        let j = &mut self.jobs[job.index()];
        let node = j.node().expect("only a running job has segments");
        let before = j.growth();
        let (jump, delta) = j.enter_segment(t);
        let after = j.growth();
        let n = self.touch(node);
        if jump != 0.0 {
            n.shift(t, jump, delta);
        } else if delta != 0.0 {
            n.change_slope(t, delta);
        }
        n.regrow(before, after);
    }

    /// Runs a job at `speed` from `t` on (0 freezes it).
    pub fn set_speed(&mut self, job: JobId, t: SimTime, speed: f64) {
        let j = &mut self.jobs[job.index()];
        let node = j.node().expect("only a running job changes speed");
        let before = j.growth();
        let delta = j.set_speed(t, speed);
        let after = j.growth();
        let n = self.touch(node);
        if delta != 0.0 {
            n.change_slope(t, delta);
        }
        n.regrow(before, after);
    }

    /// Moves a running job to `target` at `t`, progress and speed intact: a migration's
    /// switch-over.
    pub fn relocate(&mut self, job: JobId, target: NodeId, t: SimTime) {
        let j = &mut self.jobs[job.index()];
        let source = j.node().expect("only a running job is relocated");
        let (bytes, growth, cpu) = (j.memory_at(t), j.growth(), j.spec.cpu);
        j.state = JobState::Running(target);
        let s = self.touch(source);
        s.remove_job(t, job, bytes, growth, cpu);
        s.regrow(growth, 0.0);
        let d = self.touch(target);
        d.add_job(t, job, bytes, growth, cpu);
        d.regrow(0.0, growth);
    }

    pub fn open_term(&mut self, node: NodeId, t: SimTime, bytes: f64, slope: f64) -> Term {
        let n = self.touch(node);
        n.open_term();
        n.shift(t, bytes, slope);
        n.regrow(0.0, slope);
        Term::new(node, t, bytes, slope)
    }

    pub fn set_term_slope(&mut self, term: &mut Term, t: SimTime, slope: f64) {
        let before = term.slope();
        let delta = term.set_slope(t, slope);
        let n = self.touch(term.node);
        if delta != 0.0 {
            n.change_slope(t, delta);
        }
        n.regrow(before, slope);
    }

    /// Holds `cpu` on `node` for a job on its way there.
    pub fn reserve_cpu(&mut self, node: NodeId, cpu: f64) {
        let n = self.touch(node);
        n.open_term();
        n.cpu_requested += cpu;
    }

    pub fn release_cpu(&mut self, node: NodeId, cpu: f64, t: SimTime) {
        let n = self.touch(node);
        n.cpu_requested -= cpu;
        n.close_term(t);
    }

    /// Releases a term's memory; returns the bytes it held.
    pub fn close_term(&mut self, term: Term, t: SimTime) -> f64 {
        let bytes = term.bytes_at(t);
        let n = self.touch(term.node);
        n.shift(t, -bytes, -term.slope());
        n.close_term(t);
        n.regrow(term.slope(), 0.0);
        bytes
    }
}
