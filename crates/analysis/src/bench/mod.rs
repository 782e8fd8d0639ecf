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

/// What one size measured (as JSON between the bench and the process that measured it).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Measured {
    pub shape: Shape,
    pub wall_s: f64,
    pub events: u64,
    /// The run's peak resident memory, where the kernel can say (Linux): the process's, from the
    /// moment the run starts.
    pub peak_rss_bytes: Option<u64>,
    /// Pages the run touched for the first time (minor page faults, Linux): each is a page the
    /// kernel zeroes, which on a virtual machine may cost microseconds, and a round that reuses
    /// what an earlier one faulted in pays fewer.
    pub page_faults: Option<u64>,
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
    let faults_before = minor_faults();
    let started = Instant::now();
    let out = migsim_sim::run(&scenario, RecordOptions::default(), &mut |_| {});
    let wall_s = started.elapsed().as_secs_f64();
    let peak_rss_bytes = peak_rss();
    let page_faults = minor_faults()
        .zip(faults_before)
        .map(|(after, before)| after.saturating_sub(before));
    Ok(Measured {
        shape,
        wall_s,
        events: out.metrics.events,
        peak_rss_bytes,
        page_faults,
        engine_events_per_s: hold_rate(),
        oom_kills: out.metrics.oom_kills,
        migrations: out.record.migrations.len(),
        memory_load: out.metrics.mean_memory_utilization,
    })
}

/// One shape measured `runs.len()` times, as one: the run of median wall time, beside the
/// median of the engine's rates and the spread of the walls. On a shared machine a single run
/// may be slowed by whatever else runs; the median of interleaved rounds much less so.
pub fn median(mut runs: Vec<Measured>) -> Option<(Measured, Spread)> {
    let spread = Spread {
        min_s: runs.iter().map(|m| m.wall_s).fold(f64::INFINITY, f64::min),
        max_s: runs.iter().map(|m| m.wall_s).fold(0.0, f64::max),
        runs: runs.len(),
    };
    let mut rates: Vec<f64> = runs.iter().map(|m| m.engine_events_per_s).collect();
    rates.sort_by(f64::total_cmp);
    runs.sort_by(|a, b| a.wall_s.total_cmp(&b.wall_s));
    let mid = runs.len().checked_sub(1)? / 2;
    let mut m = runs.swap_remove(mid);
    m.engine_events_per_s = rates[mid];
    Some((m, spread))
}

/// The fastest and slowest of a shape's runs.
#[derive(Clone, Copy, Debug)]
pub struct Spread {
    pub min_s: f64,
    pub max_s: f64,
    pub runs: usize,
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

/// The process's minor page faults so far: the tenth field of /proc/self/stat, the seventh
/// after the command name (which may hold spaces, so it is skipped by its closing parenthesis).
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(7)?.parse().ok()
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

    /// Touching 64 MiB of fresh memory faults in at least one page per 8 KiB of it.
    #[test]
    fn fresh_pages_are_counted_as_faults() {
        let before = minor_faults().expect("Linux counts faults");
        let mut fresh = vec![0u8; 64 << 20];
        for page in fresh.chunks_mut(4096) {
            page[0] = 1;
        }
        let after = minor_faults().unwrap();
        assert!(after - before >= (64 << 20) / 8192, "{before} -> {after}");
        assert_eq!(fresh.iter().map(|&b| usize::from(b)).sum::<usize>(), 16384);
    }

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

    fn measured(wall_s: f64, engine: f64) -> Measured {
        Measured {
            shape: Shape::production(1, false),
            wall_s,
            events: 10,
            peak_rss_bytes: None,
            page_faults: None,
            engine_events_per_s: engine,
            oom_kills: 0,
            migrations: 0,
            memory_load: 0.4,
        }
    }

    /// The median run stands for the shape (the lower middle of an even count), with the
    /// median engine rate, whichever run that came from, and the spread of all of them.
    #[test]
    fn the_median_run_stands_for_the_shape() {
        let runs = vec![
            measured(3.0, 10.0),
            measured(1.0, 30.0),
            measured(2.0, 20.0),
            measured(9.0, 5.0),
        ];
        let (m, spread) = median(runs).unwrap();
        assert_eq!((m.wall_s, m.engine_events_per_s), (2.0, 10.0));
        assert_eq!((spread.min_s, spread.max_s, spread.runs), (1.0, 9.0, 4));
        let (m, _) = median(vec![measured(4.0, 1.0)]).unwrap();
        assert_eq!(m.wall_s, 4.0);
        assert!(median(Vec::new()).is_none());
    }
}
