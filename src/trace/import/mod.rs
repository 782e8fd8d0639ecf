//! Importers: each reads one published trace format into a [`Trace`](crate::trace::Trace).

mod alibaba_genai;
mod dynatrace_csv;
mod series;
mod thesis_json;

use std::io::Read;
use std::path::Path;

pub use alibaba_genai::alibaba_genai;
pub use dynatrace_csv::dynatrace_csv;
pub use thesis_json::thesis_json;

use crate::input::InputError;
use crate::trace::Trace;

/// What an import made of its input, beside the trace itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    pub trace: Trace,
    /// What the import did beyond converting, each with why and how often: jobs or rows left
    /// out (an empty series, for example), values adjusted.
    pub notes: Vec<String>,
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
