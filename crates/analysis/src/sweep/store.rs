//! A sweep's folder:
//!
//! ```text
//! sweep.json      what the sweep is (scenario, --set, axes, seeds, migsim version)
//! scenario.toml   the scenario text every run used
//! runs/<run-id>/  one finished run: summary.json and its tables, or error.txt
//! runs.csv        one row per run          (written when every run has finished)
//! summary.csv     one row per grid point and metric
//! ```
//!
//! A run is written into `runs/.tmp-<run-id>/` and renamed into place, so a folder under
//! `runs/` is always a whole run: a sweep killed at any instant resumes from the runs whose
//! folders exist and redoes the rest. Shards of one sweep may write into one folder at once:
//! the first creates `scenario.toml` and `sweep.json`, every other checks that they are its
//! own, and each clears only its own runs' leftovers. A Slurm submission and an aggregation
//! join such a folder the same way, touching no run.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;
use serde_json::Value;

use crate::output::{write_atomic, write_run};
use crate::record::RunOutput;
use crate::scenario::{value_text, Scenario};
use crate::sweep::metrics::{cells_of_summary, MetricCells};
use crate::sweep::{RunKey, Shard, Sweep};

/// How a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Done(MetricCells),
    /// The scenario of this grid point could not be loaded (a bad combination), or the run
    /// broke; the message says why.
    Failed(String),
}

/// Why a sweep folder cannot be used.
#[derive(Debug)]
pub enum StoreError {
    Io {
        path: PathBuf,
        source: io::Error,
    },
    /// The folder holds a different sweep, or one that `--resume` should continue.
    Conflict(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            StoreError::Conflict(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StoreError {}

fn io_at(path: &Path) -> impl Fn(io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// `sweep.json`: everything a run's result depends on besides the scenario text.
#[derive(Serialize)]
struct Manifest<'a> {
    migsim_version: &'static str,
    scenario: String,
    sets: Vec<&'a str>,
    axes: Vec<AxisRecord<'a>>,
    seeds: &'a [u64],
    runs: usize,
}

/// An axis as `migsim plot` reads it back: its name and its values as table cells.
#[derive(Serialize)]
struct AxisRecord<'a> {
    name: &'a str,
    values: Vec<String>,
}

impl<'a> Manifest<'a> {
    fn of(sweep: &'a Sweep) -> Self {
        Manifest {
            migsim_version: env!("CARGO_PKG_VERSION"),
            scenario: sweep.file.display().to_string(),
            sets: sweep.sets.iter().map(|o| o.text.as_str()).collect(),
            axes: sweep
                .spec
                .axes
                .iter()
                .map(|a| AxisRecord {
                    name: &a.name,
                    values: a.values.iter().map(value_text).collect(),
                })
                .collect(),
            seeds: &sweep.spec.seeds,
            runs: sweep.points.len() * sweep.spec.seeds.len(),
        }
    }
}

/// How a sweep uses its folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A new sweep: the folder must not hold one.
    Start,
    /// `--resume`: the folder's sweep is continued, or started if it holds none.
    Resume,
    /// One shard of a sweep that others may be running at once: clears only its own runs'
    /// leftovers.
    Shard(Shard),
    /// A folder that shards write into (a Slurm submission, an aggregation): no run is
    /// touched.
    Join,
}

/// The folder of one sweep.
pub struct Store {
    dir: PathBuf,
    /// Runs' tables as NAME.csv.gz.
    compress: bool,
}

impl Store {
    /// Opens `dir` for `sweep`. A folder that already holds a sweep is continued only if it is
    /// the same sweep, and never by [`Access::Start`]; otherwise nothing in it is touched.
    pub fn open(dir: &Path, sweep: &Sweep, access: Access) -> Result<Store, StoreError> {
        let store = Store {
            dir: dir.to_path_buf(),
            compress: false,
        };
        let manifest = serde_json::to_string_pretty(&Manifest::of(sweep)).expect("plain data");
        let manifest_path = dir.join("sweep.json");
        match fs::read_to_string(&manifest_path) {
            Ok(_) if access == Access::Start => {
                return Err(StoreError::Conflict(format!(
                    "{} already holds a sweep: add --resume to finish it, or choose another --out",
                    dir.display()
                )));
            }
            Ok(old) => store.check_same(&old, &manifest, sweep)?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_at(&manifest_path)(e)),
        }
        let runs = store.runs_dir();
        fs::create_dir_all(&runs).map_err(io_at(&runs))?;
        let scenario = dir.join("scenario.toml");
        match access {
            Access::Start | Access::Resume => {
                store.remove_partial_runs(&|_| true)?;
                // The scenario first: a folder with sweep.json always has it.
                store.write(&scenario, sweep.text.as_bytes())?;
                store.write(&manifest_path, manifest.as_bytes())?;
                return Ok(store);
            }
            Access::Shard(shard) => {
                let own: Vec<String> = shard
                    .runs(sweep)
                    .into_iter()
                    .map(|k| sweep.run_id(k))
                    .collect();
                store.remove_partial_runs(&|id| own.iter().any(|o| o == id))?;
            }
            Access::Join => {}
        }
        let old_scenario = store.create_once(&scenario, &sweep.text)?;
        let old_manifest = store.create_once(&manifest_path, &manifest)?;
        if old_scenario.is_some() || old_manifest.is_some() {
            // Another shard was first: what it wrote must be this sweep.
            let old = old_manifest.unwrap_or_else(|| manifest.clone());
            store.check_same(&old, &manifest, sweep)?;
        }
        Ok(store)
    }

