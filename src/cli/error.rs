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
    /// Input the user gave is wrong; the message names the file, line and field.
    Input(String),
    /// Something outside the input went wrong (a missing program, a failed measurement).
    Failed(String),
    /// Ctrl-C stopped it; what finished is kept.
    Interrupted(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Scenario(_) => 2,
            CliError::Input(_) => 2,
            CliError::Write { .. } | CliError::Failed(_) => 1,
            CliError::Interrupted(_) => 130,
        }
    }
}

impl From<migsim::migration::calibration::InputError> for CliError {
    fn from(e: migsim::migration::calibration::InputError) -> Self {
        CliError::Input(e.to_string())
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
            CliError::Input(m) | CliError::Failed(m) | CliError::Interrupted(m) => f.write_str(m),
        }
    }
}
