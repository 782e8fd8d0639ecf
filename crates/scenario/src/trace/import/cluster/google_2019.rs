//! Google's 2019 cluster traces (ClusterData 2019, trace format v3): newline-delimited JSON, as
//! BigQuery exports the tables (`instance_usage-000000000000.json.gz`, one folder
//! `clusterdata_2019_<cell>` per cell).
//!
//! - `machine_events`: `machine_id`, `capacity {cpus, memory}` (normalised to the largest
//!   machine).
//! - `collection_events`: a collection's `priority`, for its instances' events that lack one.
//! - `instance_events`: `time`, `type` (0 SUBMIT ... 10 UPDATE_RUNNING), `collection_id`,
//!   `instance_index`, `priority`, `resource_request {cpus, memory}`.
//! - `instance_usage`: `start_time`, `end_time`, `collection_id`, `instance_index`,
//!   `machine_id`, `average_usage` and `maximum_usage {cpus, memory}`, `assigned_memory` (the
//!   limit).
//!
//! Quirks, as documented: times are microseconds since 600 s before the trace's start; 0 means
//! before the trace and 2^63-1 after it. BigQuery writes 64-bit integers as strings, so both
//! forms are read. Any field may be missing (a missing `maximum_usage` falls back to the
//! average, counted); a task is `<collection_id>-<instance_index>`. Alloc sets (collection type
//! 1) are reservations, not tasks, and are left out.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::io::Write as _;

use crate::trace::import::cluster::spill::{Fact, Kind};
use crate::trace::import::cluster::{Parsed, RowError, Schema, Table, Usage};

pub struct Google2019;

/// The trace's start, in its microseconds.
const START_US: i64 = 600_000_000;
/// "After the end of the trace".
const AFTER: i64 = i64::MAX;
const GIB: f64 = (1u64 << 30) as f64;

