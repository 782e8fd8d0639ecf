use serde::{Deserialize, Serialize};

use crate::keypath::{unique_names, FieldIssue, KeyPath};
use crate::migration::{FailureSpec, MigrationSpec};
use crate::model::{NodeGroupSpec, OomSpec};
use crate::policy::{
    ControlSpec, ControllerSpec, MonitorSpec, Reservation, SchedulerSpec, UnschedulerSpec,
};
use crate::units::{human_bytes, Seconds};
use crate::workload::{RequestSpec, WorkloadSpec};

/// A whole scenario file.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    pub simulation: SimulationSpec,
    pub nodes: Vec<NodeGroupSpec>,
    pub workload: WorkloadSpec,
    #[serde(default)]
    pub scheduler: SchedulerSpec,
    /// Absent: nodes are never cordoned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unscheduler: Option<UnschedulerSpec>,
    #[serde(default)]
    pub monitor: MonitorSpec,
    #[serde(default)]
    pub oom: OomSpec,
    /// Absent: jobs are never migrated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<ControllerSpec>,
    #[serde(default)]
    pub migration: MigrationSpec,
    #[serde(default)]
    pub failures: FailureSpec,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub seed: u64,
    /// Stop at this time; absent: run until every job has finished or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<Seconds>,
    /// How often `nodes.csv` gets a row per node.
    #[serde(default = "one_minute")]
    pub sample_interval: Seconds,
}

fn one_minute() -> Seconds {
    Seconds::new(60.0)
}

fn positive(at: KeyPath, v: f64) -> Result<(), FieldIssue> {
    match v > 0.0 {
        true => Ok(()),
        false => Err(FieldIssue::new(at, format!("must be positive, got {v}"))),
    }
}

impl ScenarioSpec {
    /// The policies every driver's control loop runs.
    pub fn control(&self) -> ControlSpec<'_> {
        ControlSpec {
            scheduler: &self.scheduler,
            unscheduler: self.unscheduler.as_ref(),
            controller: self.controller.as_ref(),
            migration: &self.migration,
            monitor: &self.monitor,
        }
    }

    /// Every check that needs no random draw. The first problem found is returned.
    pub fn check(&self) -> Result<(), FieldIssue> {
        let root = KeyPath::root();
        let sim = root.key("simulation");
        if let Some(end) = self.simulation.end {
            positive(sim.key("end"), end.value)?;
        }
        positive(
            sim.key("sample_interval"),
            self.simulation.sample_interval.value,
        )?;
        if self.nodes.is_empty() {
            return Err(FieldIssue::new(
                root.key("nodes"),
                "the cluster has no nodes: add a [[nodes]] group",
            ));
        }
        for (i, g) in self.nodes.iter().enumerate() {
            g.check(&root.key("nodes").index(i))?;
        }
        let names = self.nodes.iter().map(|g| g.name.as_str());
        unique_names(names, |i| root.key("nodes").index(i), "node group")?;
        self.workload.check(&root.key("workload"))?;
        self.scheduler.check(&root.key("scheduler"))?;
        if let Some(u) = &self.unscheduler {
            u.check(&root.key("unscheduler"))?;
        }
        positive(
            root.key("monitor").key("interval"),
            self.monitor.interval.value,
        )?;
        positive(root.key("monitor").key("window"), self.monitor.window.value)?;
        if let Some(c) = &self.controller {
            c.check(&root.key("controller"))?;
        }
        self.migration.check(&root.key("migration"))?;
        self.failures.check(&root.key("failures"))?;
        self.check_failure_nodes()?;
        if self.monitor.delay.value < 0.0 {
            return Err(FieldIssue::new(
                root.key("monitor").key("delay"),
                "must not be negative",
            ));
        }
        self.check_placeable()
    }

    /// Scheduled node failures must name nodes of the cluster.
    fn check_failure_nodes(&self) -> Result<(), FieldIssue> {
        let names = self.node_names();
        for (i, f) in self.failures.nodes.iter().enumerate() {
            if !names.contains(&f.node) {
                let at = KeyPath::root()
                    .key("failures")
                    .key("nodes")
                    .index(i)
                    .key("node");
                let mut message = format!("no node is named `{}`", f.node);
                let candidates: Vec<&str> = names.iter().map(String::as_str).collect();
                if let Some(close) = crate::scenario::suggest::closest(&f.node, &candidates) {
                    message.push_str(&format!("; did you mean `{close}`?"));
                }
                return Err(FieldIssue::new(at, message));
            }
        }
        Ok(())
    }

    /// Every node's name, in cluster order.
    pub fn node_names(&self) -> Vec<String> {
        self.nodes
            .iter()
            .flat_map(NodeGroupSpec::node_names)
            .collect()
    }

    /// A job that fits on no node at all would wait forever; say so before the run.
    fn check_placeable(&self) -> Result<(), FieldIssue> {
        let max_cpu = self.nodes.iter().map(|g| g.cpu).fold(0.0, f64::max);
        let max_mem = self
            .nodes
            .iter()
            .map(|g| g.memory.value)
            .fold(0.0, f64::max);
        let conservative = self.scheduler.kind == Reservation::Conservative;
        let jobs = self
            .workload
            .jobs
            .iter()
            .map(|j| (&j.cpu, &j.request, "jobs"));
        let classes = self
            .workload
            .generate
            .iter()
            .map(|c| (&c.cpu, &c.request, "generate"));
        for (i, (cpu, request, list)) in jobs.enumerate().chain(classes.enumerate()) {
            let at = KeyPath::root().key("workload").key(list).index(i);
            if let Some(c) = cpu.as_constant().filter(|&c| c > max_cpu) {
                return Err(FieldIssue::new(
                    at.key("cpu"),
                    format!("requests {c} CPUs but the largest node has {max_cpu}"),
                ));
            }
            if let RequestSpec::Amount(d) = request {
                if let Some(r) = d.as_constant().filter(|&r| conservative && r > max_mem) {
                    return Err(FieldIssue::new(
                        at.key("request"),
                        format!(
                            "requests {}, more than the largest node's {}: the conservative scheduler can never place it",
                            human_bytes(r),
                            human_bytes(max_mem)
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}
