//! Errors in data files a user gives (measurements, calibrations, traces): the file, the line
//! and the field, as scenario errors have.

use std::fmt;
use std::path::PathBuf;

/// Why an input could not be read: the file, the line and the field.
#[derive(Debug)]
pub struct InputError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for InputError {}
