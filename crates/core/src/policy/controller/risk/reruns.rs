//! What a job did in its previous run, by age. A job whose age went back to zero was restarted:
//! its run was cut short (the OOM killer, a failed node), and it runs the same program again
//! from the start, so the rise its previous run showed over a span of age is what to expect of
//! it over the same span now. A run the OOM killer cut short outgrew its node, and the views
//! cannot tell that from a failed node: every run cut short is taken to end, one monitoring step
//! after it was last seen, at its memory then plus what its node had free, since that is what
//! killing it took.
//!
//! Memory stays bounded: a run keeps at most `2 * KEPT` samples (every other one dropped when
//! full, so a long run is seen more coarsely), and of the jobs that left the views (waiting for
//! a node, or done) only the last `LEFT` are remembered.

use std::collections::{BTreeMap, VecDeque};

use crate::model::JobId;

/// Samples a run keeps before it drops every other one.
const KEPT: usize = 128;
/// Jobs remembered after they left the views.
const LEFT: usize = 4096;

/// A run's memory by age, thinned evenly.
#[derive(Clone, Debug, Default)]
struct Run {
    /// (age, memory), oldest first.
    samples: Vec<(f64, f64)>,
    /// Keep one sample of this many.
    stride: usize,
    seen: usize,
    /// The last view of it, kept or not: (age, memory, its node's free memory).
    last: (f64, f64, f64),
}

impl Run {
    fn push(&mut self, age: f64, memory: f64, free: f64) {
        self.stride = self.stride.max(1);
        if self.seen.is_multiple_of(self.stride) {
            self.samples.push((age, memory));
            if self.samples.len() == 2 * KEPT {
                let mut keep = false;
                self.samples.retain(|_| {
                    keep = !keep;
                    keep
                });
                self.stride *= 2;
            }
        }
        self.seen += 1;
        self.last = (age, memory, free);
    }

    /// The run as it ended when cut short `step` seconds after its last sample.
    fn cut_short(mut self, step: f64) -> Self {
        let (age, memory, free) = self.last;
        if self.seen > 0 {
            if self.samples.last() != Some(&(age, memory)) {
                self.samples.push((age, memory));
            }
            self.samples.push((age + step, memory + free.max(0.0)));
        }
        self
    }

    /// How far its memory rose above its figure at age `from` within `seconds` after it; none
    /// if it was not seen that young.
    fn rise(&self, from: f64, seconds: f64) -> Option<f64> {
        let start = self.samples.partition_point(|s| s.0 <= from);
        let base = self.samples.get(start.checked_sub(1)?)?.1;
        let end = self.samples.partition_point(|s| s.0 <= from + seconds);
        let top = self.samples[start..end]
            .iter()
            .map(|s| s.1)
            .fold(base, f64::max);
        Some(top - base)
    }
}

/// A job's run as last seen.
#[derive(Clone, Debug, Default)]
struct Seen {
    age: f64,
    run: Run,
    /// The view it was last in, and whether it has left the views since.
    view: u64,
    gone: bool,
}

/// Every job's current run, and the previous run of those that were restarted.
#[derive(Clone, Debug, Default)]
pub struct Reruns {
    runs: BTreeMap<JobId, Seen>,
    previous: BTreeMap<JobId, Run>,
    /// The views read so far.
    view: u64,
    /// Jobs that left the views, the longest gone first, with the view each was last in (an
    /// entry is stale if the job came back since), and how many are still gone.
    left: VecDeque<(JobId, u64)>,
    gone: usize,
}

impl Reruns {
    /// Job `id`, on a node with `free` bytes free, is `age` seconds into its run with `memory`
    /// bytes in the view being read; `step` is the time between views. Says whether this is a
    /// new run of it.
    pub fn observe(&mut self, id: JobId, age: f64, memory: f64, free: f64, step: f64) -> bool {
        let seen = self.runs.entry(id).or_default();
        let restarted = age < seen.age;
        if restarted {
            let ended = std::mem::take(&mut seen.run).cut_short(step);
            self.previous.insert(id, ended);
        }
        if seen.gone {
            self.gone -= 1;
        }
        (seen.age, seen.view, seen.gone) = (age, self.view + 1, false);
        seen.run.push(age, memory, free);
        restarted
    }

