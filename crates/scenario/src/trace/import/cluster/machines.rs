//! A trace's machines: their normalised capacities from the machine table, a seeded sample of
//! them (`--machines N`), and the node list an import writes beside the trace
//! (`NAME.nodes.csv`: `machine,cpu,memory_bytes`, one row per machine), which a scenario reads
//! as groups of identical nodes (`[[nodes]] list = "NAME.nodes.csv"`, `format = "migsim"`).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::Path;

use migsim_core::engine::RngStreams;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::input::{csv_rows, read_input, InputError};
use crate::output::write_atomic;
use crate::trace::import::cluster::task::Units;
use crate::trace::import::NodeGroup;

/// One machine: its capacities as the trace first gives them (normalised, or CPUs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Machine {
    pub name: String,
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
}

#[derive(Default)]
pub struct Machines {
    by_id: BTreeMap<u64, Machine>,
    /// Machines whose capacity changed during the trace (the first is kept).
    pub resized: BTreeSet<u64>,
}

#[derive(Deserialize, Serialize)]
struct NodeRow {
    machine: String,
    cpu: f64,
    memory_bytes: f64,
}

impl Machines {
    /// Notes a machine's capacity; a machine seen again keeps its first capacity.
    pub fn add(
        &mut self,
        id: u64,
        name: &dyn Fn() -> String,
        cpu: Option<f64>,
        memory: Option<f64>,
    ) {
        match self.by_id.get_mut(&id) {
            None => {
                self.by_id.insert(
                    id,
                    Machine {
                        name: name(),
                        cpu,
                        memory,
                    },
                );
            }
            Some(m) => {
                let fill = |old: &mut Option<f64>, new: Option<f64>| match (*old, new) {
                    (None, n) => {
                        *old = n;
                        false
                    }
                    (Some(o), Some(n)) => o != n,
                    (Some(_), None) => false,
                };
                // A capacity the first row lacked is taken from a later one.
                if fill(&mut m.cpu, cpu) | fill(&mut m.memory, memory) {
                    self.resized.insert(id);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// `n` machines drawn without replacement with `seed`, the same for the same table.
    pub fn sample(&self, n: usize, seed: u64) -> BTreeSet<u64> {
        let mut ids: Vec<u64> = self.by_id.keys().copied().collect();
        ids.shuffle(&mut RngStreams::new(seed).stream("machines"));
        ids.truncate(n);
        ids.into_iter().collect()
    }

    /// Writes the node list of the machines in `keep` (all when None) with a capacity; returns
    /// how many were written and how many lacked a capacity.
    pub fn write_nodes(
        &self,
        path: &Path,
        keep: Option<&BTreeSet<u64>>,
        units: Units,
    ) -> io::Result<(usize, usize)> {
        let chosen = self
            .by_id
            .iter()
            .filter(|(id, _)| keep.is_none_or(|k| k.contains(id)));
        let (mut rows, mut missing) = (Vec::new(), 0);
        for (_, m) in chosen {
            match (m.cpu, m.memory) {
                (Some(cpu), Some(memory)) if cpu > 0.0 && memory > 0.0 => rows.push(NodeRow {
                    machine: m.name.clone(),
                    cpu: cpu * units.cpu,
                    memory_bytes: memory * units.memory,
                }),
                _ => missing += 1,
            }
        }
        write_atomic(path, &|w| {
            let mut csv = csv::Writer::from_writer(w);
            for r in &rows {
                csv.serialize(r).map_err(io::Error::other)?;
            }
            csv.flush()
        })?;
        Ok((rows.len(), missing))
    }
}

/// A node list as an import writes it, grouped by (CPUs, memory), largest group first.
pub fn node_groups(path: &Path) -> Result<Vec<NodeGroup>, InputError> {
    let rows: Vec<(usize, NodeRow)> = csv_rows(path, &read_input(path)?)?;
    let mut groups: BTreeMap<(u64, u64), u32> = BTreeMap::new();
    for (line, r) in rows {
        let bad = |field: &str| InputError {
            file: path.to_path_buf(),
            line: Some(line),
            field: Some(field.into()),
            message: "a node needs a positive, finite capacity".into(),
        };
        if !(r.cpu > 0.0 && r.cpu.is_finite()) {
            return Err(bad("cpu"));
        }
        if !(r.memory_bytes > 0.0 && r.memory_bytes.is_finite()) {
            return Err(bad("memory_bytes"));
        }
        *groups
            .entry((r.cpu.to_bits(), r.memory_bytes.to_bits()))
            .or_insert(0) += 1;
    }
    let mut out: Vec<NodeGroup> = groups
        .into_iter()
        .map(|((cpu, memory), count)| {
            let (cpu, memory) = (f64::from_bits(cpu), f64::from_bits(memory));
            NodeGroup {
                name: format!(
                    "{}c-{}",
                    trim(cpu),
                    trim(memory / (1u64 << 30) as f64) + "g"
                ),
                count,
                cpu,
                memory_bytes: memory,
            }
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

/// A number as short as it reads: 96, 0.5, 12.75.
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_seeded_and_the_node_list_groups_by_capacity() {
        let mut m = Machines::default();
        for id in 0..10u64 {
            let memory = if id < 6 { 1.0 } else { 0.5 };
            m.add(id, &|| format!("m{id}"), Some(0.5), Some(memory));
        }
        m.add(3, &|| unreachable!(), Some(0.5), Some(0.25));
        assert_eq!(m.resized.len(), 1);
        let a = m.sample(4, 7);
        assert_eq!(a.len(), 4);
        assert_eq!(a, m.sample(4, 7));
        assert_ne!(a, m.sample(4, 8));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.nodes.csv");
        let units = Units {
            memory: 256.0 * (1u64 << 30) as f64,
            cpu: 96.0,
            of_request: false,
        };
        assert_eq!(m.write_nodes(&path, None, units).unwrap(), (10, 0));
        let groups = node_groups(&path).unwrap();
        let names: Vec<(&str, u32)> = groups.iter().map(|g| (g.name.as_str(), g.count)).collect();
        assert_eq!(names, vec![("48c-256g", 6), ("48c-128g", 4)]);
    }
}
