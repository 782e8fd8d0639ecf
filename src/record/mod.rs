//! What a run did: one record per job, node samples, OOM kills and, when asked, every event.

mod events;
mod jobs;
mod samples;
mod summary;

pub use events::{EventKind, RecordedEvent};
pub use jobs::{JobOutcome, JobRecord};
pub use samples::{JobSample, NodeSample};
pub(crate) use summary::percentile;
pub use summary::{Metrics, MigrationCounts, Summary};

use crate::engine::SimTime;
use crate::model::{JobId, NodeId, OomKill};

/// The controller found no node for a job that had to leave `node`.
#[derive(Clone, Debug)]
pub struct Provision {
    pub time: SimTime,
    pub node: NodeId,
    pub job: JobId,
    pub bytes: f64,
}

/// Everything recorded during a run.
#[derive(Debug, Default)]
pub struct Recorder {
    pub jobs: Vec<JobRecord>,
    pub node_samples: Vec<NodeSample>,
    /// Per-job memory at each sample, only when asked for (it is large).
    pub job_samples: Option<Vec<JobSample>>,
    pub oom_kills: Vec<OomKill>,
    pub cordons: u64,
    /// Requests for capacity the cluster did not have, one per shortage spell of a node.
    pub provisions: Vec<Provision>,
    pub node_failures: u64,
    /// Controller orders skipped because the view they were based on was out of date.
    pub stale_orders: u64,
    /// Every event, only when asked for.
    pub events: Option<Vec<RecordedEvent>>,
}

impl Recorder {
    pub fn new(jobs: usize, job_samples: bool, events: bool) -> Self {
        Recorder {
            jobs: vec![JobRecord::default(); jobs],
            job_samples: job_samples.then(Vec::new),
            events: events.then(Vec::new),
            ..Default::default()
        }
    }

    pub fn event(
        &mut self,
        time: SimTime,
        kind: EventKind,
        job: Option<JobId>,
        node: Option<NodeId>,
    ) {
        if let Some(events) = &mut self.events {
            events.push(RecordedEvent {
                time,
                kind,
                job,
                node,
            });
        }
    }

    pub fn job(&mut self, id: JobId) -> &mut JobRecord {
        &mut self.jobs[id.index()]
    }
}
