//! migsim's own trace format: what every importer writes and a scenario reads.
//!
//! A trace is two CSV files. `NAME.csv` holds the memory series, one row per job and sample:
//! `job,offset_s,memory_bytes`, where `offset_s` counts from the job's own start. `NAME.jobs.csv`
//! holds one row per job: `job,class,start_s,cpu,request_bytes,limit_bytes,started_before,
//! running_at_end,duration_s,ended,priority`, where `start_s` counts from the trace's start,
//! the numbers are empty when the source does not give them, and the two flags say that the
//! source saw the job already running when it began, or still running when it ended (its true
//! start or end is unknown). Jobs are in order of start, then name; a job's samples are in order
//! of offset (the jobs' series may come in any order: a streaming import writes each as it
//! completes).

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic::{write_atomic, AtomicFile};
use crate::input::{csv_rows, InputError};
use crate::record::percentile;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Trace {
    pub jobs: Vec<TraceJob>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TraceJob {
    pub meta: JobMeta,
    /// (seconds since the job's start, bytes), in order of time; never empty.
    pub samples: Vec<(f64, f64)>,
}

/// One row of `NAME.jobs.csv`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
pub struct JobMeta {
    pub job: String,
    pub class: Option<String>,
    pub start_s: f64,
    pub cpu: Option<f64>,
    pub request_bytes: Option<f64>,
    pub limit_bytes: Option<f64>,
    pub started_before: bool,
    pub running_at_end: bool,
    /// How long the source saw the job run, when it says so apart from its samples (a pod
    /// list gives lifetimes but no series); empty: the samples' span plus one step.
    #[serde(default)]
    pub duration_s: Option<f64>,
    /// How the source says the job ended (`finished`, `evicted`, `killed`, `failed`, `lost`),
    /// kept for analysis; empty where it does not say or the job was still running.
    #[serde(default)]
    pub ended: Option<String>,
    /// The source's scheduling priority, kept for analysis; empty where it has none.
    #[serde(default)]
    pub priority: Option<i64>,
}

#[derive(Deserialize, Serialize)]
struct SampleRow<'a> {
    job: &'a str,
    offset_s: f64,
    memory_bytes: f64,
}

#[derive(Deserialize)]
struct OwnedSampleRow {
    job: String,
    offset_s: f64,
    memory_bytes: f64,
}

impl TraceJob {
    pub fn peak(&self) -> f64 {
        self.samples.iter().map(|s| s.1).fold(0.0, f64::max)
    }

    /// Seconds from the first sample to the last.
    pub fn span(&self) -> f64 {
        self.samples.last().map_or(0.0, |s| s.0)
    }

    /// Its class, or `trace` when the source gives none.
    pub fn class(&self) -> &str {
        self.meta.class.as_deref().unwrap_or("trace")
    }

    /// How long it ran: the source's own figure, else the span of its samples.
    pub fn duration(&self) -> f64 {
        self.meta.duration_s.unwrap_or_else(|| self.span())
    }
}

impl Trace {
    /// The median time between consecutive samples of a job; 0 when no job has two.
    pub fn step_s(&self) -> f64 {
        let mut steps: Vec<f64> = self
            .jobs
            .iter()
            .flat_map(|j| j.samples.windows(2).map(|w| w[1].0 - w[0].0))
            .collect();
        steps.sort_by(f64::total_cmp);
        percentile(&steps, 0.5)
    }

    /// Sorts jobs by start then name, as the format requires.
    pub fn sort(&mut self) {
        self.jobs.sort_by(|a, b| {
            a.meta
                .start_s
                .total_cmp(&b.meta.start_s)
                .then_with(|| a.meta.job.cmp(&b.meta.job))
        });
    }

    /// Where the job table of the trace at `path` lives: `NAME.jobs.csv` beside `NAME.csv`.
    pub fn jobs_path(path: &Path) -> PathBuf {
        Trace::beside(path, "jobs")
    }

    /// A file that goes with the trace at `path`: `NAME.<what>.csv` beside `NAME.csv`.
    pub fn beside(path: &Path, what: &str) -> PathBuf {
        let stem = path
            .file_stem()
            .map_or_else(|| "trace".into(), |s| s.to_string_lossy().into_owned());
        path.with_file_name(format!("{stem}.{what}.csv"))
    }