    /// Writes `path` unless it exists; returns what it holds when it did (another shard wrote
    /// it first). The file appears whole or not at all.
    fn create_once(&self, path: &Path, text: &str) -> Result<Option<String>, StoreError> {
        // Unique among shards on other hosts too, which may share a process id.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let name = format!(".tmp-{}-{nanos}-{}", std::process::id(), file_name(path));
        let tmp = self.dir.join(name);
        self.write(&tmp, text.as_bytes())?;
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        match linked {
            Ok(()) => Ok(None),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                fs::read_to_string(path).map(Some).map_err(io_at(path))
            }
            Err(e) => Err(io_at(path)(e)),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder a run's files go to.
    pub fn run_dir(&self, sweep: &Sweep, key: RunKey) -> PathBuf {
        self.runs_dir().join(sweep.run_id(key))
    }

    fn runs_dir(&self) -> PathBuf {
        self.dir.join("runs")
    }

    fn check_same(&self, old: &str, new: &str, sweep: &Sweep) -> Result<(), StoreError> {
        let scenario = self.dir.join("scenario.toml");
        let old_text = fs::read_to_string(&scenario).map_err(io_at(&scenario))?;
        let differs = |what: &str| {
            StoreError::Conflict(format!(
                "cannot resume {}: {what} changed since the sweep started; finish it with the same inputs or choose another --out",
                self.dir.display()
            ))
        };
        if old_text != sweep.text {
            return Err(differs(&format!(
                "the scenario ({} against {})",
                sweep.file.display(),
                scenario.display()
            )));
        }
        // The scenario's path may be written differently from another folder; its text is
        // what matters, and that was compared above.
        let (old, new): (Value, Value) = (
            serde_json::from_str(old).unwrap_or(Value::Null),
            serde_json::from_str(new).expect("just written"),
        );
        match ["migsim_version", "sets", "axes", "seeds"]
            .into_iter()
            .find(|k| old.get(k) != new.get(k))
        {
            Some(field) => Err(differs(&format!("`{field}` in sweep.json"))),
            None => Ok(()),
        }
    }

    /// Drops the leftovers of the runs `own` names that were being written when a sweep
    /// stopped (another shard's may be under way).
    fn remove_partial_runs(&self, own: &dyn Fn(&str) -> bool) -> Result<(), StoreError> {
        let runs = self.runs_dir();
        for entry in fs::read_dir(&runs).map_err(io_at(&runs))? {
            let path = entry.map_err(io_at(&runs))?.path();
            let partial = path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().strip_prefix(".tmp-").is_some_and(own));
            if partial {
                fs::remove_dir_all(&path).map_err(io_at(&path))?;
            }
        }
        Ok(())
    }

