//! `[sweep]`: the grid a study runs. Each key is an axis: a key path of the scenario (or
//! `variant`, the scenario's `[variants]` entries) with a list or a range of values; `seeds`
//! says how often each grid point runs. The grid is the cartesian product of the axes, the
//! first axis varying slowest, in file order.
//!
//! ```toml
//! [sweep]
//! variant = ["none", "optimal"]          # or "all"
//! "nodes[0].memory" = ["400GiB", "450GiB"]
//! controller.threshold = { from = 0.3, to = 0.6, step = 0.1 }
//! seeds = 20                             # 1..=20, or a list [3, 7, 11]
//! ```

use std::path::Path;

use serde::Serialize;
use toml::{Table, Value};
use toml_edit::ImDocument;

use crate::keypath::KeyPath;
use crate::locate::{line_col, locate};
use crate::scenario::range::expand_range;
use crate::scenario::variants::names_in;
use crate::scenario::{Origin, Override, ScenarioError};

/// The axis that picks a `[variants]` entry rather than setting a key.
pub const VARIANT_AXIS: &str = "variant";

/// A grid of scenario changes and the seeds each grid point runs with.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepSpec {
    pub axes: Vec<Axis>,
    pub seeds: Vec<u64>,
}

/// One dimension of the grid.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Axis {
    /// `variant`, or the key path the values are written to.
    pub name: String,
    pub values: Vec<Value>,
}

impl Axis {
    /// From `--vary PATH=VALUES`: a list, a range table, or one value.
    pub fn parse(text: &str) -> Result<Axis, String> {
        let o = Override::parse(text).map_err(|e| e.replace("--set", "--vary"))?;
        let name = o.path.to_string();
        let values =
            axis_values(&name, bare_list(o.value)).map_err(|e| format!("--vary `{text}`: {e}"))?;
        Ok(Axis { name, values })
    }

    pub fn is_variant(&self) -> bool {
        self.name == VARIANT_AXIS
    }
}

/// `[best-fit, worst-fit]` is not TOML (the names lack quotes) but plainly a list: its items
/// are read as `--set` reads values.
fn bare_list(value: Value) -> Value {
    match value
        .as_str()
        .and_then(|s| s.strip_prefix('[')?.strip_suffix(']'))
    {
        Some(items) => Value::Array(
            items
                .split(',')
                .map(|item| {
                    Override::parse(&format!("v={item}"))
                        .expect("has a =")
                        .value
                })
                .collect(),
        ),
        None => value,
    }
}

/// The text of a value as a table cell or a label: strings bare, the rest as TOML.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl SweepSpec {
    /// Grid points, each the index of its value on every axis; the last axis varies fastest.
    pub fn points(&self) -> Vec<Vec<usize>> {
        self.axes.iter().fold(vec![Vec::new()], |points, axis| {
            points
                .iter()
                .flat_map(|p| {
                    (0..axis.values.len()).map(move |i| {
                        let mut next = p.clone();
                        next.push(i);
                        next
                    })
                })
                .collect()
        })
    }

    /// The variant a grid point names and the overrides that make the rest of it.
    pub fn changes(&self, point: &[usize]) -> (Option<String>, Vec<Override>) {
        let mut variant = None;
        let mut overrides = Vec::new();
        for (axis, &i) in self.axes.iter().zip(point) {
            let value = &axis.values[i];
            if axis.is_variant() {
                variant = Some(value_text(value));
                continue;
            }
            overrides.push(Override {
                path: KeyPath::parse(&axis.name).expect("axis names are parsed paths"),
                value: value.clone(),
                text: format!("sweep.{}={value}", axis.name),
            });
        }
        (variant, overrides)
    }

    /// The axis values of a grid point, as text.
    pub fn labels(&self, point: &[usize]) -> Vec<String> {
        self.axes
            .iter()
            .zip(point)
            .map(|(a, &i)| value_text(&a.values[i]))
            .collect()
    }

    /// Replaces the axis of the same name, or adds one.
    pub fn set_axis(&mut self, axis: Axis) {
        match self.axes.iter_mut().find(|a| a.name == axis.name) {
            Some(old) => *old = axis,
            None => self.axes.push(axis),
        }
    }
}

