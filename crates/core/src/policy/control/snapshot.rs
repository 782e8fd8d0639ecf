//! What monitoring showed at one moment, assembled from a cluster's facts (the same for every
//! driver), and how a decision brings it up to date. A snapshot is retaken in place: a node
//! that did not change since the snapshot last read it is not read again, its usage line
//! stands for its figure at the new instant, and only the nodes past the instant from which
//! they may ask the controller are asked whether they do; a retake touches only those and the
//! nodes that changed.

use crate::engine::{EventQueue, SimDuration, SimTime};
use crate::model::{JobId, NodeId, Usage};
use crate::policy::control::facts::{Facts, Moves};
use crate::policy::control::notes::{Mark, Notes};
use crate::policy::{ClusterView, JobView, NodeView};

#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub view: ClusterView,
    /// Some node in it asks the controller for memory: without one, and without migrations
    /// in flight, a decision on it decides nothing.
    pub asks: bool,
    /// How many nodes have no usage line in the view (see [`Facts::usage`]).
    lineless: usize,
    /// With every node on a line: the nodes whose jobs may be wanted (see [`Watch`]).
    watch: Watch,
    /// Every node not noted since `filled` has the figures it has now, but usage and jobs;
    /// every node not noted since `patched` its cordon, state and CPU requests.
    filled: Mark,
    patched: Mark,
}

impl Snapshot {
    /// Each node's usage line at the snapshot, if every node has one: then each node's usage
    /// in the view is its line at the view's time ([`ClusterView::used`]).
    pub fn lines(&self) -> Option<&[Option<Usage>]> {
        (self.lineless == 0).then_some(&self.view.lines[..])
    }

    /// The notes the snapshot's figures account for: the oldest it may still ask for, as a
    /// patch only ever moves on from them.
    pub fn filled(&self) -> Mark {
        self.filled
    }

    /// Retakes the snapshot now as monitoring shows the cluster: with the jobs of the nodes
    /// that `wants_jobs` asks for, judged on the node's own figures; a job's growth is its mean
    /// over `window` of recent work. `wanted_from` gives, for a node's usage line and memory,
    /// an instant before which `wants_jobs` says no of it (`None`: not while the line holds).
    /// Migrations are left out: the controller's own are current, not part of a snapshot
    /// (see [`Snapshot::patch`]).
    pub fn retake(
        &mut self,
        facts: &impl Facts,
        notes: &Notes,
        window: SimDuration,
        jobs: &mut Vec<JobId>,
        wants_jobs: impl Fn(&NodeView) -> bool,
        wanted_from: impl Fn(&Usage, f64) -> Option<SimTime>,
    ) {
        let view = &mut self.view;
        for id in view.with_jobs.drain(..) {
            view.nodes[id.index()].jobs.clear();
        }
        let count = facts.node_count();
        let changed = notes
            .since(self.filled)
            .filter(|_| self.view.lines.len() == count);
        let now = facts.now();
        match changed {
            Some(changed) => changed.iter().for_each(|&id| self.read_node(facts, id)),
            None => {
                self.view.nodes.resize_with(count, empty_node);
                self.view.lines.resize(count, None);
                self.lineless = self.view.lines.iter().filter(|l| l.is_none()).count();
                (0..count as u32).for_each(|i| self.read_node(facts, NodeId(i)));
            }
        }
        let reread = changed.map_or(Reread::All(count), Reread::Some);
        self.view.time = now;
        // With every node on a line, a node's own figure is set only where it is read.
        if self.lineless > 0 {
            for (v, line) in self.view.nodes.iter_mut().zip(&self.view.lines) {
                v.memory_used = match line {
                    Some(line) => line.at(now),
                    None => facts.node(v.id).memory_used,
                };
            }
        }
        let asked = match self.lineless {
            0 => {
                let reread = match self.watch.from.len() == count {
                    true => reread,
                    // It missed the nodes read while some had no line.
                    false => Reread::All(count),
                };
                let (lines, nodes) = (&self.view.lines, &self.view.nodes);
                self.watch.update(reread, now, |id| {
                    let line = lines[id.index()].as_ref().expect("every node has a line");
                    wanted_from(line, nodes[id.index()].memory_capacity)
                });
                Some(self.watch.nodes())
            }
            _ => {
                self.watch = Watch::default();
                None
            }
        };
        let view = &mut self.view;
        asked
            .iter()
            .flat_map(|ids| ids.iter())
            .for_each(|&id| view.settle(id));
        let mut fill = |v: &mut NodeView| {
            if wants_jobs(v) {
                facts.jobs_on(v.id, jobs);
                v.jobs
                    .extend(jobs.iter().map(|&j| job_view(facts, j, window)));
                view.with_jobs.push(v.id);
            }
        };
        match asked {
            Some(ids) => ids.iter().for_each(|&id| fill(&mut view.nodes[id.index()])),
            None => view.nodes.iter_mut().for_each(fill),
        }
        self.asks = !view.with_jobs.is_empty();
        view.migrations.clear();
        self.filled = notes.mark();
        self.patched = self.filled;
    }

