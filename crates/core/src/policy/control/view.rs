//! The `ClusterView` the policies decide on, assembled from a cluster's facts: the same for
//! every driver.

use crate::engine::SimDuration;
use crate::model::{JobId, NodeId};
use crate::policy::control::facts::{Facts, Moves};
use crate::policy::{ClusterView, JobView, NodeView};

/// Fills `view` with the cluster now as monitoring shows it, reusing its allocations, with the
/// jobs of the nodes that `wants_jobs` asks for, judged on the node's own figures; a job's
/// growth is its mean over `window` of recent work. Migrations are left out: the controller's
/// own are current, not part of a snapshot (see [`patch_current`]).
pub fn fill(
    view: &mut ClusterView,
    facts: &impl Facts,
    window: SimDuration,
    jobs: &mut Vec<JobId>,
    wants_jobs: &dyn Fn(&NodeView) -> bool,
) {
    let now = facts.now();
    view.time = now;
    view.nodes.resize_with(facts.node_count(), empty_node);
    for (i, v) in view.nodes.iter_mut().enumerate() {
        let id = NodeId(i as u32);
        let n = facts.node(id);
        v.id = id;
        v.memory_capacity = n.memory_capacity;
        v.memory_used = n.memory_used;
        v.cpu_capacity = n.cpu_capacity;
        v.cpu_requested = n.cpu_requested;
        v.network = n.network;
        v.cordoned = n.cordoned;
        v.down = n.down;
        v.jobs.clear();
        if wants_jobs(v) {
            facts.jobs_on(id, jobs);
            v.jobs
                .extend(jobs.iter().map(|&j| job_view(facts, j, window)));
        }
    }
    view.migrations.clear();
}

fn job_view(facts: &impl Facts, id: JobId, window: SimDuration) -> JobView {
    let j = facts.job(id);
    JobView {
        id,
        memory: j.memory,
        growth: facts.growth(id, window),
        request: j.request,
        cpu: j.cpu,
        age: (facts.now() - j.started).as_secs(),
        migrations: j.migrations,
        migrating: j.migrating,
        failed_moves: j.failed_moves,
        last_failed_move: j.last_failed_move,
        remaining: j.remaining,
    }
}

fn empty_node() -> NodeView {
    NodeView {
        id: NodeId(0),
        memory_capacity: 0.0,
        memory_used: 0.0,
        cpu_capacity: 0.0,
        cpu_requested: 0.0,
        network: 0.0,
        cordoned: false,
        down: false,
        jobs: Vec::new(),
    }
}

/// A snapshot brought up to date with what the API server and the controller know now, not
/// through monitoring: cordons, node states, CPU requests, each job's moves, and the
/// migrations in flight. Usage and growth stay as monitoring showed them.
pub fn patch_current(view: &mut ClusterView, facts: &impl Facts) {
    for v in view.nodes.iter_mut() {
        let n = facts.node(v.id);
        v.cordoned = n.cordoned;
        v.down = n.down;
        v.cpu_requested = n.cpu_requested;
        for j in v.jobs.iter_mut() {
            patch_moves(j, &facts.moves(j.id));
        }
    }
    facts.migrations(&mut view.migrations);
}

fn patch_moves(j: &mut JobView, now: &Moves) {
    j.migrating = now.migrating;
    j.migrations = now.migrations;
    j.failed_moves = now.failed_moves;
    j.last_failed_move = now.last_failed_move;
}
