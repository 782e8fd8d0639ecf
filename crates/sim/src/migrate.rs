//! Migrations in motion: each phase of each mechanism, the transfers on the network, the
//! memory a migration holds on its nodes, and how a migration ends (complete, failed,
//! cancelled). The order of phases is in [`Simulator::advance`].

use rand::Rng;

use crate::engine::{Generation, SimDuration, SimTime};
use crate::migration::{Failover, FlowId, JobDuring, NextRound, Pages, PhaseSpec, RateChange};
use crate::model::{JobId, JobState, Migration, MigrationId, MigrationOutcome, NodeId, Phase};
use crate::policy::controller::Order;
use crate::record::RunEvent;
use crate::{Event, Simulator};

/// Why a job with a migration in flight stops.
pub(super) enum Stop {
    Finished,
    Killed(String),
}

impl Simulator {
    /// Carries out a controller order the control loop found current.
    pub(super) fn issue(&mut self, order: &Order) {
        let now = self.sim.now();
        let j = self.cluster.job(order.job);
        let cpu = j.spec.cpu;
        let id = MigrationId(self.migrations.len() as u32);
        let mechanism = self.migration.mechanism;
        let mut m = Migration::new(order.job, order.source, order.target, mechanism, now);
        m.memory = j.memory_at(now);
        m.cpu_reserved = true;
        let issued = RunEvent::MigrationIssued {
            t: now,
            job: order.job,
            source: order.source,
            target: order.target,
            mechanism,
            memory: m.memory,
            cause: order.cause.clone(),
        };
        self.migrations.push(m);
        self.active.push(id);
        self.cluster.reserve_cpu(order.target, cpu);
        self.cluster.job_mut(order.job).migration = Some(id);
        self.record.apply(issued);
        let setup = &mechanism.phases(self.cost.streaming)[0];
        if setup.job == JobDuring::Deleted {
            self.delete_for_restart(id);
        }
        self.begin(id, setup);
    }

    /// `restart`: the job is deleted from its source at once and comes up on the target after
    /// the setup; everything it had done is lost.
    fn delete_for_restart(&mut self, id: MigrationId) {
        let now = self.sim.now();
        let m = &self.migrations[id.index()];
        let (job, source, target) = (m.job, m.source, m.target);
        let lost = self.cluster.stop(job, now, JobState::Restarting(target));
        self.running -= 1;
        self.record.apply(RunEvent::MigrationDeleted {
            migration: id,
            lost_work: lost,
        });
        self.migrations[id.index()].frozen_at = Some(now);
        self.refresh_oom(source);
        self.request_schedule();
    }

    /// Enters a phase: draws whether it will fail and schedules its end (a timer, or a
    /// transfer after its fixed latency).
    fn begin(&mut self, id: MigrationId, spec: &'static PhaseSpec) {
        let now = self.sim.now();
        let p = spec.failure(&self.failures.migration);
        let fails = p > 0.0 && self.failure_rng.random::<f64>() < p;
        let m = &mut self.migrations[id.index()];
        m.phase = spec.phase;
        m.fails_here = fails;
        let c = self.cost;
        let timer = (spec.timer)(&c, m.memory);
        let secs = if spec.rounds_up {
            c.rounded_restore(frozen_for(m, now), timer)
        } else {
            timer
        };
        let gen = m.gen.bump();
        self.sim.schedule_in(
            SimDuration::from_secs(secs),
            Event::Phase { migration: id, gen },
        );
    }

    pub(super) fn on_phase(&mut self, id: MigrationId, gen: Generation) {
        let m = &self.migrations[id.index()];
        if !m.gen.is_current(gen) || m.is_done() {
            return;
        }
        match m.phase {
            // The timer of a transfer phase is its latency: now the pages go.
            Phase::Transfer | Phase::Rounds | Phase::Pull if m.flow.is_none() => {
                let bytes = match m.phase {
                    Phase::Rounds => m.round_bytes,
                    _ => m.flow_bytes,
                };
                self.start_flow(id, bytes);
            }
            _ => self.phase_done(id),
        }
    }

    fn phase_done(&mut self, id: MigrationId) {
        let m = &self.migrations[id.index()];
        if m.fails_here {
            let reason = format!("{} failed (injected)", m.phase.as_str());
            self.fail(id, reason);
        } else {
            self.advance(id);
        }
    }

