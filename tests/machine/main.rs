//! The tests that need something of this machine (root, criu and its kernel features,
//! Python, Slurm): each is run where it can be and reported as ignored, with the reason, where it
//! cannot; under its REQUIRE variable it fails instead.

mod calibrate;
#[path = "../common/mod.rs"]
mod common;
#[cfg(feature = "kubernetes")]
mod kubernetes;
mod live;
mod notebook;
mod slurm;

fn main() -> std::process::ExitCode {
    let mut trials = live::trials();
    trials.extend(calibrate::trials());
    trials.extend(notebook::trials());
    trials.extend(slurm::trials());
    #[cfg(feature = "kubernetes")]
    trials.extend(kubernetes::trials());
    common::needs::run(trials)
}
