//! The live run's state, rebuilt from journal entries: where each job is, the records that
//! become `jobs.csv`, `migrations.csv`, `nodes.csv` and `oom_kills.csv`, and the migrations in
//! flight. Every change goes through [`LiveState::apply`], so a run read back from its journal
//! is the run that wrote it.

use std::collections::VecDeque;

use crate::engine::{SimDuration, SimTime};
use crate::live::journal::{Ending, Entry, Step};
use crate::migration::{JobDuring, Mechanism, PhaseSpec};
use crate::model::{Cluster, JobId, MigrationId, MigrationOutcome, NodeId, OomSpec};
use crate::record::{MigrationRecord, NodeSample, Recorder, RunEvent, RunOutput};
use crate::scenario::ScenarioSpec;
use crate::workload::JobSpec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Where {
    NotArrived,
    Queued,
    Running(NodeId),
    Finished,
    Failed,
}

#[derive(Clone, Debug)]
pub struct LiveJob {
    pub at: Where,
    /// Times the OOM killer killed it: what the retry limit counts.
    pub oom_kills: u32,
    pub since: f64,
    pub memory: f64,
    pub work_s: f64,
    pub migrating: Option<u32>,
    pub migrations: u32,
    pub failed_moves: u32,
    pub last_failed_move: Option<f64>,
}

/// A migration in flight, as the controller sees it, with what its end reports.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flight {
    pub frozen: bool,
    pub committed: bool,
    /// The work the job had done when it froze (a restart loses it).
    pub work_s: f64,
    pub bytes_sent: f64,
}

pub struct LiveState {
    /// Names, capacities and job specs, for the views and the output tables.
    pub cluster: Cluster,
    pub record: Recorder,
    pub flights: Vec<Flight>,
    pub jobs: Vec<LiveJob>,
    pub queue: VecDeque<JobId>,
    pub cordoned: Vec<bool>,
    pub last_migration_end: Option<f64>,
    pub finished: bool,
    oom: OomSpec,
}

fn time(t: f64) -> SimTime {
    SimTime::from_secs(t)
}

impl LiveState {
    pub fn new(spec: &ScenarioSpec, jobs: &[JobSpec]) -> Self {
        let cluster = Cluster::new(&spec.nodes, jobs.iter().cloned());
        let nodes = cluster.nodes().len();
        LiveState {
            record: Recorder::new(jobs.iter().map(|j| j.arrival).collect(), false, false),
            flights: Vec::new(),
            jobs: vec![
                LiveJob {
                    at: Where::NotArrived,
                    oom_kills: 0,
                    since: 0.0,
                    memory: 0.0,
                    work_s: 0.0,
                    migrating: None,
                    migrations: 0,
                    failed_moves: 0,
                    last_failed_move: None,
                };
                jobs.len()
            ],
            queue: VecDeque::new(),
            cordoned: vec![false; nodes],
            last_migration_end: None,
            finished: false,
            oom: spec.oom.clone(),
            cluster,
        }
    }

    pub fn spec(&self, job: JobId) -> &JobSpec {
        &self.cluster.job(job).spec
    }

    /// Jobs whose arrival has come join the queue, in arrival order.
    pub fn arrive(&mut self, now: f64) {
        for i in 0..self.jobs.len() {
            let arrival = self.cluster.jobs[i].spec.arrival.as_secs();
            if self.jobs[i].at == Where::NotArrived && arrival <= now {
                self.jobs[i].at = Where::Queued;
                self.queue.push_back(JobId(i as u32));
            }
        }
    }

    pub fn in_flight(&self) -> impl Iterator<Item = (u32, &MigrationRecord)> {
        self.record
            .migrations
            .iter()
            .enumerate()
            .filter(|(_, m)| m.outcome.is_none())
            .map(|(i, m)| (i as u32, m))
    }

