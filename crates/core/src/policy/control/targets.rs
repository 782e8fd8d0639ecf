//! The controller's target index kept in step with the snapshots it decides on: between two
//! decisions only the nodes noted in between are set anew.

use crate::engine::SimTime;
use crate::policy::control::notes::{Mark, Notes};
use crate::policy::control::snapshot::Snapshot;
use crate::policy::controller::TargetIndex;

#[derive(Default)]
pub struct Targets {
    index: TargetIndex,
    /// The notes and the time the index accounts for.
    synced: Option<(Mark, SimTime)>,
}

impl Targets {
    /// The oldest note the next sync may ask for, with the `newest` note taken: none once
    /// setting every one of `nodes` anew costs less than replaying the notes since.
    pub fn mark(&mut self, newest: Mark, nodes: usize) -> Option<Mark> {
        self.synced = self.synced.filter(|&(m, _)| newest - m <= nodes as Mark);
        self.synced.map(|(m, _)| m)
    }

    /// The index of `snapshot`'s free fractions, unless some node's usage is not a line.
    pub fn sync(&mut self, snapshot: &Snapshot, notes: &Notes) -> Option<&TargetIndex> {
        let Some(lines) = snapshot.lines() else {
            self.synced = None;
            return None;
        };
        let (view, filled) = (&snapshot.view, snapshot.filled());
        let now = view.time;
        let changed = match self.synced {
            Some((mark, time)) if time <= now && self.index.len() == lines.len() => {
                notes.between(mark, filled)
            }
            _ => None,
        };
        let set = |index: &mut TargetIndex, i: usize| {
            if let Some(usage) = lines[i] {
                index.set(i, view.nodes[i].memory_capacity, usage, now);
            }
        };
        match changed {
            Some(changed) => {
                self.index.advance(now);
                changed
                    .iter()
                    .for_each(|id| set(&mut self.index, id.index()));
            }
            None => {
                self.index = TargetIndex::new(lines.len());
                self.index.advance(now);
                (0..lines.len()).for_each(|i| set(&mut self.index, i));
            }
        }
        self.synced = Some((filled, now));
        Some(&self.index)
    }
}
