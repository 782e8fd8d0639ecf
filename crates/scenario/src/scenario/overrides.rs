//! `--set path.to.key=value`: changes a scenario value from the command line, so that sweeps
//! and quick experiments need no copy of the file.

use toml::{Table, Value};

use crate::keypath::{KeyPath, Seg};

#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    pub path: KeyPath,
    pub value: Value,
    /// As the user wrote it, for messages.
    pub text: String,
}

impl Override {
    /// Parses `key.path=value`. The value is read as TOML (`4`, `0.5`, `true`, `"x"`,
    /// `[1, 2]`, `{ dist = "uniform", min = 1, max = 2 }`); anything that is not TOML is taken
    /// as a plain string, so `--set scheduler.placement=best-fit` needs no quotes.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (path, raw) = text
            .split_once('=')
            .ok_or_else(|| format!("--set `{text}`: expected path.to.key=value"))?;
        let path = KeyPath::parse(path.trim()).map_err(|e| format!("--set `{text}`: {e}"))?;
        let raw = raw.trim();
        let value = toml::from_str::<Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or_else(|| Value::String(raw.to_string()));
        Ok(Override {
            path,
            value,
            text: text.to_string(),
        })
    }

    /// Writes the value into `root`, creating missing tables on the way.
    pub fn apply(&self, root: &mut Table) -> Result<(), String> {
        let from_file = ["variants.", "sweep."]
            .iter()
            .any(|p| self.text.starts_with(p));
        let fail = |why: String| match from_file {
            true => Err(format!("`{}`: {why}", self.text)),
            false => Err(format!("--set `{}`: {why}", self.text)),
        };
        let (last, parents) = self
            .path
            .0
            .split_last()
            .expect("a parsed path is never empty");
        let mut here = Slot::Table(root);
        for (depth, seg) in parents.iter().enumerate() {
            let next_is_index = matches!(self.path.0[depth + 1], Seg::Index(_));
            here = match here.child(seg, next_is_index) {
                Ok(s) => s,
                Err(why) => return fail(why),
            };
        }
        match (here, last) {
            (Slot::Table(t), Seg::Key(k)) => {
                t.insert(k.clone(), self.value.clone());
                Ok(())
            }
            (Slot::Array(a), Seg::Index(i)) if *i < a.len() => {
                a[*i] = self.value.clone();
                Ok(())
            }
            (Slot::Array(a), Seg::Index(i)) => fail(format!(
                "index {i} is out of range: there are {} entries",
                a.len()
            )),
            _ => fail("the path does not match the scenario's structure".into()),
        }
    }
}

enum Slot<'a> {
    Table(&'a mut Table),
    Array(&'a mut Vec<Value>),
}

impl<'a> Slot<'a> {
    fn child(self, seg: &Seg, want_array: bool) -> Result<Slot<'a>, String> {
        let value = match (self, seg) {
            (Slot::Table(t), Seg::Key(k)) => {
                t.entry(k.clone()).or_insert_with(|| match want_array {
                    true => Value::Array(Vec::new()),
                    false => Value::Table(Table::new()),
                })
            }
            (Slot::Array(a), Seg::Index(i)) => {
                let len = a.len();
                a.get_mut(*i)
                    .ok_or_else(|| format!("index {i} is out of range: there are {len} entries"))?
            }
            (_, seg) => {
                return Err(format!(
                    "`{}` does not match the scenario's structure",
                    seg_text(seg)
                ))
            }
        };
        match value {
            Value::Table(t) => Ok(Slot::Table(t)),
            Value::Array(a) => Ok(Slot::Array(a)),
            other => Err(format!("cannot set inside a {}", other.type_str())),
        }
    }
}

fn seg_text(seg: &Seg) -> String {
    match seg {
        Seg::Key(k) => k.clone(),
        Seg::Index(i) => format!("[{i}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(src: &str, set: &str) -> Result<Table, String> {
        let mut t: Table = toml::from_str(src).unwrap();
        Override::parse(set)?.apply(&mut t)?;
        Ok(t)
    }

    #[test]
    fn sets_values_of_every_kind() {
        let t = apply("[simulation]\nseed = 1", "simulation.seed=7").unwrap();
        assert_eq!(t["simulation"]["seed"].as_integer(), Some(7));
        let t = apply("[scheduler]", "scheduler.placement=best-fit").unwrap();
        assert_eq!(t["scheduler"]["placement"].as_str(), Some("best-fit"));
        let t = apply(
            "[[nodes]]\ncount = 1\n[[nodes]]\ncount = 2",
            "nodes[1].count=5",
        )
        .unwrap();
        assert_eq!(t["nodes"][1]["count"].as_integer(), Some(5));
        let t = apply("", "unscheduler.threshold=0.8").unwrap();
        assert_eq!(t["unscheduler"]["threshold"].as_float(), Some(0.8));
    }

    #[test]
    fn bad_paths_say_why() {
        assert!(apply("[[nodes]]\ncount = 1", "nodes[3].count=5")
            .unwrap_err()
            .contains("out of range"));
        assert!(apply("a = 1", "a.b=2")
            .unwrap_err()
            .contains("inside a integer"));
        assert!(Override::parse("novalue")
            .unwrap_err()
            .contains("path.to.key=value"));
    }
}
