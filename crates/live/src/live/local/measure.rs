//! `migsim calibrate measure --path live`: the local backend's own migrations, timed. Each run
//! starts a job of one size on one node of a two-node session and moves it to the other with
//! the very code `migsim live` uses (a page server in the target's namespace, the restore into
//! the target's cgroup), once by stop-and-copy and once by post-copy, and reads the phases off
//! the steps the move journals:
//!
//! - stop-and-copy: `stream` (freeze until the pages are on the target), `restore` (until the
//!   job runs there) and `downtime` (both);
//! - post-copy: `handoff` (freeze until the job runs on the target without its memory) and
//!   `lazy_pull` (until every page is there).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::criu::measure::{Row, Status};
use crate::criu::Support;
use crate::live::backend::{Backend, MoveOrder, StepTaken};
use crate::live::journal::{Journal, Step};
use crate::live::local::preflight::Ready;
use crate::live::local::session::Session;
use crate::live::local::{LocalBackend, LocalSetup};
use crate::live::{Clock, LiveWorkload};
use crate::migration::calibration::Phase;
use crate::migration::Mechanism;
use crate::model::{JobId, NodeId};

/// How long a job may take to hold its size, and a move to end.
const GROW_LIMIT: Duration = Duration::from_secs(60);
const MOVE_LIMIT: Duration = Duration::from_secs(300);
/// Room on a node besides the job and its images' page cache: criu's page server, restore
/// and lazy-pages daemon are charged to the target node.
const NODE_SLACK: f64 = 256.0 * 1048576.0;

/// The phases one mechanism's move yields, in order.
fn phases(mechanism: Mechanism) -> &'static [Phase] {
    match mechanism {
        Mechanism::PostCopy => &[Phase::Handoff, Phase::LazyPull],
        _ => &[Phase::Stream, Phase::Restore, Phase::Downtime],
    }
}

const MECHANISMS: [Mechanism; 2] = [Mechanism::StopAndCopy, Mechanism::PostCopy];

/// A session of two nodes in which every planned run moves its jobs.
pub struct LivePath {
    backend: LocalBackend,
    template: Row,
    /// Why post-copy cannot be measured here, when it cannot.
    lazy: Result<(), String>,
}

impl LivePath {
    /// Creates the session, under `state`, for runs of the sizes in `plan` (bytes, one entry
    /// per run), journaling its moves in `out`; what a dead measurement or live run left under
    /// `state` is taken away first.
    pub fn open(
        ready: Ready,
        state: &Path,
        out: &Path,
        plan: &[u64],
        template: Row,
    ) -> Result<LivePath, String> {
        super::sweep_dead(state, None);
        let journal = Journal::create(out).map_err(|e| e.to_string())?;
        let largest = plan.iter().copied().max().unwrap_or(0) as f64;
        let workloads = plan
            .iter()
            .flat_map(|&size| MECHANISMS.map(|_| holding(size)))
            .collect();
        let lazy = Support::detect(&ready.criu).lazy;
        let setup = LocalSetup {
            state: state.to_path_buf(),
            out: out.to_path_buf(),
            criu: ready.criu,
            memhog: ready.memhog,
            clock: Clock::starting_now(1.0),
            scale: 1.0,
            // A target with room for the job and for the images written there, as a target
            // the controller picks has: a node short of memory reclaims, which is not the
            // move's cost.
            capacities: vec![2.0 * largest + NODE_SLACK; 2],
            workloads,
            fault: None,
        };
        let backend = LocalBackend::create(setup, Arc::new(Mutex::new(journal)))?;
        Ok(LivePath {
            backend,
            template,
            lazy,
        })
    }

    /// What an interrupted measurement must take away.
    pub fn session(&self) -> (Session, PathBuf) {
        (self.backend.session.clone(), self.backend.state.clone())
    }

    /// Run `index` of the plan, at `size` bytes: one move per mechanism.
    pub fn run(&mut self, index: usize, size: u64, on_phase: &mut dyn FnMut(Phase)) -> Vec<Row> {
        let template = Row {
            run: index,
            size_bytes: size,
            ..self.template.clone()
        };
        let mut rows = Vec::new();
        for (k, mechanism) in MECHANISMS.into_iter().enumerate() {
            on_phase(phases(mechanism)[0]);
            let job = JobId((index * MECHANISMS.len() + k) as u32);
            let skipped = (mechanism == Mechanism::PostCopy)
                .then(|| self.lazy.clone().err())
                .flatten();
            let moved = match skipped {
                Some(why) => Err((Status::Skipped, why)),
                None => self.move_once(job, mechanism),
            };
            rows.extend(rows_of(&template, mechanism, moved));
        }
        rows
    }

