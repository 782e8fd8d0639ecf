//! Monitoring: a snapshot of the cluster every `interval`, visible to the policies `delay`
//! after it was taken, with each job's growth a mean over `window` of its recent work.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::engine::{SimDuration, SimTime};
use crate::policy::control::notes::Mark;
use crate::policy::control::snapshot::Snapshot;
use crate::policy::ClusterView;
use crate::units::Seconds;

/// What the policies see: a snapshot every `interval`, visible `delay` after it was taken.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorSpec {
    #[serde(default = "ten_seconds")]
    pub interval: Seconds,
    #[serde(default)]
    pub delay: Seconds,
    /// A job's growth is reported as its mean over this much recent work.
    #[serde(default = "one_minute")]
    pub window: Seconds,
}

impl Default for MonitorSpec {
    fn default() -> Self {
        MonitorSpec {
            interval: ten_seconds(),
            delay: Seconds::new(0.0),
            window: one_minute(),
        }
    }
}

fn one_minute() -> Seconds {
    Seconds::new(60.0)
}

fn ten_seconds() -> Seconds {
    Seconds::new(10.0)
}

/// Snapshots taken and not yet superseded: the front is the newest visible one, the rest are
/// not visible yet.
pub struct Snapshots {
    pub interval: SimDuration,
    pub delay: SimDuration,
    pub window: SimDuration,
    queue: VecDeque<Snapshot>,
}

impl Snapshots {
    pub fn new(spec: &MonitorSpec) -> Self {
        Snapshots {
            interval: SimDuration::from_secs(spec.interval.value),
            delay: SimDuration::from_secs(spec.delay.value),
            window: SimDuration::from_secs(spec.window.value),
            queue: VecDeque::new(),
        }
    }

    /// Adds the snapshot taken now and drops the ones it makes obsolete: every visible one but
    /// the newest. Returns one dropped, for the next snapshot to retake.
    pub fn take(&mut self, snapshot: Snapshot) -> Option<Snapshot> {
        let now = snapshot.view.time;
        self.queue.push_back(snapshot);
        let mut spare = None;
        while self.queue.len() > 1 && is_visible(self.queue[1].view.time, self.delay, now) {
            spare = self.queue.pop_front();
        }
        spare
    }

    /// The oldest note a snapshot kept may still ask for.
    pub fn mark(&self) -> Option<Mark> {
        self.queue.iter().map(Snapshot::filled).min()
    }

    /// The newest snapshot the policies can see at `now`, if any is old enough.
    pub fn visible(&self, now: SimTime) -> Option<&Snapshot> {
        self.queue
            .iter()
            .rev()
            .find(|s| is_visible(s.view.time, self.delay, now))
    }

    /// As [`Snapshots::visible`], to bring up to date in place.
    pub fn visible_mut(&mut self, now: SimTime) -> Option<&mut Snapshot> {
        let delay = self.delay;
        self.queue
            .iter_mut()
            .rev()
            .find(|s| is_visible(s.view.time, delay, now))
    }

    /// As [`Snapshots::visible`], right after [`Snapshots::take`] at `now`, when the newest
    /// visible one is the front.
    pub fn front_visible_mut(&mut self, now: SimTime) -> Option<&mut ClusterView> {
        let delay = self.delay;
        self.queue
            .front_mut()
            .map(|s| &mut s.view)
            .filter(|s| is_visible(s.time, delay, now))
    }
}

/// Whether a snapshot taken at `taken` is visible at `now`.
fn is_visible(taken: SimTime, delay: SimDuration, now: SimTime) -> bool {
    taken + delay <= now
}
