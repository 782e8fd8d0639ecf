//! What a run did. Every driver reports [`RunEvent`]s; the [`Recorder`] reduces them into one
//! record per job and per migration, node samples, OOM kills and, when asked, the event log;
//! [`Recorder::finish`] adds the metrics.

mod events;
mod jobs;
mod migrations;
mod run_event;
mod samples;
mod summary;

pub use events::{EventKind, RecordedEvent};
pub use jobs::{JobOutcome, JobRecord};
pub use migrations::MigrationRecord;
pub use run_event::RunEvent;
pub use samples::{JobSample, NodeSample};
pub use summary::percentile;
pub use summary::{Metrics, MigrationCounts, Summary};

use crate::engine::SimTime;
use crate::migration::Mechanism;
use crate::model::{Cluster, JobId, MigrationId, MigrationOutcome, NodeId, OomKill};

/// The controller found no node for a job that had to leave `node`.
#[derive(Clone, Debug)]
pub struct Provision {
    pub time: SimTime,
    pub node: NodeId,
    pub job: JobId,
    pub bytes: f64,
}

/// Where a job is, as far as its record goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    Waiting,
    /// Deleted by a restart migration, to be re-created on its target: not queued.
    Restarting,
    Running,
    Finished,
    Failed,
}

/// Everything recorded during a run: the reduction of its events.
#[derive(Debug)]
pub struct Recorder {
    pub jobs: Vec<JobRecord>,
    /// Every migration, in the order they were issued.
    pub migrations: Vec<MigrationRecord>,
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
    life: Vec<Life>,
    /// When each job last joined the queue (its arrival until it is queued again).
    queued_at: Vec<SimTime>,
}

/// The result of a run, whatever drove it.
pub struct RunOutput {
    /// The cluster it ran on: names, groups and job specs for the tables.
    pub cluster: Cluster,
    pub record: Recorder,
    pub metrics: Metrics,
}

impl Recorder {
    /// A record for jobs arriving at `arrivals`.
    pub fn new(arrivals: Vec<SimTime>, job_samples: bool, events: bool) -> Self {
        Recorder {
            jobs: vec![JobRecord::default(); arrivals.len()],
            migrations: Vec::new(),
            node_samples: Vec::new(),
            job_samples: job_samples.then(Vec::new),
            oom_kills: Vec::new(),
            cordons: 0,
            provisions: Vec::new(),
            node_failures: 0,
            stale_orders: 0,
            events: events.then(Vec::new),
            life: vec![Life::Waiting; arrivals.len()],
            queued_at: arrivals,
        }
    }

    pub fn apply(&mut self, event: RunEvent) {
        match event {
            RunEvent::Arrived { t, job } => self.log(t, EventKind::Arrive, Some(job), None),
            RunEvent::Started {
                t,
                job,
                node,
                memory,
            } => self.started(t, job, node, memory),
            RunEvent::Held { job, memory } => self.jobs[job.index()].observe_memory(memory),
            RunEvent::Finished {
                t,
                job,
                node,
                memory,
            } => {
                let rec = &mut self.jobs[job.index()];
                rec.observe_memory(memory);
                rec.end = Some(t);
                self.life[job.index()] = Life::Finished;
                self.log(t, EventKind::Finish, Some(job), Some(node));
            }
            RunEvent::OomKilled {
                t,
                job,
                node,
                memory,
                lost_work,
                gave_up,
            } => {
                let rec = &mut self.jobs[job.index()];
                rec.observe_memory(memory);
                rec.oom_kills += 1;
                rec.lost_work = rec.lost_work + lost_work;
                self.oom_kills.push(OomKill {
                    time: t,
                    node,
                    job,
                    memory,
                    lost_work: lost_work.as_secs(),
                });
                self.log(t, EventKind::OomKill, Some(job), Some(node));
                if gave_up {
                    self.jobs[job.index()].end = Some(t);
                    self.life[job.index()] = Life::Failed;
                    self.log(t, EventKind::Fail, Some(job), Some(node));
                } else {
                    self.requeued(t, job);
                }
            }
            RunEvent::Requeued { t, job, lost_work } => {
                let rec = &mut self.jobs[job.index()];
                rec.lost_work = rec.lost_work + lost_work;
                self.requeued(t, job);
            }
            RunEvent::Cordoned { t, node, on } => {
                self.cordons += u64::from(on);
                let kind = match on {
                    true => EventKind::Cordon,
                    false => EventKind::Uncordon,
                };
                self.log(t, kind, None, Some(node));
            }
            RunEvent::Provisioned {
                t,
                node,
                job,
                bytes,
            } => {
                self.provisions.push(Provision {
                    time: t,
                    node,
                    job,
                    bytes,
                });
                self.log(t, EventKind::Provision, Some(job), Some(node));
            }
            RunEvent::StaleOrder => self.stale_orders += 1,
            RunEvent::NodeFailed { t, node } => {
                self.node_failures += 1;
                self.log(t, EventKind::NodeFail, None, Some(node));
            }
            RunEvent::NodeRepaired { t, node } => {
                self.log(t, EventKind::NodeRepair, None, Some(node))
            }
            RunEvent::NodeSampled(s) => self.node_samples.push(s),
            RunEvent::JobSampled(s) => {
                if let Some(samples) = &mut self.job_samples {
                    samples.push(s);
                }
            }
            event => self.migration(event),
        }
    }

