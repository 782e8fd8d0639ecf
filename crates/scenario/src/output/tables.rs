//! The CSV and JSON-lines tables. Numbers are written in canonical units (seconds, bytes);
//! floats use Rust's shortest round-trip form, so equal runs give equal bytes.

use std::io::{self, Write};

use rayon::prelude::*;
use serde::Serialize;

use crate::engine::SimTime;
use crate::record::RecordedEvent;
use crate::record::RunOutput;

/// The one CSV configuration of every table: a table's chunks are written apart and joined, so
/// they must all be written alike.
fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new().from_writer(w)
}

/// Rows a thread formats at once, and chunks formatted before they are written: a wave holds
/// a few megabytes, whatever the size of the table.
const CHUNK_ROWS: usize = 1 << 14;
const WAVE_CHUNKS: usize = 8;

/// Writes row `i` of a table.
type Row<'a> = dyn Fn(usize, &mut csv::Writer<Vec<u8>>) -> csv::Result<()> + Sync + 'a;

/// Writes `header`, then the rows `0..count` as `row` writes them, formatted in chunks on
/// rayon's threads and written in order: every CSV table goes through it. Formatting floats
/// is most of the cost of writing a big run's tables; a CSV writer starts each record afresh, so the bytes are those one writer
/// would give, on any number of threads.
fn write_table<const N: usize>(
    w: &mut dyn Write,
    header: [&str; N],
    count: usize,
    row: &Row,
) -> io::Result<()> {
    let mut out = csv_writer(&mut *w);
    out.write_record(header)?;
    out.flush()?;
    drop(out);
    let starts: Vec<usize> = (0..count).step_by(CHUNK_ROWS).collect();
    for wave in starts.chunks(WAVE_CHUNKS) {
        let chunks: Vec<csv::Result<Vec<u8>>> = wave
            .par_iter()
            .map(|&start| {
                let mut out = csv_writer(Vec::new());
                (start..count.min(start + CHUNK_ROWS)).try_for_each(|i| row(i, &mut out))?;
                out.into_inner().map_err(|e| e.into_error().into())
            })
            .collect();
        for chunk in chunks {
            w.write_all(&chunk?)?;
        }
    }
    Ok(())
}

fn secs(t: SimTime) -> String {
    t.as_secs().to_string()
}

fn opt_secs(t: Option<SimTime>) -> String {
    t.map(secs).unwrap_or_default()
}

fn bytes(b: f64) -> String {
    format!("{:.0}", b.max(0.0))
}

pub fn jobs(w: &mut dyn Write, run: &RunOutput) -> io::Result<()> {
    let header = [
        "job",
        "name",
        "class",
        "node",
        "arrival_s",
        "start_s",
        "end_s",
        "outcome",
        "work_s",
        "request_bytes",
        "peak_bytes",
        "starts",
        "nodes_visited",
        "oom_kills",
        "migrations",
        "lost_work_s",
        "wait_s",
    ];
    let count = run.cluster.jobs.len().min(run.record.jobs.len());
    write_table(w, header, count, &|i, out| {
        let (job, rec) = (&run.cluster.jobs[i], &run.record.jobs[i]);
        let last_node = rec
            .nodes
            .last()
            .map(|n| run.cluster.node(*n).name.as_str())
            .unwrap_or("");
        out.write_record([
            &i.to_string(),
            &job.spec.name,
            &job.spec.class,
            last_node,
            &secs(job.spec.arrival),
            &opt_secs(rec.first_start),
            &opt_secs(rec.end),
            rec.outcome.as_str(),
            &job.spec.work.as_secs().to_string(),
            &bytes(job.spec.request),
            &bytes(rec.peak_memory),
            &rec.starts.to_string(),
            &rec.nodes.len().to_string(),
            &rec.oom_kills.to_string(),
            &rec.migrations.to_string(),
            &rec.lost_work.as_secs().to_string(),
            &rec.wait.as_secs().to_string(),
        ])
    })
}

pub fn nodes(w: &mut dyn Write, run: &RunOutput) -> io::Result<()> {
    let header = [
        "time_s",
        "node",
        "group",
        "memory_used_bytes",
        "migration_memory_bytes",
        "memory_capacity_bytes",
        "memory_utilization",
        "cpu_requested",
        "jobs",
        "cordoned",
    ];
    let samples = &run.record.node_samples;
    write_table(w, header, samples.len(), &|i, out| {
        let s = &samples[i];
        let node = run.cluster.node(s.node);
        out.write_record([
            &secs(s.time),
            &node.name,
            &node.group,
            &bytes(s.memory_used),
            &format!("{:.0}", s.migration_memory),
            &bytes(s.memory_capacity),
            &format!("{:.6}", s.utilization()),
            &s.cpu_requested.to_string(),
            &s.jobs.to_string(),
            &s.cordoned.to_string(),
        ])
    })
}