/// Reads the `[sweep]` table of a scenario's text; `None` when it has none.
pub fn read_sweep(text: &str, file: &Path) -> Result<Option<SweepSpec>, ScenarioError> {
    let fail = |path: KeyPath, message: String, doc: Option<&ImDocument<&str>>| ScenarioError {
        file: file.to_path_buf(),
        origin: doc
            .and_then(|d| locate(d, &path))
            .map_or(Origin::Whole, |(line, column)| Origin::File {
                line,
                column,
            }),
        path: Some(path),
        message,
        hint: None,
    };
    let doc = ImDocument::parse(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        ScenarioError {
            origin: Origin::File { line, column },
            ..fail(
                KeyPath::root(),
                format!("invalid TOML: {}", e.message().trim()),
                None,
            )
        }
    })?;
    let mut root: Table = toml::from_str(text).map_err(|e| {
        fail(
            KeyPath::root(),
            format!("invalid TOML: {}", e.message()),
            None,
        )
    })?;
    let at = KeyPath::root().key("sweep");
    let Some(sweep) = root.remove("sweep") else {
        return Ok(None);
    };
    let Value::Table(sweep) = sweep else {
        return Err(fail(at, "must be a table: [sweep]".into(), Some(&doc)));
    };
    let variants = names_in(&doc);
    let mut spec = SweepSpec {
        axes: Vec::new(),
        seeds: vec![1],
    };
    let mut leaves = Vec::new();
    flatten(&at, &KeyPath::root(), sweep, &mut leaves);
    for (place, path, value) in leaves {
        let name = path.to_string();
        let parsed = match name.as_str() {
            "seeds" => seeds(value).map(|s| spec.seeds = s),
            VARIANT_AXIS => variant_axis(value, &variants).map(|a| spec.axes.push(a)),
            _ => axis(&name, value).map(|a| spec.axes.push(a)),
        };
        parsed.map_err(|m| fail(place, m, Some(&doc)))?;
    }
    Ok(Some(spec))
}

/// The leaves of the sweep table: where each sits in the file, the scenario path it names,
/// and its value. A table is an axis when it is a range (`{ from, to, ... }`); any other table
/// holds more key paths.
fn flatten(
    place: &KeyPath,
    path: &KeyPath,
    table: Table,
    out: &mut Vec<(KeyPath, KeyPath, Value)>,
) {
    for (key, value) in table {
        // A quoted key may hold a whole path: "nodes[0].memory".
        let here = match KeyPath::parse(&key) {
            Ok(p) => path.join(&p),
            Err(_) => path.key(&key),
        };
        match value {
            Value::Table(t) if !t.contains_key("from") => flatten(&place.key(&key), &here, t, out),
            v => out.push((place.key(&key), here, v)),
        }
    }
}

fn axis(name: &str, value: Value) -> Result<Axis, String> {
    if name == "simulation.seed" {
        return Err("seeds are swept with `seeds = N` or `seeds = [..]`".into());
    }
    KeyPath::parse(name)?;
    Ok(Axis {
        name: name.to_string(),
        values: axis_values(name, value)?,
    })
}

/// The values of one axis: a list, a range table, or a single value (an axis of one).
fn axis_values(name: &str, value: Value) -> Result<Vec<Value>, String> {
    let values = match value {
        Value::Array(a) => a,
        Value::Table(t) => expand_range(t)?,
        v => vec![v],
    };
    if values.is_empty() {
        return Err(format!("`{name}` has no values"));
    }
    if let Some(dup) = values
        .iter()
        .enumerate()
        .find(|(i, v)| values[..*i].contains(v))
    {
        return Err(format!(
            "`{}` appears twice: every value is one grid point",
            dup.1
        ));
    }
    Ok(values)
}

/// A `--vary variant=...` axis checked against the scenario's variants, `all` expanded.
pub fn resolve_variant_axis(axis: Axis, known: &[String]) -> Result<Axis, String> {
    let value = match axis.values.as_slice() {
        [one] if one.as_str() == Some("all") => one.clone(),
        _ => Value::Array(axis.values),
    };
    variant_axis(value, known)
}