    fn migration(&mut self, event: RunEvent) {
        match event {
            RunEvent::MigrationIssued {
                t,
                job,
                source,
                target,
                mechanism,
                memory,
                cause,
            } => {
                self.migrations.push(MigrationRecord {
                    job,
                    source,
                    target,
                    mechanism,
                    issued: t,
                    started: None,
                    ended: None,
                    memory,
                    downtime: Default::default(),
                    bytes_sent: 0.0,
                    rounds: 0,
                    lost_work: Default::default(),
                    outcome: None,
                    cause,
                    reason: String::new(),
                });
                self.log(t, EventKind::MigrationIssued, Some(job), Some(source));
            }
            RunEvent::MigrationStarted {
                t,
                migration,
                memory,
            } => {
                let m = &mut self.migrations[migration.index()];
                m.started = Some(t);
                m.memory = memory;
                // A restart's start is the job's own start on the target.
                if m.mechanism != Mechanism::Restart {
                    self.log_migration(t, migration, EventKind::MigrationStarted, false);
                }
            }
            RunEvent::MigrationDeleted {
                migration,
                lost_work,
            } => {
                let m = &mut self.migrations[migration.index()];
                m.lost_work = lost_work;
                let job = m.job.index();
                self.jobs[job].lost_work = self.jobs[job].lost_work + lost_work;
                self.life[job] = Life::Restarting;
            }
            RunEvent::MigrationFrozen { t, migration } => {
                self.log_migration(t, migration, EventKind::Freeze, false)
            }
            RunEvent::MigrationSwitchedOver { t, migration } => {
                let m = &self.migrations[migration.index()];
                self.jobs[m.job.index()].moved_to(m.target);
                self.log_migration(t, migration, EventKind::SwitchOver, true);
            }
            RunEvent::MigrationTally {
                migration,
                downtime,
                bytes_sent,
                rounds,
            } => {
                let m = &mut self.migrations[migration.index()];
                m.downtime = downtime;
                m.bytes_sent = bytes_sent;
                m.rounds = rounds;
            }
            RunEvent::MigrationEnded {
                t,
                migration,
                outcome,
                reason,
            } => {
                let m = &mut self.migrations[migration.index()];
                m.ended = Some(t);
                m.outcome = Some(outcome);
                m.reason = reason;
                let kind = match outcome {
                    MigrationOutcome::Complete => {
                        self.jobs[m.job.index()].migrations += 1;
                        EventKind::MigrationComplete
                    }
                    MigrationOutcome::Failed => EventKind::MigrationFailed,
                    MigrationOutcome::Cancelled => EventKind::MigrationCancelled,
                };
                self.log_migration(t, migration, kind, false);
            }
            RunEvent::MigrationLostWork {
                migration,
                lost_work,
            } => {
                let m = &mut self.migrations[migration.index()];
                m.lost_work = m.lost_work + lost_work;
            }
            other => unreachable!("not a migration event: {other:?}"),
        }
    }

    fn started(&mut self, t: SimTime, job: JobId, node: NodeId, memory: f64) {
        let rec = &mut self.jobs[job.index()];
        rec.started(t, node);
        if self.life[job.index()] == Life::Waiting {
            rec.wait = rec.wait + (t - self.queued_at[job.index()]);
        }
        rec.observe_memory(memory);
        self.life[job.index()] = Life::Running;
        self.log(t, EventKind::Start, Some(job), Some(node));
    }

