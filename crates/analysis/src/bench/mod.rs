//! `migsim bench`: whole scenarios of the production shape at several sizes, each beside the
//! bare engine's hold model measured in the same run, so that the model's events/s read as a
//! fraction of the engine's on the same machine at the same moment.

mod shape;

pub use shape::Shape;

use std::path::Path;
use std::time::Instant;

use migsim_core::engine::HoldModel;
use migsim_scenario::scenario::load_str;
use migsim_sim::RecordOptions;

/// What one size measured.
#[derive(Clone, Debug)]
pub struct Measured {
    pub shape: Shape,
    pub wall_s: f64,
    pub events: u64,
    /// The run's peak resident memory, where the kernel can say (Linux).
    pub peak_rss_bytes: Option<u64>,
    /// The bare engine's hold model with 10^4 pending, measured right after.
    pub engine_events_per_s: f64,
    pub oom_kills: usize,
    pub migrations: usize,
    /// Mean memory utilisation over the node samples: the load the shape puts on the cluster.
    pub memory_load: f64,
}

impl Measured {
    pub fn events_per_s(&self) -> f64 {
        self.events as f64 / self.wall_s.max(1e-9)
    }
}

/// Runs `shape` and then the hold model; an error names what the scenario got wrong.
pub fn measure(shape: Shape) -> Result<Measured, String> {
    let scenario = load_str(&shape.toml(), Path::new(&shape.name()), &[])
        .map_err(|e| format!("{}: {e}", shape.name()))?;
    reset_peak_rss();
    let started = Instant::now();
    let out = migsim_sim::run(&scenario, RecordOptions::default(), &mut |_| {});
    let wall_s = started.elapsed().as_secs_f64();
    let peak_rss_bytes = peak_rss();
    Ok(Measured {
        shape,
        wall_s,
        events: out.metrics.events,
        peak_rss_bytes,
        engine_events_per_s: hold_rate(),
        oom_kills: out.metrics.oom_kills,
        migrations: out.record.migrations.len(),
        memory_load: out.metrics.mean_memory_utilization,
    })
}

/// Events/s of the hold model with 10^4 pending over 10^7 events.
fn hold_rate() -> f64 {
    const STEPS: u64 = 10_000_000;
    let mut hold = HoldModel::new(10_000, 1);
    let started = Instant::now();
    hold.run(STEPS);
    STEPS as f64 / started.elapsed().as_secs_f64().max(1e-9)
}

/// Lets the next peak-RSS reading be this run's (writing 5 to clear_refs resets VmHWM).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_production_shape_loads_and_runs_at_a_small_size() {
        let shape = Shape {
            nodes: 4,
            jobs: 40,
            days: 2.0,
            controller: true,
        };
        let m = measure(shape).unwrap();
        assert!(m.events > 40, "{m:?}");
        assert!(m.engine_events_per_s > 0.0);
    }
}
