//! Facts about tasks, spilled to disk in partitions by a hash of the task, so that a task's
//! facts, wherever they stand in the input, can be put together one partition at a time.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use migsim_core::engine::fnv1a;

/// What one input row says about a task. Times in seconds since the trace's start (minus and
/// plus infinity: before and after the trace); absent numbers are NaN.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fact {
    /// Memory in use over a window: normalised (Google), or a percent of the task's own size
    /// (Alibaba containers). `limit` is the memory limit the row gives.
    Usage {
        start: f64,
        end: f64,
        memory: f64,
        limit: f64,
    },
    /// A scheduler event, with the request and priority it carries.
    Event {
        time: f64,
        kind: Kind,
        memory: f64,
        cpu: f64,
        priority: f64,
    },
    /// A task known only by its start, end and mean or peak memory (Alibaba's batch
    /// instances): one sample held throughout.
    Whole {
        start: f64,
        end: f64,
        memory: f64,
        cpu: f64,
        ended: Kind,
    },
}

/// Scheduler events, as both Google traces and Alibaba's statuses name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Submit,
    Schedule,
    Update,
    Evict,
    Fail,
    Finish,
    Kill,
    Lost,
    /// Anything else (queued, enabled, still running).
    Other,
}

impl Kind {
    const ALL: [Kind; 9] = [
        Kind::Submit,
        Kind::Schedule,
        Kind::Update,
        Kind::Evict,
        Kind::Fail,
        Kind::Finish,
        Kind::Kill,
        Kind::Lost,
        Kind::Other,
    ];

    /// How a task ended, when this event ends it.
    pub fn ending(self) -> Option<&'static str> {
        match self {
            Kind::Evict => Some("evicted"),
            Kind::Fail => Some("failed"),
            Kind::Finish => Some("finished"),
            Kind::Kill => Some("killed"),
            Kind::Lost => Some("lost"),
            _ => None,
        }
    }
}

/// Which partition a task's facts go to: a stable hash of its key, so that the same input
/// always spills the same way.
pub fn partition(key: &[u8], parts: usize) -> usize {
    (fnv1a(key) % parts as u64) as usize
}

/// The partitions, each a file in a temporary folder that goes with the spill (beside the
/// output: a full trace spills tens of GB, more than a system's temporary folder may hold).
///
/// A record is a byte of flags (the fact's tag in the low five bits; `SAME_KEY`: the task of
/// the record before it in the partition, so its key is not repeated; for usage, `POINT`: a
/// window that ends where it starts, `NO_LIMIT`: no limit), the key (a u16 length and its
/// bytes) unless the same, then the fact's numbers as f64.
pub struct Spill {
    dir: tempfile::TempDir,
    writers: Vec<BufWriter<File>>,
    last: Vec<Vec<u8>>,
}

const SAME_KEY: u8 = 1 << 5;
const POINT: u8 = 1 << 6;
const NO_LIMIT: u8 = 1 << 7;
const TAG: u8 = 0x1f;

impl Spill {
    pub fn new(parts: usize, beside: &Path) -> io::Result<Spill> {
        let dir = tempfile::Builder::new()
            .prefix(".migsim-import-spill")
            .tempdir_in(beside)?;
        let writers = (0..parts)
            .map(|p| {
                let file = File::create(dir.path().join(p.to_string()))?;
                Ok(BufWriter::with_capacity(1 << 16, file))
            })
            .collect::<io::Result<_>>()?;
        Ok(Spill {
            dir,
            writers,
            last: vec![Vec::new(); parts],
        })
    }

    pub fn parts(&self) -> usize {
        self.writers.len()
    }

    pub fn put(&mut self, key: &[u8], fact: &Fact) -> io::Result<()> {
        let p = partition(key, self.writers.len());
        let (mut flags, numbers, count): (u8, [f64; 4], usize) = match *fact {
            Fact::Usage {
                start,
                end,
                memory,
                limit,
            } => {
                let (point, none) = (end == start, limit.is_nan());
                let flags = if point { POINT } else { 0 } | if none { NO_LIMIT } else { 0 };
                let numbers = match (point, none) {
                    (true, true) => [start, memory, 0.0, 0.0],
                    (true, false) => [start, memory, limit, 0.0],
                    (false, true) => [start, end, memory, 0.0],
                    (false, false) => [start, end, memory, limit],
                };
                (flags, numbers, 4 - usize::from(point) - usize::from(none))
            }
            Fact::Event {
                time,
                kind,
                memory,
                cpu,
                priority,
            } => (1 + kind as u8, [time, memory, cpu, priority], 4),
            Fact::Whole {
                start,
                end,
                memory,
                cpu,
                ended,
            } => (16 + ended as u8, [start, end, memory, cpu], 4),
        };
        let same = self.last[p] == key;
        if same {
            flags |= SAME_KEY;
        }
        let w = &mut self.writers[p];
        w.write_all(&[flags])?;
        if !same {
            let len =
                u16::try_from(key.len()).map_err(|_| io::Error::other("task key too long"))?;
            w.write_all(&len.to_le_bytes())?;
            w.write_all(key)?;
            self.last[p].clear();
            self.last[p].extend_from_slice(key);
        }
        for n in &numbers[..count] {
            w.write_all(&n.to_le_bytes())?;
        }
        Ok(())
    }

