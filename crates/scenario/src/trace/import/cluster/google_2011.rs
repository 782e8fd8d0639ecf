//! Google's 2011 cluster trace (clusterdata-2011-2, format v2.1): headerless CSV shards,
//! `task_usage/part-00000-of-00500.csv.gz` and so on.
//!
//! - `machine_events`: time, machine ID, event type (0 ADD, 1 REMOVE, 2 UPDATE), platform ID,
//!   CPUs, memory (normalised to the largest machine; empty when unknown).
//! - `task_events`: time, missing info, job ID, task index, machine ID, event type (0 SUBMIT,
//!   1 SCHEDULE, 2 EVICT, 3 FAIL, 4 FINISH, 5 KILL, 6 LOST, 7 UPDATE_PENDING, 8
//!   UPDATE_RUNNING), user, scheduling class, priority (0-11), CPU request, memory request,
//!   disk request, different-machines restriction.
//! - `task_usage`: start, end, job ID, task index, machine ID, CPU rate, canonical memory
//!   usage, assigned memory, unmapped page cache, total page cache, maximum memory usage, then
//!   disk, CPI and sampling columns (19 in clusterdata-2011-1, 20 in -2).
//!
//! Times are microseconds since 600 s before the trace's start, 0 and 2^63-1 meaning before
//! and after it, as in 2019. A task is `<job ID>-<task index>`. `job_events` is not needed.

use std::io::Write as _;

use crate::trace::import::cluster::google_2019::{amount, seconds};
use crate::trace::import::cluster::spill::{Fact, Kind};
use crate::trace::import::cluster::{Parsed, RowError, Schema, Table, Usage};

pub struct Google2011;

const GIB: f64 = (1u64 << 30) as f64;

/// The most fields a row of these tables has.
const MAX_FIELDS: usize = 20;

/// A headerless CSV line's fields (unquoted, as published), checked for their count.
pub(super) struct Fields<'a> {
    f: [&'a str; MAX_FIELDS],
}

impl<'a> std::ops::Index<usize> for Fields<'a> {
    type Output = &'a str;
    fn index(&self, i: usize) -> &&'a str {
        &self.f[i]
    }
}

pub(super) fn fields<'a>(
    line: &'a [u8],
    names: &[&str],
    counts: &[usize],
) -> Result<Fields<'a>, RowError> {
    let text = std::str::from_utf8(line).map_err(|_| RowError {
        field: None,
        message: "not UTF-8 text".into(),
    })?;
    let mut f = [""; MAX_FIELDS];
    let mut n = 0;
    let mut from = 0;
    // Commas are ASCII, so splitting the bytes cuts the text at character boundaries.
    for at in memchr_iter(b',', line).chain(std::iter::once(line.len())) {
        if n < MAX_FIELDS {
            f[n] = &text[from..at];
        }
        n += 1;
        from = at + 1;
    }
    if !counts.contains(&n) {
        let want: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
        return Err(RowError {
            field: None,
            message: format!(
                "expected {} fields ({}), got {n}",
                want.join(" or "),
                names.join(", ")
            ),
        });
    }
    Ok(Fields { f })
}

/// Where `byte` stands in `line`.
fn memchr_iter(byte: u8, line: &[u8]) -> impl Iterator<Item = usize> + '_ {
    line.iter()
        .enumerate()
        .filter(move |(_, &b)| b == byte)
        .map(|(i, _)| i)
}

/// Field `i` (named `names[i]`) as a number; empty gives None.
pub(super) fn number<T: std::str::FromStr>(
    f: &Fields,
    names: &[&str],
    i: usize,
) -> Result<Option<T>, RowError> {
    match f[i] {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| RowError::at(names[i], format!("expected a number, got `{v}`"))),
    }
}

/// Field `i` as a number that must be there.
pub(super) fn required<T: std::str::FromStr>(
    f: &Fields,
    names: &[&str],
    i: usize,
) -> Result<T, RowError> {
    number(f, names, i)?.ok_or_else(|| RowError::at(names[i], "is empty; the schema requires it"))
}

const MACHINE: &[&str] = &[
    "timestamp",
    "machine ID",
    "event type",
    "platform ID",
    "CPUs",
    "memory",
];
const EVENT: &[&str] = &[
    "timestamp",
    "missing info",
    "job ID",
    "task index",
    "machine ID",
    "event type",
    "user",
    "scheduling class",
    "priority",
    "CPU request",
    "memory request",
    "disk space request",
    "different machines restriction",
];
const USAGE: &[&str] = &[
    "start time",
    "end time",
    "job ID",
    "task index",
    "machine ID",
    "CPU rate",
    "canonical memory usage",
    "assigned memory usage",
    "unmapped page cache",
    "total page cache",
    "maximum memory usage",
    "disk I/O time",
    "local disk space usage",
    "maximum CPU rate",
    "maximum disk IO time",
    "cycles per instruction",
    "memory accesses per instruction",
    "sample portion",
    "aggregation type",
    "sampled CPU usage",
];

