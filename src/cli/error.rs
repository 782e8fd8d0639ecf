use std::fmt;
use std::path::PathBuf;

use migsim::ScenarioError;

/// Why a command failed, and the exit code that says so: 2 for bad input, 1 for the rest.
pub enum CliError {
    Scenario(ScenarioError),
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_) => 2,
            CliError::Write { .. } => 1,
        }
    }
}

impl From<ScenarioError> for CliError {
    fn from(e: ScenarioError) -> Self {
        CliError::Scenario(e)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Scenario(e) => e.fmt(f),
            CliError::Write { path, source } => {
                write!(f, "cannot write results to {}: {source}", path.display())
            }
        }
    }
}
