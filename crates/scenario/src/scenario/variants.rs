//! `[variants.NAME]`: named changes to a scenario, so one file holds the policies a study
//! compares. A variant is a partial scenario merged over the file key by key (tables merge,
//! any other value replaces), applied before `--set`. An empty variant is the file itself.

use std::collections::BTreeMap;
use std::path::Path;

use toml::{Table, Value};

use crate::keypath::{KeyPath, Seg};
use crate::scenario::{Override, ScenarioError};

/// The `[variants]` table of a scenario.
pub(crate) struct Variants(BTreeMap<String, Table>);

impl Variants {
    /// Removes `[variants]` from a scenario table.
    pub(crate) fn take(root: &mut Table) -> Result<Self, String> {
        let Some(value) = root.remove("variants") else {
            return Ok(Variants(BTreeMap::new()));
        };
        let Value::Table(table) = value else {
            return Err("must be a table of named variants: [variants.NAME]".into());
        };
        let mut out = BTreeMap::new();
        for (name, v) in table {
            match v {
                Value::Table(t) => out.insert(name, t),
                other => {
                    return Err(format!(
                        "variant `{name}` must be a table of scenario keys, got a {}",
                        other.type_str()
                    ))
                }
            };
        }
        Ok(Variants(out))
    }

    /// The variant `name` as overrides, one per value it sets.
    pub(crate) fn overrides(&self, name: &str) -> Result<Vec<Override>, String> {
        let table = self.0.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.0.keys().map(String::as_str).collect();
            match known.is_empty() {
                true => format!("no variant `{name}`: the scenario has no [variants] table"),
                false => format!("no variant `{name}`; the scenario has {}", known.join(", ")),
            }
        })?;
        let mut out = Vec::new();
        flatten(name, KeyPath::root(), table, &mut out);
        Ok(out)
    }
}

fn flatten(variant: &str, at: KeyPath, table: &Table, out: &mut Vec<Override>) {
    for (key, value) in table {
        // A quoted key path reaches into arrays, as in [sweep]: "workload.generate[0].request".
        let path = match key.contains(['.', '[']) {
            true => KeyPath::parse(key).map_or_else(|_| at.key(key), |p| at.join(&p)),
            false => at.key(key),
        };
        match value {
            Value::Table(t) if !t.is_empty() => flatten(variant, path, t, out),
            v => out.push(Override {
                text: format!("variants.{variant}.{path}={v}"),
                path,
                value: v.clone(),
            }),
        }
    }
}

/// The names of a scenario file's variants, in file order.
pub fn variant_names(file: &Path) -> Result<Vec<String>, ScenarioError> {
    let fail = |m: String| ScenarioError {
        file: file.to_path_buf(),
        origin: crate::scenario::Origin::Whole,
        path: Some(KeyPath(vec![Seg::Key("variants".into())])),
        message: m,
        hint: None,
    };
    let text = std::fs::read_to_string(file).map_err(|e| fail(e.to_string()))?;
    let doc =
        toml_edit::ImDocument::parse(text.as_str()).map_err(|e| fail(e.message().to_string()))?;
    Ok(names_in(&doc))
}

/// The variant names of a parsed scenario, in file order.
pub(crate) fn names_in(doc: &toml_edit::ImDocument<&str>) -> Vec<String> {
    match doc.get("variants").and_then(|v| v.as_table_like()) {
        Some(t) => t.iter().map(|(k, _)| k.to_string()).collect(),
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_key_path_reaches_into_arrays() {
        let mut root: Table = toml::from_str(
            "[variants]\nhonest = { scheduler = { kind = \"conservative\" }, \"workload.generate[0].request\" = \"peak\" }",
        )
        .unwrap();
        let overrides = Variants::take(&mut root)
            .unwrap()
            .overrides("honest")
            .unwrap();
        let paths: Vec<String> = overrides.iter().map(|o| o.path.to_string()).collect();
        assert_eq!(paths, ["scheduler.kind", "workload.generate[0].request"]);
    }
}