fn event_kind(t: i64) -> Result<Kind, RowError> {
    Ok(match t {
        0 => Kind::Submit,
        1 => Kind::Schedule,
        2 => Kind::Evict,
        3 => Kind::Fail,
        4 => Kind::Finish,
        5 => Kind::Kill,
        6 => Kind::Lost,
        7 | 8 => Kind::Update,
        t => return Err(RowError::at("event type", format!("expected 0-8, got {t}"))),
    })
}

impl Schema for Google2011 {
    const TABLE_NAMES: &'static [(&'static str, Table)] = &[
        ("machine_events", Table::Machines),
        ("task_events", Table::Events),
        ("task_usage", Table::Usage),
        ("job_events", Table::Unused),
        ("machine_attributes", Table::Unused),
        ("task_constraints", Table::Unused),
    ];
    const TIERS: &'static [&'static str] = &["free", "mid", "production", "monitoring"];
    const MACHINE_MEMORY: f64 = 256.0 * GIB;
    const MACHINE_CPU: f64 = 96.0;

    /// The 2011 document's bands: free (0-1), middle (2-8), production (9-11), monitoring (12).
    fn tier(priority: Option<i64>, _: bool) -> Option<&'static str> {
        Some(match priority? {
            ..=1 => "free",
            2..=8 => "mid",
            9..=11 => "production",
            _ => "monitoring",
        })
    }

    fn parse(
        table: Table,
        line: &[u8],
        usage: Usage,
        key: &mut Vec<u8>,
    ) -> Result<Parsed, RowError> {
        match table {
            Table::Machines => {
                let f = fields(line, MACHINE, &[6])?;
                let id: i64 = required(&f, MACHINE, 1)?;
                let _ = write!(key, "{id}");
                let positive = |i| -> Result<Option<f64>, RowError> {
                    Ok(Some(amount(number(&f, MACHINE, i)?, MACHINE[i])?).filter(|x| !x.is_nan()))
                };
                Ok(Parsed::Machine {
                    id: id as u64,
                    cpu: positive(4)?,
                    memory: positive(5)?,
                })
            }
            Table::Events => {
                let f = fields(line, EVENT, &[13])?;
                let job: i64 = required(&f, EVENT, 2)?;
                let index: i64 = required(&f, EVENT, 3)?;
                let _ = write!(key, "{job}-{index}");
                let priority: i64 = required(&f, EVENT, 8)?;
                if !(0..=11).contains(&priority) {
                    return Err(RowError::at(
                        "priority",
                        format!("expected 0-11, got {priority}"),
                    ));
                }
                Ok(Parsed::Task {
                    machine: None,
                    collection: Some(job),
                    fact: Fact::Event {
                        time: seconds(required(&f, EVENT, 0)?, "timestamp")?,
                        kind: event_kind(required(&f, EVENT, 5)?)?,
                        memory: amount(number(&f, EVENT, 10)?, "memory request")?,
                        cpu: amount(number(&f, EVENT, 9)?, "CPU request")?,
                        priority: priority as f64,
                    },
                    note: None,
                })
            }
            Table::Usage => {
                let f = fields(line, USAGE, &[19, 20])?;
                let job: i64 = required(&f, USAGE, 2)?;
                let index: i64 = required(&f, USAGE, 3)?;
                let column = if usage == Usage::Maximum { 10 } else { 6 };
                let Some(memory) = number::<f64>(&f, USAGE, column)? else {
                    return Ok(Parsed::Skip("usage rows without a memory figure left out"));
                };
                let (start, end) = (
                    seconds(required(&f, USAGE, 0)?, "start time")?,
                    seconds(required(&f, USAGE, 1)?, "end time")?,
                );
                if !(start.is_finite() && end.is_finite() && end >= start) {
                    return Err(RowError::at("end time", format!("a usage window must lie within the trace and end after it starts; got {}..{}", f[0], f[1])));
                }
                let _ = write!(key, "{job}-{index}");
                let machine: i64 = required(&f, USAGE, 4)?;
                Ok(Parsed::Task {
                    machine: Some(machine as u64),
                    collection: Some(job),
                    fact: Fact::Usage {
                        start,
                        end,
                        memory: amount(Some(memory), USAGE[column])?,
                        limit: amount(number(&f, USAGE, 7)?, "assigned memory usage")?,
                    },
                    note: None,
                })
            }
            Table::Collections | Table::Whole | Table::Unused => {
                Ok(Parsed::Skip("rows of tables not needed"))
            }
        }
    }
}