/// One row per migration; `start_s` is empty when it never got past its setup, `end_s` and
/// `outcome` when it was still in flight at the end of the run.
pub fn migrations(w: &mut dyn Write, run: &RunOutput) -> io::Result<()> {
    let header = [
        "job",
        "source",
        "target",
        "mechanism",
        "memory_bytes",
        "issued_s",
        "start_s",
        "end_s",
        "downtime_s",
        "bytes_sent",
        "rounds",
        "lost_work_s",
        "outcome",
        "cause",
        "reason",
    ];
    let moves = &run.record.migrations;
    write_table(w, header, moves.len(), &|i, out| {
        let m = &moves[i];
        let outcome = m.outcome.map_or("in-flight", |o| o.as_str());
        out.write_record([
            run.cluster.job(m.job).spec.name.as_str(),
            &run.cluster.node(m.source).name,
            &run.cluster.node(m.target).name,
            m.mechanism.as_str(),
            &bytes(m.memory),
            &secs(m.issued),
            &opt_secs(m.started),
            &opt_secs(m.ended),
            &m.downtime.as_secs().to_string(),
            &bytes(m.bytes_sent),
            &m.rounds.to_string(),
            &m.lost_work.as_secs().to_string(),
            outcome,
            &m.cause,
            &m.reason,
        ])
    })
}

/// One row per OOM kill: when, where, whom, and how much memory the victim held.
pub fn oom_kills(w: &mut dyn Write, run: &RunOutput) -> io::Result<()> {
    let header = ["time_s", "node", "job", "memory_bytes", "lost_work_s"];
    let kills = &run.record.oom_kills;
    write_table(w, header, kills.len(), &|i, out| {
        let k = &kills[i];
        out.write_record([
            &secs(k.time),
            &run.cluster.node(k.node).name,
            &run.cluster.job(k.job).spec.name,
            &bytes(k.memory),
            &k.lost_work.to_string(),
        ])
    })
}

pub fn job_samples(w: &mut dyn Write, run: &RunOutput) -> io::Result<()> {
    let header = ["time_s", "job", "node", "memory_bytes"];
    let samples = run.record.job_samples.as_deref().unwrap_or_default();
    write_table(w, header, samples.len(), &|i, out| {
        let s = &samples[i];
        out.write_record([
            &secs(s.time),
            &run.cluster.job(s.job).spec.name,
            &run.cluster.node(s.node).name,
            &bytes(s.memory),
        ])
    })
}

#[derive(Serialize)]
struct EventLine<'a> {
    time_s: f64,
    event: crate::record::EventKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    job: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    node: Option<&'a str>,
}

pub fn events(w: &mut dyn Write, run: &RunOutput) -> io::Result<()> {
    for e in run.record.events.iter().flatten() {
        let RecordedEvent {
            time,
            kind,
            job,
            node,
        } = e;
        let line = EventLine {
            time_s: time.as_secs(),
            event: *kind,
            job: job.map(|j| run.cluster.job(j).spec.name.as_str()),
            node: node.map(|n| run.cluster.node(n).name.as_str()),
        };
        serde_json::to_writer(&mut *w, &line)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows over several waves of chunks, with fields that need quoting, give the bytes of one
    /// writer, on one thread or many.
    #[test]
    fn a_table_in_chunks_is_the_table_of_one_writer() {
        let count = CHUNK_ROWS * WAVE_CHUNKS * 2 + 7;
        let field = |i: usize| match i % 3 {
            0 => format!("{}", i as f64 / 7.0),
            1 => format!("a,\"b\" {i}"),
            _ => String::new(),
        };
        let mut want = Vec::new();
        {
            let mut out = csv_writer(&mut want);
            out.write_record(["x", "y"]).unwrap();
            for i in 0..count {
                out.write_record([i.to_string(), field(i)]).unwrap();
            }
            out.flush().unwrap();
        }
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut got = Vec::new();
            pool.install(|| {
                write_table(&mut got, ["x", "y"], count, &|i, out| {
                    out.write_record([i.to_string(), field(i)])
                })
            })
            .unwrap();
            assert!(got == want, "{threads} threads: the bytes differ");
        }
    }
}
