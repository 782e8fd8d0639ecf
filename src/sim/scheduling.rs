//! Scheduling passes: the queue goes to the scheduler policy, its decisions are carried out.

use crate::engine::SimDuration;
use crate::model::{JobState, ViewDetail};
use crate::policy::PendingJob;
use crate::sim::{Event, Simulator};

impl Simulator {
    /// Asks for a pass now; several requests at one instant make one pass.
    pub(super) fn request_schedule(&mut self) {
        if !self.schedule_pending {
            self.schedule_pending = true;
            self.sim.schedule_in(SimDuration::ZERO, Event::Schedule);
        }
    }

    pub(super) fn on_schedule(&mut self) {
        self.schedule_pending = false;
        if self.queue.is_empty() {
            return;
        }
        let mut view = std::mem::take(&mut self.view_buffer);
        self.cluster
            .fill_view(&mut view, self.sim.now(), ViewDetail::Placement);
        let cluster = &self.cluster;
        let pending: Vec<PendingJob> = self
            .queue
            .iter()
            .map(|&id| {
                let spec = &cluster.job(id).spec;
                PendingJob {
                    id,
                    request: spec.request,
                    cpu: spec.cpu,
                }
            })
            .collect();
        let placements = self
            .scheduler
            .plan(&view, &pending, &mut self.scheduler_rng);
        for &(job, node) in &placements {
            self.start(job, node);
        }
        if !placements.is_empty() {
            let cluster = &self.cluster;
            self.queue
                .retain(|&id| cluster.job(id).state == JobState::Queued);
        }
        if self.running == 0 && self.arrivals_left == 0 && !self.queue.is_empty() {
            // Nothing runs and nothing will arrive: if even uncordoned empty nodes cannot take
            // a queued job, no future event can change that.
            view.nodes.iter_mut().for_each(|n| {
                n.cordoned = false;
                n.down = false;
            });
            if self
                .scheduler
                .plan(&view, &pending, &mut self.scheduler_rng.clone())
                .is_empty()
            {
                self.stalled = true;
                self.stop = true;
            }
        }
        self.view_buffer = view;
    }
}