fn variant_axis(value: Value, known: &[String]) -> Result<Axis, String> {
    if known.is_empty() {
        return Err("the scenario has no [variants] table to sweep over".into());
    }
    let names: Vec<Value> = match value {
        Value::String(s) if s == "all" => known.iter().cloned().map(Value::String).collect(),
        Value::Array(a) => a,
        other => {
            return Err(format!(
                "expected \"all\" or a list of variant names, got {other}"
            ))
        }
    };
    for n in &names {
        match n.as_str() {
            Some(s) if known.iter().any(|k| k == s) => {}
            _ => {
                return Err(format!(
                    "no variant {n}; the scenario has {}",
                    known.join(", ")
                ))
            }
        }
    }
    axis_values(VARIANT_AXIS, Value::Array(names)).map(|values| Axis {
        name: VARIANT_AXIS.into(),
        values,
    })
}

/// `seeds = N` (1..=N), a list, or `{ from, to }`.
pub fn seeds(value: Value) -> Result<Vec<u64>, String> {
    let as_seed = |v: &Value| -> Result<u64, String> {
        v.as_integer()
            .and_then(|i| u64::try_from(i).ok())
            .ok_or_else(|| format!("a seed must be a non-negative integer, got {v}"))
    };
    let seeds: Vec<u64> = match &value {
        Value::Integer(n) if *n > 1_000_000 => {
            return Err(format!("seeds = {n} is too many (at most a million)"))
        }
        Value::Integer(n) if *n >= 1 => (1..=*n as u64).collect(),
        Value::Integer(n) => return Err(format!("seeds = {n}: at least one seed is needed")),
        Value::Array(a) => a.iter().map(as_seed).collect::<Result<_, _>>()?,
        Value::Table(t) => expand_range(t.clone())?
            .iter()
            .map(as_seed)
            .collect::<Result<_, _>>()?,
        other => {
            return Err(format!(
                "expected a count, a list of seeds or {{ from, to }}, got {other}"
            ))
        }
    };
    if seeds.is_empty() {
        return Err("at least one seed is needed".into());
    }
    if let Some(dup) = seeds
        .iter()
        .enumerate()
        .find(|(i, s)| seeds[..*i].contains(s))
    {
        return Err(format!("seed {} appears twice", dup.1));
    }
    Ok(seeds)
}

