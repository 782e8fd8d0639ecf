//! Transfers that share node NICs max-min fairly. Every node has `capacity` bytes per second
//! out and the same in (full duplex); a flow may also have its own cap (a checkpoint that
//! streams no faster than CRIU dumps). Rates are recomputed exactly, by progressive filling,
//! whenever a flow starts or ends, and each flow's finish time follows from its new rate.

use crate::engine::{Generation, SimDuration, SimTime};
use crate::model::NodeId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlowId(pub u32);

#[derive(Clone, Debug)]
pub struct Flow {
    pub source: NodeId,
    pub target: NodeId,
    /// Bytes left at `anchor`.
    remaining: f64,
    anchor: SimTime,
    pub rate: f64,
    cap: f64,
}

impl Flow {
    pub fn remaining_at(&self, t: SimTime) -> f64 {
        (self.remaining - self.rate * (t - self.anchor).as_secs()).max(0.0)
    }

    /// When it finishes at its current rate; `None` if it has no rate.
    pub fn finish(&self) -> Option<SimTime> {
        if self.remaining <= 0.0 {
            return Some(self.anchor);
        }
        (self.rate > 0.0)
            .then(|| self.anchor + SimDuration::from_secs_ceil(self.remaining / self.rate))
    }
}

/// A flow whose rate changed, and the finish event to schedule for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateChange {
    pub flow: FlowId,
    pub rate: f64,
    pub finish: Option<SimTime>,
    pub gen: Generation,
}

#[derive(Clone, Debug, Default)]
pub struct Network {
    /// Per node NIC capacity, bytes per second each way.
    capacity: Vec<f64>,
    flows: Vec<Option<Flow>>,
    /// Per slot, stamps the pending finish event; bumped when the rate changes, and kept
    /// across reuse of the slot so a stale event never matches a new flow.
    gens: Vec<Generation>,
    free_ids: Vec<u32>,
}

/// Direction of a NIC: traffic leaving or entering a node.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Port {
    Out(NodeId),
    In(NodeId),
}

impl Network {
    pub fn new(capacity: Vec<f64>) -> Self {
        Network {
            capacity,
            ..Default::default()
        }
    }

    pub fn flow(&self, id: FlowId) -> &Flow {
        self.flows[id.0 as usize].as_ref().expect("a live flow id")
    }

    /// Whether `gen` stamps the live flow in slot `id` at its current rate.
    pub fn is_current(&self, id: FlowId, gen: Generation) -> bool {
        self.flows[id.0 as usize].is_some() && self.gens[id.0 as usize].is_current(gen)
    }

    /// Starts a flow of `bytes` at `t` (with an optional rate cap) and returns its id and the
    /// rate changes of every flow, itself included.
    pub fn start(
        &mut self,
        t: SimTime,
        source: NodeId,
        target: NodeId,
        bytes: f64,
        cap: Option<f64>,
    ) -> (FlowId, Vec<RateChange>) {
        let flow = Flow {
            source,
            target,
            remaining: bytes.max(0.0),
            anchor: t,
            rate: 0.0,
            cap: cap.unwrap_or(f64::INFINITY),
        };
        let id = match self.free_ids.pop() {
            Some(i) => {
                self.flows[i as usize] = Some(flow);
                i
            }
            None => {
                self.flows.push(Some(flow));
                self.gens.push(Generation::default());
                (self.flows.len() - 1) as u32
            }
        };
        (FlowId(id), self.reshare(t))
    }

    /// Ends a flow (finished or abandoned) at `t`; returns the bytes it still had to send and
    /// the other flows' rate changes.
    pub fn stop(&mut self, t: SimTime, id: FlowId) -> (f64, Vec<RateChange>) {
        let flow = self.flows[id.0 as usize].take().expect("a live flow id");
        self.free_ids.push(id.0);
        (flow.remaining_at(t), self.reshare(t))
    }

    /// Re-anchors every flow at `t` and gives each its max-min fair rate.
    fn reshare(&mut self, t: SimTime) -> Vec<RateChange> {
        for f in self.flows.iter_mut().flatten() {
            f.remaining = f.remaining_at(t);
            f.anchor = t;
        }
        let rates = self.fair_rates();
        let mut changes = Vec::new();
        for (i, (slot, g)) in self.flows.iter_mut().zip(&mut self.gens).enumerate() {
            let Some(f) = slot else { continue };
            let rate = rates[i];
            if rate != f.rate || f.rate == 0.0 {
                f.rate = rate;
                let gen = g.bump();
                changes.push(RateChange {
                    flow: FlowId(i as u32),
                    rate,
                    finish: f.finish(),
                    gen,
                });
            }
        }
        changes
    }

