//! Periodic work: monitoring snapshots for the policies, and samples for `nodes.csv`.

use crate::engine::SimTime;
use crate::model::{NodeId, ViewDetail};
use crate::policy::ClusterView;
use crate::record::{EventKind, JobSample, NodeSample};
use crate::sim::{Event, Simulator};

impl Simulator {
    pub(super) fn on_monitor(&mut self) {
        let now = self.sim.now();
        let detail = ViewDetail::Monitoring {
            window: self.monitor_window,
        };
        self.snapshots.push_back(self.cluster.view(now, detail));
        let delay = self.monitor_delay;
        while self.snapshots.len() > 1 && self.snapshots[1].time + delay <= now {
            self.snapshots.pop_front();
        }
        if self.snapshots[0].time + delay <= now {
            self.apply_unscheduler();
        }
        self.sim.schedule_in(self.monitor_interval, Event::Monitor);
    }

    /// The newest snapshot the policies can see now, if any is old enough.
    pub(super) fn visible_snapshot(&self) -> Option<ClusterView> {
        let now = self.sim.now();
        self.snapshots
            .iter()
            .rev()
            .find(|s| s.time + self.monitor_delay <= now)
            .cloned()
    }

    fn apply_unscheduler(&mut self) {
        let Some(unscheduler) = &self.unscheduler else {
            return;
        };
        let view = &mut self.snapshots[0];
        // Usage may be stale, but the unscheduler knows its own cordons.
        for (v, n) in view.nodes.iter_mut().zip(&self.cluster.nodes) {
            v.cordoned = n.cordoned;
        }
        let changes = unscheduler.decide(view);
        let now = self.sim.now();
        for change in changes {
            self.cluster.node_mut(change.node).cordoned = change.cordon;
            let kind = if change.cordon {
                EventKind::Cordon
            } else {
                EventKind::Uncordon
            };
            self.record.event(now, kind, None, Some(change.node));
            if change.cordon {
                self.record.cordons += 1;
            } else {
                self.request_schedule();
            }
        }
    }

    pub(super) fn on_sample(&mut self) {
        let now = self.sim.now();
        self.sample(now);
        self.sim.schedule_in(self.sample_interval, Event::Sample);
    }

    pub(super) fn sample(&mut self, now: SimTime) {
        self.last_sample = Some(now);
        for (i, n) in self.cluster.nodes.iter().enumerate() {
            let migration_memory = self
                .held_on(NodeId(i as u32), now)
                .map(|(_, b)| b)
                .fold(0.0, |a, b| a + b);
            self.record.node_samples.push(NodeSample {
                time: now,
                node: NodeId(i as u32),
                memory_used: n.used_at(now),
                migration_memory,
                memory_capacity: n.memory,
                cpu_requested: n.cpu_requested,
                jobs: n.jobs.len() as u32,
                cordoned: n.cordoned,
            });
            if let Some(samples) = &mut self.record.job_samples {
                for &job in &n.jobs {
                    let memory = self.cluster.job(job).memory_at(now);
                    samples.push(JobSample {
                        time: now,
                        job,
                        node: NodeId(i as u32),
                        memory,
                    });
                }
            }
        }
    }
}
