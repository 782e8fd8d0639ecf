//! Bitbrains GWA-T-12 (TU Delft Grid Workloads Archive): one file per VM, named `<id>.csv`,
//! with `;`-separated columns (each value after a tab) sampled every 300 s, among them
//! `Timestamp [ms]`, `CPU cores`, `Memory capacity provisioned [KB]` and `Memory usage [KB]`.
//!
//! The header says milliseconds, but the values are Unix seconds (1372629804 is July 2013;
//! as milliseconds it would be January 1970): timestamps below 10^11 are read as seconds,
//! larger ones as milliseconds, and the import says which. KB are 1024 bytes. A row with no
//! provisioned memory means the VM was not there: it is a missing sample, never a zero, so a
//! VM starts at its first provisioned row. A row whose time repeats or goes back (VM 54 has
//! thousands) is left out and counted in the notes. The input is a `.tar.gz` (or `.tar`) of such files,
//! a folder of them, or one file; each VM becomes job `vm-<id>` with its largest core count
//! and provisioned memory as CPUs and limit.

use std::io::Read;
use std::path::Path;

use crate::input::read_input;
use crate::input::{csv_records, InputError};
use crate::trace::import::series::{edge_tolerance, job_from_series};
use crate::trace::import::Imported;
use crate::trace::{Trace, TraceJob};

const KB: f64 = 1024.0;
/// Unix seconds stay below this until the year 5138; Unix milliseconds passed it in 1973.
const SECONDS_BELOW: f64 = 1e11;

pub fn bitbrains(path: &Path) -> Result<Imported, InputError> {
    let files = vm_files(path)?;
    let mut series = Vec::new();
    let mut millis = false;
    for (name, text) in &files {
        let file = path.join(name);
        let vm = read_vm(&file, text)?;
        millis |= vm.millis;
        series.push((name.clone(), vm));
    }
    let origin = series
        .iter()
        .filter_map(|(_, vm)| vm.times.first().copied())
        .fold(f64::INFINITY, f64::min);
    let end = series
        .iter()
        .filter_map(|(_, vm)| vm.times.last().copied())
        .fold(f64::NEG_INFINITY, f64::max);
    let mut jobs = Vec::new();
    let mut empty = Vec::new();
    let mut repeats = Vec::new();
    for (name, vm) in series {
        let id = Path::new(&name)
            .file_stem()
            .map_or(name.clone(), |s| s.to_string_lossy().into_owned());
        if vm.out_of_order > 0 {
            repeats.push(format!("{id} ({})", vm.out_of_order));
        }
        match job_from_series(&format!("vm-{id}"), &vm.times, &vm.usage, origin) {
            Some(mut job) => {
                finish(&mut job, &vm, origin, end);
                jobs.push(job)
            }
            None => empty.push(id),
        }
    }
    let mut notes = vec![match millis {
        true => "timestamps of 10^11 or more were read as milliseconds".to_string(),
        false => {
            "the header says `Timestamp [ms]` but the values are Unix seconds: read as seconds"
                .to_string()
        }
    }];
    if !empty.is_empty() {
        notes.push(format!(
            "{} VMs have no provisioned row and are left out: {}",
            empty.len(),
            empty.join(", ")
        ));
    }
    if !repeats.is_empty() {
        notes.push(format!(
            "rows whose time repeats or goes back were left out (the first row at a time is kept), in VMs {}",
            repeats.join(", ")
        ));
    }
    let mut trace = Trace { jobs };
    trace.sort();
    Ok(Imported { trace, notes })
}

/// CPUs and limit from the VM's rows; started/running flags against the whole trace, since
/// each VM file covers the same month.
fn finish(job: &mut TraceJob, vm: &Vm, origin: f64, end: f64) {
    job.meta.cpu = (vm.cores > 0.0).then_some(vm.cores);
    job.meta.limit_bytes = (vm.provisioned > 0.0).then_some(vm.provisioned);
    let near = edge_tolerance(vm.times.windows(2).map(|w| w[1] - w[0]).collect());
    job.meta.started_before = job.meta.start_s <= near;
    job.meta.running_at_end = origin + job.meta.start_s + job.span() >= end - near;
}

