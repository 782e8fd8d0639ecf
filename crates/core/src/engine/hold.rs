//! The classic hold model, the engine's yardstick: pop the earliest event and push one
//! successor at a random delay, with a fixed number of events pending. `cargo bench -p
//! migsim-bench` runs it against simcore; `migsim bench` runs it beside whole scenarios, so that
//! a model's events/s read against the bare engine's measured in the same run.

use rand::Rng;

use crate::engine::{RngStreams, SimDuration, Simulation, StreamRng};

#[derive(Clone, Copy)]
struct Tick(u32);

pub struct HoldModel {
    sim: Simulation<Tick>,
    rng: StreamRng,
}

impl HoldModel {
    /// `pending` events, with delays uniform in [0, 2) s drawn from `seed`.
    pub fn new(pending: usize, seed: u64) -> Self {
        let mut rng = RngStreams::new(seed).stream("hold");
        let mut sim = Simulation::default();
        for i in 0..pending {
            sim.schedule_in(delay(&mut rng), Tick(i as u32));
        }
        HoldModel { sim, rng }
    }

    /// Handles `steps` events, each scheduling its successor.
    pub fn run(&mut self, steps: u64) {
        for _ in 0..steps {
            let (_, Tick(id)) = self.sim.next().expect("the hold model never drains");
            let d = delay(&mut self.rng);
            self.sim.schedule_in(d, Tick(std::hint::black_box(id)));
        }
    }
}

fn delay(rng: &mut StreamRng) -> SimDuration {
    SimDuration::from_secs(rng.random::<f64>() * 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hold_model_keeps_its_events_pending_and_time_moving() {
        let mut h = HoldModel::new(100, 1);
        h.run(1000);
        assert_eq!(h.sim.pending(), 100);
        assert_eq!(h.sim.processed(), 1000);
        assert!(h.sim.now().as_secs() > 0.0);
    }
}
