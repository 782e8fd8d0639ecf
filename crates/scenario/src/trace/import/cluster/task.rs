//! One task's facts put together into a job: its usage windows in the time frame become its
//! series, its events say its request, priority, whether it ran before the frame and how it
//! ended.

use std::collections::BTreeMap;

use crate::record::percentile;
use crate::trace::import::cluster::spill::{Fact, Kind};
use crate::trace::{JobMeta, TraceJob};

/// The facts of one task, as they came.
pub struct Task {
    /// (start, end, value) per usage window.
    usage: Vec<(f64, f64, f64)>,
    limit: f64,
    /// (time, kind, memory, cpu, priority).
    events: Vec<(f64, Kind, f64, f64, f64)>,
    whole: Option<(f64, f64, f64, f64, Kind)>,
}

/// The part of the trace imported: `[origin, end)` in seconds since the trace's start.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub origin: f64,
    pub end: f64,
}

/// What the trace's numbers are in: bytes and CPUs per unit; `of_request`: usage is a percent
/// of the task's own request (Alibaba's containers), not a normalised amount.
#[derive(Clone, Copy, Debug)]
pub struct Units {
    pub memory: f64,
    pub cpu: f64,
    pub of_request: bool,
}

/// Which tasks to keep: by tier name and by priority range; empty keeps all.
#[derive(Clone, Debug, Default)]
pub struct Keep {
    pub tiers: Vec<String>,
    pub priority: Option<(i64, i64)>,
}

/// How many tasks or rows an import left out or changed, by reason: the import's notes.
pub type Tally = BTreeMap<String, usize>;

pub fn count(tally: &mut Tally, reason: &str) {
    match tally.get_mut(reason) {
        Some(n) => *n += 1,
        None => {
            tally.insert(reason.to_string(), 1);
        }
    }
}

impl Default for Task {
    fn default() -> Task {
        Task {
            usage: Vec::new(),
            limit: f64::NAN,
            events: Vec::new(),
            whole: None,
        }
    }
}

impl Task {
    pub fn add(&mut self, fact: Fact) {
        match fact {
            Fact::Usage {
                start,
                end,
                memory,
                limit,
            } => {
                self.usage.push((start, end, memory));
                if !limit.is_nan() {
                    self.limit = limit;
                }
            }
            Fact::Event {
                time,
                kind,
                memory,
                cpu,
                priority,
            } => self.events.push((time, kind, memory, cpu, priority)),
            Fact::Whole {
                start,
                end,
                memory,
                cpu,
                ended,
            } => self.whole = Some((start, end, memory, cpu, ended)),
        }
    }

    /// The job this task is within `frame`, or None (with the reason tallied) when it has no
    /// usage there or `keep` leaves it out. `tier` names the class of a priority (`whole`: the
    /// task is known only whole).
    pub fn finish(
        mut self,
        name: &str,
        frame: Frame,
        units: Units,
        keep: &Keep,
        tier: fn(Option<i64>, bool) -> Option<&'static str>,
        tally: &mut Tally,
    ) -> Option<TraceJob> {
        self.events.sort_by(|a, b| a.0.total_cmp(&b.0));
        let seen: Vec<_> = self
            .events
            .iter()
            .copied()
            .filter(|e| e.0 < frame.end)
            .collect();
        let last = |pick: fn(&(f64, Kind, f64, f64, f64)) -> f64| {
            seen.iter().map(pick).rev().find(|v| !v.is_nan())
        };
        let priority = last(|e| e.4).map(|p| p as i64);
        let class = tier(priority, self.whole.is_some());
        if !kept(keep, priority, class) {
            count(tally, "tasks left out by --tier or --priority");
            return None;
        }
        let request = last(|e| e.2).map(|m| m * units.memory);
        let cpu = last(|e| e.3).map(|c| c * units.cpu);
        // Rescheduled after an eviction, a task runs again: only the last ending counts.
        let mut ended = None;
        for e in &seen {
            match e.1 {
                Kind::Schedule => ended = None,
                k => ended = k.ending().or(ended),
            }
        }
        let meta = JobMeta {
            job: name.to_string(),
            class: class.map(str::to_string),
            cpu,
            request_bytes: request,
            limit_bytes: (!self.limit.is_nan()).then_some(self.limit * units.memory),
            priority,
            ..JobMeta::default()
        };
        match self.whole {
            Some(w) => whole(meta, w, frame, units, tally),
            None => self.series(meta, ended, frame, units, tally),
        }
    }

