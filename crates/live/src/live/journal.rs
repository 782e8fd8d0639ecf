//! The run's journal: every change to the live run (a job started or ended, each step of a
//! migration, each node sample) is appended and flushed to disk before it takes effect or
//! right after the fact is observed. A restarted adapter rebuilds the run from it, and finishes
//! or rolls back the migration that was in flight.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::migration::Mechanism;

pub const FILE: &str = "journal.jsonl";

/// One line. Times are simulated seconds since the run's origin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "kebab-case")]
pub enum Entry {
    /// The first line: what the run is and when it began (seconds since the Unix epoch).
    Begin {
        session: String,
        scenario: String,
        seed: u64,
        origin_unix_s: f64,
        speed: f64,
        scale: f64,
    },
    Started {
        t: f64,
        job: u32,
        node: u32,
    },
    Ended {
        t: f64,
        job: u32,
        how: Ending,
        /// Scenario bytes it held when last seen.
        memory: f64,
        /// Simulated seconds of work it had done.
        work_s: f64,
    },
    Migration {
        t: f64,
        id: u32,
        step: Step,
    },
    Sample {
        t: f64,
        node: u32,
        used: f64,
        migration_memory: f64,
        cpu_requested: f64,
        jobs: u32,
        cordoned: bool,
    },
    Cordon {
        t: f64,
        node: u32,
        cordoned: bool,
    },
    Shortage {
        t: f64,
        node: u32,
        job: u32,
        bytes: f64,
    },
    /// The run ended and its outputs were written.
    Finish {
        t: f64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ending {
    Finished,
    OomKilled,
    /// Gone without finishing and without an OOM kill.
    Exited,
}

/// A migration's steps, each written before it is taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    Issued {
        job: u32,
        source: u32,
        target: u32,
        mechanism: Mechanism,
        cause: String,
    },
    /// About to freeze and dump it; `memory` in scenario bytes, `work_s` the work it had done
    /// (lost if it is restarted).
    Freezing {
        memory: f64,
        work_s: f64,
    },
    /// The dump is done: the source copy is stopped, and its pages are on the target (for
    /// post-copy: its state is, and the source serves its pages).
    Dumped {
        bytes_sent: f64,
    },
    /// About to restore on the target.
    Restoring,
    /// post-copy: every page is on the target; `bytes_sent` counts them with the images.
    Pulled {
        bytes_sent: f64,
    },
    /// It runs on the target; the stopped source copy is about to be killed.
    Restored,
    Complete {
        downtime_s: f64,
    },
    /// It runs on the source again (or, for a restart, nowhere and is re-queued).
    Failed {
        reason: String,
        downtime_s: f64,
    },
    Cancelled {
        reason: String,
    },
}

impl Step {
    /// Its name, as recoveries report where a move stopped and a Migration's status names
    /// its step.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Issued { .. } => "issued",
            Step::Freezing { .. } => "freezing",
            Step::Dumped { .. } => "dumped",
            Step::Restoring => "restoring",
            Step::Pulled { .. } => "pulled",
            Step::Restored => "restored",
            Step::Complete { .. } => "complete",
            Step::Failed { .. } => "failed",
            Step::Cancelled { .. } => "cancelled",
        }
    }
}

/// The journal, open for appending.
pub struct Journal {
    path: PathBuf,
    file: File,
    /// What went wrong on the way that the run carried on from (an entry it could not write,
    /// a job it could not start): `live.json`'s notes, since the library prints nothing.
    notes: Vec<String>,
}

impl Journal {
    /// A new journal in `dir`; an existing one is an error (the caller decides on resuming).
    pub fn create(dir: &Path) -> io::Result<Journal> {
        let path = dir.join(FILE);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| {
                io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display()))
            })?;
        lock(&file, &path)?;
        Ok(Journal {
            path,
            file,
            notes: Vec::new(),
        })
    }

    /// Opens `dir`'s journal to append to it, with every entry it holds.
    pub fn reopen(dir: &Path) -> io::Result<(Journal, Vec<Entry>)> {
        let path = dir.join(FILE);
        let file = OpenOptions::new().append(true).open(&path)?;
        lock(&file, &path)?;
        let entries = read(&path)?;
        let notes = Vec::new();
        Ok((Journal { path, file, notes }, entries))
    }

    /// Appends and flushes to disk: once this returns, a crash cannot lose the entry.
    pub fn append(&mut self, entry: &Entry) -> io::Result<()> {
        let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }

    /// Appends, or notes that it could not: the run goes on either way.
    pub fn append_or_note(&mut self, entry: &Entry) {
        if let Err(e) = self.append(entry) {
            self.note(format!("cannot write the journal: {e}"));
        }
    }

    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }

    pub fn take_notes(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notes)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// One writer per journal: a second adapter on the same run (a `--resume` while the first
