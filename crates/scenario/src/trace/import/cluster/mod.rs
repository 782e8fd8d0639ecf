//! The production cluster traces, streamed at full size: Google's 2019 (`google-2019`) and
//! 2011 (`google-2011`) cluster traces and Alibaba's cluster-trace-v2018 (`alibaba-2018`).
//!
//! Each is a set of tables (machines, task events, task usage), sharded and gzipped, far
//! larger than memory, and a task's rows are spread through them. An import reads the machine
//! tables first (capacities, and the seeded sample of `--machines`), then streams every other
//! row once, in file order, into one of P spill partitions by a hash of its task; then it puts
//! together one partition at a time, each task's facts into a job, and writes it. Memory is a
//! partition's facts (P grows with the input, so a partition stays near [`PARTITION_INPUT`] of
//! input) and one table row per job: not the file's size.

mod alibaba_2018;
mod google_2011;
mod google_2019;
mod inputs;
mod machines;
mod spill;
mod task;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

pub use machines::{node_groups, Machines};
pub use task::Keep;

use rayon::prelude::*;

use crate::input::InputError;
use crate::trace::{JobMeta, Trace, TraceWriter};
pub use inputs::whole;
use inputs::Counter;
use spill::{Fact, Spill};
use task::{count, Frame, Tally, Task, Units};

/// Input (uncompressed) per spill partition.
pub const PARTITION_INPUT: u64 = 64 << 20;
/// How much larger than its gzip a table is, to size partitions by.
const GZIP_RATIO: u64 = 8;

/// Which memory figure of a usage window becomes the sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Usage {
    /// The mean over the window (Google 2019 `average_usage`, 2011 canonical memory).
    #[default]
    Average,
    /// The window's maximum (Google 2019 `maximum_usage`, 2011 maximum memory).
    Maximum,
}

/// What to import and how to scale it.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub usage: Usage,
    /// Bytes of a machine whose normalised memory is 1 (100 for Alibaba); None: the format's
    /// documented default.
    pub machine_memory: Option<f64>,
    /// CPUs of a machine whose normalised CPU capacity is 1 (Google); None: the default.
    pub machine_cpu: Option<f64>,
    /// Google 2019: the cell whose files to read (inputs under `clusterdata_2019_<cell>`).
    pub cell: Option<String>,
    /// Seconds since the trace's start: keep what runs in [from, to).
    pub from: f64,
    pub to: Option<f64>,
    /// Keep the tasks of this many machines drawn with `seed`.
    pub machines: Option<usize>,
    pub seed: u64,
    pub keep: Keep,
    /// Input per spill partition; None: [`PARTITION_INPUT`]. The trace is the same whatever
    /// it is, but for the order in which the jobs' series follow each other (the tests make it
    /// small to have many partitions).
    pub partition_input: Option<u64>,
}

/// How far an import is: bytes read from disk of all there is to read.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub read: u64,
    pub total: u64,
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub jobs: usize,
    /// Nodes written to the node list, when the input had a machine table.
    pub nodes: Option<usize>,
    pub notes: Vec<String>,
    /// Bytes read from disk.
    pub bytes: u64,
}

/// The three formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClusterFormat {
    Google2019,
    Google2011,
    Alibaba2018,
}

/// Which table a file holds, by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Table {
    Machines,
    Collections,
    Events,
    Usage,
    /// Tasks known only by start, end and one memory figure (Alibaba's batch instances).
    Whole,
    /// A table of the trace that the import does not need.
    Unused,
}

