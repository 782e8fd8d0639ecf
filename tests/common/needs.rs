//! Tests that need what a machine may lack (root, criu, a kernel feature, Python). Where it is
//! missing, such a test is reported as ignored, with the reason printed, never as passed; with
//! the requirement's REQUIRE variable set, it fails with the reason instead.

use std::process::ExitCode;

use libtest_mimic::{Arguments, Trial};

/// What a group of tests needs, and whether this machine has it.
#[derive(Clone, Debug)]
pub struct Needs {
    /// Why it is missing, and the variable that turns the miss into a failure.
    missing: Option<(String, Option<&'static str>)>,
}

impl Needs {
    /// Needs nothing.
    pub fn nothing() -> Self {
        Needs { missing: None }
    }

    /// Needs what `check` looks for; a miss fails the tests where `require` is set.
    pub fn check(check: Result<(), String>, require: &'static str) -> Self {
        Needs {
            missing: check.err().map(|why| (why, Some(require))),
        }
    }

    /// Also needs what `check` looks for; a miss fails the tests where `require` is set.
    pub fn and(self, check: impl FnOnce() -> Result<(), String>, require: &'static str) -> Self {
        if self.missing.is_some() {
            return self;
        }
        Needs::check(check(), require)
    }

    /// Also needs a kernel feature: where it lacks, the tests are skipped, required or not.
    pub fn and_feature(self, check: impl FnOnce() -> Result<(), String>) -> Self {
        if self.missing.is_some() {
            return self;
        }
        Needs {
            missing: check().err().map(|why| (why, None)),
        }
    }

    /// Each named test, as [`Needs::test`].
    pub fn tests(&self, tests: &[(&str, fn())]) -> Vec<Trial> {
        tests.iter().map(|&(name, f)| self.test(name, f)).collect()
    }

    /// The test `f`, run, failed or skipped by what is here.
    pub fn test(&self, name: &str, f: fn()) -> Trial {
        match &self.missing {
            None => Trial::test(name, move || {
                f();
                Ok(())
            }),
            Some((why, Some(var))) if std::env::var_os(var).is_some() => {
                let why = format!("{var} is set, but: {why}");
                Trial::test(name, move || Err(why.into()))
            }
            Some((why, _)) => {
                eprintln!("skipped {name}: {why}");
                Trial::test(name, || Ok(())).with_ignored_flag(true)
            }
        }
    }
}

/// Runs the trials as `cargo test` would, filters and flags included.
pub fn run(trials: Vec<Trial>) -> ExitCode {
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}
