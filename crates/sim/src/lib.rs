//! The simulator: a scenario run on the discrete-event engine, its control loop driven by
//! simulated time. The model's state changes become events on the engine, and every change is
//! reported to the run record; each concern's handlers live in their own file.

pub(crate) use migsim_core::{engine, migration, model, policy, record, workload};
pub(crate) use migsim_scenario::scenario;

mod event;
mod failures;
mod jobs;
mod migrate;
mod monitor;
mod oom;
#[cfg(test)]
mod parity;
mod plant;
#[cfg(test)]
mod scan_parity;
mod scheduling;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use crate::engine::{RngStreams, SimDuration, SimTime, Simulation, StreamRng};
use crate::migration::{CostModel, FailureSpec, MigrationSpec, Network};
use crate::model::{Cluster, JobId, JobState, Migration, MigrationId, NodeId, OomSpec};
use crate::policy::ControlLoop;
pub use crate::record::RunOutput;
use crate::record::{Recorder, RunEvent};
use crate::scenario::ScenarioSpec;
use crate::workload::JobSpec;
use migsim_scenario::{output, Scenario};

pub use event::Event;

/// What to record beyond the default outputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordOptions {
    /// Every event, for `events.jsonl`.
    pub events: bool,
    /// Every running job's memory at each sample.
    pub job_samples: bool,
    /// Write the tables gzipped (`NAME.csv.gz`).
    pub compress: bool,
}

/// How far a run has come, for progress bars.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub now: SimTime,
    pub end: Option<SimTime>,
    pub jobs_done: usize,
    pub jobs_total: usize,
}

/// How often, in events, the progress callback is called.
const PROGRESS_EVERY: u64 = 1 << 16;

pub struct Simulator {
    sim: Simulation<Event>,
    cluster: Cluster,
    /// Jobs waiting for a node, first come first served.
    queue: VecDeque<JobId>,
    /// The policies and what they see; out of its slot only while a turn of it runs (it
    /// drives the simulator as its plant).
    control: Option<ControlLoop>,
    #[cfg(test)]
    tape: Option<crate::policy::control::tape::Tape>,
    oom: OomSpec,
    end: Option<SimTime>,
    sample_interval: SimDuration,
    migration: MigrationSpec,
    cost: CostModel,
    network: Network,
    migrations: Vec<Migration>,
    /// The migrations in flight, in the order they were issued.
    active: Vec<MigrationId>,
    /// The migration each network flow slot belongs to.
    flow_owner: Vec<Option<MigrationId>>,
    last_migration_end: Option<SimTime>,
    failures: FailureSpec,
    failure_rng: StreamRng,
    node_failure_rng: StreamRng,
    /// Scheduled node failures: (time, node, repair delay).
    scheduled_failures: Vec<(SimTime, NodeId, Option<SimDuration>)>,
    record: Recorder,
    schedule_pending: bool,
    last_sample: Option<SimTime>,
    arrivals_left: usize,
    running: usize,
    done: usize,
    stalled: bool,
    stop: bool,
}

impl Simulator {
    /// A run of `jobs` (taken one by one, so that a scenario's jobs are copied only into the
    /// cluster, not into a list of their own first).
    pub fn new(
        spec: &ScenarioSpec,
        jobs: impl IntoIterator<Item = JobSpec>,
        options: RecordOptions,
    ) -> Self {
        let streams = RngStreams::new(spec.simulation.seed);
        let cluster = Cluster::new(&spec.nodes, jobs);
        let n = cluster.jobs.len();
        let arrivals = cluster.jobs.iter().map(|j| j.spec.arrival).collect();
        let nics = cluster.nodes().iter().map(|n| n.network).collect();
        Simulator {
            sim: Simulation::default(),
            cluster,
            queue: VecDeque::new(),
            control: Some(ControlLoop::new(
                spec.control(),
                streams.stream("scheduler"),
            )),
            #[cfg(test)]
            tape: None,
            oom: spec.oom.clone(),
            end: spec.simulation.end.map(|e| SimTime::from_secs(e.value)),
            sample_interval: SimDuration::from_secs(spec.simulation.sample_interval.value),
            migration: spec.migration.clone(),
            cost: spec.migration.cost_model(),
            network: Network::new(nics),
            migrations: Vec::new(),
            active: Vec::new(),
            flow_owner: Vec::new(),
            last_migration_end: None,
            failures: spec.failures.clone(),
            failure_rng: streams.stream("failures/migration"),
            node_failure_rng: streams.stream("failures/nodes"),
            scheduled_failures: Vec::new(),
            record: Recorder::new(arrivals, options.job_samples, options.events),
            schedule_pending: false,
            last_sample: None,
            arrivals_left: n,
            running: 0,
            done: 0,
            stalled: false,
            stop: false,
        }
    }

