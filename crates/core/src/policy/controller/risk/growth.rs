//! What monitoring has shown of each job's growth: how much its memory rose over horizons of
//! 1, 2, 4 ... 32 monitoring steps, its own and pooled over the jobs seen at the same age (the
//! prior of a job too new to have a history of its own; with [`Prior::Class`], of its class
//! once the class has shown enough), and what its previous run did at its age if it was
//! restarted (see [`Reruns`]). Increments over a horizon, not per step, so that a ramp that
//! goes on and a jump that comes once are both what they were. Fed the views the controller
//! decides on, and nothing else.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::engine::SimTime;
use crate::model::{ClassId, JobId};
use crate::policy::controller::risk::reruns::Reruns;
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
/// How many of its own increments weigh as much as what its previous run did at the same age
/// (see [`Reruns`]): as much as a full history of its own.
const RERUN_WEIGHT: f64 = OWN as f64;
/// Increments a class's age cohort must hold, at a horizon, to be its jobs' prior there: a
/// class whose few jobs have shown little says less than every class together.
const CLASS_PRIOR: usize = 256;
/// Classes whose cohorts are kept apart, the first seen; the jobs of any other pool only with
/// every class. A workload has a few classes; a trace that made each job one must not cost a
/// set of cohorts per job.
const CLASSES: usize = 64;

/// Whose increments make a job's prior.
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Prior {
    /// The jobs seen at its age.
    #[default]
    Age,
    /// The jobs of its class seen at its age, once they have shown enough.
    Class,
}

/// Increments per age cohort and horizon.
type Cohorts = Vec<[Window; HORIZONS.len()]>;

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
    /// Every class's cohorts, and each kept class's own.
    cohorts: Cohorts,
    /// Kept only when the prior is by class.
    classes: BTreeMap<ClassId, Cohorts>,
    reruns: Reruns,
    prior: Prior,
}

fn cohort(age_s: f64) -> usize {
    let minutes = (age_s / 60.0).max(0.0) + 1.0;
    (minutes.log2().floor() as usize).min(COHORTS - 1)
}

/// `class`'s cohorts, new if fewer than [`CLASSES`] are kept.
fn kept(classes: &mut BTreeMap<ClassId, Cohorts>, class: ClassId) -> Option<&mut Cohorts> {
    let room = classes.len() < CLASSES;
    match classes.entry(class) {
        Entry::Occupied(e) => Some(e.into_mut()),
        Entry::Vacant(e) => room.then(|| e.insert(vec![Default::default(); COHORTS])),
    }
}

impl Growth {
    pub fn new(prior: Prior) -> Self {
        Growth {
            prior,
            ..Growth::default()
        }
    }

    /// Reads a view once (a view seen before, or older, changes nothing). A job not in it is
    /// forgotten, but for what its run did (see [`Reruns`]): it ended, waits for a node, or
    /// runs where the view holds no jobs.
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

        let step = self.step().unwrap_or(0.0);
        let mut seen = BTreeMap::new();
        for (node, job) in view.with_jobs.iter().flat_map(|n| {
            let node = &view.nodes[n.index()];
            node.jobs.iter().map(move |j| (node, j))
        }) {
            let restarted = self
                .reruns
                .observe(job.id, job.age, job.memory, node.free(), step);
            let mut track = self.jobs.remove(&job.id).unwrap_or_default();
            if restarted {
                // A new run: its fall from where the last ended is no growth, and how the last
                // ended is not how this one goes on (what it did at this age is `reruns`').
                track = Track::default();
            }
            if track.memory.len() > HORIZONS[HORIZONS.len() - 1] {
                track.memory.pop_front();
            }
            track.memory.push_back(job.memory);
            let age = cohort(job.age);
            let mut class = match self.prior {
                Prior::Class => kept(&mut self.classes, job.class).map(|c| &mut c[age]),
                Prior::Age => None,
            };
            for (h, &steps) in HORIZONS.iter().enumerate() {
                let Some(&then) = track.memory.iter().rev().nth(steps) else {
                    break;
                };
                let rise = job.memory - then;
                track.own[h].push(rise, OWN);
                self.cohorts[age][h].push(rise, POOLED);
                if let Some(c) = class.as_mut() {
                    c[h].push(rise, POOLED);
                }
            }
            seen.insert(job.id, track);
        }
        self.jobs = seen;
        self.reruns.next_view();
    }

    /// Seconds between the views it learns from, once it has seen two.
    pub fn step(&self) -> Option<f64> {
        self.step.filter(|&s| s > 0.0)
    }

    /// The increments `job`'s age cohort has shown at horizon `h`: its class's, once there are
    /// enough of them.
    fn prior(&self, job: &JobView, h: usize) -> Option<&Window> {
        let age = cohort(job.age);
        let class = self.classes.get(&job.class).map(|c| &c[age][h]);
        class
            .filter(|w| w.values.len() >= CLASS_PRIOR)
            .or_else(|| self.cohorts.get(age).map(|c| &c[h]))
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
        let prior = self.prior(job, h).unwrap_or(&empty);
        let before = self.reruns.rise(job.id, job.age, seconds);
        let (n, w, r) = (
            own.len(),
            if prior.len() > 0.0 { PRIOR_WEIGHT } else { 0.0 },
            if before.is_some() { RERUN_WEIGHT } else { 0.0 },
        );
        if n + w + r == 0.0 {
            return (0.0, 0.0);
        }
        let (own_tail, own_mean) = own.tail_and_mean(x / scale);
        let (prior_tail, prior_mean) = prior.tail_and_mean(x / scale);
        let before = before.unwrap_or(0.0);
        let (before_tail, before_mean) = (f64::from(u8::from(before > x)), before.max(0.0));
        let blend = |a: f64, b: f64, c: f64| (n * a + w * b + r * c) / (n + w + r);
        (
            blend(own_tail, prior_tail, before_tail),
            blend(scale * own_mean, scale * prior_mean, before_mean),
        )
    }
}