    /// Writes both files atomically.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        let mut out = TraceWriter::create(path)?;
        for j in &self.jobs {
            out.push(j)?;
        }
        out.finish()
    }

    /// Reads a trace; errors name the file, the line and the field.
    pub fn read(path: &Path) -> Result<Trace, InputError> {
        let jobs_path = Trace::jobs_path(path);
        let metas: Vec<(usize, JobMeta)> = read_rows(&jobs_path)?;
        let mut jobs: Vec<TraceJob> = Vec::with_capacity(metas.len());
        let mut index = std::collections::HashMap::new();
        for (line, meta) in metas {
            if index.insert(meta.job.clone(), jobs.len()).is_some() {
                return Err(error(
                    &jobs_path,
                    Some(line),
                    Some("job"),
                    format!("job `{}` appears twice", meta.job),
                ));
            }
            jobs.push(TraceJob {
                meta,
                samples: Vec::new(),
            });
        }
        for (line, row) in read_rows::<OwnedSampleRow>(path)? {
            let Some(&i) = index.get(&row.job) else {
                return Err(error(
                    path,
                    Some(line),
                    Some("job"),
                    format!("job `{}` is not in {}", row.job, jobs_path.display()),
                ));
            };
            let samples = &mut jobs[i].samples;
            if !(row.memory_bytes >= 0.0 && row.memory_bytes.is_finite()) {
                return Err(error(
                    path,
                    Some(line),
                    Some("memory_bytes"),
                    format!("expected bytes >= 0, got {}", row.memory_bytes),
                ));
            }
            if samples.last().is_some_and(|&(t, _)| row.offset_s <= t) || row.offset_s < 0.0 {
                return Err(error(
                    path,
                    Some(line),
                    Some("offset_s"),
                    format!(
                        "offsets of job `{}` must start at 0 or later and increase; got {}",
                        row.job, row.offset_s
                    ),
                ));
            }
            samples.push((row.offset_s, row.memory_bytes));
        }
        if let Some(empty) = jobs.iter().find(|j| j.samples.is_empty()) {
            return Err(error(
                path,
                None,
                None,
                format!("job `{}` has no samples", empty.meta.job),
            ));
        }
        Ok(Trace { jobs })
    }
}

/// Writes a trace job by job, holding only the job table in memory: each job's samples go out
/// as it is pushed; the job table, sorted by start then name, and the samples appear at their
/// paths only on [`finish`](TraceWriter::finish).
pub struct TraceWriter {
    path: PathBuf,
    samples: AtomicFile,
    buf: Vec<u8>,
    metas: Vec<JobMeta>,
}

impl TraceWriter {
    pub fn create(path: &Path) -> io::Result<TraceWriter> {
        let mut samples = AtomicFile::create(path)?;
        samples.write_all(b"job,offset_s,memory_bytes\n")?;
        Ok(TraceWriter {
            path: path.to_path_buf(),
            samples,
            buf: Vec::new(),
            metas: Vec::new(),
        })
    }

    /// Appends `job`'s rows of the samples file to `out`: for formatting jobs on other threads
    /// and pushing them with [`push_rows`](TraceWriter::push_rows).
    pub fn rows(job: &TraceJob, out: &mut Vec<u8>) -> io::Result<()> {
        let mut csv = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        for &(offset_s, memory_bytes) in &job.samples {
            let row = SampleRow {
                job: &job.meta.job,
                offset_s,
                memory_bytes,
            };
            csv.serialize(row).map_err(io::Error::other)?;
        }
        csv.flush()
    }

    pub fn push(&mut self, job: &TraceJob) -> io::Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        TraceWriter::rows(job, &mut buf)?;
        self.push_rows(&buf, job.meta.clone())?;
        self.buf = buf;
        Ok(())
    }

    /// Writes rows made by [`rows`](TraceWriter::rows) and keeps the job's table row.
    pub fn push_rows(&mut self, rows: &[u8], meta: JobMeta) -> io::Result<()> {
        self.samples.write_all(rows)?;
        self.metas.push(meta);
        Ok(())
    }

    /// Jobs pushed so far.
    pub fn jobs(&self) -> usize {
        self.metas.len()
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.metas.sort_by(|a, b| {
            a.start_s
                .total_cmp(&b.start_s)
                .then_with(|| a.job.cmp(&b.job))
        });
        let metas = &self.metas;
        write_atomic(&Trace::jobs_path(&self.path), &|w| {
            let mut csv = csv::Writer::from_writer(w);
            for m in metas {
                csv.serialize(m).map_err(io::Error::other)?;
            }
            csv.flush()
        })?;
        self.samples.commit()
    }
}