/// still runs) would interleave its entries with the first's. The lock goes with the file
/// descriptor, so a killed adapter releases it.
fn lock(file: &File, path: &Path) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock(2) on a descriptor this function borrows.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    Err(match e.kind() {
        io::ErrorKind::WouldBlock => io::Error::new(
            e.kind(),
            format!(
                "{} is in use by another process (is the run still going?)",
                path.display()
            ),
        ),
        _ => io::Error::new(e.kind(), format!("cannot lock {}: {e}", path.display())),
    })
}

/// Every entry of a journal. A last line cut short by a crash is dropped; any other bad line
/// is an error naming the file and the line.
pub fn read(path: &Path) -> io::Result<Vec<Entry>> {
    let file = File::open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot read {}: {e}", path.display())))?;
    let lines: Vec<String> = BufReader::new(file).lines().collect::<io::Result<_>>()?;
    let mut entries = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        match serde_json::from_str(line) {
            Ok(e) => entries.push(e),
            Err(_) if i + 1 == lines.len() => break,
            Err(e) => {
                return Err(io::Error::other(format!(
                    "{}:{}: not a journal entry: {e}",
                    path.display(),
                    i + 1
                )))
            }
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_survive_a_torn_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(dir.path()).unwrap();
        let a = Entry::Started {
            t: 1.5,
            job: 0,
            node: 1,
        };
        let b = Entry::Migration {
            t: 2.0,
            id: 0,
            step: Step::Failed {
                reason: "x".into(),
                downtime_s: 0.25,
            },
        };
        j.append(&a).unwrap();
        j.append(&b).unwrap();
        assert!(Journal::create(dir.path()).is_err(), "never overwritten");
        let busy = Journal::reopen(dir.path())
            .err()
            .expect("one writer at a time");
        assert!(busy.to_string().contains("in use"), "{busy}");
        drop(j);
        let (_, again) = Journal::reopen(dir.path()).expect("free once its writer is gone");
        assert_eq!(again, vec![a.clone(), b.clone()]);
        let path = dir.path().join(FILE);
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{\"entry\":\"sta");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read(&path).unwrap(), vec![a.clone(), b.clone()]);
        std::fs::write(&path, format!("oops\n{text}")).unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("journal.jsonl:1:"), "{err}");
    }
}

/// A migration the journal shows begun and not ended.
#[derive(Clone, Debug, PartialEq)]
pub struct InFlight {
    pub id: u32,
    pub job: u32,
    pub source: u32,
    pub target: u32,
    pub mechanism: Mechanism,
    /// The last step journaled.
    pub last: Step,
    pub frozen_at: Option<f64>,
    pub restored_at: Option<f64>,
    pub last_t: f64,
}

/// The migrations in flight at the end of `entries`.
pub fn in_flight(entries: &[Entry]) -> Vec<InFlight> {
    let mut open: Vec<InFlight> = Vec::new();
    for e in entries {
        let Entry::Migration { t, id, step } = e else {
            continue;
        };
        match step {
            Step::Issued {
                job,
                source,
                target,
                mechanism,
                ..
            } => open.push(InFlight {
                id: *id,
                job: *job,
                source: *source,
                target: *target,
                mechanism: *mechanism,
                last: step.clone(),
                frozen_at: None,
                restored_at: None,
                last_t: *t,
            }),
            Step::Complete { .. } | Step::Failed { .. } | Step::Cancelled { .. } => {
                open.retain(|m| m.id != *id)
            }
            _ => {
                if let Some(m) = open.iter_mut().find(|m| m.id == *id) {
                    match step {
                        Step::Freezing { .. } => m.frozen_at = Some(*t),
                        Step::Restored => m.restored_at = Some(*t),
                        _ => {}
                    }
                    m.last = step.clone();
                    m.last_t = *t;
                }
            }
        }
    }
    open
}
