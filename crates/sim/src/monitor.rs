//! Periodic work: the control loop's monitoring and control turns, and samples for
//! `nodes.csv`.

use crate::engine::SimTime;
use crate::model::NodeId;
use crate::policy::Turn;
use crate::record::{JobSample, NodeSample, RunEvent};
use crate::{Event, Simulator};

impl Simulator {
    pub(super) fn on_monitor(&mut self) {
        self.turn(Turn::Monitor);
        let interval = self
            .control
            .as_ref()
            .and_then(|c| c.monitor_interval())
            .expect("monitoring is primed only when a policy reads it");
        self.sim.schedule_in(interval, Event::Monitor);
    }

    /// The controller's turn; the next is scheduled first, as it always was, so that events at
    /// one instant keep their order.
    pub(super) fn on_control(&mut self) {
        let interval = self
            .control
            .as_ref()
            .and_then(|c| c.control_interval())
            .expect("control is primed only with a controller");
        self.sim.schedule_in(interval, Event::Control);
        self.turn(Turn::Control);
    }

    pub(super) fn on_sample(&mut self) {
        let now = self.sim.now();
        self.sample(now);
        self.sim.schedule_in(self.sample_interval, Event::Sample);
    }

    pub(super) fn sample(&mut self, now: SimTime) {
        self.last_sample = Some(now);
        let held = self.held_by_node(now);
        for (i, (n, &migration_memory)) in self.cluster.nodes().iter().zip(&held).enumerate() {
            self.record.apply(RunEvent::NodeSampled(NodeSample {
                time: now,
                node: NodeId(i as u32),
                memory_used: n.used_at(now),
                migration_memory,
                memory_capacity: n.memory,
                cpu_requested: n.cpu_requested,
                jobs: n.jobs.len() as u32,
                cordoned: n.cordoned,
            }));
            if self.record.job_samples.is_some() {
                for &job in &n.jobs {
                    let memory = self.cluster.job(job).memory_at(now);
                    self.record.apply(RunEvent::JobSampled(JobSample {
                        time: now,
                        job,
                        node: NodeId(i as u32),
                        memory,
                    }));
                }
            }
        }
    }
}
