#![allow(dead_code)] // each test file uses its own subset

pub mod needs;

use std::path::Path;

use migsim::scenario::{load_str, Override};
use migsim::{RecordOptions, RunOutput, Scenario};

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
    migsim::run(s, options, &mut |_| {})
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

/// Real criu, where it can run here (found, and we are root).
pub fn criu() -> Result<migsim::criu::Criu, String> {
    migsim::criu::Criu::locate(None).and_then(|c| migsim::criu::support::require_root().map(|()| c))
}

/// Tests that run real criu: skipped where it cannot run, failed instead with
/// MIGSIM_REQUIRE_CRIU set.
pub fn needs_criu() -> needs::Needs {
    needs::Needs::check(criu().map(drop), "MIGSIM_REQUIRE_CRIU")
}
