//! Measured durations, one per run and phase, read from any of the inputs `migsim calibrate fit`
//! takes: the CSV `migsim calibrate measure` writes, a generic CSV (`memory_bytes,phase,seconds`)
//! and the UMS project's JSON.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::input::csv_records;
pub use crate::input::InputError;
use crate::migration::calibration::ums::{UmsRun, UMS_LINK};

/// A step of a migration that can be timed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Everything before the job freezes (creating the target container); a fixed cost.
    Setup,
    /// `criu dump` to local disk (`checkpoint` in a CSV means the same).
    Dump,
    /// `criu dump --page-server`: checkpoint and transfer overlapped.
    Stream,
    /// Copying the dumped images to the target over the network, after the dump.
    Transfer,
    /// `criu restore` from the images.
    Restore,
    /// `criu pre-dump`: a live copy while the job runs (needs soft-dirty tracking).
    PreDump,
    /// `criu restore --lazy-pages`: until the job runs again on the target.
    LazyRestore,
    /// Post-copy's frozen part, whole: from the freeze (a dump without memory) until the job
    /// runs again on the target.
    Handoff,
    /// From the job's running again on the target after a lazy restore until
    /// `criu lazy-pages` has pulled every page.
    LazyPull,
    /// How long the job stood frozen in a whole migration.
    Downtime,
    /// A whole migration, measured end to end.
    Total,
}

impl Phase {
    pub const ALL: [Phase; 11] = [
        Phase::Setup,
        Phase::Dump,
        Phase::Stream,
        Phase::Transfer,
        Phase::Restore,
        Phase::PreDump,
        Phase::LazyRestore,
        Phase::Handoff,
        Phase::LazyPull,
        Phase::Downtime,
        Phase::Total,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Dump => "dump",
            Phase::Stream => "stream",
            Phase::Transfer => "transfer",
            Phase::Restore => "restore",
            Phase::PreDump => "pre_dump",
            Phase::LazyRestore => "lazy_restore",
            Phase::Handoff => "handoff",
            Phase::LazyPull => "lazy_pull",
            Phase::Downtime => "downtime",
            Phase::Total => "total",
        }
    }

    pub fn parse(s: &str) -> Result<Phase, String> {
        match s {
            // What papers call CRIU's dump.
            "checkpoint" => Ok(Phase::Dump),
            _ => crate::tagged::one_of("phase", s, &Phase::ALL, Phase::as_str)
                .map_err(|m| format!("{m} (and checkpoint, the same as dump)")),
        }
    }

    /// A whole migration's figure rather than one step's.
    pub fn is_whole(self) -> bool {
        matches!(self, Phase::Downtime | Phase::Total)
    }
}

