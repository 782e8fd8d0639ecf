//! The simulator: a scenario run on the discrete-event engine, its control loop driven by
//! simulated time.

pub(crate) use migsim_core::{engine, migration, model, policy, record, workload};
pub(crate) use migsim_scenario::scenario;

pub mod sim;

use std::path::Path;

use migsim_scenario::{output, Scenario};
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