struct Vm {
    times: Vec<f64>,
    usage: Vec<Option<f64>>,
    cores: f64,
    provisioned: f64,
    millis: bool,
    /// Rows at or before the time of the row kept before them.
    out_of_order: usize,
}

fn read_vm(file: &Path, text: &str) -> Result<Vm, InputError> {
    let fail = |line: usize, field: &str, m: String| InputError {
        file: file.to_path_buf(),
        line: Some(line),
        field: (!field.is_empty()).then(|| field.to_string()),
        message: m,
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| fail(1, "", e.to_string()))?
        .clone();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| fail(1, name, "missing column".into()))
    };
    let (t, cores, cap, used) = (
        column("Timestamp [ms]")?,
        column("CPU cores")?,
        column("Memory capacity provisioned [KB]")?,
        column("Memory usage [KB]")?,
    );
    let mut vm = Vm {
        times: Vec::new(),
        usage: Vec::new(),
        cores: 0.0,
        provisioned: 0.0,
        millis: false,
        out_of_order: 0,
    };
    for row in csv_records(&mut reader) {
        let (line, r) = row.map_err(|(line, m)| fail(line, "", m))?;
        let number = |k: usize| -> Result<f64, InputError> {
            let cell = r.get(k).unwrap_or("");
            cell.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| {
                    fail(
                        line,
                        &header[k],
                        format!("expected a non-negative number, got `{cell}`"),
                    )
                })
        };
        let mut time = number(t)?;
        if time >= SECONDS_BELOW {
            time /= 1000.0;
            vm.millis = true;
        }
        if vm.times.last().is_some_and(|&prev| time <= prev) {
            vm.out_of_order += 1;
            continue;
        }
        let capacity = number(cap)? * KB;
        vm.times.push(time);
        vm.usage.push(
            (capacity > 0.0)
                .then(|| number(used).map(|u| u * KB))
                .transpose()?,
        );
        vm.cores = vm.cores.max(number(cores)?);
        vm.provisioned = vm.provisioned.max(capacity);
    }
    Ok(vm)
}

/// (file name, text) of every VM file: the members of a tar archive (gzip or not), the
/// `.csv` files of a folder, or the one file given.
fn vm_files(path: &Path) -> Result<Vec<(String, String)>, InputError> {
    let fail = |m: String| InputError {
        file: path.to_path_buf(),
        line: None,
        field: None,
        message: m,
    };
    let text = |name: String, bytes: Vec<u8>| {
        String::from_utf8(bytes)
            .map(|t| (name.clone(), t))
            .map_err(|_| fail(format!("{name} is not UTF-8 text")))
    };
    let mut out = Vec::new();
    if path.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| fail(e.to_string()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .collect();
        names.sort();
        for p in names {
            let bytes = std::fs::read(&p).map_err(|e| fail(e.to_string()))?;
            out.push(text(
                p.file_name().unwrap().to_string_lossy().into(),
                bytes,
            )?);
        }
        return Ok(out);
    }
    let bytes = read_input(path)?;
    // A tar archive says `ustar` at offset 257.
    if bytes.get(257..262) != Some(b"ustar".as_slice()) {
        let name = path
            .file_name()
            .map_or("vm.csv".into(), |n| n.to_string_lossy().into());
        return Ok(vec![text(name, bytes)?]);
    }
    let mut archive = tar::Archive::new(bytes.as_slice());
    let entries = archive
        .entries()
        .map_err(|e| fail(format!("truncated or corrupt tar: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| fail(format!("truncated or corrupt tar: {e}")))?;
        let name = entry.path().map_err(|e| fail(e.to_string()))?.into_owned();
        if !entry.header().entry_type().is_file() || name.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| fail(format!("truncated or corrupt tar: {e}")))?;
        out.push(text(name.to_string_lossy().into(), bytes)?);
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    if out.is_empty() {
        return Err(fail("the archive holds no .csv file".into()));
    }
    Ok(out)
}