/// What a row says.
pub enum Parsed {
    /// A machine's capacity (the key holds its name).
    Machine {
        id: u64,
        cpu: Option<f64>,
        memory: Option<f64>,
    },
    /// A collection's (job's) priority, for its tasks' events that lack one.
    Collection { id: i64, priority: Option<i64> },
    /// A fact about the task named by the key, on a machine where the row gives one.
    Task {
        machine: Option<u64>,
        collection: Option<i64>,
        fact: Fact,
        /// Something the row lacked that was read otherwise, counted in the notes.
        note: Option<&'static str>,
    },
    /// Nothing to keep, for this reason (counted in the notes).
    Skip(&'static str),
}

/// A row the schema does not allow: the field and what is wrong.
#[derive(Debug)]
pub struct RowError {
    pub field: Option<String>,
    pub message: String,
}

impl RowError {
    pub fn at(field: &str, message: impl Into<String>) -> RowError {
        RowError {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }
}

/// One trace's schema: its tables, rows, units and tiers.
pub trait Schema {
    /// Each table's name, as its files' names contain it.
    const TABLE_NAMES: &'static [(&'static str, Table)];
    /// Parses one line of `table`, writing the task's (or machine's) name into `key`.
    fn parse(
        table: Table,
        line: &[u8],
        usage: Usage,
        key: &mut Vec<u8>,
    ) -> Result<Parsed, RowError>;
    /// The class of a task of this priority (`whole`: known only whole).
    fn tier(priority: Option<i64>, whole: bool) -> Option<&'static str>;
    const TIERS: &'static [&'static str];
    /// The normalised capacity of the largest machine: 1 (Google), or 100 (Alibaba's percents).
    const FULL: f64 = 1.0;
    /// Bytes and CPUs of a machine of normalised capacity [`FULL`](Schema::FULL) when the user
    /// gives none.
    const MACHINE_MEMORY: f64;
    const MACHINE_CPU: f64;

    /// The units of the trace's numbers, given a machine's memory and CPUs: normalised to
    /// the largest machine, unless a schema says otherwise.
    fn units(machine_memory: f64, machine_cpu: f64) -> Units {
        Units {
            memory: machine_memory / Self::FULL,
            cpu: machine_cpu / Self::FULL,
            of_request: false,
        }
    }

    /// The table a file of this name holds.
    fn table(name: &str) -> Option<Table> {
        Self::TABLE_NAMES
            .iter()
            .find(|(n, _)| name.contains(n))
            .map(|&(_, t)| t)
    }

    /// The tables' names, for an error on a file that is none of them.
    fn tables() -> String {
        let (used, unused): (Vec<_>, Vec<_>) = Self::TABLE_NAMES
            .iter()
            .partition(|(_, t)| *t != Table::Unused);
        let names =
            |v: Vec<&(&str, Table)>| v.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        format!("{} ({} not needed)", names(used), names(unused))
    }
}

impl ClusterFormat {
    /// The tiers the format names, for `--tier`.
    pub fn tiers(self) -> &'static [&'static str] {
        match self {
            ClusterFormat::Google2019 => google_2019::Google2019::TIERS,
            ClusterFormat::Google2011 => google_2011::Google2011::TIERS,
            ClusterFormat::Alibaba2018 => alibaba_2018::Alibaba2018::TIERS,
        }
    }
}

/// `NAME.nodes.csv` beside the trace `NAME.csv`.
pub fn nodes_path(trace: &Path) -> PathBuf {
    Trace::beside(trace, "nodes")
}

/// Imports `inputs` in `format` into the trace at `out` (with its job table and node list
/// beside it), calling `progress` as it reads.
pub fn import_cluster(
    format: ClusterFormat,
    inputs: &[PathBuf],
    options: &Options,
    out: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report, InputError> {
    match format {
        ClusterFormat::Google2019 => {
            Import::<google_2019::Google2019>::run(inputs, options, out, progress)
        }
        ClusterFormat::Google2011 => {
            Import::<google_2011::Google2011>::run(inputs, options, out, progress)
        }
        ClusterFormat::Alibaba2018 => {
            Import::<alibaba_2018::Alibaba2018>::run(inputs, options, out, progress)
        }
    }
}

struct Import<'a, S> {
    options: &'a Options,
    progress: &'a mut dyn FnMut(Progress),
    counter: Counter,
    total: u64,
    tally: Tally,
    machines: Machines,
    sample: Option<BTreeSet<u64>>,
    priorities: HashMap<i64, i64>,
    /// The latest end of any usage row, on any machine: the frame's end when `--to` is not
    /// given.
    last: f64,
    schema: std::marker::PhantomData<S>,
}