    fn requeued(&mut self, t: SimTime, job: JobId) {
        self.queued_at[job.index()] = t;
        self.life[job.index()] = Life::Waiting;
        self.log(t, EventKind::Requeue, Some(job), None);
    }

    /// Logs a migration's event against its job and its source (or, `at_target`, its target).
    fn log_migration(&mut self, t: SimTime, id: MigrationId, kind: EventKind, at_target: bool) {
        let m = &self.migrations[id.index()];
        let node = if at_target { m.target } else { m.source };
        let job = m.job;
        self.log(t, kind, Some(job), Some(node));
    }

    fn log(&mut self, time: SimTime, kind: EventKind, job: Option<JobId>, node: Option<NodeId>) {
        if let Some(events) = &mut self.events {
            events.push(RecordedEvent {
                time,
                kind,
                job,
                node,
            });
        }
    }

    /// Ends the record at `end`: each job's outcome, and the metrics (`events`: how many the
    /// driver processed; `stalled`: it stopped because the queue could never be placed).
    pub fn finish(
        mut self,
        cluster: Cluster,
        end: SimTime,
        events: u64,
        stalled: bool,
    ) -> RunOutput {
        for (rec, life) in self.jobs.iter_mut().zip(&self.life) {
            rec.outcome = match life {
                Life::Finished => JobOutcome::Finished,
                Life::Failed => JobOutcome::Failed,
                Life::Running => JobOutcome::Running,
                Life::Waiting | Life::Restarting => JobOutcome::Pending,
            };
        }
        let arrivals = cluster.arrivals();
        let metrics = Metrics::compute(&self, &arrivals, end.as_secs(), events, stalled);
        RunOutput {
            cluster,
            record: self,
            metrics,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::SimDuration;

    fn t(s: f64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn one_reduction_of_a_jobs_life_whoever_reports_it() {
        let (job, a, b) = (JobId(0), NodeId(0), NodeId(1));
        let mut r = Recorder::new(vec![t(1.0), t(2.0)], false, true);
        let lost = SimDuration::from_secs(3.0);
        for e in [
            RunEvent::Arrived { t: t(1.0), job },
            RunEvent::Started {
                t: t(4.0),
                job,
                node: a,
                memory: 5.0,
            },
            RunEvent::OomKilled {
                t: t(7.0),
                job,
                node: a,
                memory: 9.0,
                lost_work: lost,
                gave_up: false,
            },
            RunEvent::Started {
                t: t(8.0),
                job,
                node: b,
                memory: 1.0,
            },
            RunEvent::MigrationIssued {
                t: t(9.0),
                job,
                source: b,
                target: a,
                mechanism: Mechanism::Restart,
                memory: 2.0,
                cause: "test".into(),
            },
            RunEvent::MigrationDeleted {
                migration: MigrationId(0),
                lost_work: lost,
            },
            // Re-created by the restart: not a wait in the queue.
            RunEvent::Started {
                t: t(20.0),
                job,
                node: a,
                memory: 1.0,
            },
            RunEvent::MigrationEnded {
                t: t(20.0),
                migration: MigrationId(0),
                outcome: MigrationOutcome::Complete,
                reason: String::new(),
            },
        ] {
            r.apply(e);
        }
        let rec = &r.jobs[0];
        assert_eq!(rec.wait, SimDuration::from_secs(3.0 + 1.0));
        assert_eq!((rec.starts, rec.oom_kills, rec.migrations), (3, 1, 1));
        assert_eq!(rec.lost_work, SimDuration::from_secs(6.0));
        assert_eq!(rec.nodes.as_slice(), [a, b]);
        assert_eq!(rec.peak_memory, 9.0);
        assert_eq!(r.migrations[0].lost_work, lost);
        assert_eq!(
            r.events.as_ref().unwrap().len(),
            8,
            "arrive, start, kill, requeue, start, issue, start, complete"
        );
        let out = r.finish(
            crate::model::Cluster::new(&[], Vec::new()),
            t(30.0),
            0,
            false,
        );
        assert_eq!(out.record.jobs[0].outcome, JobOutcome::Running);
        assert_eq!(out.record.jobs[1].outcome, JobOutcome::Pending);
    }
}