    /// Starts `job`, lets it reach its size, moves it and takes it away; returns its memory
    /// and the steps of its move.
    fn move_once(
        &mut self,
        job: JobId,
        mechanism: Mechanism,
    ) -> Result<(f64, Vec<StepTaken>), (Status, String)> {
        let failed = |why: String| (Status::Failed, why);
        let (source, target) = (NodeId(0), NodeId(1));
        self.backend.start(job, source).map_err(failed)?;
        let moved = self.grown(job).and_then(|(memory, work_s)| {
            self.backend.migrate(MoveOrder {
                id: job.0,
                job,
                source,
                target,
                mechanism,
                memory,
                work_s,
            });
            self.steps_of(job.0).map(|steps| (memory, steps))
        });
        self.take_away(job);
        moved.map_err(failed)
    }

    /// Waits until `job` holds its size and counts; returns its memory and work done.
    fn grown(&mut self, job: JobId) -> Result<(f64, f64), String> {
        let size = self.backend.ctx.workloads[job.index()].points[0].1;
        let started = Instant::now();
        while started.elapsed() < GROW_LIMIT {
            let seen = self.backend.observe();
            let usage = seen.jobs.iter().find(|u| u.job == job);
            match usage {
                Some(u) if u.memory >= 0.99 * size && u.work_s > 0.0 => {
                    return Ok((u.memory, u.work_s))
                }
                Some(_) => std::thread::sleep(Duration::from_millis(20)),
                None => return Err("the workload ended before it was moved".into()),
            }
        }
        Err(format!(
            "the workload did not reach {size} bytes within {GROW_LIMIT:?}"
        ))
    }

