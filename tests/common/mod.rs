#![allow(dead_code)] // each test file uses its own subset

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
        },
    )
}

/// Whether real criu can run here (found, and we are root). Where it cannot, the test says
/// why and passes, unless MIGSIM_REQUIRE_CRIU is set.
pub fn criu_here() -> Option<migsim::criu::Criu> {
    let found = migsim::criu::Criu::locate(None)
        .and_then(|c| migsim::criu::support::require_root().map(|()| c));
    match found {
        Ok(c) => Some(c),
        Err(why) if std::env::var_os("MIGSIM_REQUIRE_CRIU").is_some() => {
            panic!("MIGSIM_REQUIRE_CRIU is set, but: {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}
