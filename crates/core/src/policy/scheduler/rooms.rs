//! Every node's room, kept across scheduling passes so that a pass reads only the nodes that
//! changed, the nodes on which something shrinks, and the few its search reaches.
//!
//! A room computed in an earlier pass stays exact while nothing on its node moves, and gives an
//! upper bound on the room now while nothing on it shrinks: what its jobs commit grows at least
//! at the rate the cluster states until the node next changes, and a slack far above rounding
//! covers the rest. The [`Bounds`] tree leads each search to the nodes that may fit, and the
//! room of a node it reaches that is not known exactly is computed anew, as a full pass would:
//! every decision is the one a scan of all nodes makes.

use std::collections::BinaryHeap;

use super::room::Room;
use crate::policy::bounds::{Best, Bounds, Reach, Subtree};

/// A node's room as its cluster states it now, and how it moves until the node next changes.
pub type Source<'a> = dyn FnMut(usize) -> (Room, Drift) + 'a;

/// How a node's room moves until the node next changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Drift {
    /// It stays as it is.
    Still,
    /// Its free memory falls at least this fast (bytes per second).
    Narrowing(f64),
    /// Nobody can tell: the room is computed in every pass.
    Unknown,
}

/// Free memory a narrowing room's bound may overstate, as a fraction of the node: billions of
/// times the rounding of one step of the running sums, and about a kilobyte per GiB of node.
const FREE_SLACK: f64 = 1e-6;

/// How far below a need a node's exact free memory may fall and the node still fit, as a
/// fraction of the largest node: [`Room::fits`] adds where the bound subtracts.
const FIT_SLACK: f64 = 4.0 * f64::EPSILON;

#[derive(Debug, Default)]
pub struct Rooms {
    rooms: Vec<Room>,
    /// The pass each room was computed in, and how it moved since: a room is exact in the pass
    /// it was computed in, and afterwards while still.
    computed: Vec<u64>,
    drift: Vec<Drift>,
    pass: u64,
    /// Nodes whose rooms move unknowably: computed in every pass.
    unknown: Vec<usize>,
    /// How far a fitting node's bound may fall short of a need: [`FIT_SLACK`] of the largest
    /// node.
    fit_slack: f64,
    bounds: Bounds,
    stack: Vec<usize>,
    heap: BinaryHeap<Subtree>,
}

impl Rooms {
    /// Starts a pass at `now` (seconds, never earlier than the last) over `nodes` nodes:
    /// computes the rooms of the `changed` nodes and of those on which something shrinks (all
    /// of them when the cluster has a new size).
    pub fn begin(
        &mut self,
        now: f64,
        nodes: usize,
        changed: impl IntoIterator<Item = usize>,
        source: &mut Source,
    ) {
        self.pass += 1;
        if nodes != self.rooms.len() {
            self.resize(nodes);
            self.bounds.advance(now);
            (0..nodes).for_each(|i| self.compute(i, source));
            return;
        }
        self.bounds.advance(now);
        changed.into_iter().for_each(|i| self.compute(i, source));
        let unknown = std::mem::take(&mut self.unknown);
        for &i in &unknown {
            if self.computed[i] != self.pass {
                self.compute(i, source);
            }
        }
        self.unknown = unknown;
        let drift = &self.drift;
        self.unknown.retain(|&i| drift[i] == Drift::Unknown);
    }

    fn resize(&mut self, nodes: usize) {
        self.rooms = vec![Room::CLOSED; nodes];
        self.computed = vec![0; nodes];
        self.drift = vec![Drift::Still; nodes];
        self.unknown.clear();
        self.fit_slack = 0.0;
        self.bounds = Bounds::new(nodes);
    }

    fn compute(&mut self, i: usize, source: &mut Source) {
        let (room, drift) = source(i);
        if drift == Drift::Unknown && self.drift[i] != Drift::Unknown {
            self.unknown.push(i);
        }
        self.rooms[i] = room;
        self.computed[i] = self.pass;
        self.drift[i] = drift;
        self.fit_slack = self.fit_slack.max(FIT_SLACK * room.memory_capacity);
        self.set_bounds(i);
    }