    pub fn is_done(&self) -> bool {
        self.in_flight().next().is_none()
            && self
                .jobs
                .iter()
                .all(|j| matches!(j.at, Where::Finished | Where::Failed))
    }

    /// The record of the run, ended at `end`.
    pub fn finish(self, end: f64, stalled: bool) -> RunOutput {
        self.record.finish(self.cluster, time(end), 0, stalled)
    }

    pub fn apply(&mut self, entry: &Entry) {
        match *entry {
            Entry::Begin { .. } => {}
            Entry::Started { t, job, node } => self.started(t, JobId(job), NodeId(node)),
            Entry::Ended {
                t,
                job,
                how,
                memory,
                work_s,
            } => self.ended(t, JobId(job), how, memory, work_s),
            Entry::Migration { t, id, ref step } => self.step(t, id, step),
            Entry::Sample {
                t,
                node,
                used,
                migration_memory,
                cpu_requested,
                jobs,
                cordoned,
            } => self.record.apply(RunEvent::NodeSampled(NodeSample {
                time: time(t),
                node: NodeId(node),
                memory_used: used,
                migration_memory,
                memory_capacity: self.cluster.node(NodeId(node)).memory,
                cpu_requested,
                jobs,
                cordoned,
            })),
            Entry::Cordon { t, node, cordoned } => {
                self.cordoned[node as usize] = cordoned;
                self.record.apply(RunEvent::Cordoned {
                    t: time(t),
                    node: NodeId(node),
                    on: cordoned,
                });
            }
            Entry::Shortage {
                t,
                node,
                job,
                bytes,
            } => self.record.apply(RunEvent::Provisioned {
                t: time(t),
                node: NodeId(node),
                job: JobId(job),
                bytes,
            }),
            Entry::Finish { .. } => self.finished = true,
        }
    }

    fn started(&mut self, t: f64, job: JobId, node: NodeId) {
        // A job is journaled as started before it has had to arrive in this process's view.
        self.queue.retain(|&j| j != job);
        let j = &mut self.jobs[job.index()];
        j.at = Where::Running(node);
        j.since = t;
        j.work_s = 0.0;
        j.memory = 0.0;
        self.record.apply(RunEvent::Started {
            t: time(t),
            job,
            node,
            memory: 0.0,
        });
    }

    fn ended(&mut self, t: f64, job: JobId, how: Ending, memory: f64, work_s: f64) {
        let j = &mut self.jobs[job.index()];
        let Where::Running(node) = j.at else { return };
        let lost_work = SimDuration::from_secs(work_s);
        let event = match how {
            Ending::Finished => {
                j.at = Where::Finished;
                RunEvent::Finished {
                    t: time(t),
                    job,
                    node,
                    memory,
                }
            }
            Ending::OomKilled => {
                j.oom_kills += 1;
                let gave_up = self.oom.gives_up(j.oom_kills);
                RunEvent::OomKilled {
                    t: time(t),
                    job,
                    node,
                    memory,
                    lost_work,
                    gave_up,
                }
            }
            Ending::Exited => RunEvent::Requeued {
                t: time(t),
                job,
                lost_work,
            },
        };
        let requeued = match event {
            RunEvent::OomKilled { gave_up, .. } => !gave_up,
            RunEvent::Requeued { .. } => true,
            _ => false,
        };
        if requeued {
            j.at = Where::Queued;
            self.queue.push_back(job);
        } else if how != Ending::Finished {
            j.at = Where::Failed;
        }
        self.record.apply(RunEvent::Held { job, memory });
        self.record.apply(event);
    }