    /// Everything of a node but its usage figure and jobs, as it is now.
    fn read_node(&mut self, facts: &impl Facts, id: NodeId) {
        let n = facts.node(id);
        let v = &mut self.view.nodes[id.index()];
        v.id = id;
        v.memory_capacity = n.memory_capacity;
        v.cpu_capacity = n.cpu_capacity;
        v.cpu_requested = n.cpu_requested;
        v.network = n.network;
        v.cordoned = n.cordoned;
        v.down = n.down;
        let line = facts.usage(id);
        let was = std::mem::replace(&mut self.view.lines[id.index()], line);
        self.lineless = self.lineless + usize::from(line.is_none()) - usize::from(was.is_none());
    }

    /// Brings the snapshot up to date with what the API server and the controller know now,
    /// not through monitoring: cordons, node states, CPU requests, each job's moves, and the
    /// migrations in flight. Usage and growth stay as monitoring showed them.
    pub fn patch(&mut self, facts: &impl Facts, notes: &Notes) {
        let view = &mut self.view;
        let patch_node = |v: &mut NodeView| {
            let n = facts.node(v.id);
            v.cordoned = n.cordoned;
            v.down = n.down;
            v.cpu_requested = n.cpu_requested;
        };
        match notes.since(self.patched) {
            Some(changed) => changed
                .iter()
                .for_each(|&id| patch_node(&mut view.nodes[id.index()])),
            None => view.nodes.iter_mut().for_each(patch_node),
        }
        self.patched = notes.mark();
        for &id in &view.with_jobs {
            for j in view.nodes[id.index()].jobs.iter_mut() {
                patch_moves(j, &facts.moves(j.id));
            }
        }
        facts.migrations(&mut view.migrations);
        // A decision reads the figures of the nodes migrations touch.
        for i in 0..view.migrations.len() {
            let m = &view.migrations[i];
            let (source, target) = (m.source, m.target);
            view.settle(source);
            view.settle(target);
        }
    }
}

fn job_view(facts: &impl Facts, id: JobId, window: SimDuration) -> JobView {
    let j = facts.job(id);
    JobView {
        id,
        class: j.class,
        memory: j.memory,
        growth: facts.growth(id, window),
        request: j.request,
        dirty_rate: j.dirty_rate,
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

fn patch_moves(j: &mut JobView, now: &Moves) {
    j.migrating = now.migrating;
    j.migrations = now.migrations;
    j.failed_moves = now.failed_moves;
    j.last_failed_move = now.last_failed_move;
}

/// The nodes a retake read anew: all of them, or those noted.
enum Reread<'a> {
    All(usize),
    Some(&'a [NodeId]),
}

/// The nodes whose jobs a snapshot may want, kept across retakes: each node's instant from
/// which it may be wanted, set when its usage line is read, and the nodes past theirs. A
/// retake asks only those, in node order.
#[derive(Clone, Debug, Default)]
struct Watch {
    from: Vec<SimTime>,
    /// Nodes at the instants set for them after the retake that set them; an entry whose
    /// node has been set anew since is left behind. Retakes never go back, so a radix queue
    /// serves, where popping a binary heap of up to 40,000 entries took 6% of a 10k-node run.
    upcoming: EventQueue<NodeId>,
    watched: Vec<bool>,
    nodes: Vec<NodeId>,
}

impl Watch {
    fn nodes(&self) -> &[NodeId] {
        &self.nodes
    }

    /// Sets the instants of the nodes read anew, then watches every node past its own at
    /// `now` and no other.
    fn update(&mut self, reread: Reread, now: SimTime, from: impl Fn(NodeId) -> Option<SimTime>) {
        let ids: &mut dyn Iterator<Item = NodeId> = match reread {
            Reread::All(count) => {
                self.from = vec![SimTime::MAX; count];
                self.watched = vec![false; count];
                self.upcoming = EventQueue::default();
                self.nodes.clear();
                &mut (0..count as u32).map(NodeId)
            }
            Reread::Some(ids) => &mut ids.iter().copied(),
        };
        for id in ids {
            self.set(id, from(id).unwrap_or(SimTime::MAX), now);
        }
        while let Some((at, id)) = self.upcoming.pop_through(now) {
            if self.from[id.index()] == at {
                self.watch(id);
            }
        }
        let (from, watched) = (&self.from, &mut self.watched);
        self.nodes.retain(|&id| {
            let keep = from[id.index()] <= now;
            watched[id.index()] = keep;
            keep
        });
        self.nodes.sort_unstable();
    }

    /// Node `id` may be wanted from `from` on, read at `now`.
    fn set(&mut self, id: NodeId, from: SimTime, now: SimTime) {
        self.from[id.index()] = from;
        match from {
            SimTime::MAX => {}
            _ if from <= now => self.watch(id),
            _ => self.upcoming.push(from, id),
        }
        // Entries of instants set anew are left behind, until they would outnumber the
        // nodes; then only the live ones are kept.
        if self.upcoming.len() > 4 * self.from.len() + 16 {
            let from = &self.from;
            self.upcoming.retain(|at, id| from[id.index()] == at);
        }
    }

    fn watch(&mut self, id: NodeId) {
        if !self.watched[id.index()] {
            self.watched[id.index()] = true;
            self.nodes.push(id);
        }
    }
}