    /// The steps of move `id`, to its end.
    fn steps_of(&mut self, id: u32) -> Result<Vec<StepTaken>, String> {
        let started = Instant::now();
        let mut steps = Vec::new();
        while started.elapsed() < MOVE_LIMIT {
            let new = self.backend.steps();
            let done = new.iter().any(|s| {
                matches!(
                    s.step,
                    Step::Complete { .. } | Step::Failed { .. } | Step::Cancelled { .. }
                )
            });
            steps.extend(new.into_iter().filter(|s| s.id == id));
            if done {
                return Ok(steps);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Err(format!("the move did not end within {MOVE_LIMIT:?}"))
    }

    /// Kills the job wherever it is, so that the next run starts on empty nodes.
    fn take_away(&mut self, job: JobId) {
        for node in [NodeId(0), NodeId(1)] {
            let _ = self.backend.ctx.job_cgroup(node, job.index()).remove();
        }
        self.backend.observe();
    }

    pub fn close(mut self) -> Result<(), String> {
        self.backend.shutdown()
    }
}

/// A job that holds `size` bytes for an hour.
fn holding(size: u64) -> LiveWorkload {
    LiveWorkload {
        name: format!("calibrate-{size}"),
        work_s: 3600.0,
        speed: 1.0,
        scale: 1.0,
        points: vec![(0, size as f64)],
        stepped: true,
        dirty_rate: 0.0,
    }
}

/// The rows of one move: its phases timed from its steps, or each with why it has no time.
fn rows_of(
    template: &Row,
    mechanism: Mechanism,
    moved: Result<(f64, Vec<StepTaken>), (Status, String)>,
) -> Vec<Row> {
    let row = |phase, status, note: String, memory: Option<f64>| Row {
        phase,
        status,
        note,
        memory_bytes: memory.map(|m| m as u64),
        ..template.clone()
    };
    // Every phase of the move, each with why it has no time.
    let untimed = |status, why: &str, memory| -> Vec<Row> {
        phases(mechanism)
            .iter()
            .map(|&p| row(p, status, why.to_string(), memory))
            .collect()
    };
    let (memory, steps) = match moved {
        Ok(m) => m,
        Err((status, why)) => return untimed(status, &why, None),
    };
    match timed(mechanism, &steps) {
        Ok(times) => times
            .into_iter()
            .map(|(phase, seconds, bytes)| Row {
                seconds: Some(seconds),
                image_bytes: bytes.map(|b| b as u64),
                resumed: Some(true),
                ..row(phase, Status::Ok, String::new(), Some(memory))
            })
            .collect(),
        Err(why) => untimed(Status::Failed, &why, Some(memory)),
    }
}

/// (phase, seconds, bytes sent) of a move that completed, else why it did not.
fn timed(
    mechanism: Mechanism,
    steps: &[StepTaken],
) -> Result<Vec<(Phase, f64, Option<f64>)>, String> {
    let at = |want: fn(&Step) -> bool| steps.iter().find(|s| want(&s.step));
    let end = steps.last().ok_or("the move took no step")?;
    let downtime = match &end.step {
        Step::Complete { downtime_s } => *downtime_s,
        Step::Failed { reason, .. } => return Err(format!("the move failed: {reason}")),
        Step::Cancelled { reason } => return Err(format!("the move was cancelled: {reason}")),
        other => return Err(format!("the move stopped at {}", other.name())),
    };
    let frozen = at(|s| matches!(s, Step::Freezing { .. })).ok_or("no freeze journaled")?;
    let running = frozen.t + downtime;
    if mechanism == Mechanism::PostCopy {
        let pulled = at(|s| matches!(s, Step::Pulled { .. })).ok_or("no pull journaled")?;
        let Step::Pulled { bytes_sent } = pulled.step else {
            unreachable!("matched above")
        };
        return Ok(vec![
            (Phase::Handoff, downtime, None),
            (Phase::LazyPull, pulled.t - running, Some(bytes_sent)),
        ]);
    }
    let dumped = at(|s| matches!(s, Step::Dumped { .. })).ok_or("no dump journaled")?;
    let Step::Dumped { bytes_sent } = dumped.step else {
        unreachable!("matched above")
    };
    Ok(vec![
        (Phase::Stream, dumped.t - frozen.t, Some(bytes_sent)),
        (Phase::Restore, running - dumped.t, None),
        (Phase::Downtime, downtime, None),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(t: f64, step: Step) -> StepTaken {
        StepTaken { t, id: 7, step }
    }

    fn freezing(t: f64) -> StepTaken {
        let memory = 9.0;
        step(
            t,
            Step::Freezing {
                memory,
                work_s: 1.0,
            },
        )
    }

    #[test]
    fn a_stop_and_copy_splits_at_its_dump_and_a_post_copy_at_its_restore() {
        let steps = [
            freezing(1.0),
            step(1.3, Step::Dumped { bytes_sent: 8.0 }),
            step(1.35, Step::Restoring),
            step(1.5, Step::Restored),
            step(1.6, Step::Complete { downtime_s: 0.45 }),
        ];
        let t = timed(Mechanism::StopAndCopy, &steps).unwrap();
        let secs: Vec<f64> = t.iter().map(|x| x.1).collect();
        assert!((secs[0] - 0.3).abs() < 1e-9 && (secs[1] - 0.15).abs() < 1e-9);
        assert_eq!((t[2].0, t[2].1, t[0].2), (Phase::Downtime, 0.45, Some(8.0)));
        let steps = [
            freezing(2.0),
            step(2.05, Step::Dumped { bytes_sent: 1.0 }),
            step(2.06, Step::Restoring),
            step(2.7, Step::Pulled { bytes_sent: 9.5 }),
            step(2.8, Step::Restored),
            step(2.9, Step::Complete { downtime_s: 0.1 }),
        ];
        let t = timed(Mechanism::PostCopy, &steps).unwrap();
        assert_eq!(t[0], (Phase::Handoff, 0.1, None));
        assert!((t[1].1 - 0.6).abs() < 1e-9 && t[1].2 == Some(9.5));
    }

    #[test]
    fn a_move_that_did_not_complete_has_no_times() {
        let steps = [
            freezing(1.0),
            step(
                1.2,
                Step::Failed {
                    reason: "restore: boom".into(),
                    downtime_s: 0.2,
                },
            ),
        ];
        let e = timed(Mechanism::StopAndCopy, &steps).unwrap_err();
        assert_eq!(e, "the move failed: restore: boom");
        assert!(timed(Mechanism::PostCopy, &[]).is_err());
    }
}