    fn step(&mut self, t: f64, id: u32, step: &Step) {
        let migration = MigrationId(id);
        if let Step::Issued {
            job,
            source,
            target,
            mechanism,
            ref cause,
        } = *step
        {
            self.record.apply(RunEvent::MigrationIssued {
                t: time(t),
                job: JobId(job),
                source: NodeId(source),
                target: NodeId(target),
                mechanism,
                memory: 0.0,
                cause: cause.clone(),
            });
            self.flights.push(Flight::default());
            self.jobs[job as usize].migrating = Some(id);
            return;
        }
        let i = id as usize;
        match *step {
            Step::Issued { .. } => unreachable!("handled above"),
            Step::Freezing { memory, work_s } => {
                // The local backend's first step is the mechanism's first phase in which the
                // job stops running on its source (restart: it is deleted there).
                let mechanism = self.record.migrations[i].mechanism;
                let stop = mechanism
                    .phases(false)
                    .iter()
                    .find(|p| p.job != JobDuring::Runs);
                let f = &mut self.flights[i];
                f.frozen = stop.is_some_and(PhaseSpec::frozen);
                f.committed = stop.is_some_and(PhaseSpec::committed);
                f.work_s = work_s;
                self.record.apply(RunEvent::MigrationStarted {
                    t: time(t),
                    migration,
                    memory,
                });
                // A restart deletes the job now: its work is lost whatever the outcome (the
                // job's own record counts it when it starts again, or when it is seen gone).
                if mechanism == Mechanism::Restart {
                    self.record.apply(RunEvent::MigrationLostWork {
                        migration,
                        lost_work: SimDuration::from_secs(work_s),
                    });
                }
                self.record.apply(RunEvent::MigrationFrozen {
                    t: time(t),
                    migration,
                });
            }
            Step::Dumped { bytes_sent } | Step::Pulled { bytes_sent } => {
                self.flights[i].bytes_sent = bytes_sent
            }
            Step::Restoring => {}
            // Switched over: the job runs on the target, past the point of no return.
            Step::Restored => {
                let f = &mut self.flights[i];
                (f.frozen, f.committed) = (false, true);
            }
            Step::Complete { downtime_s } => self.complete(t, migration, downtime_s),
            Step::Failed {
                ref reason,
                downtime_s,
            } => {
                let job = self.record.migrations[i].job;
                let j = &mut self.jobs[job.index()];
                j.failed_moves += 1;
                j.last_failed_move = Some(t);
                self.end(t, migration, MigrationOutcome::Failed, reason, downtime_s);
            }
            Step::Cancelled { ref reason } => {
                self.end(t, migration, MigrationOutcome::Cancelled, reason, 0.0)
            }
        }
    }

    fn complete(&mut self, t: f64, migration: MigrationId, downtime_s: f64) {
        let m = &self.record.migrations[migration.index()];
        let (job, target) = (m.job, m.target);
        let j = &mut self.jobs[job.index()];
        j.migrations += 1;
        j.failed_moves = 0;
        j.at = Where::Running(target);
        // As in the simulator: a restart is a new start on the target, without the work done.
        if m.mechanism == Mechanism::Restart {
            let lost_work = SimDuration::from_secs(self.flights[migration.index()].work_s);
            self.record.apply(RunEvent::MigrationDeleted {
                migration,
                lost_work,
            });
            self.record.apply(RunEvent::Started {
                t: time(t),
                job,
                node: target,
                memory: 0.0,
            });
        } else {
            self.record.apply(RunEvent::MigrationSwitchedOver {
                t: time(t),
                migration,
            });
        }
        self.end(t, migration, MigrationOutcome::Complete, "", downtime_s);
    }