    fn series(
        mut self,
        mut meta: JobMeta,
        ended: Option<&str>,
        frame: Frame,
        units: Units,
        tally: &mut Tally,
    ) -> Option<TraceJob> {
        self.usage
            .retain(|u| u.0 >= frame.origin && u.0 < frame.end);
        if self.usage.is_empty() {
            count(
                tally,
                "tasks with no usage in the time frame (or on the sampled machines)",
            );
            return None;
        }
        self.usage.sort_by(|a, b| a.0.total_cmp(&b.0));
        let before = self.usage.len();
        self.usage.dedup_by(|b, a| a.0 == b.0);
        for _ in self.usage.len()..before {
            count(
                tally,
                "usage windows repeated for a task (the first is kept)",
            );
        }
        let scale = match (units.of_request, meta.request_bytes) {
            (false, _) => units.memory,
            (true, Some(r)) => r / 100.0,
            (true, None) => {
                count(
                    tally,
                    "tasks whose usage is a percent of a size the trace does not give",
                );
                return None;
            }
        };
        let (first, last_end) = (self.usage[0].0, self.usage[self.usage.len() - 1].1);
        let gaps: Vec<f64> = self.usage.windows(2).map(|w| w[1].0 - w[0].0).collect();
        let near = 2.0 * percentile(&gaps, 0.5).max(0.0);
        let scheduled = self.events.iter().find(|e| e.1 == Kind::Schedule);
        meta.start_s = first - frame.origin;
        meta.started_before = match scheduled {
            Some(s) => s.0 < frame.origin,
            None => first <= frame.origin + near,
        };
        // Events that say nothing of a task's life (Alibaba's container sizes) leave its end to
        // its samples.
        let lifecycle = self.events.iter().any(|e| e.1 != Kind::Other);
        meta.running_at_end = match lifecycle {
            true => ended.is_none(),
            false => last_end >= frame.end - near,
        };
        meta.ended = ended.map(str::to_string);
        let last_start = self.usage[self.usage.len() - 1].0;
        // Point samples (no window) leave the duration to the sampling step.
        meta.duration_s =
            (last_end > last_start).then(|| (last_end.min(frame.end) - first).max(0.0));
        let samples = self
            .usage
            .iter()
            .map(|&(t, _, v)| (t - first, v * scale))
            .collect();
        Some(TraceJob { meta, samples })
    }
}

fn kept(keep: &Keep, priority: Option<i64>, class: Option<&str>) -> bool {
    let tier = keep.tiers.is_empty() || class.is_some_and(|c| keep.tiers.iter().any(|t| t == c));
    let range = keep
        .priority
        .is_none_or(|(lo, hi)| priority.is_some_and(|p| (lo..=hi).contains(&p)));
    tier && range
}