#[cfg(test)]
impl Sample {
    /// A sample at a nominal size equal to its memory, in MiB.
    pub fn at_mib(phase: Phase, mib: f64, seconds: f64) -> Sample {
        let b = mib * 1048576.0;
        Sample {
            phase,
            size: b,
            memory_bytes: b,
            seconds,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One timed phase of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub phase: Phase,
    /// The nominal size of the run (what residuals are grouped by).
    pub size: f64,
    /// The process's actual memory, the fit's x.
    pub memory_bytes: f64,
    pub seconds: f64,
}

/// The samples of one input file, and the link its streamed transfers crossed.
#[derive(Clone, Debug)]
pub struct Input {
    pub path: PathBuf,
    pub samples: Vec<Sample>,
    /// Bytes per second; `None` for loopback or unknown.
    pub link: Option<f64>,
}

impl Input {
    /// Reads a `.json` file as UMS timings and anything else as CSV.
    pub fn read(path: &Path) -> Result<Input, InputError> {
        let fail = |line, field: Option<&str>, message: String| InputError {
            file: path.to_path_buf(),
            line,
            field: field.map(str::to_string),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(None, None, e.to_string()))?;
        if path.extension().is_some_and(|e| e == "json") {
            let runs = UmsRun::parse(&text).map_err(|(line, m)| fail(line, None, m))?;
            return Ok(Input {
                path: path.to_path_buf(),
                samples: runs.iter().flat_map(UmsRun::samples).collect(),
                link: Some(UMS_LINK),
            });
        }
        let samples = read_csv(&text).map_err(|(line, field, m)| fail(line, field, m))?;
        Ok(Input {
            path: path.to_path_buf(),
            samples,
            link: None,
        })
    }
}

type CsvError = (Option<usize>, Option<&'static str>, String);

/// A CSV with at least `memory_bytes`, `phase` and `seconds`. Optional: `size_bytes` (the
/// nominal size; default `memory_bytes`) and `status` (only `ok` rows count; the measurement
/// CSV records skipped and failed phases too).
fn read_csv(text: &str) -> Result<Vec<Sample>, CsvError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader
        .headers()
        .map_err(|e| (Some(1), None, e.to_string()))?
        .clone();
    let column = |name: &'static str| header.iter().position(|h| h == name);
    let need = |name: &'static str| {
        column(name).ok_or_else(|| {
            (
                Some(1),
                Some(name),
                format!(
                    "missing column; the header has {}, and a calibration CSV needs memory_bytes, phase and seconds",
                    header.iter().collect::<Vec<_>>().join(", ")
                ),
            )
        })
    };
    let (memory, phase, seconds) = (need("memory_bytes")?, need("phase")?, need("seconds")?);
    let (size, status) = (column("size_bytes"), column("status"));
    let mut samples = Vec::new();
    for row in csv_records(&mut reader) {
        let (line, record) = row.map_err(|(line, m)| (Some(line), None, m))?;
        let line = Some(line);
        let field = |i: usize| record.get(i).unwrap_or("");
        if status.is_some_and(|s| field(s) != "ok") {
            continue;
        }
        let number = |i: usize, name: &'static str| -> Result<f64, CsvError> {
            let v = field(i);
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0)
                .ok_or_else(|| {
                    (
                        line,
                        Some(name),
                        format!("expected a non-negative number, got `{v}`"),
                    )
                })
        };
        let memory_bytes = number(memory, "memory_bytes")?;
        samples.push(Sample {
            phase: Phase::parse(field(phase)).map_err(|m| (line, Some("phase"), m))?,
            size: match size {
                Some(i) => number(i, "size_bytes")?,
                None => memory_bytes,
            },
            memory_bytes,
            seconds: number(seconds, "seconds")?,
        });
    }
    if samples.is_empty() {
        return Err((None, None, "no measured rows (with status ok)".into()));
    }
    Ok(samples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(name: &str, text: &str) -> Result<Input, InputError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        Input::read(&path)
    }

    #[test]
    fn generic_csv_and_measurement_csv() {
        let g = read(
            "g.csv",
            "memory_bytes,phase,seconds\n100,dump,0.5\n200,restore,1\n",
        )
        .unwrap();
        assert_eq!(g.samples.len(), 2);
        assert_eq!(g.samples[1].phase, Phase::Restore);
        assert_eq!(g.samples[1].size, 200.0);
        assert_eq!(g.link, None);
        let m = read(
            "m.csv",
            "run,size_bytes,memory_bytes,phase,seconds,status\n0,64,70,dump,0.1,ok\n0,64,70,pre_dump,,skipped\n",
        )
        .unwrap();
        assert_eq!(m.samples.len(), 1, "skipped rows do not count");
        assert_eq!((m.samples[0].size, m.samples[0].memory_bytes), (64.0, 70.0));
    }

    /// Every phase name a table may bring reads as its phase; `checkpoint` is the dump.
    #[test]
    fn every_phase_name_reads() {
        let names = [
            ("setup", Phase::Setup),
            ("checkpoint", Phase::Dump),
            ("dump", Phase::Dump),
            ("stream", Phase::Stream),
            ("transfer", Phase::Transfer),
            ("restore", Phase::Restore),
            ("pre_dump", Phase::PreDump),
            ("lazy_restore", Phase::LazyRestore),
            ("handoff", Phase::Handoff),
            ("lazy_pull", Phase::LazyPull),
            ("downtime", Phase::Downtime),
            ("total", Phase::Total),
        ];
        let rows: String = names.iter().map(|(n, _)| format!("100,{n},1\n")).collect();
        let g = read("all.csv", &format!("memory_bytes,phase,seconds\n{rows}")).unwrap();
        let read: Vec<Phase> = g.samples.iter().map(|s| s.phase).collect();
        assert_eq!(read, names.map(|(_, p)| p).to_vec());
        let e = Phase::parse("copy").unwrap_err();
        assert!(
            e.contains("transfer") && e.contains("downtime") && e.contains("checkpoint"),
            "{e}"
        );
    }

    #[test]
    fn bad_rows_name_file_line_and_field() {
        let e = read(
            "b.csv",
            "memory_bytes,phase,seconds\n100,dump,0.5\n100,dump,fast\n",
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.ends_with("b.csv:3: field `seconds`: expected a non-negative number, got `fast`"),
            "{s}"
        );
        let e = read("p.csv", "memory_bytes,phase,seconds\n1,dumpp,1\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":2: field `phase`: unknown phase `dumpp`"),
            "{e}"
        );
        let e = read("h.csv", "bytes,phase,seconds\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(":1: field `memory_bytes`: missing column"),
            "{e}"
        );
        let e = read("u.json", "{\"64\": [{\"overhead\": 3}]}")
            .unwrap_err()
            .to_string();
        assert!(e.contains("u.json:1: "), "{e}");
    }
}