    /// What the mechanism's table says comes after a phase that ended well.
    fn advance(&mut self, id: MigrationId) {
        let m = &self.migrations[id.index()];
        let phases = m.mechanism.phases(self.cost.streaming);
        let Some(at) = phases.iter().position(|p| p.phase == m.phase) else {
            return;
        };
        let spec = &phases[at];
        if spec.phase == Phase::Setup {
            self.setup_done(id, spec);
        }
        if spec.repeats {
            return self.next_round(id, &phases[at + 1..]);
        }
        if spec.switches_over {
            let pulls = phases
                .get(at + 1)
                .is_some_and(|p| p.job == JobDuring::RunsOnTarget);
            self.switch_over(id, spec, pulls);
        }
        self.enter(id, &phases[at + 1..]);
    }

    /// The setup is done: the migration is in progress, moving the memory the job has now.
    fn setup_done(&mut self, id: MigrationId, setup: &PhaseSpec) {
        let now = self.sim.now();
        let m = &self.migrations[id.index()];
        let memory = match setup.job {
            JobDuring::Deleted => m.memory,
            _ => self.cluster.job(m.job).memory_at(now),
        };
        let m = &mut self.migrations[id.index()];
        m.memory = memory;
        m.flow_bytes = memory;
        m.round_bytes = memory;
        self.record.apply(RunEvent::MigrationStarted {
            t: now,
            migration: id,
            memory,
        });
    }

    /// Enters the first of the `rest` of the phases (freezing the job if it is frozen there),
    /// or completes the migration when none is left.
    fn enter(&mut self, id: MigrationId, rest: &'static [PhaseSpec]) {
        let Some(next) = rest.first() else {
            return self.complete(id);
        };
        let m = &mut self.migrations[id.index()];
        if next.repeats {
            m.rounds = 1;
        }
        if next.frozen() && m.frozen_at.is_none() {
            self.freeze(id);
        }
        self.begin(id, next);
    }

    /// Pre-copy: after a round, another live round, the final frozen one, or the verdict that
    /// the rounds would never shrink.
    fn next_round(&mut self, id: MigrationId, after: &'static [PhaseSpec]) {
        let now = self.sim.now();
        let m = &self.migrations[id.index()];
        let secs = (now - m.round_started).as_secs();
        let send_rate = if secs > 0.0 {
            m.round_bytes / secs
        } else {
            f64::INFINITY
        };
        let job = self.cluster.job(m.job);
        let dirty =
            job.spec.dirties(self.migration.pre_copy.dirty_rate.value) + job.growth().max(0.0);
        let round = m.rounds - 1;
        match self
            .migration
            .pre_copy
            .next(round, m.round_bytes, secs, dirty, send_rate)
        {
            NextRound::Live(bytes) => {
                let m = &mut self.migrations[id.index()];
                m.rounds += 1;
                m.round_bytes = bytes;
                self.start_flow(id, bytes);
            }
            NextRound::Final(bytes) => {
                let m = &mut self.migrations[id.index()];
                m.rounds += 1;
                m.flow_bytes = bytes;
                self.enter(id, after);
            }
            NextRound::Diverges {
                dirty_rate,
                send_rate,
            } => self.fail(
                id,
                format!(
                    "pre-copy does not converge: pages are dirtied at {:.0} B/s, sent at {:.0} B/s",
                    dirty_rate, send_rate
                ),
            ),
        }
    }

    /// Whether the pages of the current flow add to the target's memory: the first copy does;
    /// later pre-copy rounds overwrite pages already there.
    fn accumulates(m: &Migration, streaming: bool) -> bool {
        match m.spec(streaming).and_then(|p| p.pages) {
            Some(Pages::Land | Pages::Fill) => true,
            Some(Pages::LandFirstRound) => m.rounds == 1,
            Some(Pages::Overwrite) | None => false,
        }
    }

