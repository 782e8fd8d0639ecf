//! Every node's room, kept across scheduling passes so that a pass reads only the nodes that
//! changed, the nodes on which something shrinks, and the few its search reaches.
//!
//! A room computed in an earlier pass stays exact while nothing on its node moves, and gives an
//! upper bound on the room now while nothing on it shrinks: what its jobs commit grows at least
//! at the rate the cluster states until the node next changes, and a slack far above rounding
//! covers the rest. The [`Bounds`] trees lead each search to the nodes that may fit, and the
//! room of a node it reaches that is not known exactly is computed anew, as a full pass would:
//! every decision is the one a scan of all nodes makes.
//!
//! Nodes are kept in bands of free CPUs, a tree for each, and a search asks only the bands
//! where the job's CPUs may be free: the nodes with the most free memory are often those whose
//! CPUs the newest, still small jobs have filled, and one tree would lead every search to each
//! of them in turn.

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

/// The free CPUs at which a node passes into the next band: powers of 2 from 1 to 128, so that
/// the only nodes a search may reach without the CPUs for a job are those with at least half
/// of what it asks, whatever the sizes of nodes and jobs. (Powers of √2 narrow that further
/// but, with twice the trees, ran slower on the 10k-node bench.)
const BAND_CPUS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

/// The band of a node with `cpu` CPUs free: the first for a node that takes nothing (its CPU
/// bound is negative infinity).
fn band_of(cpu: f64) -> usize {
    BAND_CPUS.partition_point(|&t| t <= cpu)
}

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
    /// Each band's bounds (a node's leaf takes nothing in every other band), and each node's
    /// band.
    bands: Vec<Bounds>,
    band: Vec<u8>,
    stack: Vec<usize>,
    heap: BinaryHeap<(Subtree, usize)>,
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
            self.bands.iter_mut().for_each(|b| b.advance(now));
            (0..nodes).for_each(|i| self.compute(i, source));
            return;
        }
        self.bands.iter_mut().for_each(|b| b.advance(now));
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
        self.bands = (0..=BAND_CPUS.len()).map(|_| Bounds::new(nodes)).collect();
        self.band = vec![0; nodes];
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

    /// Leaf `i`'s bounds from its room, in the band of its free CPUs: exact while still (or
    /// computed in every pass), with the slack of rounding while it narrows.
    fn set_bounds(&mut self, i: usize) {
        let r = &self.rooms[i];
        let (slack, fall) = match self.drift[i] {
            Drift::Narrowing(rate) => (FREE_SLACK * r.memory_capacity, rate.max(0.0)),
            Drift::Still | Drift::Unknown => (0.0, 0.0),
        };
        let (cpu, was) = (r.cpu_bound(), usize::from(self.band[i]));
        let band = band_of(cpu);
        if band != was {
            self.bands[was].set(i, f64::NEG_INFINITY, 0.0, f64::NEG_INFINITY);
            self.band[i] = band as u8;
        }
        self.bands[band].set(i, r.free() + slack, fall, cpu);
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

    /// Whether some node under tree node `v` of `band` may fit the job.
    fn may_fit(&self, band: usize, v: usize, need: f64, cpu: f64) -> bool {
        let b = &self.bands[band];
        b.free(v) + self.fit_slack >= need && b.cpu(v) >= cpu
    }

    /// Whether node `i`, reached by a search, fits the job now.
    fn fits(&mut self, i: usize, need: f64, cpu: f64, source: &mut Source) -> bool {
        if !self.exact(i) {
            self.compute(i, source);
        }
        self.rooms[i].fits(need, cpu)
    }

    /// The first node, in order, where the job fits: the first of each band's firsts.
    pub fn first(&mut self, need: f64, cpu: f64, source: &mut Source) -> Option<usize> {
        let mut found = None;
        for band in 0..self.bands.len() {
            let before = found.unwrap_or(usize::MAX);
            self.search(band, before, need, cpu, source, &mut |i| {
                found = Some(i);
                false
            });
        }
        found
    }

    /// Every node where the job fits, in order, into `out`.
    pub fn fitting(&mut self, need: f64, cpu: f64, source: &mut Source, out: &mut Vec<usize>) {
        out.clear();
        for band in 0..self.bands.len() {
            self.search(band, usize::MAX, need, cpu, source, &mut |i| {
                out.push(i);
                true
            });
        }
        out.sort_unstable();
    }

    /// Visits the nodes of `band` before node `before` where the job fits, in order, while
    /// `visit` says to go on.
    fn search(
        &mut self,
        band: usize,
        before: usize,
        need: f64,
        cpu: f64,
        source: &mut Source,
        visit: &mut dyn FnMut(usize) -> bool,
    ) {
        let width = self.bands[band].width();
        let mut stack = std::mem::take(&mut self.stack);
        stack.clear();
        stack.push(1);
        while let Some(v) = stack.pop() {
            if self.bands[band].first_leaf(v) >= before || !self.may_fit(band, v, need, cpu) {
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
        heap.extend(self.bands.iter().map(Bounds::root).zip(0..));
        let mut best = Best::default();
        while let Some((e, band)) = heap.pop() {
            match best.reach(&e, e.bound - need) {
                Reach::Stop => break,
                Reach::Skip => continue,
                Reach::Search => {}
            }
            if !self.may_fit(band, e.v, need, cpu) {
                continue;
            }
            if let Some(halves) = self.bands[band].halves(&e) {
                heap.extend(halves.into_iter().map(|h| (h, band)));
                continue;
            }
            let i = e.start;
            if !self.exact(i) {
                // Its bound came from a past room: compute it and let it compete on its own,
                // in the band it is in now.
                self.compute(i, source);
                let band = usize::from(self.band[i]);
                heap.push((self.bands[band].subtree(e.v, i, 1), band));
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// A node of 64 CPUs with `free` CPUs and `used` of 100 bytes, cordoned now and then.
    fn room(rng: &mut impl Rng) -> Room {
        let free_cpu: f64 = match rng.random_range(0..4) {
            0 => rng.random_range(0.0..1.0),
            1 => f64::from(rng.random_range(0..64u32)),
            _ => rng.random_range(0.0..64.0),
        };
        Room {
            memory_capacity: 100.0,
            committed: f64::from(rng.random_range(0..100u32)),
            cpu_capacity: 64.0,
            cpu_requested: 64.0 - free_cpu,
            open: rng.random_range(0..10) > 0,
        }
    }

    /// Across the bands of free CPUs, with rooms changing and taking jobs between passes, each
    /// search decides as a scan of every room does: the first fit, the widest fit (the first of
    /// equals), and every fit in order.
    #[test]
    fn searches_across_bands_decide_as_a_scan() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        for nodes in [1, 2, 5, 37, 200] {
            let mut truth: Vec<Room> = (0..nodes).map(|_| room(&mut rng)).collect();
            let mut rooms = Rooms::default();
            for pass in 0..300 {
                let changed: Vec<usize> = (0..rng.random_range(0..4))
                    .map(|_| rng.random_range(0..nodes))
                    .collect();
                changed.iter().for_each(|&i| truth[i] = room(&mut rng));
                let snapshot = truth.clone();
                let mut source = |i: usize| (snapshot[i], Drift::Still);
                rooms.begin(f64::from(pass), nodes, changed, &mut source);
                for _ in 0..5 {
                    let need = f64::from(rng.random_range(0..60u32));
                    let cpu = match rng.random_range(0..3) {
                        0 => f64::from(rng.random_range(1..40u32)),
                        _ => rng.random_range(0.1..40.0),
                    };
                    let fits: Vec<usize> =
                        (0..nodes).filter(|&i| truth[i].fits(need, cpu)).collect();
                    let widest = fits.iter().copied().fold(None, |best: Option<usize>, i| {
                        let after = |i: usize| truth[i].free_after(need);
                        match best {
                            Some(b) if after(b) >= after(i) => Some(b),
                            _ => Some(i),
                        }
                    });
                    let mut all = Vec::new();
                    rooms.fitting(need, cpu, &mut source, &mut all);
                    assert_eq!(all, fits, "{nodes} nodes, pass {pass}: every fit");
                    assert_eq!(rooms.first(need, cpu, &mut source), fits.first().copied());
                    let chosen = rooms.widest(need, cpu, &mut source);
                    assert_eq!(chosen, widest, "{nodes} nodes, pass {pass}: the widest fit");
                    if let Some(i) = chosen {
                        rooms.take(i, need, cpu);
                        truth[i].take(need, cpu);
                    }
                }
            }
        }
    }
}
