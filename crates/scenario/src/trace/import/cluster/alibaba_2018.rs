//! Alibaba's cluster-trace-v2018 (about 4,000 machines over 8 days): headerless CSV files, each
//! published as a `.tar.gz` of one CSV (`container_usage.tar.gz`).
//!
//! - `machine_meta`: machine_id, time_stamp, failure_domain_1, failure_domain_2, cpu_num,
//!   mem_size (normalised, [0, 100]), status.
//! - `container_meta`: container_id, machine_id, time_stamp, app_du, status, cpu_request and
//!   cpu_limit (100 is one core), mem_size (normalised, [0, 100]): a container's size.
//! - `container_usage`: container_id, machine_id, time_stamp, cpu_util_percent,
//!   mem_util_percent, then cpi, mem_gps, mpki, net_in, net_out, disk_io_percent. The memory
//!   is a percent of the container's own `mem_size`, so a container without a meta row cannot
//!   be read (counted).
//! - `batch_instance`: instance_name, task_name, job_name, task_type, status, start_time,
//!   end_time, machine_id, seq_no, total_seq_no, cpu_avg, cpu_max, mem_avg, mem_max (memory
//!   normalised, [0, 100]): a batch instance has no series, so it becomes a job that holds its
//!   mean (or, with `--usage maximum`, its peak) from start to end.
//!
//! Times are seconds since the trace's start. Containers are the `online` tier and batch
//! instances the `batch` tier. Documented quirks: a sample may be missing (an empty field,
//! counted and left out) or repeated at a timestamp (the first is kept, counted).

use std::io::Write as _;

use migsim_core::engine::fnv1a;

use crate::trace::import::cluster::google_2011::{fields, number, required, Fields};
use crate::trace::import::cluster::spill::{Fact, Kind};
use crate::trace::import::cluster::task::Units;
use crate::trace::import::cluster::{Parsed, RowError, Schema, Table, Usage};

pub struct Alibaba2018;

const GIB: f64 = (1u64 << 30) as f64;

const MACHINE: &[&str] = &[
    "machine_id",
    "time_stamp",
    "failure_domain_1",
    "failure_domain_2",
    "cpu_num",
    "mem_size",
    "status",
];
const META: &[&str] = &[
    "container_id",
    "machine_id",
    "time_stamp",
    "app_du",
    "status",
    "cpu_request",
    "cpu_limit",
    "mem_size",
];
const USAGE: &[&str] = &[
    "container_id",
    "machine_id",
    "time_stamp",
    "cpu_util_percent",
    "mem_util_percent",
    "cpi",
    "mem_gps",
    "mpki",
    "net_in",
    "net_out",
    "disk_io_percent",
];
const BATCH: &[&str] = &[
    "instance_name",
    "task_name",
    "job_name",
    "task_type",
    "status",
    "start_time",
    "end_time",
    "machine_id",
    "seq_no",
    "total_seq_no",
    "cpu_avg",
    "cpu_max",
    "mem_avg",
    "mem_max",
];

/// A machine's ID as a number (the trace's are strings such as `m_1932`).
fn machine(id: &str) -> u64 {
    fnv1a(id.as_bytes())
}

fn named<'a>(f: &Fields<'a>, names: &[&str], i: usize) -> Result<&'a str, RowError> {
    match f[i] {
        "" => Err(RowError::at(names[i], "is empty; the schema requires it")),
        v => Ok(v),
    }
}

/// A normalised size or a percent: [0, 100].
fn percent(v: Option<f64>, names: &[&str], i: usize) -> Result<f64, RowError> {
    match v {
        None => Ok(f64::NAN),
        Some(x) if (0.0..=100.0).contains(&x) => Ok(x),
        Some(x) => Err(RowError::at(
            names[i],
            format!("expected a value in [0, 100], got {x}"),
        )),
    }
}

fn status(s: &str) -> Option<Kind> {
    Some(match s {
        "Terminated" => Kind::Finish,
        "Failed" => Kind::Fail,
        "Cancelled" => Kind::Kill,
        "Interrupted" => Kind::Evict,
        "Running" | "Waiting" | "Ready" => Kind::Other,
        _ => return None,
    })
}