    fn start_flow(&mut self, id: MigrationId, bytes: f64) {
        let now = self.sim.now();
        let c = self.cost;
        let m = &mut self.migrations[id.index()];
        let streamed = m.mechanism.streams(c.streaming);
        m.flow_bytes = bytes;
        m.round_started = now;
        let (source, target, phase) = (m.source, m.target, m.phase);
        if Self::accumulates(m, c.streaming) && m.incoming.is_none() {
            m.incoming = Some(self.cluster.open_term(target, now, 0.0, 0.0));
        }
        let wire = bytes / c.efficiency;
        let (flow, changes) =
            self.network
                .start(now, source, target, wire, c.wire_cap(phase, streamed));
        self.migrations[id.index()].flow = Some(flow);
        let slot = flow.0 as usize;
        if self.flow_owner.len() <= slot {
            self.flow_owner.resize(slot + 1, None);
        }
        self.flow_owner[slot] = Some(id);
        self.apply_rates(&changes);
    }

    /// New rates: the pages landing on each target grow at the new rate, and each flow's
    /// finish is scheduled afresh.
    fn apply_rates(&mut self, changes: &[RateChange]) {
        let efficiency = self.cost.efficiency;
        for c in changes {
            let id = self.flow_owner[c.flow.0 as usize].expect("every flow has an owner");
            self.set_landing_rate(id, c.rate * efficiency);
            if let Some(at) = c.finish {
                self.sim.schedule_at(
                    at,
                    Event::Flow {
                        flow: c.flow,
                        gen: c.gen,
                    },
                );
            }
        }
    }

    pub(super) fn on_flow(&mut self, flow: FlowId, gen: Generation) {
        if !self.network.is_current(flow, gen) {
            return;
        }
        let id = self.flow_owner[flow.0 as usize].expect("every flow has an owner");
        self.stop_flow(id);
        self.phase_done(id);
    }

    /// Ends the migration's transfer now (done or abandoned), counting what was sent.
    fn stop_flow(&mut self, id: MigrationId) {
        let now = self.sim.now();
        let Some(flow) = self.migrations[id.index()].flow.take() else {
            return;
        };
        let (left, changes) = self.network.stop(now, flow);
        self.flow_owner[flow.0 as usize] = None;
        let m = &mut self.migrations[id.index()];
        m.bytes_sent += (m.flow_bytes - left * self.cost.efficiency).max(0.0);
        self.set_landing_rate(id, 0.0);
        self.apply_rates(&changes);
    }

    /// Pages of a flow that adds to the target's memory land there at `rate` from now on.
    fn set_landing_rate(&mut self, id: MigrationId, rate: f64) {
        let now = self.sim.now();
        let m = &self.migrations[id.index()];
        let Some(mut term) = m
            .incoming
            .filter(|_| Self::accumulates(m, self.cost.streaming))
        else {
            return;
        };
        self.cluster.set_term_slope(&mut term, now, rate);
        self.migrations[id.index()].incoming = Some(term);
        self.refresh_oom(term.node);
    }

    fn release_cpu(&mut self, id: MigrationId) {
        let now = self.sim.now();
        let m = &mut self.migrations[id.index()];
        if std::mem::take(&mut m.cpu_reserved) {
            let (job, target) = (m.job, m.target);
            let cpu = self.cluster.job(job).spec.cpu;
            self.cluster.release_cpu(target, cpu, now);
        }
    }

    fn freeze(&mut self, id: MigrationId) {
        let now = self.sim.now();
        let m = &mut self.migrations[id.index()];
        m.frozen_at = Some(now);
        let (job, source) = (m.job, m.source);
        self.cluster.set_speed(job, now, 0.0);
        self.record.apply(RunEvent::MigrationFrozen {
            t: now,
            migration: id,
        });
        self.refresh_oom(source);
    }

    /// Lets the job run again at `speed`, wherever it now is.
    fn resume(&mut self, id: MigrationId, speed: f64) {
        let now = self.sim.now();
        let m = &mut self.migrations[id.index()];
        if let Some(at) = m.frozen_at.take() {
            m.downtime = m.downtime + (now - at);
        }
        let job = m.job;
        self.set_job_speed(job, speed);
    }

    pub(super) fn set_job_speed(&mut self, job: JobId, speed: f64) {
        let now = self.sim.now();
        self.cluster.set_speed(job, now, speed);
        self.schedule_step(job);
        let node = self.cluster.job(job).node().expect("a resumed job runs");
        self.refresh_oom(node);
    }