    /// Runs to the end time or until every job has finished or failed, whichever is first.
    pub fn run(mut self, progress: &mut dyn FnMut(Progress)) -> RunOutput {
        self.run_events(progress);
        self.finish()
    }

    fn run_events(&mut self, progress: &mut dyn FnMut(Progress)) {
        self.prime();
        while let Some((_, event)) = self.sim.next() {
            self.handle(event);
            if self.stop {
                break;
            }
            if self.sim.processed().is_multiple_of(PROGRESS_EVERY) {
                progress(self.progress());
            }
        }
    }

    fn prime(&mut self) {
        for (i, job) in self.cluster.jobs.iter().enumerate() {
            self.sim
                .schedule_at(job.spec.arrival, Event::Arrive(JobId(i as u32)));
        }
        if let Some(end) = self.end {
            self.sim.schedule_at(end, Event::End);
        }
        self.sim.schedule_at(SimTime::ZERO, Event::Sample);
        let control = self.control.as_ref().expect("in its slot between turns");
        if control.monitor_interval().is_some() {
            self.sim.schedule_at(SimTime::ZERO, Event::Monitor);
        }
        if let Some(interval) = control.control_interval() {
            self.sim
                .schedule_at(SimTime::ZERO + interval, Event::Control);
        }
        self.prime_failures();
        if self.cluster.jobs.is_empty() {
            self.stop = true;
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Arrive(job) => self.on_arrive(job),
            Event::Step { job, gen } => self.on_step(job, gen),
            Event::Oom { node, gen } => self.on_oom(node, gen),
            Event::Schedule => self.on_schedule(),
            Event::Monitor => self.on_monitor(),
            Event::Control => self.on_control(),
            Event::Phase { migration, gen } => self.on_phase(migration, gen),
            Event::Flow { flow, gen } => self.on_flow(flow, gen),
            Event::NodeFail(node) => self.on_node_fail(node),
            Event::NodeRepair(node) => self.on_node_repair(node),
            Event::Sample => self.on_sample(),
            Event::End => self.stop = true,
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            now: self.sim.now(),
            end: self.end,
            jobs_done: self.done,
            jobs_total: self.cluster.jobs.len(),
        }
    }

    /// Whether nothing more can happen: every job has finished or failed.
    fn all_done(&self) -> bool {
        self.done == self.cluster.jobs.len()
    }

    fn finish(mut self) -> RunOutput {
        let now = self.sim.now();
        if self.last_sample != Some(now) {
            self.sample(now);
        }
        for (i, job) in self.cluster.jobs.iter().enumerate() {
            if let JobState::Running(_) = job.state {
                self.record.apply(RunEvent::Held {
                    job: JobId(i as u32),
                    memory: job.memory_at(now),
                });
            }
        }
        for id in self.active.clone() {
            self.tally(id);
        }
        let (events, stalled) = (self.sim.processed(), self.stalled);
        self.record.finish(self.cluster, now, events, stalled)
    }
}

/// Runs a loaded scenario to its end.
pub fn run(
    scenario: &Scenario,
    options: RecordOptions,
    progress: &mut dyn FnMut(Progress),
) -> RunOutput {
    Simulator::new(&scenario.spec, scenario.jobs.iter().cloned(), options).run(progress)
}

/// Runs a loaded scenario and writes its outputs into `out`; returns them and the files
/// written.
pub fn run_to_dir(
    scenario: &Scenario,
    out: &Path,
    options: RecordOptions,
    progress: &mut dyn FnMut(Progress),
) -> std::io::Result<(RunOutput, Vec<PathBuf>)> {
    let output = run(scenario, options, progress);
    let files = output::write_run(out, scenario, &output, options.compress)?;
    Ok((output, files))
}
