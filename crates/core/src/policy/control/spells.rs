//! Shortage spells: a node whose requests no target can serve stays short at every decision
//! until room appears; the cluster is asked for capacity once per spell, not every interval.

use crate::policy::controller::Shortage;

#[derive(Default)]
pub struct ShortageSpells {
    /// Per node: short at the last decision.
    short: Vec<bool>,
}

impl ShortageSpells {
    /// The shortages that open a spell (the first of each node not short last time); every
    /// node without a shortage now ends its spell.
    pub fn opened<'a>(&mut self, nodes: usize, shortages: &'a [Shortage]) -> Vec<&'a Shortage> {
        self.short.resize(nodes, false);
        let mut short = vec![false; nodes];
        let mut opened = Vec::new();
        for s in shortages {
            let i = s.node.index();
            if !self.short[i] && !short[i] {
                opened.push(s);
            }
            short[i] = true;
        }
        self.short = short;
        opened
    }
}
