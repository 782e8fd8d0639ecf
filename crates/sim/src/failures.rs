//! Node failures, scheduled or random: a failed node's jobs are killed and queued again, the
//! migrations that touch it end, and it takes no work until it is repaired.

use rand_distr::{Distribution, Exp};

use crate::engine::{SimDuration, SimTime};
use crate::migrate::Stop;
use crate::model::{JobState, NodeId};
use crate::record::RunEvent;
use crate::{Event, Simulator};

impl Simulator {
    /// Schedules the scenario's node failures: each listed one, and for random failures each
    /// node's first.
    pub(super) fn prime_failures(&mut self) {
        let names: Vec<String> = self
            .cluster
            .nodes()
            .iter()
            .map(|n| n.name.clone())
            .collect();
        for f in &self.failures.nodes {
            let i = names
                .iter()
                .position(|n| *n == f.node)
                .expect("failure nodes are checked at load");
            let (at, node) = (SimTime::from_secs(f.at.value), NodeId(i as u32));
            let repair = f.repair.map(|r| SimDuration::from_secs(r.value));
            self.sim.schedule_at(at, Event::NodeFail(node));
            self.scheduled_failures.push((at, node, repair));
        }
        if self.failures.random.is_some() {
            for i in 0..names.len() {
                let at = SimTime::ZERO + self.time_to_failure();
                self.sim.schedule_at(at, Event::NodeFail(NodeId(i as u32)));
            }
        }
    }

    fn time_to_failure(&mut self) -> SimDuration {
        let r = self
            .failures
            .random
            .expect("random failures are configured");
        let exp = Exp::new(1.0 / r.mtbf.value).expect("mtbf is checked positive");
        SimDuration::from_secs(exp.sample(&mut self.node_failure_rng))
    }

    pub(super) fn on_node_fail(&mut self, node: NodeId) {
        let now = self.sim.now();
        if self.cluster.node(node).down {
            return;
        }
        self.record.apply(RunEvent::NodeFailed { t: now, node });
        let touching: Vec<_> = self
            .in_flight()
            .filter(|(_, m)| m.source == node || m.target == node)
            .map(|(id, m)| (m.job, self.pulling(id)))
            .collect();
        let reason = format!("node {} failed", self.cluster.node(node).name);
        for (job, pulling) in touching {
            // A post-copy job pulling its pages loses its state with either node; otherwise a
            // job is lost only if it was on the failed one (a frozen source rolls back).
            let here = match self.cluster.job(job).state {
                JobState::Running(n) | JobState::Restarting(n) => n == node,
                _ => false,
            };
            self.settle_migration(job, Stop::Killed(reason.clone()));
            if here || pulling {
                self.kill_and_requeue(job);
            }
        }
        for job in self.cluster.node(node).jobs.clone() {
            self.kill_and_requeue(job);
        }
        let n = self.cluster.node_mut(node);
        n.down = true;
        n.oom_gen.bump();
        n.oom_pending = None;
        if let Some(repair) = self.repair_time(node, now) {
            self.sim.schedule_in(repair, Event::NodeRepair(node));
        }
    }

    /// How long `node`, failing at `now`, stays down: a scheduled failure's own repair time,
    /// else the random failures' one; `None`: never repaired.
    fn repair_time(&self, node: NodeId, now: SimTime) -> Option<SimDuration> {
        let scheduled = self
            .scheduled_failures
            .iter()
            .find(|(at, n, _)| *at == now && *n == node);
        match scheduled {
            Some(&(_, _, repair)) => repair,
            None => self
                .failures
                .random
                .map(|r| SimDuration::from_secs(r.repair.value)),
        }
    }

    pub(super) fn on_node_repair(&mut self, node: NodeId) {
        let now = self.sim.now();
        self.cluster.node_mut(node).down = false;
        self.record.apply(RunEvent::NodeRepaired { t: now, node });
        if self.failures.random.is_some() {
            let at = now + self.time_to_failure();
            self.sim.schedule_at(at, Event::NodeFail(node));
        }
        self.request_schedule();
    }
}
