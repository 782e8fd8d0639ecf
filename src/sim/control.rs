//! The migration controller's turn: it decides on the visible monitoring snapshot, with the
//! current cordons, node states and its own migrations in flight, and its decisions are
//! carried out.

use crate::policy::MigrationView;
use crate::record::{EventKind, Provision};
use crate::sim::{Event, Simulator};

impl Simulator {
    pub(super) fn on_control(&mut self) {
        let Some(controller) = &self.controller else {
            return;
        };
        let interval = controller.interval();
        self.sim.schedule_in(interval, Event::Control);
        let now = self.sim.now();
        let Some(mut view) = self.visible_snapshot() else {
            return;
        };
        // Cordons, node states and CPU requests come from the API server, not from
        // monitoring: they are current.
        for (v, n) in view.nodes.iter_mut().zip(&self.cluster.nodes) {
            v.cordoned = n.cordoned;
            v.down = n.down;
            v.cpu_requested = n.cpu_requested;
        }
        view.migrations = self.migration_views(now);
        for v in view.nodes.iter_mut() {
            for j in v.jobs.iter_mut() {
                let job = self.cluster.job(j.id);
                j.migrating = job.migration.is_some();
                j.migrations = job.migrations;
                j.failed_moves = job.failed_moves;
                j.last_failed_move = job.last_failed_move;
            }
        }
        let decisions = self
            .controller
            .as_ref()
            .expect("checked above")
            .decide(&view, self.last_migration_end);
        for c in decisions.cancels {
            self.cancel(c.job, c.reason);
        }
        for order in &decisions.orders {
            if !self.issue(order) {
                self.record.stale_orders += 1;
            }
        }
        let mut short = vec![false; self.short.len()];
        for s in decisions.shortages {
            let i = s.node.index();
            if !self.short[i] && !short[i] {
                self.record.provisions.push(Provision {
                    time: now,
                    node: s.node,
                    job: s.job,
                    bytes: s.bytes,
                });
                self.record
                    .event(now, EventKind::Provision, Some(s.job), Some(s.node));
            }
            short[i] = true;
        }
        self.short = short;
    }

    /// The controller's own migrations, as they are now.
    fn migration_views(&self, now: crate::engine::SimTime) -> Vec<MigrationView> {
        self.in_flight()
            .map(|(_, m)| {
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
            })
            .collect()
    }
}
