use serde::Serialize;

use crate::engine::SimTime;
use crate::model::{JobId, NodeId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Arrive,
    Start,
    Finish,
    OomKill,
    Requeue,
    Fail,
    Cordon,
    Uncordon,
}

/// One thing that happened, for `events.jsonl`.
#[derive(Clone, Debug)]
pub struct RecordedEvent {
    pub time: SimTime,
    pub kind: EventKind,
    pub job: Option<JobId>,
    pub node: Option<NodeId>,
}
