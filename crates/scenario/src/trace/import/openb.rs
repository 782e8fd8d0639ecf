//! Alibaba cluster-trace-gpu-v2023 ("openb"): a pod list and a node list.
//!
//! Pods: `name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,
//! deletion_time,scheduled_time`, times in seconds. The list has requests and lifetimes, no
//! usage: each pod becomes a job that arrives at its creation, runs from its scheduling to its
//! deletion, and uses its memory request throughout (one sample). Its class is its QoS class.
//! A pod never scheduled (empty `scheduled_time`, phase Pending) never ran: it has no run time
//! and is left out, as the import's notes say. A pod deleted at the trace's last deletion time
//! is marked as still running at its end. GPUs are not modelled; the notes count GPU pods.
//!
//! Nodes: `sn,cpu_milli,memory_mib,gpu,model`, read by [`openb_nodes`] into groups of identical
//! nodes for a scenario.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::input::read_input;
use crate::input::{csv_rows, InputError};
use crate::trace::import::Imported;
use crate::trace::{JobMeta, TraceJob};

const MIB: f64 = 1048576.0;

#[derive(Deserialize)]
struct PodRow {
    name: String,
    cpu_milli: f64,
    memory_mib: f64,
    num_gpu: f64,
    qos: String,
    creation_time: f64,
    deletion_time: f64,
    scheduled_time: Option<f64>,
}

pub fn openb_pods(path: &Path) -> Result<Imported, InputError> {
    let rows: Vec<(usize, PodRow)> = read_rows(path)?;
    let end = rows
        .iter()
        .map(|(_, r)| r.deletion_time)
        .fold(f64::NEG_INFINITY, f64::max);
    let origin = rows
        .iter()
        .map(|(_, r)| r.creation_time)
        .fold(f64::INFINITY, f64::min);
    let (mut never, mut gpus) = (0, 0);
    let mut jobs = Vec::new();
    for (line, r) in rows {
        let Some(scheduled) = r.scheduled_time else {
            never += 1;
            continue;
        };
        let fail = |field: &str, m: String| InputError {
            file: path.to_path_buf(),
            line: Some(line),
            field: Some(field.into()),
            message: m,
        };
        if scheduled < r.creation_time {
            return Err(fail(
                "scheduled_time",
                format!("{scheduled} is before creation_time {}", r.creation_time),
            ));
        }
        if r.deletion_time < scheduled {
            return Err(fail(
                "deletion_time",
                format!("{} is before scheduled_time {scheduled}", r.deletion_time),
            ));
        }
        gpus += usize::from(r.num_gpu > 0.0);
        let memory = r.memory_mib * MIB;
        jobs.push(TraceJob {
            meta: JobMeta {
                job: r.name,
                class: Some(r.qos),
                start_s: r.creation_time - origin,
                cpu: Some(r.cpu_milli / 1000.0),
                request_bytes: Some(memory),
                limit_bytes: None,
                started_before: false,
                running_at_end: r.deletion_time >= end,
                duration_s: Some(r.deletion_time - scheduled),
                ended: None,
                priority: None,
            },
            samples: vec![(0.0, memory)],
        });
    }
    let mut notes = Vec::new();
    if never > 0 {
        notes.push(format!(
            "{never} pods were never scheduled (no scheduled_time): they never ran, so they have no run time and are left out"
        ));
    }
    if gpus > 0 {
        notes.push(format!(
            "{gpus} pods request GPUs, which migsim does not model; their CPUs and memory are kept"
        ));
    }
    notes.push("the pod list has requests, not usage: each job uses its request throughout".into());
    let mut imported = Imported {
        trace: crate::trace::Trace { jobs },
        notes,
    };
    imported.trace.sort();
    Ok(imported)
}

#[derive(Deserialize)]
struct NodeRow {
    cpu_milli: f64,
    memory_mib: f64,
    gpu: f64,
    model: Option<String>,
}

/// A group of identical nodes from a node list.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeGroup {
    /// `<model or cpu>-<cpus>c-<memory>`, unique within the list.
    pub name: String,
    pub count: u32,
    pub cpu: f64,
    pub memory_bytes: f64,
}

/// The nodes of an openb node list, grouped by (CPUs, memory, GPU model), largest group first.
pub fn openb_nodes(path: &Path) -> Result<Vec<NodeGroup>, InputError> {
    let rows: Vec<(usize, NodeRow)> = read_rows(path)?;
    let mut groups: BTreeMap<(u64, u64, String), u32> = BTreeMap::new();
    for (line, r) in rows {
        if r.cpu_milli <= 0.0 || r.memory_mib <= 0.0 {
            return Err(InputError {
                file: path.to_path_buf(),
                line: Some(line),
                field: Some(
                    if r.cpu_milli <= 0.0 {
                        "cpu_milli"
                    } else {
                        "memory_mib"
                    }
                    .into(),
                ),
                message: "a node needs CPUs and memory".into(),
            });
        }
        let model = match (r.gpu > 0.0, r.model) {
            (true, Some(m)) if !m.is_empty() => m,
            (true, _) => "gpu".into(),
            (false, _) => "cpu".into(),
        };
        *groups
            .entry((r.cpu_milli as u64, r.memory_mib as u64, model))
            .or_insert(0) += 1;
    }
    let mut out: Vec<NodeGroup> = groups
        .into_iter()
        .map(|((cpu, mem, model), count)| NodeGroup {
            name: format!("{}-{}c-{}g", model.to_lowercase(), cpu / 1000, mem / 1024),
            count,
            cpu: cpu as f64 / 1000.0,
            memory_bytes: mem as f64 * MIB,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

fn read_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<(usize, T)>, InputError> {
    csv_rows(path, &read_input(path)?)
}