impl<'a, S: Schema> Import<'a, S> {
    fn run(
        inputs: &[PathBuf],
        options: &'a Options,
        out: &Path,
        progress: &'a mut dyn FnMut(Progress),
    ) -> Result<Report, InputError> {
        let files = classify::<S>(inputs, options)?;
        let total = files.iter().map(|f| f.2).sum();
        let mut import = Import::<S> {
            options,
            progress,
            counter: Counter::default(),
            total,
            tally: Tally::new(),
            machines: Machines::default(),
            sample: None,
            priorities: HashMap::new(),
            last: f64::NEG_INFINITY,
            schema: std::marker::PhantomData,
        };
        let (first, rest): (Vec<_>, Vec<_>) = files
            .into_iter()
            .partition(|f| matches!(f.0, Table::Machines | Table::Collections));
        let mut none = None;
        for (table, path, _) in &first {
            import.read(*table, path, &mut none)?;
        }
        import.choose_machines(rest.first().map(|f| f.1.as_path()))?;
        let input: u64 = rest
            .iter()
            .map(|(_, p, size)| match is_gzip(p) {
                true => size * GZIP_RATIO,
                false => *size,
            })
            .sum();
        let per_part = options.partition_input.unwrap_or(PARTITION_INPUT).max(1);
        let parts = input.div_ceil(per_part).clamp(1, 4096) as usize;
        // The output's folder is made once the inputs are known to be a trace.
        let beside = out.parent().filter(|d| !d.as_os_str().is_empty());
        let beside = beside.unwrap_or(Path::new("."));
        std::fs::create_dir_all(beside).map_err(|e| whole(out, format!("cannot write: {e}")))?;
        let spill = Spill::new(parts, beside);
        let mut spill = Some(spill.map_err(|e| whole(out, format!("cannot spill: {e}")))?);
        for (table, path, _) in &rest {
            if *table == Table::Unused {
                count(
                    &mut import.tally,
                    &format!("files of tables not needed ({})", name_of(path)),
                );
                continue;
            }
            import.read(*table, path, &mut spill)?;
        }
        (import.progress)(Progress {
            read: import.total,
            total: import.total,
        });
        import.write(spill.expect("made above"), out)
    }

    /// Draws the `--machines` sample from the machine table.
    fn choose_machines(&mut self, any: Option<&Path>) -> Result<(), InputError> {
        let Some(n) = self.options.machines else {
            return Ok(());
        };
        if self.machines.is_empty() {
            return Err(whole(
                any.unwrap_or(Path::new(".")),
                format!(
                    "--machines needs the machine table among the inputs; the tables are {}",
                    S::tables()
                ),
            ));
        }
        if n > self.machines.len() {
            count(
                &mut self.tally,
                &format!(
                    "--machines {n} asked for more machines than the trace has ({}): all are kept",
                    self.machines.len()
                ),
            );
        }
        self.sample = Some(self.machines.sample(n, self.options.seed));
        Ok(())
    }

    /// Reads every row of the file at `path`, holding `table`.
    fn read(
        &mut self,
        table: Table,
        path: &Path,
        spill: &mut Option<Spill>,
    ) -> Result<(), InputError> {
        let counter = self.counter.clone();
        inputs::streams(path, &counter, &mut |mut stream| {
            let file = stream.path.clone();
            let mut key = Vec::with_capacity(64);
            let mut shown = 0u64;
            inputs::lines(&mut stream, &mut |line, text| {
                key.clear();
                let parsed = S::parse(table, text, self.options.usage, &mut key).map_err(|e| {
                    InputError {
                        file: file.clone(),
                        line: Some(line),
                        field: e.field,
                        message: e.message,
                    }
                })?;
                self.keep(parsed, &key, spill.as_mut())
                    .map_err(|e| whole(&file, format!("cannot spill: {e}")))?;
                let read = self.counter.get();
                if read - shown >= 1 << 22 {
                    shown = read;
                    (self.progress)(Progress {
                        read,
                        total: self.total,
                    });
                }
                Ok(())
            })
        })
    }

