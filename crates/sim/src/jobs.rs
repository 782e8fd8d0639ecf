//! A job's life: arrival, start, profile breakpoints, finish.

use crate::engine::Generation;
use crate::migrate::Stop;
use crate::model::{JobId, JobState, NodeId};
use crate::record::RunEvent;
use crate::{Event, Simulator};

impl Simulator {
    pub(super) fn on_arrive(&mut self, job: JobId) {
        let now = self.sim.now();
        self.arrivals_left -= 1;
        self.enqueue(job);
        self.record.apply(RunEvent::Arrived { t: now, job });
    }

    pub(super) fn enqueue(&mut self, job: JobId) {
        let j = self.cluster.job_mut(job);
        j.state = JobState::Queued;
        self.queue.push_back(job);
        self.request_schedule();
    }

    pub(super) fn start(&mut self, job: JobId, node: NodeId) {
        let now = self.sim.now();
        self.cluster.start(job, node, now);
        let memory = self.cluster.job(job).memory_at(now);
        self.running += 1;
        self.schedule_step(job);
        self.record.apply(RunEvent::Started {
            t: now,
            job,
            node,
            memory,
        });
        self.refresh_oom(node);
    }

    pub(super) fn on_step(&mut self, job: JobId, gen: Generation) {
        let now = self.sim.now();
        let j = self.cluster.job(job);
        if !j.gen.is_current(gen) {
            return;
        }
        let node = j.node().expect("a current step belongs to a running job");
        if j.is_done(now) {
            self.settle_migration(job, Stop::Finished);
            self.finish_job(job, node);
        } else {
            self.cluster.enter_segment(job, now);
            let memory = self.cluster.job(job).memory_at(now);
            self.record.apply(RunEvent::Held { job, memory });
            self.schedule_step(job);
        }
        self.refresh_oom(node);
    }

    /// Schedules a running job's next breakpoint or end, stamped with its generation; a frozen
    /// job has none.
    pub(super) fn schedule_step(&mut self, job: JobId) {
        let j = self.cluster.job(job);
        if let Some(next) = j.next_step() {
            let gen = j.gen;
            self.sim.schedule_at(next, Event::Step { job, gen });
        }
    }

    fn finish_job(&mut self, job: JobId, node: NodeId) {
        let now = self.sim.now();
        let memory = self.cluster.job(job).memory_at(now);
        self.cluster.stop(job, now, JobState::Finished);
        self.running -= 1;
        self.job_done();
        self.record.apply(RunEvent::Finished {
            t: now,
            job,
            node,
            memory,
        });
        self.request_schedule();
    }

    /// Counts a job that finished or failed, and stops the run when it was the last.
    pub(super) fn job_done(&mut self) {
        self.done += 1;
        if self.all_done() {
            self.stop = true;
        }
    }
}
