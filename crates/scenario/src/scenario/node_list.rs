//! `[[nodes]]` entries that name a node list (`list = "nodes.csv"`, `format = "openb"`, or
//! `format = "migsim"` for the `NAME.nodes.csv` a trace import writes)
//! instead of giving capacities: each becomes one group per distinct kind of node in the
//! list, named `<entry name>-<kind>`, before the scenario is read. The resolved parameters
//! therefore hold the groups, and re-run without the list.

use std::path::Path;

use toml::{Table, Value};

use crate::keypath::{FieldIssue, KeyPath};
use crate::trace::import::cluster::node_groups;
use crate::trace::import::openb_nodes;

/// Replaces every `[[nodes]]` entry with a `list` key by the groups of its list.
pub(crate) fn expand_node_lists(root: &mut Table, dir: &Path) -> Result<(), FieldIssue> {
    let Some(Value::Array(entries)) = root.get_mut("nodes") else {
        return Ok(());
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, entry) in std::mem::take(entries).into_iter().enumerate() {
        let at = KeyPath::root().key("nodes").index(i);
        match entry {
            Value::Table(t) if t.contains_key("list") => out.extend(groups(t, dir, &at)?),
            other => out.push(other),
        }
    }
    *entries = out;
    Ok(())
}

fn groups(mut entry: Table, dir: &Path, at: &KeyPath) -> Result<Vec<Value>, FieldIssue> {
    let text = |key: &str, entry: &mut Table| match entry.remove(key) {
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(FieldIssue::new(at.key(key), "expected a string")),
        None => Ok(None),
    };
    let list = text("list", &mut entry)?.expect("checked by the caller");
    let format = text("format", &mut entry)?.unwrap_or_else(|| "openb".into());
    let read = match format.as_str() {
        "openb" => openb_nodes,
        "migsim" => node_groups,
        _ => {
            return Err(FieldIssue::new(
                at.key("format"),
                format!("unknown node list format `{format}`; the formats are: openb, migsim"),
            ))
        }
    };
    let name = text("name", &mut entry)?.unwrap_or_else(|| "node".into());
    for key in ["count", "memory", "cpu"] {
        if entry.contains_key(key) {
            return Err(FieldIssue::new(
                at.key(key),
                format!("`{key}` comes from the node list; leave it out"),
            ));
        }
    }
    let found =
        read(&dir.join(&list)).map_err(|e| FieldIssue::new(at.key("list"), e.to_string()))?;
    Ok(found
        .into_iter()
        .map(|g| {
            // The entry's other keys (network, labels) apply to every group.
            let mut t = entry.clone();
            t.insert("name".into(), Value::String(format!("{name}-{}", g.name)));
            t.insert("count".into(), Value::Integer(g.count.into()));
            t.insert("cpu".into(), Value::Float(g.cpu));
            t.insert("memory".into(), Value::Float(g.memory_bytes));
            Value::Table(t)
        })
        .collect())
}
