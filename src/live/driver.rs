//! The live loop: real time, scaled by the speed, drives the same scheduler, unscheduler and
//! controller the simulator calls, on views built from a backend's observations. Every change
//! is journaled, then applied to the run's state.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine::{RngStreams, SimTime, StreamRng};
use crate::live::backend::{Backend, Life, MoveOrder, Observation};
use crate::live::journal::{Ending, Entry, Journal, Step};
use crate::live::state::{LiveState, Where};
use crate::live::view::{self, Growth};
use crate::live::Clock;
use crate::model::{JobId, NodeId};
use crate::policy::{ClusterView, Controller, PendingJob, Scheduler, UnschedulerSpec};
use crate::scenario::ScenarioSpec;

/// How often the loop wakes, real time: fine enough to see a job end or a node fill.
const TICK: Duration = Duration::from_millis(50);

/// When each periodic task is next due, simulated seconds.
struct Due {
    monitor: f64,
    control: f64,
    sample: f64,
}

pub struct Driver<'a> {
    spec: &'a ScenarioSpec,
    pub state: LiveState,
    clock: Clock,
    journal: Arc<Mutex<Journal>>,
    scheduler: Scheduler,
    rng: StreamRng,
    unscheduler: Option<UnschedulerSpec>,
    controller: Option<Controller>,
    snapshots: VecDeque<ClusterView>,
    observation: Observation,
    growth: Growth,
    due: Due,
    /// Per node: short of room at the controller's last decision (one record per spell).
    short: Vec<bool>,
    pub stalled: bool,
}

impl<'a> Driver<'a> {
    pub fn new(
        spec: &'a ScenarioSpec,
        state: LiveState,
        clock: Clock,
        journal: Arc<Mutex<Journal>>,
    ) -> Self {
        let now = clock.now_s();
        let nodes = state.cluster.nodes.len();
        let jobs = state.jobs.len();
        Driver {
            scheduler: Scheduler::new(&spec.scheduler),
            rng: RngStreams::new(spec.simulation.seed).stream("scheduler"),
            unscheduler: spec.unscheduler.clone(),
            controller: spec
                .controller
                .as_ref()
                .map(|c| Controller::new(c, &spec.migration)),
            snapshots: VecDeque::new(),
            observation: Observation::default(),
            growth: Growth::new(jobs, spec.monitor.window.value),
            due: Due {
                monitor: now,
                control: now + spec.controller.as_ref().map_or(0.0, |c| c.interval.value),
                sample: now,
            },
            short: vec![false; nodes],
            stalled: false,
            spec,
            state,
            clock,
            journal,
        }
    }

    /// Journals an entry, then applies it.
    fn commit(&mut self, entry: Entry) {
        if let Err(e) = self
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .append(&entry)
        {
            eprintln!("warning: cannot write the journal: {e}");
        }
        self.state.apply(&entry);
    }

    /// Runs until every job has finished or failed, the scenario's end, a stall, or `stop`.
    pub fn run(
        &mut self,
        backend: &mut dyn Backend,
        stop: &AtomicBool,
        on_tick: &mut dyn FnMut(&LiveState, f64),
    ) {
        let end = self.spec.simulation.end.map(|e| e.value);
        loop {
            let now = self.clock.now_s();
            self.tick(backend, now);
            on_tick(&self.state, now);
            if self.state.is_done()
                || self.stalled
                || stop.load(Ordering::SeqCst)
                || end.is_some_and(|e| now >= e)
            {
                break;
            }
            std::thread::sleep(TICK);
        }
        // A last sample at the end, as the simulator takes one.
        let now = self.clock.now_s();
        self.take_steps(backend);
        self.sample(backend, now);
    }

    pub fn take_steps(&mut self, backend: &mut dyn Backend) {
        for s in backend.steps() {
            self.state.apply(&Entry::Migration {
                t: s.t,
                id: s.id,
                step: s.step,
            });
        }
    }

    fn tick(&mut self, backend: &mut dyn Backend, now: f64) {
        self.take_steps(backend);
        self.observe(backend, now);
        self.state.arrive(now);
        if !self.state.queue.is_empty() {
            self.schedule(backend, now);
        }
        if now >= self.due.monitor {
            self.monitor(now);
            self.due.monitor = next(self.due.monitor, self.spec.monitor.interval.value, now);
        }
        if let Some(interval) = self.controller.as_ref().map(|c| c.spec.interval.value) {
            if now >= self.due.control {
                self.control(backend, now);
                self.due.control = next(self.due.control, interval, now);
            }
        }
        if now >= self.due.sample {
            self.sample(backend, now);
            self.due.sample = next(
                self.due.sample,
                self.spec.simulation.sample_interval.value,
                now,
            );
        }
    }

    fn observe(&mut self, backend: &mut dyn Backend, now: f64) {
        self.observation = backend.observe();
        for u in std::mem::take(&mut self.observation.jobs) {
            let j = &mut self.state.jobs[u.job.index()];
            j.memory = u.memory;
            j.work_s = u.work_s;
            self.state.record.job(u.job).observe_memory(u.memory);
            self.growth.observe(u.job, now, u.memory);
            let how = match u.life {
                Life::Running => continue,
                Life::Finished => Ending::Finished,
                Life::OomKilled => Ending::OomKilled,
                Life::Exited => Ending::Exited,
            };
            self.growth.forget(u.job);
            self.commit(Entry::Ended {
                t: now,
                job: u.job.0,
                how,
                memory: u.memory,
                work_s: u.work_s,
            });
        }
    }

    fn view(&self, now: f64) -> ClusterView {
        view::build(&self.state, &self.observation, &self.growth, now)
    }

