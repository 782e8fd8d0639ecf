use std::collections::BTreeMap;

use crate::engine::{Generation, SimDuration, SimTime};
use crate::model::{JobId, Usage};

/// A node and its memory accounting. Used memory is kept as a value at an anchor time plus a
/// slope (the sum of its jobs' growth), updated in O(1) when a job starts, stops or changes
/// slope, so the moment it reaches capacity is a closed-form solve.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: String,
    pub group: String,
    pub memory: f64,
    pub cpu: f64,
    /// Network bandwidth, bytes per second.
    pub network: f64,
    pub labels: BTreeMap<String, String>,
    pub cpu_requested: f64,
    /// Running jobs in the order they started here.
    pub jobs: Vec<JobId>,
    pub cordoned: bool,
    /// Failed and not yet repaired: runs nothing, takes nothing.
    pub down: bool,
    /// Migration terms open here (see [`crate::model::Term`]).
    terms: u32,
    /// Jobs and terms here whose memory shrinks, and those whose memory grows: while none
    /// shrinks, what the node holds only grows until its next change; while none changes at
    /// all, it stays as it is.
    falling: u32,
    growing: u32,
    usage: Usage,
    /// Stamp of the pending OOM event and its time, if one is pending.
    pub oom_gen: Generation,
    pub oom_pending: Option<SimTime>,
}

/// Relative slack in comparisons with capacity, far below a byte at cluster sizes, that keeps
/// floating-point noise in the running sums from being read as an overflow.
const CAPACITY_EPS: f64 = 1e-12;

impl Node {
    pub fn new(
        name: String,
        group: String,
        memory: f64,
        cpu: f64,
        network: f64,
        labels: BTreeMap<String, String>,
    ) -> Self {
        Node {
            name,
            group,
            memory,
            cpu,
            network,
            labels,
            cpu_requested: 0.0,
            jobs: Vec::new(),
            cordoned: false,
            down: false,
            terms: 0,
            falling: 0,
            growing: 0,
            usage: Usage::ZERO,
            oom_gen: Generation::default(),
            oom_pending: None,
        }
    }

    pub fn used_at(&self, t: SimTime) -> f64 {
        self.usage.at(t)
    }

    /// Used memory until the node next changes.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// Growth of used memory, bytes per second.
    pub fn slope(&self) -> f64 {
        self.usage.slope
    }

    fn advance(&mut self, t: SimTime) {
        self.usage.used = self.used_at(t);
        self.usage.anchor = t;
    }

    pub fn add_job(&mut self, t: SimTime, job: JobId, bytes: f64, slope: f64, cpu: f64) {
        self.advance(t);
        self.usage.used += bytes;
        self.usage.slope += slope;
        self.cpu_requested += cpu;
        self.jobs.push(job);
    }

    pub fn remove_job(&mut self, t: SimTime, job: JobId, bytes: f64, slope: f64, cpu: f64) {
        self.advance(t);
        self.jobs.retain(|&j| j != job);
        self.usage.used -= bytes;
        self.usage.slope -= slope;
        self.cpu_requested -= cpu;
        self.reset_if_idle(t);
    }

    pub fn change_slope(&mut self, t: SimTime, delta: f64) {
        self.advance(t);
        self.usage.slope += delta;
    }

    /// Adds memory that belongs to no running job here (a migration's incoming pages or the
    /// copy it still holds), growing at `slope`; negative values take it away again.
    pub fn shift(&mut self, t: SimTime, bytes: f64, slope: f64) {
        self.advance(t);
        self.usage.used += bytes;
        self.usage.slope += slope;
    }

    /// Nothing here shrinks: until the node next changes, its usage (and every job's) can
    /// only grow.
    pub fn rising(&self) -> bool {
        self.falling == 0
    }

    /// Nothing here grows or shrinks: until the node next changes, its memory stays as it is.
    pub fn still(&self) -> bool {
        self.falling == 0 && self.growing == 0
    }

    /// A job's or term's growth went from `before` to `after` (0 for one that is not here).
    pub fn regrow(&mut self, before: f64, after: f64) {
        self.falling = self.falling + u32::from(after < 0.0) - u32::from(before < 0.0);
        self.growing = self.growing + u32::from(after > 0.0) - u32::from(before > 0.0);
    }

    /// Some migration term is open here.
    pub fn has_terms(&self) -> bool {
        self.terms > 0
    }

    pub fn open_term(&mut self) {
        self.terms += 1;
    }

    pub fn close_term(&mut self, t: SimTime) {
        self.terms -= 1;
        self.reset_if_idle(t);
    }

    /// Starts clean once nothing is left on the node: no rounding residue survives.
    fn reset_if_idle(&mut self, t: SimTime) {
        if self.jobs.is_empty() && self.terms == 0 {
            self.advance(t);
            self.usage.used = 0.0;
            self.usage.slope = 0.0;
            self.cpu_requested = 0.0;
        }
    }

    /// When used memory reaches capacity while growing (an allocation then fails), or `now` if
    /// it already has; `None` if it never will at the current slope.
    pub fn oom_time(&self, now: SimTime) -> Option<SimTime> {
        let used = self.used_at(now);
        let over = used > self.memory * (1.0 + CAPACITY_EPS);
        let full_and_growing = used >= self.memory * (1.0 - CAPACITY_EPS) && self.usage.slope > 0.0;
        if over || full_and_growing {
            return Some(now);
        }
        if self.usage.slope <= 0.0 {
            return None;
        }
        Some(now + SimDuration::from_secs_ceil((self.memory - used) / self.usage.slope))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: f64 = 1073741824.0;

    #[test]
    fn oom_time_is_exact_for_linear_growth() {
        let mut n = Node::new(
            "n".into(),
            "g".into(),
            100.0 * GIB,
            8.0,
            1e9,
            BTreeMap::new(),
        );
        n.add_job(SimTime::ZERO, JobId(0), 10.0 * GIB, GIB, 1.0);
        n.add_job(SimTime::ZERO, JobId(1), 10.0 * GIB, GIB, 1.0);
        assert_eq!(n.oom_time(SimTime::ZERO), Some(SimTime::from_secs(40.0)));
        assert_eq!(
            n.oom_time(SimTime::from_secs(40.0)),
            Some(SimTime::from_secs(40.0))
        );
        n.remove_job(SimTime::from_secs(10.0), JobId(1), 20.0 * GIB, GIB, 1.0);
        // Each job had 20 GiB at t=10; one remains, growing 1 GiB/s: full at t=10+80.
        assert_eq!(n.used_at(SimTime::from_secs(10.0)), 20.0 * GIB);
        assert_eq!(
            n.oom_time(SimTime::from_secs(10.0)),
            Some(SimTime::from_secs(90.0))
        );
        n.change_slope(SimTime::from_secs(10.0), -GIB);
        assert_eq!(n.oom_time(SimTime::from_secs(10.0)), None);
    }
}