    /// Ends the writing: every partition can then be read, from any thread.
    pub fn seal(&mut self) -> io::Result<()> {
        for w in &mut self.writers {
            w.flush()?;
        }
        Ok(())
    }

    /// Reads partition `p` back (after [`seal`](Spill::seal)), calling `each` with every key
    /// and fact in the order they were put.
    pub fn read(&self, p: usize, each: &mut dyn FnMut(&[u8], Fact)) -> io::Result<()> {
        let file = File::open(self.dir.path().join(p.to_string()))?;
        let mut r = BufReader::with_capacity(1 << 16, file);
        let mut key = Vec::new();
        let mut flags = [0u8; 1];
        loop {
            match r.read_exact(&mut flags) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(e) => return Err(e),
            }
            let flags = flags[0];
            if flags & SAME_KEY == 0 {
                let mut len = [0u8; 2];
                r.read_exact(&mut len)?;
                key.resize(usize::from(u16::from_le_bytes(len)), 0);
                r.read_exact(&mut key)?;
            }
            let mut next = || -> io::Result<f64> {
                let mut b = [0u8; 8];
                r.read_exact(&mut b)?;
                Ok(f64::from_le_bytes(b))
            };
            let fact = match flags & TAG {
                0 => {
                    let start = next()?;
                    let end = if flags & POINT != 0 { start } else { next()? };
                    let memory = next()?;
                    let limit = if flags & NO_LIMIT != 0 {
                        f64::NAN
                    } else {
                        next()?
                    };
                    Fact::Usage {
                        start,
                        end,
                        memory,
                        limit,
                    }
                }
                t @ 1..=15 => Fact::Event {
                    time: next()?,
                    kind: Kind::ALL[usize::from(t - 1)],
                    memory: next()?,
                    cpu: next()?,
                    priority: next()?,
                },
                t => Fact::Whole {
                    start: next()?,
                    end: next()?,
                    memory: next()?,
                    cpu: next()?,
                    ended: Kind::ALL[usize::from(t - 16)],
                },
            };
            each(&key, fact);
        }
    }

    /// Removes partition `p`'s file once read, so the disk holds only what is still to come.
    pub fn drop_part(&self, p: usize) {
        let _ = std::fs::remove_file(self.dir.path().join(p.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_come_back_as_put_in_their_partition() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::new(3, dir.path()).unwrap();
        let facts = [
            Fact::Usage {
                start: 0.0,
                end: 300.0,
                memory: 0.25,
                limit: f64::INFINITY,
            },
            Fact::Event {
                time: f64::NEG_INFINITY,
                kind: Kind::Lost,
                memory: 0.5,
                cpu: 0.1,
                priority: 200.0,
            },
            Fact::Whole {
                start: 1.0,
                end: 2.0,
                memory: 3.0,
                cpu: 4.0,
                ended: Kind::Fail,
            },
            Fact::Usage {
                start: 5.0,
                end: 5.0,
                memory: 0.5,
                limit: 7.0,
            },
        ];
        for f in &facts {
            spill.put(b"7-1", f).unwrap();
        }
        // A point sample with no limit, of another task in the same partition.
        let other = (0..)
            .map(|i| format!("x{i}"))
            .find(|k| partition(k.as_bytes(), 3) == partition(b"7-1", 3))
            .unwrap();
        let point = Fact::Usage {
            start: 9.0,
            end: 9.0,
            memory: 1.0,
            limit: f64::NAN,
        };
        spill.put(other.as_bytes(), &point).unwrap();
        spill.put(b"7-1", &facts[0]).unwrap();
        spill.seal().unwrap();
        let p = partition(b"7-1", 3);
        let mut back = Vec::new();
        spill
            .read(p, &mut |k, f| back.push((k.to_vec(), f)))
            .unwrap();
        assert_eq!(back.len(), 6);
        for (got, want) in back.iter().zip(&facts) {
            assert_eq!(got.0, b"7-1");
            assert_eq!(&got.1, want);
        }
        assert_eq!(back[4].0, other.as_bytes());
        assert!(
            matches!(back[4].1, Fact::Usage { start: 9.0, end: 9.0, memory: 1.0, limit } if limit.is_nan())
        );
        assert_eq!(back[5], (b"7-1".to_vec(), facts[0]));
        for other in (0..3).filter(|&q| q != p) {
            let mut n = 0;
            spill.read(other, &mut |_, _| n += 1).unwrap();
            assert_eq!(n, 0);
        }
    }
}
