//! Scenarios from TOML text and runs of them.

use std::path::Path;

use migsim_scenario::scenario::{load_str, Override};
use migsim_scenario::Scenario;
use migsim_sim::{RecordOptions, RunOutput};

pub const GIB: f64 = 1073741824.0;

pub fn scenario(toml: &str) -> Scenario {
    load_str(toml, Path::new("test.toml"), &[])
        .unwrap_or_else(|e| panic!("scenario rejected: {e}\n{toml}"))
}

pub fn scenario_with(toml: &str, sets: &[&str]) -> Scenario {
    let sets: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
    load_str(toml, Path::new("test.toml"), &sets)
        .unwrap_or_else(|e| panic!("scenario rejected: {e}"))
}

pub fn run(s: &Scenario, options: RecordOptions) -> RunOutput {
    migsim_sim::run(s, options, &mut |_| {})
}

pub fn run_str(toml: &str) -> RunOutput {
    run(
        &scenario(toml),
        RecordOptions {
            events: true,
            job_samples: true,
            ..Default::default()
        },
    )
}