    fn end(
        &mut self,
        t: f64,
        migration: MigrationId,
        outcome: MigrationOutcome,
        reason: &str,
        downtime_s: f64,
    ) {
        let job = self.record.migrations[migration.index()].job;
        self.jobs[job.index()].migrating = None;
        self.last_migration_end = Some(t);
        self.record.apply(RunEvent::MigrationTally {
            migration,
            downtime: SimDuration::from_secs(downtime_s),
            bytes_sent: self.flights[migration.index()].bytes_sent,
            rounds: 0,
        });
        self.record.apply(RunEvent::MigrationEnded {
            t: time(t),
            migration,
            outcome,
            reason: reason.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::journal::in_flight;
    use crate::migration::Mechanism;

    fn state() -> LiveState {
        let s = crate::scenario::load_str(
            r#"
            [simulation]
            seed = 1
            [[nodes]]
            name = "n"
            count = 2
            memory = "256MiB"
            cpu = 4
            [[workload.jobs]]
            name = "a"
            work = "40s"
            profile = { shape = "constant", size = "10MiB" }
            "#,
            std::path::Path::new("t.toml"),
            &[],
        )
        .unwrap();
        LiveState::new(&s.spec, &s.jobs)
    }

    fn step(t: f64, step: Step) -> Entry {
        Entry::Migration { t, id: 0, step }
    }

    #[test]
    fn a_failed_move_leaves_the_job_on_its_source_and_a_kill_requeues_it() {
        let issued = Step::Issued {
            job: 0,
            source: 0,
            target: 1,
            mechanism: Mechanism::StopAndCopy,
            cause: "test".into(),
        };
        let entries = vec![
            Entry::Started {
                t: 1.0,
                job: 0,
                node: 0,
            },
            step(5.0, issued),
            step(
                5.1,
                Step::Freezing {
                    memory: 1e7,
                    work_s: 4.0,
                },
            ),
            step(5.3, Step::Dumped { bytes_sent: 1e7 }),
            step(5.4, Step::Restoring),
        ];
        let mut s = state();
        entries.iter().for_each(|e| s.apply(e));
        let open = in_flight(&entries);
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].last.clone(), open[0].frozen_at),
            (Step::Restoring, Some(5.1))
        );
        assert!(s.flights[0].frozen && !s.flights[0].committed);

        s.apply(&step(
            6.0,
            Step::Failed {
                reason: "criu restore: x".into(),
                downtime_s: 0.9,
            },
        ));
        assert_eq!(s.jobs[0].at, Where::Running(NodeId(0)));
        assert_eq!((s.jobs[0].failed_moves, s.jobs[0].migrating), (1, None));
        assert_eq!(
            s.record.migrations[0].outcome,
            Some(MigrationOutcome::Failed)
        );
        assert_eq!(s.record.migrations[0].downtime, SimDuration::from_secs(0.9));
        assert_eq!(s.record.jobs[0].nodes.as_slice(), [NodeId(0)]);

        s.apply(&Entry::Ended {
            t: 9.0,
            job: 0,
            how: Ending::OomKilled,
            memory: 2e8,
            work_s: 8.0,
        });
        assert_eq!(s.jobs[0].at, Where::Queued);
        assert_eq!(s.queue, VecDeque::from([JobId(0)]));
        assert_eq!(s.record.oom_kills.len(), 1);
        assert_eq!(s.record.jobs[0].lost_work, SimDuration::from_secs(8.0));
        assert!(!s.is_done());
    }

    /// Job 0 started on node 0 at 0.5 s, its move to node 1 issued at 2 s and frozen at
    /// 2.1 s with 1.5 s of work done.
    fn frozen_move(mechanism: Mechanism) -> LiveState {
        let mut s = state();
        s.apply(&Entry::Started {
            t: 0.5,
            job: 0,
            node: 0,
        });
        s.apply(&step(
            2.0,
            Step::Issued {
                job: 0,
                source: 0,
                target: 1,
                mechanism,
                cause: String::new(),
            },
        ));
        s.apply(&step(
            2.1,
            Step::Freezing {
                memory: 1e7,
                work_s: 1.5,
            },
        ));
        s
    }

