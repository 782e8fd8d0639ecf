//! Nodes that run out of memory, and the OOM killer.

use crate::engine::Generation;
use crate::migrate::Stop;
use crate::model::{JobState, KillPolicy, NodeId};
use crate::record::RunEvent;
use crate::{Event, Simulator};

impl Simulator {
    /// Re-predicts when `node` runs out of memory. A pending prediction is replaced only when
    /// the new one is earlier; a later one is found when the pending event fires and checks
    /// again. That keeps about one pending OOM event per node however often slopes change.
    pub(super) fn refresh_oom(&mut self, node: NodeId) {
        let now = self.sim.now();
        let n = self.cluster.node_mut(node);
        let Some(at) = n.oom_time(now) else { return };
        if n.oom_pending.is_some_and(|pending| pending <= at) {
            return;
        }
        let gen = n.oom_gen.bump();
        n.oom_pending = Some(at);
        self.sim.schedule_at(at, Event::Oom { node, gen });
    }

    pub(super) fn on_oom(&mut self, node: NodeId, gen: Generation) {
        let now = self.sim.now();
        let n = self.cluster.node_mut(node);
        if !n.oom_gen.is_current(gen) {
            return;
        }
        n.oom_pending = None;
        match n.oom_time(now) {
            // Something is always freed (a job or a migration's pages), unless nothing is
            // left to free: then the node stays full without looping here.
            Some(at) if at <= now && self.kill_one(node) => self.refresh_oom(node),
            Some(at) if at <= now => {}
            Some(_) => self.refresh_oom(node),
            None => {}
        }
    }

    /// Frees memory on a full node: kills a job, or fails the migration whose pages there
    /// outweigh every job (the restoring process is then the largest). Returns whether
    /// anything was freed.
    fn kill_one(&mut self, node: NodeId) -> bool {
        let now = self.sim.now();
        let n = self.cluster.node(node);
        let victim = self.oom.kill.victim(&n.jobs, &self.cluster.jobs, now);
        let victim_memory = victim.map_or(0.0, |v| self.cluster.job(v).memory_at(now));
        let pages = self.largest_migration_on(node, now);
        let take_pages = match (victim, pages) {
            (None, Some(_)) => true,
            (Some(_), Some((_, bytes))) => {
                self.oom.kill == KillPolicy::Largest && bytes > victim_memory
            }
            _ => false,
        };
        if take_pages {
            let (id, _) = pages.expect("matched above");
            let reason = format!("{} ran out of memory", self.cluster.node(node).name);
            self.fail(id, reason);
            return true;
        }
        let Some(victim) = victim else {
            return false;
        };
        let reason = format!("the job was killed by the OOM killer on {}", n.name);
        self.settle_migration(victim, Stop::Killed(reason));
        let j = self.cluster.job(victim);
        let memory = j.memory_at(now);
        let fails = self.oom.gives_up(j.restarts + 1);
        let next = if fails {
            JobState::Failed
        } else {
            JobState::Queued
        };
        let lost = self.cluster.stop(victim, now, next);
        self.cluster.job_mut(victim).restarts += 1;
        self.running -= 1;
        self.record.apply(RunEvent::OomKilled {
            t: now,
            job: victim,
            node,
            memory,
            lost_work: lost,
            gave_up: fails,
        });
        if fails {
            self.job_done();
        } else {
            self.enqueue(victim);
        }
        self.request_schedule();
        true
    }
}