    /// The outcome of a run that finished before, if it did.
    pub fn finished(&self, sweep: &Sweep, key: RunKey) -> Result<Option<Outcome>, StoreError> {
        let dir = self.run_dir(sweep, key);
        let summary = dir.join("summary.json");
        match fs::read_to_string(&summary) {
            Ok(text) => {
                let cells = serde_json::from_str::<Value>(&text)
                    .ok()
                    .as_ref()
                    .and_then(cells_of_summary)
                    .ok_or_else(|| {
                        StoreError::Conflict(format!(
                            "{}: not a migsim summary; delete its run folder to redo the run",
                            summary.display()
                        ))
                    })?;
                return Ok(Some(Outcome::Done(cells)));
            }
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_at(&summary)(e)),
            Err(_) => {}
        }
        let error = dir.join("error.txt");
        match fs::read_to_string(&error) {
            Ok(text) => Ok(Some(Outcome::Failed(text.trim_end().to_string()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_at(&error)(e)),
        }
    }

    /// Writes the runs' tables gzipped from now on (a resumed sweep keeps the form of the runs
    /// it already holds; readers take either).
    pub fn compressing(self, compress: bool) -> Store {
        Store { compress, ..self }
    }

    /// Writes a finished run: its outputs, or the error that stopped it.
    pub fn save(
        &self,
        sweep: &Sweep,
        key: RunKey,
        run: Result<(&Scenario, &RunOutput), &str>,
    ) -> Result<(), StoreError> {
        let id = sweep.run_id(key);
        let tmp = self.runs_dir().join(format!(".tmp-{id}"));
        let done = self.runs_dir().join(&id);
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io_at(&tmp))?;
        }
        match run {
            Ok((scenario, output)) => write_run(&tmp, scenario, output, self.compress).map(drop),
            Err(message) => fs::create_dir_all(&tmp)
                .and_then(|()| write_atomic(&tmp.join("error.txt"), &|w| writeln!(w, "{message}"))),
        }
        .map_err(io_at(&tmp))?;
        crash_hook();
        hold_hook();
        fs::rename(&tmp, &done).map_err(io_at(&done))
    }

    /// Writes one of the sweep's tables atomically.
    pub fn write_table(
        &self,
        name: &str,
        body: &dyn Fn(&mut dyn io::Write) -> io::Result<()>,
    ) -> Result<PathBuf, StoreError> {
        let path = self.dir.join(name);
        write_atomic(&path, body).map_err(io_at(&path))?;
        Ok(path)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
        write_atomic(path, &|w| w.write_all(bytes)).map_err(io_at(path))
    }
}

/// For the resume tests: `MIGSIM_SWEEP_CRASH_AFTER=N` aborts the process, as a kill would,
/// while the run after the N-th is half written (its files exist, its folder is not yet in
/// place).
fn crash_hook() {
    static SAVED: AtomicUsize = AtomicUsize::new(0);
    let Some(limit) = std::env::var("MIGSIM_SWEEP_CRASH_AFTER")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    else {
        return;
    };
    if SAVED.fetch_add(1, Ordering::SeqCst) >= limit {
        std::process::abort();
    }
}

/// For the Slurm tests: with `MIGSIM_SWEEP_HOLD=FILE`, the first run to be saved while FILE
/// does not exist creates it and stops there, half written, until the process is killed, so
/// that a test can kill a task mid-run; once FILE exists (the task was requeued), runs go on.
fn hold_hook() {
    let Some(file) = std::env::var_os("MIGSIM_SWEEP_HOLD") else {
        return;
    };
    if fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
        .is_ok()
    {
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}