fn error(file: &Path, line: Option<usize>, field: Option<&str>, message: String) -> InputError {
    InputError {
        file: file.to_path_buf(),
        line,
        field: field.map(str::to_string),
        message,
    }
}

/// Every row of a CSV with its line number; a bad row names its line and field.
fn read_rows<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<(usize, T)>, InputError> {
    let bytes = std::fs::read(path).map_err(|e| error(path, None, None, e.to_string()))?;
    csv_rows(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(name: &str, start: f64, samples: Vec<(f64, f64)>) -> TraceJob {
        TraceJob {
            meta: JobMeta {
                job: name.into(),
                class: Some("l".into()),
                start_s: start,
                cpu: None,
                request_bytes: Some(1e9),
                limit_bytes: None,
                started_before: start == 0.0,
                running_at_end: false,
                duration_s: None,
                ended: None,
                priority: None,
            },
            samples,
        }
    }

    #[test]
    fn round_trips_and_rejects_bad_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        let t = Trace {
            jobs: vec![
                job("a", 0.0, vec![(0.0, 1e6), (60.0, 2.5e6)]),
                job("b", 120.0, vec![(0.0, 3.0)]),
            ],
        };
        t.write(&path).unwrap();
        assert_eq!(Trace::read(&path).unwrap(), t);
        let jobs = std::fs::read_to_string(Trace::jobs_path(&path)).unwrap();
        assert!(jobs.starts_with("job,class,start_s,cpu,request_bytes,limit_bytes,started_before,running_at_end,duration_s,ended,priority\na,l,0.0,,1000000000.0,,true,false,,,\n"), "{jobs}");
        std::fs::write(&path, "job,offset_s,memory_bytes\na,0,1\na,0,2\n").unwrap();
        let e = Trace::read(&path).unwrap_err().to_string();
        assert!(e.ends_with("t.csv:3: field `offset_s`: offsets of job `a` must start at 0 or later and increase; got 0"), "{e}");
        std::fs::write(&path, "job,offset_s,memory_bytes\na,0,lots\n").unwrap();
        let e = Trace::read(&path).unwrap_err().to_string();
        assert!(e.contains("t.csv:2: field `memory_bytes`"), "{e}");
        std::fs::write(&path, "job,offset_s,memory_bytes\na,0,1\n").unwrap();
        let e = Trace::read(&path).unwrap_err().to_string();
        assert!(e.contains("job `b` has no samples"), "{e}");
    }
}

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
    /// Google's 2019 cluster traces (v3): JSON shards of the machine, instance and collection
    /// tables.
    #[serde(rename = "google-2019")]
    Google2019,
    /// Google's 2011 cluster trace (v2.1): headerless CSV shards.
    #[serde(rename = "google-2011")]
    Google2011,
    /// Alibaba cluster-trace-v2018: machine and container tables, batch instances.
    #[serde(rename = "alibaba-2018")]
    Alibaba2018,
}

impl Format {
    pub const ALL: [Format; 9] = [
        Format::Migsim,
        Format::ThesisJson,
        Format::DynatraceCsv,
        Format::AlibabaGenai,
        Format::OpenbPods,
        Format::Bitbrains,
        Format::Google2019,
        Format::Google2011,
        Format::Alibaba2018,
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
            Format::Google2019 => "google-2019",
            Format::Google2011 => "google-2011",
            Format::Alibaba2018 => "alibaba-2018",
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
            Format::Google2019 => {
                "Google cluster traces 2019 (v3): JSON shards of machine_events, instance_events, instance_usage, collection_events (files or folders)"
            }
            Format::Google2011 => {
                "Google cluster trace 2011 (v2.1): CSV shards of machine_events, task_events, task_usage (files or folders)"
            }
            Format::Alibaba2018 => {
                "Alibaba cluster-trace-v2018: machine_meta, container_meta, container_usage, batch_instance (CSV, .gz or .tar.gz)"
            }
        }
    }
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
