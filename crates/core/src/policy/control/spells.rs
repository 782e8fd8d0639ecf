//! Shortage spells: a node whose requests no target can serve stays short at every decision
//! until room appears; the cluster is asked for capacity once per spell, not every interval.

use crate::model::NodeId;
use crate::policy::controller::Shortage;

#[derive(Default)]
pub struct ShortageSpells {
    /// The nodes short at the last decision, sorted: a decision costs what its shortages do,
    /// not what the cluster's size does.
    short: Vec<NodeId>,
}

impl ShortageSpells {
    /// The shortages that open a spell (the first of each node not short last time); every
    /// node without a shortage now ends its spell.
    pub fn opened<'a>(&mut self, shortages: &'a [Shortage]) -> Vec<&'a Shortage> {
        let mut short: Vec<NodeId> = Vec::new();
        let mut opened = Vec::new();
        for s in shortages {
            let Err(at) = short.binary_search(&s.node) else {
                continue;
            };
            short.insert(at, s.node);
            if self.short.binary_search(&s.node).is_err() {
                opened.push(s);
            }
        }
        self.short = short;
        opened
    }
}
