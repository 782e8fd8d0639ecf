use std::path::{Path, PathBuf};

use serde_path_to_error::Segment;
use toml_edit::ImDocument;

use crate::engine::RngStreams;
use crate::keypath::{KeyPath, Seg};
use crate::locate::{line_col, locate};
use crate::scenario::inner_key::inner_key;
use crate::scenario::node_list::expand_node_lists;
use crate::scenario::suggest::explain_unknown;
use crate::scenario::variants::Variants;
use crate::scenario::{Origin, Override, ScenarioError, ScenarioSpec};
use crate::workload::{generate, JobSpec};

/// A scenario that parsed and passed every check, with its jobs drawn from its seed.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub file: PathBuf,
    /// The `[variants]` entry applied, if any.
    pub variant: Option<String>,
    pub spec: ScenarioSpec,
    pub jobs: Vec<JobSpec>,
}

impl Scenario {
    pub fn name(&self) -> String {
        self.spec.simulation.name.clone().unwrap_or_else(|| {
            self.file
                .file_stem()
                .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
        })
    }
}

/// Reads, overrides and checks a scenario file.
pub fn load(file: &Path, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    load_variant(file, None, overrides)
}

/// As [`load`], with the scenario's `[variants.NAME]` table applied before `overrides`.
pub fn load_variant(
    file: &Path,
    variant: Option<&str>,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    load_variant_str(&read_text(file)?, file, variant, overrides)
}

/// A scenario file's text.
pub fn read_text(file: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(file).map_err(|e| ScenarioError {
        file: file.to_path_buf(),
        origin: Origin::Whole,
        path: None,
        message: format!("cannot read the scenario: {e}"),
        hint: (e.kind() == std::io::ErrorKind::NotFound)
            .then(|| "check the path; the shipped examples are in scenarios/".into()),
    })
}

/// As [`load`], from text already read; `file` names it in messages.
pub fn load_str(
    text: &str,
    file: &Path,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    load_variant_str(text, file, None, overrides)
}

/// As [`load_variant`], from text already read.
pub fn load_variant_str(
    text: &str,
    file: &Path,
    variant: Option<&str>,
    overrides: &[Override],
) -> Result<Scenario, ScenarioError> {
    let ctx = Context {
        file,
        overrides,
        doc: None,
    };
    let doc = ImDocument::parse(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
        ctx.error(
            Origin::File { line, column },
            None,
            format!("invalid TOML: {}", e.message().trim()),
            None,
        )
    })?;
    let ctx = Context {
        doc: Some(&doc),
        ..ctx
    };
    let mut table: toml::Table = toml::from_str(text)
        .map_err(|e| ctx.at(KeyPath::root(), format!("invalid TOML: {}", e.message())))?;
    // One run ignores the grid; `migsim sweep` reads it with `read_sweep`.
    table.remove("sweep");
    let variants =
        Variants::take(&mut table).map_err(|m| ctx.at(KeyPath::root().key("variants"), m))?;
    let mut all = match variant {
        Some(name) => variants.overrides(name).map_err(|m| {
            ctx.error(
                Origin::Whole,
                Some(KeyPath::root().key("variants")),
                m,
                None,
            )
        })?,
        None => Vec::new(),
    };
    all.extend_from_slice(overrides);
    let ctx = Context {
        overrides: &all,
        ..ctx
    };
    for o in ctx.overrides {
        o.apply(&mut table).map_err(|m| {
            ctx.error(
                Origin::Override(o.text.clone()),
                Some(o.path.clone()),
                m,
                None,
            )
        })?;
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    expand_node_lists(&mut table, dir).map_err(|issue| ctx.at(issue.path, issue.message))?;
    let value = toml::Value::Table(table);
    let mut spec: ScenarioSpec = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let mut path = key_path(e.path());
        let raw = e.inner().message().to_string();
        if let Some(key) = inner_key(&value, &path, &raw) {
            path = path.key(&key);
        }
        match explain_unknown(&raw) {
            Some((message, hint)) => ctx.at_with_hint(path, message, hint),
            None => ctx.at(path, raw),
        }
    })?;
    spec.check()
        .map_err(|issue| ctx.at(issue.path, issue.message))?;
    spec.migration
        .read_calibration(dir, &KeyPath::root().key("migration"))
        .map_err(|issue| ctx.at(issue.path, issue.message))?;
    spec.migration.resolve();
    spec.workload
        .read_traces(
            dir,
            &KeyPath::root().key("workload"),
            &|format, path, limit| {
                crate::trace::import::import(format, path, limit).map(|i| i.trace)
            },
        )
        .map_err(|issue| ctx.at(issue.path, issue.message))?;
    let jobs = generate(&spec.workload, &RngStreams::new(spec.simulation.seed))
        .map_err(|issue| ctx.at(issue.path, issue.message))?;
    Ok(Scenario {
        file: file.to_path_buf(),
        variant: variant.map(str::to_string),
        spec,
        jobs,
    })
}

struct Context<'a> {
    file: &'a Path,
    overrides: &'a [Override],
    doc: Option<&'a ImDocument<&'a str>>,
}

impl Context<'_> {
    fn error(
        &self,
        origin: Origin,
        path: Option<KeyPath>,
        message: String,
        hint: Option<String>,
    ) -> ScenarioError {
        ScenarioError {
            file: self.file.to_path_buf(),
            origin,
            path,
            message,
            hint,
        }
    }

    fn at(&self, path: KeyPath, message: String) -> ScenarioError {
        self.at_with_hint(path, message, None)
    }

    /// Blames a `--set` whose value holds `path`, else the file position of `path`.
    fn at_with_hint(&self, path: KeyPath, message: String, hint: Option<String>) -> ScenarioError {
        let origin = match self
            .overrides
            .iter()
            .rev()
            .find(|o| path.starts_with(&o.path))
        {
            Some(o) => Origin::Override(o.text.clone()),
            None => match self.doc.and_then(|d| locate(d, &path)) {
                Some((line, column)) => Origin::File { line, column },
                None => Origin::Whole,
            },
        };
        self.error(origin, Some(path), message, hint)
    }
}

fn key_path(path: &serde_path_to_error::Path) -> KeyPath {
    KeyPath(
        path.iter()
            .filter_map(|seg| match seg {
                Segment::Map { key } => Some(Seg::Key(key.clone())),
                Segment::Seq { index } => Some(Seg::Index(*index)),
                _ => None,
            })
            .collect(),
    )
}
