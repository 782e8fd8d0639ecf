//! The plant's change notes, shared by the two readers that keep state between turns:
//! placement's rooms want each node changed since the last pass, once; monitoring's snapshots
//! want what changed since each of them was last brought up to date.

use crate::model::NodeId;
use crate::policy::control::Plant;

/// A position in the log of notes: every note taken before it.
pub type Mark = u64;

#[derive(Default)]
pub struct Notes {
    taken: Vec<NodeId>,
    /// Changed since the last scheduling pass, each once.
    placement: Vec<NodeId>,
    noted: Vec<bool>,
    /// Every note in order, while monitoring reads them; `log[0]` is note number `base`.
    logging: bool,
    log: Vec<NodeId>,
    base: Mark,
}

impl Notes {
    /// Notes for placement alone, or also for monitoring (`logging`).
    pub fn new(logging: bool) -> Self {
        Notes {
            logging,
            ..Notes::default()
        }
    }

    /// Takes the plant's notes since the last call.
    pub fn pull(&mut self, plant: &mut impl Plant) {
        plant.take_changes(&mut self.taken);
        self.noted.resize(plant.node_count(), false);
        for &n in &self.taken {
            if !std::mem::replace(&mut self.noted[n.index()], true) {
                self.placement.push(n);
            }
        }
        if self.logging {
            self.log.extend_from_slice(&self.taken);
        }
    }

    /// The nodes changed since the last call, each once, into `out`.
    pub fn take_placement(&mut self, out: &mut Vec<NodeId>) {
        out.clear();
        std::mem::swap(out, &mut self.placement);
        for n in out.iter() {
            self.noted[n.index()] = false;
        }
    }

    /// The position after the newest note.
    pub fn mark(&self) -> Mark {
        self.base + self.log.len() as Mark
    }

    /// The nodes noted since `mark`, with repeats; `None` if those notes are forgotten.
    pub fn since(&self, mark: Mark) -> Option<&[NodeId]> {
        let from = usize::try_from(mark.checked_sub(self.base)?).ok()?;
        self.log.get(from..)
    }

    /// The nodes noted from `from` to `to`, with repeats; `None` if those notes are forgotten.
    pub fn between(&self, from: Mark, to: Mark) -> Option<&[NodeId]> {
        let len = usize::try_from(to.checked_sub(from)?).ok()?;
        self.since(from)?.get(..len)
    }

    /// Drops the notes before `mark`: nobody will ask for them.
    pub fn forget_before(&mut self, mark: Mark) {
        let drop = (mark.saturating_sub(self.base) as usize).min(self.log.len());
        self.log.drain(..drop);
        self.base += drop as Mark;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_answers_from_any_mark_it_still_holds() {
        let mut notes = Notes::new(true);
        notes.log.extend([NodeId(3), NodeId(1), NodeId(3)]);
        let first = notes.mark();
        notes.log.push(NodeId(2));
        assert_eq!(notes.since(first), Some(&[NodeId(2)][..]));
        assert_eq!(notes.since(0).map(<[_]>::len), Some(4));
        assert_eq!(notes.between(1, first), Some(&[NodeId(1), NodeId(3)][..]));
        assert_eq!(notes.between(first, 1), None, "marks out of order");
        notes.forget_before(first);
        assert_eq!(notes.since(first), Some(&[NodeId(2)][..]));
        assert_eq!(
            notes.since(0),
            None,
            "forgotten notes are not answered as none"
        );
        assert_eq!(notes.since(notes.mark()), Some(&[][..]));
    }
}