impl Schema for Alibaba2018 {
    const TABLE_NAMES: &'static [(&'static str, Table)] = &[
        ("machine_meta", Table::Machines),
        ("container_meta", Table::Events),
        ("container_usage", Table::Usage),
        ("batch_instance", Table::Whole),
        ("machine_usage", Table::Unused),
        ("batch_task", Table::Unused),
    ];
    const TIERS: &'static [&'static str] = &["online", "batch"];
    const MACHINE_MEMORY: f64 = 512.0 * GIB;
    const MACHINE_CPU: f64 = 1.0;
    const FULL: f64 = 100.0;

    /// Sizes are percents of the largest machine; CPUs are counted as such (`cpu_num`, and
    /// requests in hundredths of a core), so `--machine-cpu` does not apply.
    fn units(machine_memory: f64, _: f64) -> Units {
        Units {
            memory: machine_memory / Self::FULL,
            cpu: 1.0,
            of_request: true,
        }
    }

    fn tier(_: Option<i64>, whole: bool) -> Option<&'static str> {
        Some(if whole { "batch" } else { "online" })
    }

    fn parse(
        table: Table,
        line: &[u8],
        usage: Usage,
        key: &mut Vec<u8>,
    ) -> Result<Parsed, RowError> {
        match table {
            Table::Machines => {
                let f = fields(line, MACHINE, &[7])?;
                let id = named(&f, MACHINE, 0)?;
                key.extend_from_slice(id.as_bytes());
                let cpu: Option<f64> = number(&f, MACHINE, 4)?;
                Ok(Parsed::Machine {
                    id: machine(id),
                    cpu: cpu.filter(|c| *c > 0.0),
                    memory: Some(percent(number(&f, MACHINE, 5)?, MACHINE, 5)?)
                        .filter(|m| !m.is_nan()),
                })
            }
            Table::Events => {
                let f = fields(line, META, &[8])?;
                key.extend_from_slice(named(&f, META, 0)?.as_bytes());
                let cpu: Option<f64> = number(&f, META, 5)?;
                Ok(Parsed::Task {
                    machine: None,
                    collection: None,
                    fact: Fact::Event {
                        time: required(&f, META, 2)?,
                        kind: Kind::Other,
                        memory: percent(number(&f, META, 7)?, META, 7)?,
                        cpu: cpu.map_or(f64::NAN, |c| c / 100.0),
                        priority: f64::NAN,
                    },
                    note: None,
                })
            }
            Table::Usage => {
                let f = fields(line, USAGE, &[11])?;
                key.extend_from_slice(named(&f, USAGE, 0)?.as_bytes());
                let time: f64 = required(&f, USAGE, 2)?;
                let Some(memory) = number::<f64>(&f, USAGE, 4)? else {
                    return Ok(Parsed::Skip(
                        "container samples without mem_util_percent left out",
                    ));
                };
                Ok(Parsed::Task {
                    machine: Some(machine(named(&f, USAGE, 1)?)),
                    collection: None,
                    fact: Fact::Usage {
                        start: time,
                        end: time,
                        memory: percent(Some(memory), USAGE, 4)?,
                        limit: f64::NAN,
                    },
                    note: None,
                })
            }
            Table::Whole => {
                let f = fields(line, BATCH, &[14])?;
                let (instance, task, job) = (
                    named(&f, BATCH, 0)?,
                    named(&f, BATCH, 1)?,
                    named(&f, BATCH, 2)?,
                );
                let _ = write!(key, "{job}/{task}/{instance}");
                if let Some(seq) =
                    number::<i64>(&f, BATCH, 8)?.filter(|_| f[9] != "1" && !f[9].is_empty())
                {
                    let _ = write!(key, "#{seq}");
                }
                let column = if usage == Usage::Maximum { 13 } else { 12 };
                let Some(memory) = number::<f64>(&f, BATCH, column)? else {
                    return Ok(Parsed::Skip(
                        "batch instances without a memory figure left out",
                    ));
                };
                let start: f64 = required(&f, BATCH, 5)?;
                let end: f64 = number(&f, BATCH, 6)?.unwrap_or(0.0);
                let (end, mut note) = match end >= start && end > 0.0 {
                    true => (end, None),
                    false => (f64::INFINITY, Some("batch instances with no end (0, empty or before their start), taken as still running")),
                };
                let ended = status(f[4]).unwrap_or_else(|| {
                    note = Some("batch instances of an unknown status, taken as not ended");
                    Kind::Other
                });
                let cpu: Option<f64> = number(&f, BATCH, 10)?;
                Ok(Parsed::Task {
                    machine: (!f[7].is_empty()).then(|| machine(f[7])),
                    collection: None,
                    fact: Fact::Whole {
                        start,
                        end,
                        memory: percent(Some(memory), BATCH, column)?,
                        cpu: cpu.map_or(f64::NAN, |c| c / 100.0),
                        ended,
                    },
                    note,
                })
            }
            Table::Collections | Table::Unused => Ok(Parsed::Skip("rows of tables not needed")),
        }
    }
}