    fn keep(
        &mut self,
        parsed: Parsed,
        key: &[u8],
        spill: Option<&mut Spill>,
    ) -> std::io::Result<()> {
        match parsed {
            Parsed::Machine { id, cpu, memory } => self.machines.add(
                id,
                &|| String::from_utf8_lossy(key).into_owned(),
                cpu,
                memory,
            ),
            Parsed::Collection { id, priority } => {
                if let Some(p) = priority {
                    self.priorities.insert(id, p);
                }
            }
            Parsed::Skip(reason) => count(&mut self.tally, reason),
            Parsed::Task {
                machine,
                collection,
                mut fact,
                note,
            } => {
                if let Some(why) = note {
                    count(&mut self.tally, why);
                }
                // The trace's end is its own, whatever machines are sampled.
                if let Fact::Usage { end, .. } | Fact::Whole { end, .. } = fact {
                    if end.is_finite() {
                        self.last = self.last.max(end);
                    }
                }
                let placed = !matches!(fact, Fact::Event { .. });
                if let (true, Some(sample), Some(m)) = (placed, &self.sample, machine) {
                    if !sample.contains(&m) {
                        count(
                            &mut self.tally,
                            "rows of tasks on machines not sampled left out",
                        );
                        return Ok(());
                    }
                }
                if let Fact::Event { priority, .. } = &mut fact {
                    if priority.is_nan() {
                        if let Some(p) = collection.and_then(|c| self.priorities.get(&c)) {
                            *priority = *p as f64;
                        }
                    }
                }
                match spill {
                    Some(spill) => spill.put(key, &fact)?,
                    None => unreachable!("task rows are read after the machine tables"),
                }
            }
        }
        Ok(())
    }

    /// Puts each partition's tasks together and writes the trace and its node list.
    fn write(mut self, mut spill: Spill, out: &Path) -> Result<Report, InputError> {
        let fail = |e: std::io::Error| whole(out, format!("cannot write: {e}"));
        let (memory, cpu) = (
            self.options.machine_memory.unwrap_or(S::MACHINE_MEMORY),
            self.options.machine_cpu.unwrap_or(S::MACHINE_CPU),
        );
        let units = S::units(memory, cpu);
        let end = self.options.to.unwrap_or(self.last);
        if !end.is_finite() {
            return Err(whole(
                out,
                "the inputs hold no usage rows: nothing to import (a usage table is needed)".into(),
            ));
        }
        let frame = Frame {
            origin: self.options.from,
            end,
        };
        spill.seal().map_err(fail)?;
        let mut writer = TraceWriter::create(out).map_err(fail)?;
        // As many partitions at once as there are threads, written in order.
        let at_once = rayon::current_num_threads().max(1);
        let parts: Vec<usize> = (0..spill.parts()).collect();
        for window in parts.chunks(at_once) {
            let done: Vec<Part> = window
                .par_iter()
                .map(|&p| assemble::<S>(&spill, p, frame, units, &self.options.keep))
                .collect::<std::io::Result<_>>()
                .map_err(fail)?;
            for part in done {
                for (rows, meta) in part.jobs {
                    writer.push_rows(&rows, meta).map_err(fail)?;
                }
                for (why, n) in part.tally {
                    *self.tally.entry(why).or_insert(0) += n;
                }
            }
        }
        let jobs = writer.jobs();
        if jobs == 0 {
            return Err(whole(
                out,
                format!(
                    "no task is left to import: {}",
                    notes(&self.tally).join("; ")
                ),
            ));
        }
        let nodes = match self.machines.is_empty() {
            true => None,
            false => {
                let (written, missing) = self
                    .machines
                    .write_nodes(&nodes_path(out), self.sample.as_ref(), units)
                    .map_err(fail)?;
                if missing > 0 {
                    self.tally.insert(
                        "machines without a capacity, left out of the node list".into(),
                        missing,
                    );
                }
                Some(written)
            }
        };
        writer.finish().map_err(fail)?;
        if !self.machines.resized.is_empty() {
            self.tally.insert(
                "machines whose capacity changed during the trace (the first is kept)".into(),
                self.machines.resized.len(),
            );
        }
        let mut notes = notes(&self.tally);
        notes.push(format!(
            "memory of a machine of normalised capacity {}: {} (--machine-memory); CPUs: {} (--machine-cpu)",
            S::FULL,
            migsim_core::units::human_bytes(memory),
            cpu
        ));
        Ok(Report {
            jobs,
            nodes,
            notes,
            bytes: self.counter.get(),
        })
    }
}