/// A task known only by its start, end and one memory figure: one sample held throughout.
fn whole(
    mut meta: JobMeta,
    (start, end, memory, cpu, ended): (f64, f64, f64, f64, Kind),
    frame: Frame,
    units: Units,
    tally: &mut Tally,
) -> Option<TraceJob> {
    if !(start >= frame.origin && start < frame.end) {
        count(tally, "tasks that start outside the time frame");
        return None;
    }
    meta.start_s = start - frame.origin;
    meta.cpu = (!cpu.is_nan()).then_some(cpu * units.cpu).or(meta.cpu);
    // An end past the frame (or none at all) is not seen, whatever the status says.
    let seen = end <= frame.end;
    meta.ended = ended.ending().filter(|_| seen).map(str::to_string);
    meta.running_at_end = !seen || ended.ending().is_none();
    meta.duration_s = Some((end.min(frame.end) - start).max(0.0));
    Some(TraceJob {
        meta,
        samples: vec![(0.0, memory * units.memory)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(p: Option<i64>, _: bool) -> Option<&'static str> {
        p.map(|p| if p >= 120 { "production" } else { "free" })
    }

    const UNITS: Units = Units {
        memory: 1000.0,
        cpu: 10.0,
        of_request: false,
    };

    fn usage(start: f64, memory: f64) -> Fact {
        Fact::Usage {
            start,
            end: start + 300.0,
            memory,
            limit: 0.5,
        }
    }

    fn event(time: f64, kind: Kind) -> Fact {
        Fact::Event {
            time,
            kind,
            memory: 0.25,
            cpu: 0.1,
            priority: 200.0,
        }
    }

    #[test]
    fn an_evicted_and_rescheduled_task_ends_by_its_last_event_within_the_frame() {
        let mut t = Task::default();
        for f in [
            event(f64::NEG_INFINITY, Kind::Schedule),
            usage(600.0, 0.2),
            usage(0.0, 0.1),
            usage(300.0, 0.1),
            usage(300.0, 0.9),
            event(700.0, Kind::Evict),
            event(800.0, Kind::Schedule),
            event(5000.0, Kind::Finish),
        ] {
            t.add(f);
        }
        let frame = Frame {
            origin: 0.0,
            end: 3600.0,
        };
        let mut tally = Tally::new();
        let j = t
            .finish("7-1", frame, UNITS, &Keep::default(), tier, &mut tally)
            .unwrap();
        assert_eq!(
            j.samples,
            vec![(0.0, 100.0), (300.0, 100.0), (600.0, 200.0)]
        );
        assert_eq!(j.meta.class.as_deref(), Some("production"));
        assert_eq!((j.meta.request_bytes, j.meta.cpu), (Some(250.0), Some(1.0)));
        assert_eq!(j.meta.limit_bytes, Some(500.0));
        assert!(j.meta.started_before && j.meta.running_at_end);
        assert_eq!(j.meta.ended, None);
        assert_eq!(j.meta.duration_s, Some(900.0));
        assert_eq!(
            tally["usage windows repeated for a task (the first is kept)"],
            1
        );
    }

    #[test]
    fn tiers_and_priorities_keep_or_leave_a_task() {
        let task = || {
            let mut t = Task::default();
            t.add(usage(0.0, 0.1));
            t.add(event(10.0, Kind::Finish));
            t
        };
        let frame = Frame {
            origin: 0.0,
            end: 1e9,
        };
        let mut tally = Tally::new();
        let keep = |tiers: &[&str], priority| Keep {
            tiers: tiers.iter().map(|s| s.to_string()).collect(),
            priority,
        };
        let run = |k: Keep, tally: &mut Tally| task().finish("a", frame, UNITS, &k, tier, tally);
        assert!(run(keep(&["free"], None), &mut tally).is_none());
        assert!(run(keep(&[], Some((0, 199))), &mut tally).is_none());
        let j = run(keep(&["production"], Some((200, 200))), &mut tally).unwrap();
        assert_eq!(j.meta.ended.as_deref(), Some("finished"));
        assert!(!j.meta.running_at_end);
        assert_eq!(tally["tasks left out by --tier or --priority"], 2);
    }

    #[test]
    fn a_whole_task_ends_only_within_the_frame() {
        let frame = Frame {
            origin: 0.0,
            end: 100.0,
        };
        let whole = |end: f64, ended: Kind| {
            let mut t = Task::default();
            t.add(Fact::Whole {
                start: 10.0,
                end,
                memory: 0.5,
                cpu: 2.0,
                ended,
            });
            t.finish("b", frame, UNITS, &Keep::default(), tier, &mut Tally::new())
                .unwrap()
        };
        let done = whole(40.0, Kind::Finish);
        assert_eq!(done.meta.ended.as_deref(), Some("finished"));
        assert!(!done.meta.running_at_end);
        assert_eq!(
            (done.meta.duration_s, done.samples.clone()),
            (Some(30.0), vec![(0.0, 500.0)])
        );
        // Its status says it finished, but not when: still running at the frame's end.
        let open = whole(f64::INFINITY, Kind::Finish);
        assert_eq!(open.meta.ended, None);
        assert!(open.meta.running_at_end);
        assert_eq!(open.meta.duration_s, Some(90.0));
        assert!(whole(40.0, Kind::Other).meta.running_at_end);
    }
}