    fn schedule(&mut self, backend: &mut dyn Backend, now: f64) {
        let view = self.view(now);
        let pending: Vec<PendingJob> = self
            .state
            .queue
            .iter()
            .map(|&id| {
                let s = self.state.spec(id);
                PendingJob {
                    id,
                    request: s.request,
                    cpu: s.cpu,
                }
            })
            .collect();
        let placements = self.scheduler.plan(&view, &pending, &mut self.rng);
        for &(job, node) in &placements {
            self.commit(Entry::Started {
                t: now,
                job: job.0,
                node: node.0,
            });
            if let Err(e) = backend.start(job, node) {
                eprintln!("warning: cannot start {}: {e}", self.state.spec(job).name);
                self.commit(Entry::Ended {
                    t: now,
                    job: job.0,
                    how: Ending::Exited,
                    memory: 0.0,
                    work_s: 0.0,
                });
            }
        }
        let nothing_runs = !self
            .state
            .jobs
            .iter()
            .any(|j| matches!(j.at, Where::Running(_) | Where::NotArrived));
        if placements.is_empty() && nothing_runs {
            // Nothing runs and nothing will arrive: if even uncordoned nodes cannot take a
            // queued job, nothing can change that.
            let mut open = view;
            open.nodes.iter_mut().for_each(|n| n.cordoned = false);
            self.stalled = self
                .scheduler
                .plan(&open, &pending, &mut self.rng.clone())
                .is_empty();
        }
    }

    fn monitor(&mut self, now: f64) {
        self.snapshots.push_back(self.view(now));
        let delay = self.spec.monitor.delay.value;
        let visible = |s: &ClusterView| s.time.as_secs() + delay <= now;
        while self.snapshots.len() > 1 && visible(&self.snapshots[1]) {
            self.snapshots.pop_front();
        }
        let Some(unscheduler) = self.unscheduler.clone() else {
            return;
        };
        if !visible(&self.snapshots[0]) {
            return;
        }
        let mut view = self.snapshots[0].clone();
        for (v, &c) in view.nodes.iter_mut().zip(&self.state.cordoned) {
            v.cordoned = c;
        }
        for change in unscheduler.decide(&view) {
            self.commit(Entry::Cordon {
                t: now,
                node: change.node.0,
                cordoned: change.cordon,
            });
        }
    }

    /// The controller's turn, as in the simulator: usage from the visible snapshot; cordons,
    /// CPU requests and its own migrations as they are now.
    fn control(&mut self, backend: &mut dyn Backend, now: f64) {
        let delay = self.spec.monitor.delay.value;
        let Some(mut view) = self
            .snapshots
            .iter()
            .rev()
            .find(|s| s.time.as_secs() + delay <= now)
            .cloned()
        else {
            return;
        };
        let current = self.view(now);
        for (v, c) in view.nodes.iter_mut().zip(&current.nodes) {
            v.cordoned = c.cordoned;
            v.cpu_requested = c.cpu_requested;
            for j in v.jobs.iter_mut() {
                let live = &self.state.jobs[j.id.index()];
                j.migrating = live.migrating.is_some();
                j.migrations = live.migrations;
                j.failed_moves = live.failed_moves;
                j.last_failed_move = live.last_failed_move.map(SimTime::from_secs);
            }
        }
        view.migrations = current.migrations;
        let controller = self.controller.as_ref().expect("called with a controller");
        let decisions =
            controller.decide(&view, self.state.last_migration_end.map(SimTime::from_secs));
        for c in decisions.cancels {
            if let Some(id) = self.state.jobs[c.job.index()].migrating {
                backend.cancel(id, &c.reason);
            }
        }
        for o in decisions.orders {
            let j = &self.state.jobs[o.job.index()];
            // The view may be stale: the job may have ended or moved since.
            if j.at != Where::Running(o.source) || j.migrating.is_some() {
                self.state.record.stale_orders += 1;
                continue;
            }
            let (memory, work_s) = (j.memory, j.work_s);
            let id = self.state.migrations.len() as u32;
            let mechanism = self.spec.migration.mechanism;
            self.commit(Entry::Migration {
                t: now,
                id,
                step: Step::Issued {
                    job: o.job.0,
                    source: o.source.0,
                    target: o.target.0,
                    mechanism,
                    cause: o.cause,
                },
            });
            backend.migrate(MoveOrder {
                id,
                job: o.job,
                source: o.source,
                target: o.target,
                mechanism,
                memory,
                work_s,
            });
        }
        let mut short = vec![false; self.short.len()];
        for s in decisions.shortages {
            let i = s.node.index();
            if !self.short[i] && !short[i] {
                self.commit(Entry::Shortage {
                    t: now,
                    node: s.node.0,
                    job: s.job.0,
                    bytes: s.bytes,
                });
            }
            short[i] = true;
        }
        self.short = short;
    }

    fn sample(&mut self, backend: &dyn Backend, now: f64) {
        let view = self.view(now);
        for n in &view.nodes {
            let node: NodeId = n.id;
            self.commit(Entry::Sample {
                t: now,
                node: node.0,
                used: n.memory_used,
                migration_memory: backend.migration_memory(node),
                cpu_requested: n.cpu_requested,
                jobs: n.jobs.len() as u32,
                cordoned: n.cordoned,
            });
        }
    }
}

pub fn running(state: &LiveState) -> Vec<(JobId, NodeId, f64)> {
    state
        .jobs
        .iter()
        .enumerate()
        .filter_map(|(i, j)| match j.at {
            Where::Running(n) => Some((JobId(i as u32), n, j.work_s)),
            _ => None,
        })
        .collect()
}

/// The next time a task of period `every` is due after `now`, on its own grid.
fn next(due: f64, every: f64, now: f64) -> f64 {
    let mut t = due + every;
    while t <= now {
        t += every;
    }
    t
}
