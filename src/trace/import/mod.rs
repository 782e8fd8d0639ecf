//! Importers: each reads one published trace format into a [`Trace`](crate::trace::Trace).

mod dynatrace_csv;
mod series;
mod thesis_json;

use std::io::Read;
use std::path::Path;

pub use dynatrace_csv::dynatrace_csv;
pub use thesis_json::thesis_json;

use crate::input::InputError;
use crate::trace::Trace;

/// What an import made of its input, beside the trace itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    pub trace: Trace,
    /// Jobs left out, each with why (an empty series, for example).
    pub dropped: Vec<String>,
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
