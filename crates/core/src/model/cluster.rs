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

/// Nodes and jobs, and the operations that keep their accounting consistent.
pub struct Cluster {
    pub nodes: Vec<Node>,
    pub jobs: Vec<Job>,
}

impl Cluster {
    pub fn new(groups: &[NodeGroupSpec], jobs: Vec<JobSpec>) -> Self {
        let nodes = groups
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
            nodes,
            jobs: jobs.into_iter().map(Job::new).collect(),
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.index()]
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

    pub fn node_mut(&mut self, id: NodeId) -> &mut Node {
        &mut self.nodes[id.index()]
    }

    pub fn start(&mut self, job: JobId, node: NodeId, t: SimTime) {
        let j = &mut self.jobs[job.index()];
        j.start(node, t);
        let (bytes, growth, cpu) = (j.memory_at(t), j.growth(), j.spec.cpu);
        self.nodes[node.index()].add_job(t, job, bytes, growth, cpu);
    }

    /// Stops a running job (finished or killed) and returns the work it loses.
    pub fn stop(&mut self, job: JobId, t: SimTime, next: JobState) -> SimDuration {
        let j = &mut self.jobs[job.index()];
        let node = j.node().expect("only a running job stops");
        let (bytes, growth, cpu) = (j.memory_at(t), j.growth(), j.spec.cpu);
        let lost = j.stop(t, next);
        self.nodes[node.index()].remove_job(t, job, bytes, growth, cpu);
        lost
    }

    /// Moves a running job to its next profile segment.
    pub fn enter_segment(&mut self, job: JobId, t: SimTime) {
        let j = &mut self.jobs[job.index()];
        let node = j.node().expect("only a running job has segments");
        let (jump, delta) = j.enter_segment(t);
        if jump != 0.0 {
            self.nodes[node.index()].shift(t, jump, delta);
        } else if delta != 0.0 {
            self.nodes[node.index()].change_slope(t, delta);
        }
    }

    /// Runs a job at `speed` from `t` on (0 freezes it).
    pub fn set_speed(&mut self, job: JobId, t: SimTime, speed: f64) {
        let j = &mut self.jobs[job.index()];
        let node = j.node().expect("only a running job changes speed");
        let delta = j.set_speed(t, speed);
        if delta != 0.0 {
            self.nodes[node.index()].change_slope(t, delta);
        }
    }

    /// Moves a running job to `target` at `t`, progress and speed intact: a migration's
    /// switch-over.
    pub fn relocate(&mut self, job: JobId, target: NodeId, t: SimTime) {
        let j = &mut self.jobs[job.index()];
        let source = j.node().expect("only a running job is relocated");
        let (bytes, growth, cpu) = (j.memory_at(t), j.growth(), j.spec.cpu);
        j.state = JobState::Running(target);
        self.nodes[source.index()].remove_job(t, job, bytes, growth, cpu);
        self.nodes[target.index()].add_job(t, job, bytes, growth, cpu);
    }

    pub fn open_term(&mut self, node: NodeId, t: SimTime, bytes: f64, slope: f64) -> Term {
        let n = &mut self.nodes[node.index()];
        n.open_term();
        n.shift(t, bytes, slope);
        Term::new(node, t, bytes, slope)
    }

    pub fn set_term_slope(&mut self, term: &mut Term, t: SimTime, slope: f64) {
        let delta = term.set_slope(t, slope);
        if delta != 0.0 {
            self.nodes[term.node.index()].change_slope(t, delta);
        }
    }

    /// Holds `cpu` on `node` for a job on its way there.
    pub fn reserve_cpu(&mut self, node: NodeId, cpu: f64) {
        let n = &mut self.nodes[node.index()];
        n.open_term();
        n.cpu_requested += cpu;
    }

    pub fn release_cpu(&mut self, node: NodeId, cpu: f64, t: SimTime) {
        let n = &mut self.nodes[node.index()];
        n.cpu_requested -= cpu;
        n.close_term(t);
    }

    /// Releases a term's memory; returns the bytes it held.
    pub fn close_term(&mut self, term: Term, t: SimTime) -> f64 {
        let bytes = term.bytes_at(t);
        let n = &mut self.nodes[term.node.index()];
        n.shift(t, -bytes, -term.slope());
        n.close_term(t);
        bytes
    }
}
