use serde::{Deserialize, Serialize};

use crate::engine::SimTime;
use crate::model::{Job, JobId, NodeId};

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OomSpec {
    #[serde(default)]
    pub kill: KillPolicy,
    /// A job killed more than this many times fails instead of being re-queued.
    #[serde(default = "three")]
    pub max_retries: u32,
}

fn three() -> u32 {
    3
}

impl OomSpec {
    /// Whether a job killed by the OOM killer for the `kills`-th time (this kill included)
    /// fails instead of going back to the queue. Other ends (a node failure, a migration that
    /// restarts it) are not the job's doing and do not count.
    pub fn gives_up(&self, kills: u32) -> bool {
        kills > self.max_retries
    }
}

impl Default for OomSpec {
    fn default() -> Self {
        OomSpec {
            kill: KillPolicy::Largest,
            max_retries: three(),
        }
    }
}

/// Which job the OOM killer picks on a node that ran out of memory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KillPolicy {
    /// The one using the most memory, as Linux's oom_score does.
    #[default]
    Largest,
    /// The one that started last (the least work lost).
    Newest,
    /// The one that started first.
    Oldest,
}

impl KillPolicy {
    /// Picks a victim among `jobs`, which are in the order they started on the node.
    pub fn victim(self, jobs: &[JobId], all: &[Job], t: SimTime) -> Option<JobId> {
        match self {
            KillPolicy::Newest => jobs.last().copied(),
            KillPolicy::Oldest => jobs.first().copied(),
            // `max_by` keeps the last of equals; reversing keeps the earliest started.
            KillPolicy::Largest => jobs
                .iter()
                .rev()
                .max_by(|a, b| {
                    all[a.index()]
                        .memory_at(t)
                        .total_cmp(&all[b.index()].memory_at(t))
                })
                .copied(),
        }
    }
}

/// One kill by the OOM killer.
#[derive(Clone, Debug)]
pub struct OomKill {
    pub time: SimTime,
    pub node: NodeId,
    pub job: JobId,
    pub memory: f64,
    pub lost_work: f64,
}
