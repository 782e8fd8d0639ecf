//! Upper bounds on every node's free fraction in the snapshot decided on, so that choosing the
//! least-used target reads the few nodes that may win instead of every node. The choice is
//! the one a scan of every node makes: the search only skips nodes whose bound cannot beat
//! the best found, or cannot leave a valid target.

use std::collections::BinaryHeap;

use crate::engine::SimTime;
use crate::model::{NodeId, Usage};
use crate::policy::bounds::{Best, Bounds, Reach};
use crate::policy::controller::Candidate;

/// How far a node's bound may overstate its free fraction: far above the rounding of
/// evaluating a usage line (about 1e-15 of a node), far below what sets two targets apart.
const SLACK: f64 = 1e-9;

#[derive(Debug, Default)]
pub struct TargetIndex {
    bounds: Bounds,
    nodes: usize,
    max_capacity: f64,
}

impl TargetIndex {
    pub fn new(nodes: usize) -> Self {
        TargetIndex {
            bounds: Bounds::new(nodes),
            nodes,
            max_capacity: 0.0,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes
    }

    pub fn is_empty(&self) -> bool {
        self.nodes == 0
    }

    /// Moves the present to `t` (never back).
    pub fn advance(&mut self, t: SimTime) {
        self.bounds.advance(t.as_secs());
    }

    /// Node `i`, of `capacity` bytes, uses memory along `usage` from the present on.
    pub fn set(&mut self, i: usize, capacity: f64, usage: Usage, now: SimTime) {
        self.max_capacity = self.max_capacity.max(capacity);
        if capacity <= 0.0 {
            // Nothing fits it: it is never a valid target.
            self.bounds.set(i, f64::NEG_INFINITY, 0.0, 0.0);
            return;
        }
        let free = (capacity - usage.at(now)) / capacity + SLACK;
        self.bounds
            .set(i, free, usage.slope / capacity, f64::INFINITY);
    }

    /// The valid node with the largest fraction of its memory free, the first of equals, as
    /// [`crate::policy::controller::TargetSpec::choose`] picks among every node's candidate.
    /// `candidate` says what node `i` offers, if it may take the job at all; it never offers
    /// more than the view shows free. A move of `bytes` must leave `keep` of a target free.
    pub fn least_used(
        &self,
        keep: f64,
        bytes: f64,
        candidate: &mut dyn FnMut(usize) -> Option<Candidate>,
    ) -> Option<NodeId> {
        // No valid node's free fraction is below this.
        let floor = keep + bytes / self.max_capacity - SLACK;
        let mut heap = BinaryHeap::from([self.bounds.root()]);
        let mut best = Best::default();
        while let Some(s) = heap.pop() {
            if s.bound < floor {
                break;
            }
            match best.reach(&s, s.bound) {
                Reach::Stop => break,
                Reach::Skip => continue,
                Reach::Search => {}
            }
            if let Some(halves) = self.bounds.halves(&s) {
                heap.extend(halves);
                continue;
            }
            let i = s.start;
            let Some(c) = candidate(i).filter(|c| c.free - bytes >= keep * c.capacity) else {
                continue;
            };
            best.offer(i, c.free / c.capacity);
        }
        best.leaf().map(|i| NodeId(i as u32))
    }
}