    /// The job moves to the target and runs there (a deleted one starts there afresh). When
    /// it `pulls` its pages next, the pages it lacks are a negative term that the pull fills,
    /// and the source keeps the frozen copy until the end.
    fn switch_over(&mut self, id: MigrationId, spec: &PhaseSpec, pulls: bool) {
        let now = self.sim.now();
        let m = &self.migrations[id.index()];
        let (job, source, target, memory) = (m.job, m.source, m.target, m.memory);
        if spec.job == JobDuring::Deleted {
            self.release_cpu(id);
            return self.start(job, target);
        }
        if let Some(term) = self.migrations[id.index()].incoming.take() {
            self.cluster.close_term(term, now);
        }
        self.release_cpu(id);
        self.cluster.relocate(job, target, now);
        if pulls {
            let held = self.cluster.open_term(source, now, memory, 0.0);
            let missing = self.cluster.open_term(target, now, -memory, 0.0);
            let m = &mut self.migrations[id.index()];
            m.held = Some(held);
            m.incoming = Some(missing);
            m.flow_bytes = memory;
            let speed = self.migration.post_copy.degraded_speed;
            self.resume(id, speed);
        } else {
            self.resume(id, 1.0);
        }
        self.record.apply(RunEvent::MigrationSwitchedOver {
            t: now,
            migration: id,
        });
        self.refresh_oom(source);
        self.refresh_oom(target);
    }

    fn complete(&mut self, id: MigrationId) {
        let job = self.migrations[id.index()].job;
        if self.pulling(id) && self.cluster.job(job).node().is_some() {
            self.set_job_speed(job, 1.0);
        }
        let j = self.cluster.job_mut(job);
        j.migrations += 1;
        j.failed_moves = 0;
        self.end(id, MigrationOutcome::Complete, String::new());
    }

    /// A phase failed: the job rolls back to its source or restarts, per the failover
    /// setting. Past the switch-over a post-copy job has state on both nodes and can only
    /// restart.
    pub(super) fn fail(&mut self, id: MigrationId, reason: String) {
        let m = &self.migrations[id.index()];
        let job = m.job;
        let restart = m.committed() || self.migration.failover == Failover::Restart;
        let now = self.sim.now();
        let j = self.cluster.job_mut(job);
        j.failed_moves += 1;
        j.last_failed_move = Some(now);
        self.end(id, MigrationOutcome::Failed, reason);
        if restart {
            let lost = self.kill_and_requeue(job);
            self.record.apply(RunEvent::MigrationLostWork {
                migration: id,
                lost_work: lost,
            });
        }
    }

    /// The in-flight migration holding the most memory on `node` (pages landed or a kept
    /// copy), with those bytes.
    pub(super) fn largest_migration_on(
        &self,
        node: NodeId,
        now: SimTime,
    ) -> Option<(MigrationId, f64)> {
        self.held_on(node, now)
            .filter(|&(_, bytes)| bytes > 0.0)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// What [`Self::held_on`] sums to on every node, in one pass over the migrations in flight
    /// (a pass per node costs nodes times moves), added up in the same order bit for bit.
    pub(super) fn held_by_node(&self, now: SimTime) -> Vec<f64> {
        let mut held = vec![0.0; self.cluster.nodes().len()];
        for (_, m) in self.in_flight() {
            match (m.incoming, m.held) {
                // Both on one node: one move's bytes there, summed before they are added.
                (Some(a), Some(b)) if a.node == b.node => {
                    held[a.node.index()] += a.bytes_at(now) + b.bytes_at(now)
                }
                (a, b) => {
                    for t in [a, b].into_iter().flatten() {
                        held[t.node.index()] += t.bytes_at(now);
                    }
                }
            }
        }
        held
    }

    /// Memory each in-flight migration holds on `node` outside its job (negative for the pages
    /// a post-copy target still lacks).
    pub(super) fn held_on(
        &self,
        node: NodeId,
        now: SimTime,
    ) -> impl Iterator<Item = (MigrationId, f64)> + '_ {
        self.in_flight().filter_map(move |(id, m)| {
            let mut terms = [m.incoming, m.held]
                .into_iter()
                .flatten()
                .filter(|t| t.node == node)
                .peekable();
            terms.peek()?;
            Some((id, terms.map(|t| t.bytes_at(now)).sum()))
        })
    }