    #[test]
    fn a_completed_move_lands_the_job_on_its_target() {
        let mut s = frozen_move(Mechanism::StopAndCopy);
        s.apply(&step(2.5, Step::Restored));
        assert!(s.flights[0].committed);
        s.apply(&step(2.6, Step::Complete { downtime_s: 0.4 }));
        assert_eq!(s.jobs[0].at, Where::Running(NodeId(1)));
        assert_eq!(s.record.jobs[0].nodes.as_slice(), [NodeId(0), NodeId(1)]);
        assert_eq!((s.jobs[0].migrations, s.record.jobs[0].migrations), (1, 1));
        assert_eq!(
            s.record.jobs[0].lost_work,
            SimDuration::ZERO,
            "stop-and-copy loses nothing"
        );
        assert_eq!(s.last_migration_end, Some(2.6));
        s.apply(&Entry::Ended {
            t: 41.0,
            job: 0,
            how: Ending::Finished,
            memory: 1e7,
            work_s: 40.0,
        });
        assert!(s.is_done());
    }

    fn ended(t: f64, how: Ending) -> Entry {
        Entry::Ended {
            t,
            job: 0,
            how,
            memory: 1e7,
            work_s: 1.0,
        }
    }

    /// As in the simulator: only the OOM killer's kills count towards `oom.max_retries` (3).
    #[test]
    fn exits_do_not_count_towards_the_retry_limit_and_oom_kills_do() {
        let mut s = state();
        for i in 0..5 {
            let t = f64::from(i) * 10.0;
            s.apply(&Entry::Started { t, job: 0, node: 0 });
            s.apply(&ended(t + 5.0, Ending::Exited));
        }
        assert_eq!(s.jobs[0].at, Where::Queued, "five exits, still queued");
        for i in 0..4 {
            let t = 100.0 + f64::from(i) * 10.0;
            s.apply(&Entry::Started { t, job: 0, node: 0 });
            s.apply(&ended(t + 5.0, Ending::OomKilled));
            let expected = if i < 3 { Where::Queued } else { Where::Failed };
            assert_eq!(s.jobs[0].at, expected, "after OOM kill {}", i + 1);
        }
        assert_eq!(s.record.jobs[0].oom_kills, 4);
    }

    #[test]
    fn a_restart_move_starts_the_job_again_and_loses_its_work() {
        let mut s = frozen_move(Mechanism::Restart);
        s.apply(&step(2.2, Step::Complete { downtime_s: 0.1 }));
        let rec = &s.record.jobs[0];
        assert_eq!(s.jobs[0].at, Where::Running(NodeId(1)));
        assert_eq!((rec.starts, rec.migrations), (2, 1));
        assert_eq!(rec.nodes.as_slice(), [NodeId(0), NodeId(1)]);
        assert_eq!(rec.lost_work, SimDuration::from_secs(1.5));
        assert_eq!(
            rec.wait,
            SimDuration::from_secs(0.5),
            "re-created, not queued again"
        );
    }

    /// What the controller sees of a move in flight follows the mechanism's phase table, as in
    /// the simulator: a restart is past return once the job is deleted, a post-copy once the
    /// job runs on its target, where it is no longer frozen.
    #[test]
    fn a_move_in_flight_is_frozen_and_committed_as_its_mechanism_says() {
        let flight = |s: &LiveState| (s.flights[0].frozen, s.flights[0].committed);
        assert_eq!(flight(&frozen_move(Mechanism::Restart)), (true, true));
        assert_eq!(flight(&frozen_move(Mechanism::StopAndCopy)), (true, false));
        let mut s = frozen_move(Mechanism::PostCopy);
        assert_eq!(flight(&s), (true, false));
        s.apply(&step(2.2, Step::Restored));
        assert_eq!(flight(&s), (false, true));
    }

    #[test]
    fn a_failed_restart_still_cost_the_work_it_deleted() {
        let mut s = frozen_move(Mechanism::Restart);
        s.apply(&step(
            2.2,
            Step::Failed {
                reason: "no room".into(),
                downtime_s: 0.1,
            },
        ));
        let m = &s.record.migrations[0];
        assert_eq!(m.outcome, Some(MigrationOutcome::Failed));
        assert_eq!(m.lost_work, SimDuration::from_secs(1.5));
    }
}
