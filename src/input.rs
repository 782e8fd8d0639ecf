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

/// The records of a CSV, each with its line; a malformed record gives its line and csv's
/// message instead.
pub fn csv_records<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
) -> impl Iterator<Item = Result<(usize, csv::StringRecord), (usize, String)>> + '_ {
    let line = |p: Option<&csv::Position>| p.map_or(0, |p| p.line() as usize);
    reader.records().map(move |r| match r {
        Ok(record) => Ok((line(record.position()), record)),
        Err(e) => Err((line(e.position()), e.to_string())),
    })
}