    /// The job runs on the target while its pages are pulled (post-copy).
    pub(super) fn pulling(&self, id: MigrationId) -> bool {
        let m = &self.migrations[id.index()];
        m.spec(self.cost.streaming)
            .is_some_and(|p| p.job == JobDuring::RunsOnTarget)
    }

    /// The migrations not yet ended, in the order they were issued.
    pub(super) fn in_flight(&self) -> impl Iterator<Item = (MigrationId, &Migration)> + '_ {
        self.active
            .iter()
            .map(|&id| (id, &self.migrations[id.index()]))
    }

    /// The controller calls a migration off; the job carries on at the source.
    pub(super) fn cancel(&mut self, job: JobId, reason: String) {
        let Some(id) = self.cluster.job(job).migration else {
            return;
        };
        if !self.migrations[id.index()].committed() {
            self.end(id, MigrationOutcome::Cancelled, reason);
        }
    }

    /// The job is about to stop: its migration ends first, so that no memory stays held for
    /// it. A job that finishes while post-copy pulls its pages did get moved.
    pub(super) fn settle_migration(&mut self, job: JobId, stop: Stop) {
        let Some(id) = self.cluster.job(job).migration else {
            return;
        };
        match stop {
            Stop::Finished if self.pulling(id) => self.complete(id),
            Stop::Finished => self.end(
                id,
                MigrationOutcome::Cancelled,
                "the job finished first".into(),
            ),
            Stop::Killed(reason) => self.end(id, MigrationOutcome::Failed, reason),
        }
    }

    /// Ends a migration: the transfer stops, held memory is released, a job that is still
    /// frozen resumes where it is, and the outcome is recorded.
    fn end(&mut self, id: MigrationId, outcome: MigrationOutcome, reason: String) {
        let now = self.sim.now();
        self.stop_flow(id);
        self.active.retain(|&a| a != id);
        let m = &mut self.migrations[id.index()];
        let (job, source, target) = (m.job, m.source, m.target);
        m.phase = Phase::Done;
        m.gen.bump();
        let terms = [m.incoming.take(), m.held.take()];
        for term in terms.into_iter().flatten() {
            self.cluster.close_term(term, now);
        }
        self.release_cpu(id);
        self.cluster.job_mut(job).migration = None;
        if self.cluster.job(job).node().is_some() && self.migrations[id.index()].frozen_at.is_some()
        {
            self.resume(id, 1.0);
        } else if let Some(at) = self.migrations[id.index()].frozen_at.take() {
            let m = &mut self.migrations[id.index()];
            m.downtime = m.downtime + (now - at);
        }
        self.last_migration_end = Some(now);
        self.tally(id);
        self.record.apply(RunEvent::MigrationEnded {
            t: now,
            migration: id,
            outcome,
            reason,
        });
        self.refresh_oom(source);
        self.refresh_oom(target);
    }

    /// Kills a job where it is (or where it was being re-created) and queues it again;
    /// returns the progress it loses.
    pub(super) fn kill_and_requeue(&mut self, job: JobId) -> SimDuration {
        let now = self.sim.now();
        let j = self.cluster.job(job);
        let lost = match j.state {
            JobState::Running(node) => {
                let lost = self.cluster.stop(job, now, JobState::Queued);
                self.running -= 1;
                self.refresh_oom(node);
                lost
            }
            JobState::Restarting(_) => SimDuration::ZERO,
            _ => return SimDuration::ZERO,
        };
        self.record.apply(RunEvent::Requeued {
            t: now,
            job,
            lost_work: lost,
        });
        self.enqueue(job);
        lost
    }

    /// Reports a migration's running totals to the record.
    pub(super) fn tally(&mut self, id: MigrationId) {
        let m = &self.migrations[id.index()];
        self.record.apply(RunEvent::MigrationTally {
            migration: id,
            downtime: m.downtime,
            bytes_sent: m.bytes_sent,
            rounds: m.rounds,
        });
    }
}

/// Seconds the job of `m` has been frozen by `now` (0 if it is not).
fn frozen_for(m: &Migration, now: SimTime) -> f64 {
    m.frozen_at.map_or(0.0, |at| (now - at).as_secs())
}
