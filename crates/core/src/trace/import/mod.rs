//! Importers: each reads one published trace format into a [`Trace`](crate::trace::Trace).

mod alibaba_genai;
mod bitbrains;
mod dynatrace_csv;
mod openb;
mod series;
mod thesis_json;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use alibaba_genai::alibaba_genai;
pub use bitbrains::bitbrains;
pub use dynatrace_csv::dynatrace_csv;
pub use openb::{openb_nodes, openb_pods, NodeGroup};
pub use thesis_json::thesis_json;

use crate::input::InputError;
use crate::trace::Trace;

/// The trace formats migsim reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// migsim's own format (NAME.csv with NAME.jobs.csv beside it).
    Migsim,
    /// The thesis's pod export: `elchead-pods.json.gz`.
    ThesisJson,
    /// A Dynatrace wide CSV: `elchead-pods11-05-8to12.csv`.
    DynatraceCsv,
    /// Alibaba GenAI `pod_memory_util` (fractions of a limit: give the limit).
    AlibabaGenai,
    /// Alibaba cluster-trace-gpu-v2023 pod list: arrivals, lifetimes, requests.
    OpenbPods,
    /// Bitbrains GWA-T-12: a .tar.gz (or folder, or file) of per-VM `;`-separated CSVs.
    Bitbrains,
}

impl Format {
    pub const ALL: [Format; 6] = [
        Format::Migsim,
        Format::ThesisJson,
        Format::DynatraceCsv,
        Format::AlibabaGenai,
        Format::OpenbPods,
        Format::Bitbrains,
    ];

    /// Its name in scenario files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Migsim => "migsim",
            Format::ThesisJson => "thesis-json",
            Format::DynatraceCsv => "dynatrace-csv",
            Format::AlibabaGenai => "alibaba-genai",
            Format::OpenbPods => "openb-pods",
            Format::Bitbrains => "bitbrains",
        }
    }

    /// What it reads.
    pub fn about(self) -> &'static str {
        match self {
            Format::Migsim => "migsim's own format (NAME.csv with NAME.jobs.csv beside it)",
            Format::ThesisJson => "the thesis's pod export: elchead-pods.json.gz",
            Format::DynatraceCsv => "a Dynatrace wide CSV: elchead-pods11-05-8to12.csv",
            Format::AlibabaGenai => {
                "Alibaba GenAI pod_memory_util (fractions of a limit: give the limit)"
            }
            Format::OpenbPods => {
                "Alibaba cluster-trace-gpu-v2023 pod list: arrivals, lifetimes, requests"
            }
            Format::Bitbrains => {
                "Bitbrains GWA-T-12: a .tar.gz (or folder, or file) of per-VM ;-separated CSVs"
            }
        }
    }
}

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

#[cfg(test)]
mod format_tests {
    use super::Format;

    #[test]
    fn every_format_is_named_as_scenario_files_spell_it() {
        for f in Format::ALL {
            let spelled = serde_json::to_string(&f).unwrap();
            assert_eq!(spelled, format!("\"{}\"", f.name()));
        }
    }
}