/// A 64-bit integer, as a JSON number or as the string BigQuery exports.
#[derive(Clone, Copy, Debug)]
struct Int(i64);

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Int, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Int;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer, or an integer in a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Int, E> {
                Ok(Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Int, E> {
                i64::try_from(v)
                    .map(Int)
                    .map_err(|_| E::custom("beyond 2^63-1"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Int, E> {
                v.parse()
                    .map(Int)
                    .map_err(|_| E::custom(format!("expected an integer, got `{v}`")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default, Clone, Copy)]
struct Resources {
    cpus: Option<f64>,
    memory: Option<f64>,
}

#[derive(Deserialize)]
struct MachineRow {
    machine_id: Int,
    capacity: Option<Resources>,
}

#[derive(Deserialize)]
struct CollectionRow {
    collection_id: Int,
    priority: Option<Int>,
}

#[derive(Deserialize)]
struct EventRow {
    time: Int,
    #[serde(rename = "type")]
    kind: Int,
    collection_id: Int,
    instance_index: Int,
    priority: Option<Int>,
    collection_type: Option<Int>,
    resource_request: Option<Resources>,
}

#[derive(Deserialize)]
struct UsageRow {
    start_time: Int,
    end_time: Int,
    collection_id: Int,
    instance_index: Int,
    machine_id: Option<Int>,
    collection_type: Option<Int>,
    average_usage: Option<Resources>,
    maximum_usage: Option<Resources>,
    assigned_memory: Option<f64>,
}

/// Seconds since the trace's start; minus and plus infinity for before and after it.
pub(super) fn seconds(us: i64, field: &str) -> Result<f64, RowError> {
    match us {
        0 => Ok(f64::NEG_INFINITY),
        AFTER => Ok(f64::INFINITY),
        t if t < 0 => Err(RowError::at(
            field,
            format!("a time cannot be negative, got {t}"),
        )),
        t => Ok((t - START_US) as f64 / 1e6),
    }
}

/// A normalised amount: finite and not negative; absent as NaN.
pub(super) fn amount(v: Option<f64>, field: &str) -> Result<f64, RowError> {
    match v {
        None => Ok(f64::NAN),
        Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
        Some(x) => Err(RowError::at(
            field,
            format!("expected a normalised amount >= 0, got {x}"),
        )),
    }
}

fn json<'a, T: Deserialize<'a>>(line: &'a [u8]) -> Result<T, RowError> {
    serde_json::from_slice(line).map_err(|_| {
        // The slow path names the field.
        let mut d = serde_json::Deserializer::from_slice(line);
        match serde_path_to_error::deserialize::<_, de::IgnoredAny>(&mut d) {
            Err(e) => RowError {
                field: None,
                message: format!("not JSON: {}", e.inner()),
            },
            Ok(_) => {
                let mut d = serde_json::Deserializer::from_slice(line);
                let e = serde_path_to_error::deserialize::<_, T>(&mut d).err();
                match e {
                    Some(e) => RowError {
                        field: Some(e.path().to_string()).filter(|p| p != "."),
                        message: e.inner().to_string(),
                    },
                    None => RowError {
                        field: None,
                        message: "unreadable row".into(),
                    },
                }
            }
        }
    })
}

fn task_key(key: &mut Vec<u8>, collection: Int, index: Int) {
    let _ = write!(key, "{}-{}", collection.0, index.0);
}

fn event_kind(t: i64) -> Result<Kind, RowError> {
    Ok(match t {
        0 => Kind::Submit,
        3 => Kind::Schedule,
        4 => Kind::Evict,
        5 => Kind::Fail,
        6 => Kind::Finish,
        7 => Kind::Kill,
        8 => Kind::Lost,
        9 | 10 => Kind::Update,
        1 | 2 => Kind::Other,
        t => {
            return Err(RowError::at(
                "type",
                format!("expected an event type 0-10, got {t}"),
            ))
        }
    })
}

impl Schema for Google2019 {
    const TABLE_NAMES: &'static [(&'static str, Table)] = &[
        ("machine_events", Table::Machines),
        ("collection_events", Table::Collections),
        ("instance_events", Table::Events),
        ("instance_usage", Table::Usage),
        ("machine_attributes", Table::Unused),
    ];
    const TIERS: &'static [&'static str] = &["free", "beb", "mid", "production", "monitoring"];
    const MACHINE_MEMORY: f64 = 256.0 * GIB;
    const MACHINE_CPU: f64 = 96.0;

    /// The tiers of the v3 document: free (priority <= 99), best-effort batch (110-115; the
    /// document names no tier for 100-109, which are counted here), mid (116-119), production
    /// (120-359), monitoring (>= 360).
    fn tier(priority: Option<i64>, _: bool) -> Option<&'static str> {
        Some(match priority? {
            ..=99 => "free",
            100..=115 => "beb",
            116..=119 => "mid",
            120..=359 => "production",
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
                let r: MachineRow = json(line)?;
                let c = r.capacity.unwrap_or_default();
                let _ = write!(key, "{}", r.machine_id.0);
                Ok(Parsed::Machine {
                    id: r.machine_id.0 as u64,
                    cpu: Some(amount(c.cpus, "capacity.cpus")?).filter(|x| !x.is_nan()),
                    memory: Some(amount(c.memory, "capacity.memory")?).filter(|x| !x.is_nan()),
                })
            }
            Table::Collections => {
                let r: CollectionRow = json(line)?;
                Ok(Parsed::Collection {
                    id: r.collection_id.0,
                    priority: r.priority.map(|p| p.0),
                })
            }
            Table::Events => {
                let r: EventRow = json(line)?;
                if r.collection_type.is_some_and(|t| t.0 == 1) {
                    return Ok(Parsed::Skip(
                        "instance events of alloc sets (reservations, not tasks) left out",
                    ));
                }
                task_key(key, r.collection_id, r.instance_index);
                let request = r.resource_request.unwrap_or_default();
                Ok(Parsed::Task {
                    machine: None,
                    collection: Some(r.collection_id.0),
                    fact: Fact::Event {
                        time: seconds(r.time.0, "time")?,
                        kind: event_kind(r.kind.0)?,
                        memory: amount(request.memory, "resource_request.memory")?,
                        cpu: amount(request.cpus, "resource_request.cpus")?,
                        priority: r.priority.map_or(f64::NAN, |p| p.0 as f64),
                    },
                    note: None,
                })
            }
            Table::Usage => {
                let r: UsageRow = json(line)?;
                if r.collection_type.is_some_and(|t| t.0 == 1) {
                    return Ok(Parsed::Skip(
                        "usage rows of alloc sets (reservations, not tasks) left out",
                    ));
                }
                let average = r.average_usage.and_then(|u| u.memory);
                let mut note = None;
                let memory = match (usage, r.maximum_usage.and_then(|u| u.memory)) {
                    (Usage::Average, _) => average,
                    (Usage::Maximum, Some(m)) => Some(m),
                    (Usage::Maximum, None) => {
                        // Documented as possibly missing: the mean stands in.
                        note = Some("usage windows without a maximum, read at their average");
                        average
                    }
                };
                let Some(memory) = memory else {
                    return Ok(Parsed::Skip("usage rows without a memory figure left out"));
                };
                let (start, end) = (
                    seconds(r.start_time.0, "start_time")?,
                    seconds(r.end_time.0, "end_time")?,
                );
                if !(start.is_finite() && end.is_finite() && end >= start) {
                    return Err(RowError::at("end_time", format!("a usage window must lie within the trace and end after it starts; got {}..{}", r.start_time.0, r.end_time.0)));
                }
                task_key(key, r.collection_id, r.instance_index);
                Ok(Parsed::Task {
                    machine: r.machine_id.map(|m| m.0 as u64),
                    collection: Some(r.collection_id.0),
                    fact: Fact::Usage {
                        start,
                        end,
                        memory: amount(
                            Some(memory),
                            if usage == Usage::Maximum {
                                "maximum_usage.memory"
                            } else {
                                "average_usage.memory"
                            },
                        )?,
                        limit: amount(r.assigned_memory, "assigned_memory")?,
                    },
                    note,
                })
            }
            Table::Whole | Table::Unused => Ok(Parsed::Skip("rows of tables not needed")),
        }
    }
}
