//! migsim: a deterministic discrete-event simulator for clusters that run long-lived, stateful
//! jobs whose memory grows while they run. See `DESIGN.md` for the data flow; `src/` mirrors it:
//! `scenario` -> `workload` -> `model` + `policy` on the `engine`, driven by `sim`, recorded by
//! `record` and written by `output`; `sweep` runs grids of scenarios and aggregates them.

pub mod compare;
pub mod criu;
pub mod engine;
pub mod input;
pub mod keypath;
pub mod live;
pub mod migration;
pub mod model;
pub mod output;
#[cfg(feature = "plot")]
pub mod plot;
pub mod policy;
pub mod record;
pub mod scenario;
pub mod sim;
pub mod sweep;
pub mod tagged;
pub mod trace;
pub mod units;
pub mod workload;

use std::path::Path;

pub use scenario::{load, Scenario, ScenarioError};
pub use sim::{Progress, RecordOptions, RunOutput, Simulator};

/// Runs a loaded scenario to its end.
pub fn run(
    scenario: &Scenario,
    options: RecordOptions,
    progress: &mut dyn FnMut(Progress),
) -> RunOutput {
    Simulator::new(&scenario.spec, scenario.jobs.clone(), options).run(progress)
}

/// Runs a loaded scenario and writes its outputs into `out`.
pub fn run_to_dir(
    scenario: &Scenario,
    out: &Path,
    options: RecordOptions,
    progress: &mut dyn FnMut(Progress),
) -> std::io::Result<RunOutput> {
    let output = run(scenario, options, progress);
    output::write_run(out, scenario, &output)?;
    Ok(output)
}
