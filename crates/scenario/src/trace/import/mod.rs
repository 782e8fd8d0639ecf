//! Importers: each reads one published trace format into a [`Trace`](crate::trace::Trace).

mod alibaba_genai;
mod bitbrains;
pub mod cluster;
mod dynatrace_csv;
mod openb;
mod series;
mod thesis_json;

use std::path::Path;

pub use alibaba_genai::alibaba_genai;
pub use bitbrains::bitbrains;
pub use dynatrace_csv::dynatrace_csv;
pub use openb::{openb_nodes, openb_pods, NodeGroup};
pub use thesis_json::thesis_json;

use crate::input::InputError;
use crate::trace::{Format, Trace};

/// Reads `path` in `format`. `limit` is each container's memory limit, for formats that give
/// fractions of it; such a format without one is an error.
pub fn import(format: Format, path: &Path, limit: Option<f64>) -> Result<Imported, InputError> {
    match format {
        Format::Migsim => Ok(Imported {
            trace: Trace::read(path)?,
            notes: Vec::new(),
        }),
        Format::ThesisJson => thesis_json(path),
        Format::DynatraceCsv => dynatrace_csv(path),
        Format::AlibabaGenai => {
            let limit = limit.ok_or_else(|| InputError {
                file: path.to_path_buf(),
                line: None,
                field: None,
                message: "the alibaba-genai format needs a limit: the trace gives memory as a fraction of each container's limit, and no limits".into(),
            })?;
            alibaba_genai(path, limit)
        }
        Format::OpenbPods => openb_pods(path),
        Format::Bitbrains => bitbrains(path),
        Format::Google2019 | Format::Google2011 | Format::Alibaba2018 => {
            cluster_in_memory(format, path)
        }
    }
}

/// A cluster trace read whole, with the import's defaults (a scenario or `trace fit` naming
/// the published files): imported through a temporary folder and read back.
fn cluster_in_memory(format: Format, path: &Path) -> Result<Imported, InputError> {
    let format = cluster_format(format).expect("a cluster format");
    let dir = tempfile::tempdir().map_err(|e| cluster::whole(path, e.to_string()))?;
    let out = dir.path().join("trace.csv");
    let options = cluster::Options::default();
    let report =
        cluster::import_cluster(format, &[path.to_path_buf()], &options, &out, &mut |_| {})?;
    Ok(Imported {
        trace: Trace::read(&out)?,
        notes: report.notes,
    })
}

/// The streaming importer of `format`, if it is one of the cluster traces.
pub fn cluster_format(format: Format) -> Option<cluster::ClusterFormat> {
    match format {
        Format::Google2019 => Some(cluster::ClusterFormat::Google2019),
        Format::Google2011 => Some(cluster::ClusterFormat::Google2011),
        Format::Alibaba2018 => Some(cluster::ClusterFormat::Alibaba2018),
        _ => None,
    }
}

/// What an import made of its input, beside the trace itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    pub trace: Trace,
    /// What the import did beyond converting, each with why and how often: jobs or rows left
    /// out (an empty series, for example), values adjusted.
    pub notes: Vec<String>,
}