    /// The view is read: the jobs it did not show have left.
    pub fn next_view(&mut self) {
        self.view += 1;
        for (&id, seen) in self.runs.iter_mut() {
            if seen.view < self.view && !seen.gone {
                seen.gone = true;
                self.gone += 1;
                self.left.push_back((id, seen.view));
            }
        }
        while self.gone > LEFT {
            let Some((id, view)) = self.left.pop_front() else {
                break;
            };
            if self.runs.get(&id).is_some_and(|s| s.gone && s.view == view) {
                self.runs.remove(&id);
                self.previous.remove(&id);
                self.gone -= 1;
            }
        }
    }

    /// What job `id`'s previous run rose by from age `age` within `seconds`, if it has one that
    /// was seen that young.
    pub fn rise(&self, id: JobId, age: f64, seconds: f64) -> Option<f64> {
        self.previous.get(&id)?.rise(age, seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A job that ramps by 1 a step, restarted at age 5 with 3 free on its node: its rerun
    /// expects the ramp over a span inside the old run, and the kill where a span reaches it.
    #[test]
    fn a_rerun_expects_its_previous_run_and_the_kill_that_ended_it() {
        let mut r = Reruns::default();
        for s in 0..=5 {
            r.observe(JobId(0), 10.0 * s as f64, s as f64, 3.0, 10.0);
            r.next_view();
        }
        assert_eq!(r.rise(JobId(0), 0.0, 20.0), None, "not restarted yet");
        r.observe(JobId(0), 0.0, 0.0, 100.0, 10.0);
        assert_eq!(r.rise(JobId(0), 0.0, 20.0), Some(2.0));
        assert_eq!(r.rise(JobId(0), 15.0, 20.0), Some(2.0));
        // Last seen at 50 s with 5; killed by 60 s, past 5 + 3.
        assert_eq!(r.rise(JobId(0), 40.0, 20.0), Some(4.0));
        assert_eq!(r.rise(JobId(0), 50.0, 5.0), Some(0.0));
    }

    /// A long run keeps a bounded, even thinning of itself, and a rise over a span shows.
    #[test]
    fn a_long_run_is_thinned_and_keeps_its_rises() {
        let mut r = Reruns::default();
        for s in 0..10_000 {
            let memory = if s >= 6000 { 50.0 } else { 1.0 };
            r.observe(JobId(3), s as f64, memory, 2.0, 1.0);
        }
        r.observe(JobId(3), 0.0, 1.0, 0.0, 1.0);
        let previous = &r.previous[&JobId(3)];
        assert!(previous.samples.len() <= 2 * KEPT + 2);
        assert_eq!(r.rise(JobId(3), 5000.0, 2000.0), Some(49.0));
        assert_eq!(r.rise(JobId(3), 1000.0, 2000.0), Some(0.0));
        // Its last view (at 9999 s, whether kept or not) and the kill a step later.
        assert_eq!(previous.samples[previous.samples.len() - 2], (9999.0, 50.0));
        assert_eq!(r.rise(JobId(3), 9990.0, 20.0), Some(2.0));
    }

    /// Of the jobs that left the views only the most recent are kept; one that comes back is
    /// not counted as gone.
    #[test]
    fn jobs_that_left_are_forgotten_oldest_first() {
        let mut r = Reruns::default();
        let n = LEFT as u32 + 10;
        for id in 0..n {
            r.observe(JobId(id), 1.0, 1.0, 0.0, 1.0);
        }
        r.next_view();
        r.observe(JobId(0), 2.0, 1.0, 0.0, 1.0);
        r.next_view();
        r.next_view();
        assert_eq!(r.runs.len(), LEFT);
        assert!(r.runs.contains_key(&JobId(0)), "it left last");
        assert!(!r.runs.contains_key(&JobId(1)));
    }
}
