//! The classic hold model: pop the earliest event and push one successor at a random delay,
//! with a fixed number of events pending. Run side by side with simcore (the DSLab framework's
//! engine) on the same workload and the same random delays.
//!
//!   cargo bench -p migsim-bench --bench engine_hold
//!
//! Criterion reports events per second (elements/s) for each engine and queue size.

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use migsim_core::engine::{HoldModel, RngStreams, StreamRng};
use rand::Rng;
use serde::Serialize;

/// Events handled per measured iteration.
const STEPS: u64 = 100_000;
const PENDING: [usize; 3] = [100, 10_000, 100_000];

/// Delays uniform in [0, 2) s: the same draws for both engines.
fn delay_secs(rng: &mut StreamRng) -> f64 {
    rng.random::<f64>() * 2.0
}

fn migsim_hold(c: &mut Criterion, pending: usize) {
    let mut hold = HoldModel::new(pending, 1);
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(STEPS));
    group.bench_with_input(BenchmarkId::new("migsim", pending), &pending, |b, _| {
        b.iter(|| hold.run(STEPS))
    });
    group.finish();
}

#[derive(Clone, Serialize)]
struct SimcoreTick {
    id: u32,
}

struct SimcoreHolder {
    ctx: simcore::SimulationContext,
    rng: StreamRng,
}

impl simcore::EventHandler for SimcoreHolder {
    fn on(&mut self, event: simcore::Event) {
        simcore::cast!(match event.data {
            SimcoreTick { id } => {
                let delay = delay_secs(&mut self.rng);
                self.ctx.emit_self(SimcoreTick { id: black_box(id) }, delay);
            }
        })
    }
}

fn simcore_hold(c: &mut Criterion, pending: usize) {
    let mut sim = simcore::Simulation::new(1);
    let ctx = sim.create_context("holder");
    let holder = Rc::new(RefCell::new(SimcoreHolder {
        ctx,
        rng: RngStreams::new(1).stream("hold"),
    }));
    sim.add_handler("holder", holder.clone());
    {
        let mut h = holder.borrow_mut();
        for i in 0..pending {
            let delay = delay_secs(&mut h.rng);
            h.ctx.emit_self(SimcoreTick { id: i as u32 }, delay);
        }
    }
    let mut group = c.benchmark_group("hold");
    group.throughput(Throughput::Elements(STEPS));
    group.bench_with_input(BenchmarkId::new("simcore", pending), &pending, |b, _| {
        b.iter(|| {
            sim.steps(STEPS);
        })
    });
    group.finish();
}

fn hold(c: &mut Criterion) {
    for pending in PENDING {
        migsim_hold(c, pending);
        simcore_hold(c, pending);
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(4));
    targets = hold
}
criterion_main!(benches);
