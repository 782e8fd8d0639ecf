use std::fmt;
use std::path::PathBuf;

use crate::keypath::KeyPath;

/// Where a bad value came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    /// 1-based line and column in the scenario file.
    File { line: usize, column: usize },
    /// A `--set key=value` on the command line.
    Override(String),
    /// Not tied to one place (the file could not be read).
    Whole,
}

/// A scenario that cannot be used, and what to do about it.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError {
    pub file: PathBuf,
    pub origin: Origin,
    pub path: Option<KeyPath>,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        match &self.origin {
            Origin::File { line, column } => write!(f, ":{line}:{column}")?,
            // Variants, sweep axes and `--vary` say where they come from; a bare path is a --set.
            Origin::Override(set)
                if ["variants.", "sweep.", "--"]
                    .iter()
                    .any(|p| set.starts_with(p)) =>
            {
                write!(f, " (from {set})")?
            }
            Origin::Override(set) => write!(f, " (from --set {set})")?,
            Origin::Whole => {}
        }
        f.write_str(": ")?;
        if let Some(path) = self.path.as_ref().filter(|p| !p.0.is_empty()) {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  help: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