    /// Leaf `i`'s bounds from its room: exact while still (or computed in every pass), with
    /// the slack of rounding while it narrows.
    fn set_bounds(&mut self, i: usize) {
        let r = &self.rooms[i];
        let (slack, fall) = match self.drift[i] {
            Drift::Narrowing(rate) => (FREE_SLACK * r.memory_capacity, rate.max(0.0)),
            Drift::Still | Drift::Unknown => (0.0, 0.0),
        };
        self.bounds.set(i, r.free() + slack, fall, r.cpu_bound());
    }

    /// Whether node `i`'s room is exact now.
    fn exact(&self, i: usize) -> bool {
        self.computed[i] == self.pass || self.drift[i] == Drift::Still
    }

    /// Node `i`'s room as last computed.
    pub fn room(&self, i: usize) -> &Room {
        &self.rooms[i]
    }

    /// Node `i` takes a job placed in this pass.
    pub fn take(&mut self, i: usize, need: f64, cpu: f64) {
        self.rooms[i].take(need, cpu);
        self.set_bounds(i);
    }

    /// Whether some node under tree node `v` may fit the job.
    fn may_fit(&self, v: usize, need: f64, cpu: f64) -> bool {
        self.bounds.free(v) + self.fit_slack >= need && self.bounds.cpu(v) >= cpu
    }

    /// Whether node `i`, reached by a search, fits the job now.
    fn fits(&mut self, i: usize, need: f64, cpu: f64, source: &mut Source) -> bool {
        if !self.exact(i) {
            self.compute(i, source);
        }
        self.rooms[i].fits(need, cpu)
    }

    /// The first node, in order, where the job fits.
    pub fn first(&mut self, need: f64, cpu: f64, source: &mut Source) -> Option<usize> {
        let mut found = None;
        self.search(need, cpu, source, &mut |i| {
            found = Some(i);
            false
        });
        found
    }

    /// Every node where the job fits, in order, into `out`.
    pub fn fitting(&mut self, need: f64, cpu: f64, source: &mut Source, out: &mut Vec<usize>) {
        out.clear();
        self.search(need, cpu, source, &mut |i| {
            out.push(i);
            true
        });
    }

    /// Visits the nodes where the job fits, in order, while `visit` says to go on.
    fn search(
        &mut self,
        need: f64,
        cpu: f64,
        source: &mut Source,
        visit: &mut dyn FnMut(usize) -> bool,
    ) {
        let width = self.bounds.width();
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        stack.push(1);
        while let Some(v) = stack.pop() {
            if !self.may_fit(v, need, cpu) {
                continue;
            }
            if v < width {
                stack.extend([2 * v + 1, 2 * v]);
            } else if self.fits(v - width, need, cpu, source) && !visit(v - width) {
                break;
            }
        }
        self.stack = stack;
    }

    /// The node where the job fits with the most memory left after it, the first of equals.
    /// Subtrees are searched by their bound, the highest first, until no bound can reach the
    /// best found.
    pub fn widest(&mut self, need: f64, cpu: f64, source: &mut Source) -> Option<usize> {
        let mut heap = std::mem::take(&mut self.heap);
        heap.clear();
        heap.push(self.bounds.root());
        let mut best = Best::default();
        while let Some(e) = heap.pop() {
            match best.reach(&e, e.bound - need) {
                Reach::Stop => break,
                Reach::Skip => continue,
                Reach::Search => {}
            }
            if !self.may_fit(e.v, need, cpu) {
                continue;
            }
            if let Some(halves) = self.bounds.halves(&e) {
                heap.extend(halves);
                continue;
            }
            let i = e.start;
            if !self.exact(i) {
                // Its bound came from a past room: compute it and let it compete on its own.
                self.compute(i, source);
                heap.push(self.bounds.subtree(e.v, i, 1));
                continue;
            }
            let room = &self.rooms[i];
            if !room.fits(need, cpu) {
                continue;
            }
            best.offer(i, room.free_after(need));
        }
        self.heap = heap;
        best.leaf()
    }
}