    /// Progressive filling: raise all unfrozen flows together until a port saturates or a flow
    /// meets its cap; freeze those flows; repeat.
    fn fair_rates(&self) -> Vec<f64> {
        let mut rate = vec![0.0; self.flows.len()];
        let mut frozen: Vec<bool> = self.flows.iter().map(Option::is_none).collect();
        let ports = |f: &Flow| [Port::Out(f.source), Port::In(f.target)];
        let port_left = |p: Port, rate: &[f64]| {
            let (node, used) = match p {
                Port::Out(n) => (n, self.load(rate, |f| f.source == n)),
                Port::In(n) => (n, self.load(rate, |f| f.target == n)),
            };
            self.capacity[node.index()] - used
        };
        loop {
            let active: Vec<usize> = (0..self.flows.len()).filter(|&i| !frozen[i]).collect();
            if active.is_empty() {
                return rate;
            }
            // The largest equal increment every active flow can take.
            let mut step = f64::INFINITY;
            for &i in &active {
                let f = self.flows[i].as_ref().expect("active flows are live");
                step = step.min(f.cap - rate[i]);
                for p in ports(f) {
                    let sharing = active
                        .iter()
                        .filter(|&&j| ports(self.flows[j].as_ref().expect("live")).contains(&p))
                        .count();
                    step = step.min(port_left(p, &rate) / sharing as f64);
                }
            }
            let step = step.max(0.0);
            for &i in &active {
                rate[i] += step;
            }
            // Freeze flows at their cap or on a saturated port.
            for &i in &active {
                let f = self.flows[i].as_ref().expect("live");
                let saturated = ports(f)
                    .iter()
                    .any(|&p| port_left(p, &rate) <= self.slack(p));
                if rate[i] >= f.cap || saturated {
                    frozen[i] = true;
                }
            }
        }
    }

    fn load(&self, rate: &[f64], on: impl Fn(&Flow) -> bool) -> f64 {
        self.flows
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.as_ref().filter(|f| on(f)).map(|_| rate[i]))
            .sum()
    }

    /// A port counts as full within a relative rounding error of its capacity.
    fn slack(&self, p: Port) -> f64 {
        let n = match p {
            Port::Out(n) | Port::In(n) => n,
        };
        self.capacity[n.index()] * 1e-12
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: f64 = 1e9;

    fn secs(s: f64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn one_flow_gets_the_whole_nic() {
        let mut net = Network::new(vec![GB, GB]);
        let (a, changes) = net.start(SimTime::ZERO, NodeId(0), NodeId(1), 10.0 * GB, None);
        assert_eq!(changes.len(), 1);
        assert_eq!(net.flow(a).rate, GB);
        assert_eq!(net.flow(a).finish(), Some(secs(10.0)));
    }

    #[test]
    fn two_flows_on_one_nic_finish_at_the_computed_times() {
        // 10 GB and 5 GB leave node 0 (1 GB/s) for different targets at t=0. Each gets
        // 0.5 GB/s: the 5 GB one ends at 10 s; the other then has 5 GB left at 1 GB/s: 15 s.
        let mut net = Network::new(vec![GB, GB, GB]);
        let (a, _) = net.start(SimTime::ZERO, NodeId(0), NodeId(1), 10.0 * GB, None);
        let (b, changes) = net.start(SimTime::ZERO, NodeId(0), NodeId(2), 5.0 * GB, None);
        assert_eq!(net.flow(a).rate, 0.5 * GB);
        assert_eq!(net.flow(b).finish(), Some(secs(10.0)));
        assert!(changes
            .iter()
            .any(|c| c.flow == a && c.finish == Some(secs(20.0))));
        let (left, changes) = net.stop(secs(10.0), b);
        assert_eq!(left, 0.0);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].finish, Some(secs(15.0)));
    }

    #[test]
    fn a_late_flow_slows_the_first_exactly() {
        // A starts alone at t=0 (8 GB at 1 GB/s); B (2 GB) joins at t=2 and halves A's rate.
        // B ends at t=6, when A has 8-2-2 = 4 GB left at full rate: A ends at t=10.
        let mut net = Network::new(vec![GB, GB, GB]);
        let (a, _) = net.start(SimTime::ZERO, NodeId(0), NodeId(1), 8.0 * GB, None);
        let (b, _) = net.start(secs(2.0), NodeId(2), NodeId(1), 2.0 * GB, None);
        assert_eq!(net.flow(b).finish(), Some(secs(6.0)));
        let (_, changes) = net.stop(secs(6.0), b);
        assert_eq!(changes[0].flow, a);
        assert_eq!(changes[0].finish, Some(secs(10.0)));
    }

    #[test]
    fn caps_and_bottlenecks_are_max_min_fair() {
        // Node 0 sends to 1 and 2; node 3 also sends to 2. Flow 0->1 is capped at 0.2 GB/s,
        // so 0->2 takes the rest of node 0's NIC (0.8) -- but node 2's inbound NIC is shared
        // with 3->2: both get 0.5 there, and node 0's spare 0.3 stays unused.
        let mut net = Network::new(vec![GB; 4]);
        let (a, _) = net.start(SimTime::ZERO, NodeId(0), NodeId(1), GB, Some(0.2 * GB));
        let (b, _) = net.start(SimTime::ZERO, NodeId(0), NodeId(2), GB, None);
        let (c, _) = net.start(SimTime::ZERO, NodeId(3), NodeId(2), GB, None);
        assert_eq!(net.flow(a).rate, 0.2 * GB);
        assert_eq!(net.flow(b).rate, 0.5 * GB);
        assert_eq!(net.flow(c).rate, 0.5 * GB);
    }
}