/// Seeds as a command line gives them: `N` (1..=N), a range `A..B` (both included) or a list
/// `a,b,c`; checked as [`seeds`] checks a file's.
pub fn parse_seeds(text: &str) -> Result<Vec<u64>, String> {
    let number = |s: &str| -> Result<i64, String> {
        s.trim()
            .parse::<i64>()
            .map_err(|_| format!("`{s}` is not a seed: give N, A..B or a,b,c"))
    };
    let value = if let Some((a, b)) = text.split_once("..") {
        let (from, to) = (number(a)?, number(b)?);
        if to < from {
            return Err(format!("{text}: the range ends before it starts"));
        }
        if to - from >= 1_000_000 {
            return Err(format!("{text} is too many seeds (at most a million)"));
        }
        Value::Array((from..=to).map(Value::Integer).collect())
    } else if text.contains(',') {
        Value::Array(
            text.split(',')
                .map(|s| number(s).map(Value::Integer))
                .collect::<Result<_, _>>()?,
        )
    } else {
        Value::Integer(number(text)?)
    };
    seeds(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_from_the_command_line_are_a_count_a_range_or_a_list() {
        assert_eq!(parse_seeds("3"), Ok(vec![1, 2, 3]));
        assert_eq!(parse_seeds("101..104"), Ok(vec![101, 102, 103, 104]));
        assert_eq!(parse_seeds("1,5,9"), Ok(vec![1, 5, 9]));
        assert_eq!(parse_seeds("7..7"), Ok(vec![7]));
        for (bad, says) in [
            ("5..2", "ends before it starts"),
            ("1,x", "`x` is not a seed"),
            ("1,1", "seed 1 appears twice"),
            ("0", "at least one seed"),
            ("-3..2", "non-negative"),
            ("1..2000000", "too many"),
        ] {
            let e = parse_seeds(bad).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }

    fn read(text: &str) -> Result<SweepSpec, String> {
        read_sweep(text, Path::new("s.toml"))
            .map(|s| s.expect("has a sweep"))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn axes_in_file_order_and_the_grid_is_their_product() {
        let s = read(
            "[variants]\na = {}\nb = {}\n[sweep]\nseeds = 3\nvariant = \"all\"\n\
             \"nodes[0].memory\" = [\"1GiB\", \"2GiB\"]\ncontroller.threshold = { from = 0.3, to = 0.5, step = 0.1 }",
        )
        .unwrap();
        let names: Vec<&str> = s.axes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            ["variant", "nodes[0].memory", "controller.threshold"]
        );
        assert_eq!(s.seeds, [1, 2, 3]);
        assert_eq!(
            s.axes[2].values,
            [Value::Float(0.3), Value::Float(0.4), Value::Float(0.5)]
        );
        let points = s.points();
        assert_eq!(points.len(), 2 * 2 * 3);
        assert_eq!(points[0], [0, 0, 0]);
        assert_eq!(points[1], [0, 0, 1]);
        assert_eq!(points[11], [1, 1, 2]);
        let (variant, sets) = s.changes(&points[11]);
        assert_eq!(variant.as_deref(), Some("b"));
        assert_eq!(sets[0].text, "sweep.nodes[0].memory=\"2GiB\"");
        assert_eq!(sets[1].path.to_string(), "controller.threshold");
        assert_eq!(s.labels(&points[11]), ["b", "2GiB", "0.5"]);
    }

    #[test]
    fn no_sweep_table_is_none() {
        assert_eq!(read_sweep("a = 1", Path::new("s.toml")).unwrap(), None);
    }

    #[test]
    fn mistakes_name_the_line_and_the_key() {
        let e = read("[sweep]\nseeds = 0").unwrap_err();
        assert!(e.starts_with("s.toml:2:1: sweep.seeds: "), "{e}");
        let e = read("[variants]\na = {}\n[sweep]\nvariant = [\"a\", \"z\"]").unwrap_err();
        assert!(
            e.contains("s.toml:4:1: sweep.variant: no variant \"z\""),
            "{e}"
        );
        let e = read("[sweep]\nvariant = \"all\"").unwrap_err();
        assert!(e.contains("no [variants] table"), "{e}");
        let e = read("[sweep]\nx.y = []").unwrap_err();
        assert!(
            e.contains("s.toml:2:3: sweep.x.y: `x.y` has no values"),
            "{e}"
        );
        let e = read("[sweep]\nx = [1, 2, 1]").unwrap_err();
        assert!(e.contains("`1` appears twice"), "{e}");
        let e = read("[sweep]\nseeds = [1, -2]").unwrap_err();
        assert!(e.contains("non-negative integer, got -2"), "{e}");
        let e = read("[sweep]\n\"simulation.seed\" = [1, 2]").unwrap_err();
        assert!(e.contains("seeds = N"), "{e}");
    }

    #[test]
    fn vary_flags_parse_lists_ranges_and_single_values() {
        let a = Axis::parse("nodes[0].count=[2, 3]").unwrap();
        assert_eq!(a.name, "nodes[0].count");
        assert_eq!(a.values, [Value::Integer(2), Value::Integer(3)]);
        let a = Axis::parse("x={ from = 1, to = 7, step = 3 }").unwrap();
        assert_eq!(a.values, [1, 4, 7].map(Value::Integer));
        assert_eq!(
            Axis::parse("scheduler.placement=best-fit").unwrap().values,
            [Value::String("best-fit".into())]
        );
        assert!(Axis::parse("x").unwrap_err().contains("--vary"));
        assert_eq!(
            Axis::parse("variant=[none, big-enough, 3]").unwrap().values,
            [
                Value::String("none".into()),
                Value::String("big-enough".into()),
                Value::Integer(3)
            ]
        );
    }
}