/// A partition's jobs, each as its rows of the samples file and its table row.
struct Part {
    jobs: Vec<(Vec<u8>, JobMeta)>,
    tally: Tally,
}

/// Puts together the tasks of partition `p`, in the order of their names.
fn assemble<S: Schema>(
    spill: &Spill,
    p: usize,
    frame: Frame,
    units: Units,
    keep: &Keep,
) -> std::io::Result<Part> {
    let mut tasks: HashMap<Vec<u8>, Task> = HashMap::new();
    spill.read(p, &mut |key, fact| match tasks.get_mut(key) {
        Some(t) => t.add(fact),
        None => {
            let mut t = Task::default();
            t.add(fact);
            tasks.insert(key.to_vec(), t);
        }
    })?;
    spill.drop_part(p);
    let mut tasks: Vec<(Vec<u8>, Task)> = tasks.into_iter().collect();
    tasks.sort_by(|a, b| a.0.cmp(&b.0));
    let mut part = Part {
        jobs: Vec::new(),
        tally: Tally::new(),
    };
    for (key, task) in tasks {
        let name = String::from_utf8_lossy(&key);
        if let Some(job) = task.finish(&name, frame, units, keep, S::tier, &mut part.tally) {
            let mut rows = Vec::with_capacity(job.samples.len() * 40);
            TraceWriter::rows(&job, &mut rows)?;
            part.jobs.push((rows, job.meta));
        }
    }
    Ok(part)
}

fn notes(tally: &Tally) -> Vec<String> {
    tally.iter().map(|(why, n)| format!("{n} {why}")).collect()
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

fn is_gzip(path: &Path) -> bool {
    use std::io::Read;
    let mut magic = [0u8; 2];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == [0x1f, 0x8b]
}

/// Every input file with its table and size, machine tables first; a file that is none of
/// the tables is an error, and so are two cells of Google 2019 without `--cell`.
fn classify<S: Schema>(
    inputs: &[PathBuf],
    options: &Options,
) -> Result<Vec<(Table, PathBuf, u64)>, InputError> {
    let mut files = Vec::new();
    let mut cells = BTreeSet::new();
    for path in inputs::files(inputs)? {
        let shown = path.to_string_lossy().into_owned();
        let cell = cell_of(&shown);
        if let (Some(want), Some(c)) = (&options.cell, &cell) {
            if want != c {
                continue;
            }
        }
        cells.extend(cell);
        let table = S::table(&name_of(&path))
            .or_else(|| S::table(&shown))
            .ok_or_else(|| {
                whole(
                    &path,
                    format!(
                        "cannot tell which table this file holds; the tables are {}",
                        S::tables()
                    ),
                )
            })?;
        let size = std::fs::metadata(&path)
            .map_err(|e| whole(&path, e.to_string()))?
            .len();
        files.push((table, path, size));
    }
    if options.cell.is_none() && cells.len() > 1 {
        let cells: Vec<String> = cells.into_iter().collect();
        return Err(whole(
            &inputs[0],
            format!(
                "the inputs hold the cells {}, whose IDs overlap: choose one with --cell",
                cells.join(", ")
            ),
        ));
    }
    if files.is_empty() {
        let why = match &options.cell {
            Some(c) => {
                format!("no input file is of cell {c} (a folder named clusterdata_2019_{c})")
            }
            None => "no input files".into(),
        };
        return Err(whole(
            inputs.first().map_or(Path::new("."), |p| p.as_path()),
            why,
        ));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    Ok(files)
}

/// The Google 2019 cell a path is in: a folder `clusterdata_2019_<cell>`, as the buckets are
/// named.
fn cell_of(path: &str) -> Option<String> {
    let at = path.find("clusterdata_2019_")? + "clusterdata_2019_".len();
    let cell: String = path[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    (!cell.is_empty()).then_some(cell)
}
