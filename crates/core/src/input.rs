//! Reading data files a user gives (measurements, calibrations, traces, results), with errors
//! that name the file, the line and the field, as scenario errors have.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

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

/// Every row of the headed CSV `bytes` (read from `path`) as a `T`, with its line; a cell
/// that does not parse names its line and column.
pub fn csv_rows<T: serde::de::DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<Vec<(usize, T)>, InputError> {
    let error = |line: Option<usize>, field: Option<String>, message: String| InputError {
        file: path.to_path_buf(),
        line,
        field,
        message,
    };
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| error(Some(1), None, e.to_string()))?
        .clone();
    let mut rows = Vec::new();
    for row in csv_records(&mut reader) {
        let (line, record) = row.map_err(|(line, m)| error(Some(line), None, m))?;
        let row = record.deserialize(Some(&header)).map_err(|e| {
            let field = match e.kind() {
                csv::ErrorKind::Deserialize { err, .. } => err
                    .field()
                    .and_then(|i| header.get(i as usize))
                    .map(str::to_string),
                _ => None,
            };
            error(Some(line), field, e.to_string())
        })?;
        rows.push((line, row));
    }
    Ok(rows)
}

/// A run folder's table `name`: as written, or gzipped beside it (`NAME.gz`); the plain name
/// when neither is there, so that the error names the table asked for.
pub fn table(dir: &Path, name: &str) -> PathBuf {
    let plain = dir.join(name);
    let gz = dir.join(format!("{name}.gz"));
    if !plain.exists() && gz.exists() {
        gz
    } else {
        plain
    }
}

/// Every row of the headed CSV file at `path` (gzipped or not).
pub fn read_csv<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, InputError> {
    Ok(csv_rows(path, &read_input(path)?)?
        .into_iter()
        .map(|(_, r)| r)
        .collect())
}

/// The JSON file at `path` (gzipped or not).
pub fn read_json(path: &Path) -> Result<serde_json::Value, InputError> {
    serde_json::from_slice(&read_input(path)?).map_err(|e| InputError {
        file: path.to_path_buf(),
        line: Some(e.line()),
        field: None,
        message: e.to_string(),
    })
}

/// The input's bytes, gunzipped when they are gzip (by their magic number, not the name).
pub fn read_input(path: &Path) -> Result<Vec<u8>, InputError> {
    let fail = |m: String| InputError {
        file: path.to_path_buf(),
        line: None,
        field: None,
        message: m,
    };
    let raw = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| fail(format!("truncated or corrupt gzip: {e}")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}
