//! The simulator as the control loop's plant: the facts come from the model, the orders
//! become events and state changes. A turn of the loop borrows the simulator whole, so the
//! loop leaves its slot while it runs.

use crate::engine::{SimDuration, SimTime};
use crate::model::{JobId, JobState, NodeId, Usage};
use crate::policy::control::{Facts, Footprint, JobFacts, Moves, NodeFacts, Plant, Trend, Turn};
use crate::policy::controller::{Order, Shortage};
use crate::policy::{MigrationView, PendingJob};
use crate::record::RunEvent;
use crate::Simulator;

impl Simulator {
    /// Runs one turn of the control loop on the simulator.
    pub(super) fn turn(&mut self, turn: Turn) {
        let mut control = self.control.take().expect("turns do not nest");
        #[cfg(test)]
        if let Some(mut tape) = self.tape.take() {
            control.turn(turn, &mut tape.recording(turn, self));
            self.tape = Some(tape);
            self.control = Some(control);
            return;
        }
        control.turn(turn, self);
        self.control = Some(control);
    }
}

impl Facts for Simulator {
    fn now(&self) -> SimTime {
        self.sim.now()
    }

    fn node_count(&self) -> usize {
        self.cluster.nodes().len()
    }

    fn node(&self, node: NodeId) -> NodeFacts {
        let n = self.cluster.node(node);
        NodeFacts {
            memory_capacity: n.memory,
            memory_used: n.used_at(self.sim.now()),
            cpu_capacity: n.cpu,
            cpu_requested: n.cpu_requested,
            network: n.network,
            cordoned: n.cordoned,
            down: n.down,
            terms: n.has_terms(),
        }
    }

    fn jobs_on(&self, node: NodeId, out: &mut Vec<JobId>) {
        out.clear();
        out.extend_from_slice(&self.cluster.node(node).jobs);
    }

    fn job(&self, job: JobId) -> JobFacts {
        let now = self.sim.now();
        let j = self.cluster.job(job);
        JobFacts {
            node: j.node(),
            class: j.class,
            memory: j.memory_at(now),
            request: j.spec.request,
            dirty_rate: j.spec.dirty_rate,
            cpu: j.spec.cpu,
            started: j.started,
            migrations: j.migrations,
            migrating: j.migration.is_some(),
            failed_moves: j.failed_moves,
            last_failed_move: j.last_failed_move,
            remaining: j.remaining_at(now),
        }
    }

    fn footprint(&self, job: JobId) -> Footprint {
        let j = self.cluster.job(job);
        Footprint {
            memory: j.memory_at(self.sim.now()),
            request: j.spec.request,
            cpu: j.spec.cpu,
        }
    }

    fn moves(&self, job: JobId) -> Moves {
        let j = self.cluster.job(job);
        Moves {
            migrations: j.migrations,
            migrating: j.migration.is_some(),
            failed_moves: j.failed_moves,
            last_failed_move: j.last_failed_move,
        }
    }

    fn trend(&self, node: NodeId) -> Trend {
        let n = self.cluster.node(node);
        match (n.still(), n.rising()) {
            (true, _) => Trend::Still,
            (false, true) => Trend::Rising(n.slope()),
            (false, false) => Trend::Unknown,
        }
    }

    fn usage(&self, node: NodeId) -> Option<Usage> {
        Some(self.cluster.node(node).usage())
    }

    fn growth(&self, job: JobId, window: SimDuration) -> f64 {
        self.cluster.job(job).recent_growth(self.sim.now(), window)
    }

    fn migrations(&self, out: &mut Vec<MigrationView>) {
        let now = self.sim.now();
        out.clear();
        out.extend(self.in_flight().map(|(_, m)| {
            let landed = m.incoming.map_or(0.0, |t| t.bytes_at(now).max(0.0));
            MigrationView {
                job: m.job,
                source: m.source,
                target: m.target,
                issued: m.issued,
                incoming: if m.committed() {
                    0.0
                } else {
                    (m.memory - landed).max(0.0)
                },
                cpu: if m.cpu_reserved {
                    self.cluster.job(m.job).spec.cpu
                } else {
                    0.0
                },
                committed: m.committed(),
                frozen: m.frozen_at.is_some(),
            }
        }));
    }

    fn queue(&self, out: &mut Vec<PendingJob>) {
        out.clear();
        out.extend(self.queue.iter().map(|&id| {
            let spec = &self.cluster.job(id).spec;
            PendingJob {
                id,
                request: spec.request,
                cpu: spec.cpu,
            }
        }));
    }

    fn last_migration_end(&self) -> Option<SimTime> {
        self.last_migration_end
    }

    fn busy(&self) -> bool {
        self.running > 0 || self.arrivals_left > 0
    }
}

impl Plant for Simulator {
    fn take_changes(&mut self, out: &mut Vec<NodeId>) {
        self.cluster.take_changes(out);
    }

    fn place(&mut self, placements: &[(JobId, NodeId)]) {
        for &(job, node) in placements {
            self.start(job, node);
        }
        let cluster = &self.cluster;
        self.queue
            .retain(|&id| cluster.job(id).state == JobState::Queued);
    }

    fn cordon(&mut self, node: NodeId, cordoned: bool) {
        let now = self.sim.now();
        self.cluster.node_mut(node).cordoned = cordoned;
        self.record.apply(RunEvent::Cordoned {
            t: now,
            node,
            on: cordoned,
        });
        if !cordoned {
            self.request_schedule();
        }
    }

    fn call_off(&mut self, job: JobId, reason: String) {
        self.cancel(job, reason);
    }

    fn migrate(&mut self, order: &Order) {
        self.issue(order);
    }

    fn stale(&mut self, _: &Order) {
        self.record.apply(RunEvent::StaleOrder);
    }

    fn provision(&mut self, s: &Shortage) {
        let now = self.sim.now();
        self.record.apply(RunEvent::Provisioned {
            t: now,
            node: s.node,
            job: s.job,
            bytes: s.bytes,
        });
    }

    fn stalled(&mut self) {
        self.stalled = true;
        self.stop = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::control::is_current;
    use crate::RecordOptions;

    /// Job 0 (1 CPU) runs on node 0, job 1 (2 CPUs) fills node 1's two.
    fn simulator() -> Simulator {
        let s = crate::scenario::load_str(
            r#"
            [simulation]
            seed = 1
            [[nodes]]
            name = "n"
            count = 2
            memory = "8GiB"
            cpu = 2
            [[workload.jobs]]
            name = "a"
            work = "1h"
            profile = { shape = "constant", size = "1GiB" }
            [[workload.jobs]]
            name = "b"
            work = "1h"
            cpu = 2
            profile = { shape = "constant", size = "1GiB" }
            "#,
            std::path::Path::new("t.toml"),
            &[],
        )
        .unwrap();
        let mut sim = Simulator::new(&s.spec, s.jobs, RecordOptions::default());
        sim.start(JobId(0), NodeId(0));
        sim.start(JobId(1), NodeId(1));
        sim
    }

    #[test]
    fn an_order_into_a_node_without_cpu_room_or_down_is_stale() {
        let mut sim = simulator();
        let order = Order {
            job: JobId(0),
            source: NodeId(0),
            target: NodeId(1),
            cause: String::new(),
        };
        assert!(!is_current(&sim, &order), "b holds both CPUs");
        sim.cluster
            .stop(JobId(1), SimTime::ZERO, JobState::Finished);
        assert!(is_current(&sim, &order));
        sim.cluster.node_mut(NodeId(1)).down = true;
        assert!(!is_current(&sim, &order), "the target is down");
    }
}
