//! What monitoring has shown of each job's growth: how much its memory rose over horizons of
//! 1, 2, 4 ... 32 monitoring steps, its own and pooled over the jobs seen at the same age (the
//! prior of a job too new to have a history of its own). Increments over a horizon, not per
//! step, so that a ramp that goes on and a jump that comes once are both what they were. Fed
//! the views the controller decides on, and nothing else.

use std::collections::{BTreeMap, VecDeque};

use crate::engine::SimTime;
use crate::model::JobId;
use crate::policy::{ClusterView, JobView};

/// The horizons, in steps: a longer one is scaled from the last as if its pace went on.
const HORIZONS: [usize; 6] = [1, 2, 4, 8, 16, 32];
/// Increments kept per job and horizon: recent behaviour (a ramp goes on ramping).
const OWN: usize = 16;
/// Increments kept per age cohort and horizon: the prior, over many jobs.
const POOLED: usize = 2048;
/// Age cohorts: ages in powers of two of minutes, the last holding every older job.
const COHORTS: usize = 12;
/// How many of its own increments weigh as much as the prior.
const PRIOR_WEIGHT: f64 = 4.0;

/// A bounded window of increments, newest last, also kept sorted: a tail is a binary search,
/// since every decision asks many.
#[derive(Clone, Debug, Default)]
struct Window {
    values: VecDeque<f64>,
    sorted: Vec<f64>,
    rise: f64,
}

impl Window {
    fn push(&mut self, value: f64, cap: usize) {
        if self.values.len() == cap {
            if let Some(old) = self.values.pop_front() {
                let at = self.sorted.partition_point(|&v| v < old);
                self.sorted.remove(at);
                self.rise -= old.max(0.0);
            }
        }
        self.values.push_back(value);
        let at = self.sorted.partition_point(|&v| v < value);
        self.sorted.insert(at, value);
        self.rise += value.max(0.0);
    }

    fn len(&self) -> f64 {
        self.values.len() as f64
    }

    /// The fraction of increments above `x`, and the mean rise (a fall counted as none).
    fn tail_and_mean(&self, x: f64) -> (f64, f64) {
        if self.values.is_empty() {
            return (0.0, 0.0);
        }
        let above = self.sorted.len() - self.sorted.partition_point(|&v| v <= x);
        (above as f64 / self.len(), self.rise.max(0.0) / self.len())
    }
}

/// One job's recent memory, one figure per view, and its increments per horizon.
#[derive(Clone, Debug, Default)]
struct Track {
    memory: VecDeque<f64>,
    own: [Window; HORIZONS.len()],
}

/// The growth of every job monitoring has shown.
#[derive(Clone, Debug, Default)]
pub struct Growth {
    last: Option<SimTime>,
    /// Seconds between views (the first gap seen: monitoring is periodic).
    step: Option<f64>,
    jobs: BTreeMap<JobId, Track>,
    cohorts: Vec<[Window; HORIZONS.len()]>,
}

fn cohort(age_s: f64) -> usize {
    let minutes = (age_s / 60.0).max(0.0) + 1.0;
    (minutes.log2().floor() as usize).min(COHORTS - 1)
}

impl Growth {
    /// Reads a view once (a view seen before, or older, changes nothing). A job not in it is
    /// forgotten: it ended, or runs where the view holds no jobs.
    pub fn observe(&mut self, view: &ClusterView) {
        if self.last.is_some_and(|t| view.time <= t) {
            return;
        }
        if let (None, Some(last)) = (self.step, self.last) {
            self.step = Some((view.time - last).as_secs());
        }
        self.last = Some(view.time);
        if self.cohorts.is_empty() {
            self.cohorts = vec![Default::default(); COHORTS];
        }
        let mut seen = BTreeMap::new();
        for job in view
            .with_jobs
            .iter()
            .flat_map(|n| &view.nodes[n.index()].jobs)
        {
            let mut track = self.jobs.remove(&job.id).unwrap_or_default();
            if track.memory.len() > HORIZONS[HORIZONS.len() - 1] {
                track.memory.pop_front();
            }
            track.memory.push_back(job.memory);
            let cohort = &mut self.cohorts[cohort(job.age)];
            for (h, &steps) in HORIZONS.iter().enumerate() {
                let Some(&then) = track.memory.iter().rev().nth(steps) else {
                    break;
                };
                let rise = job.memory - then;
                track.own[h].push(rise, OWN);
                cohort[h].push(rise, POOLED);
            }
            seen.insert(job.id, track);
        }
        self.jobs = seen;
    }

    /// Seconds between the views it learns from, once it has seen two.
    pub fn step(&self) -> Option<f64> {
        self.step.filter(|&s| s > 0.0)
    }

    /// The probability that `job` rises by more than `x` within `seconds`, and its expected
    /// rise: its own history blended with its age cohort's.
    pub fn rise(&self, job: &JobView, seconds: f64, x: f64) -> (f64, f64) {
        let Some(step) = self.step() else {
            return (0.0, 0.0);
        };
        let steps = (seconds / step).ceil().max(1.0) as usize;
        let (h, scale) = match HORIZONS.iter().position(|&s| s >= steps) {
            Some(h) => (h, 1.0),
            None => {
                let last = HORIZONS.len() - 1;
                (last, steps as f64 / HORIZONS[last] as f64)
            }
        };
        let empty = Window::default();
        let own = self.jobs.get(&job.id).map_or(&empty, |t| &t.own[h]);
        let prior = self.cohorts.get(cohort(job.age)).map_or(&empty, |c| &c[h]);
        let (n, w) = (
            own.len(),
            if prior.len() > 0.0 { PRIOR_WEIGHT } else { 0.0 },
        );
        if n + w == 0.0 {
            return (0.0, 0.0);
        }
        let (own_tail, own_mean) = own.tail_and_mean(x / scale);
        let (prior_tail, prior_mean) = prior.tail_and_mean(x / scale);
        let blend = |a: f64, b: f64| (n * a + w * b) / (n + w);
        (
            blend(own_tail, prior_tail),
            scale * blend(own_mean, prior_mean),
        )
    }
}
