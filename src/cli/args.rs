//! Options several commands share, each declared once.

use std::path::PathBuf;

use migsim::scenario::Override;

use crate::cli::CliError;

/// `--set`, for every command that loads a scenario.
#[derive(clap::Args)]
pub struct SetArgs {
    /// Override any scenario value, e.g. `--set scheduler.placement=best-fit` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = Override::parse)]
    pub sets: Vec<Override>,
}

/// Options every command that runs one scenario takes.
#[derive(clap::Args)]
pub struct ScenarioArgs {
    /// The scenario file (TOML).
    pub file: PathBuf,
    /// Override the scenario's seed (TOML integers stop at 2^63 - 1, and so do seeds).
    #[arg(long, value_parser = clap::value_parser!(u64).range(0..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Apply the scenario's `[variants.NAME]` table.
    #[arg(long)]
    variant: Option<String>,
    #[command(flatten)]
    set: SetArgs,
}

impl ScenarioArgs {
    pub fn load(&self) -> Result<migsim::Scenario, CliError> {
        let mut sets = self.set.sets.clone();
        if let Some(seed) = self.seed {
            sets.push(
                Override::parse(&format!("simulation.seed={seed}")).expect("a valid override"),
            );
        }
        Ok(migsim::scenario::load_variant(
            &self.file,
            self.variant.as_deref(),
            &sets,
        )?)
    }
}

/// `--out`, for every command that writes a results folder.
#[derive(clap::Args)]
pub struct OutArgs {
    /// The results folder (default: results/<scenario>[-<variant>], with -live or -sweep
    /// after it for those commands).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl OutArgs {
    /// As given, or `results/<scenario>[-<variant>][-<kind>]`, so that two variants or two
    /// kinds of run never share a folder.
    pub fn or_default(&self, scenario: &str, variant: Option<&str>, kind: Option<&str>) -> PathBuf {
        self.out.clone().unwrap_or_else(|| {
            let name = [Some(scenario), variant, kind]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("-");
            PathBuf::from("results").join(name)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_folders_keep_variants_and_kinds_apart() {
        let none = OutArgs { out: None };
        let folder = |v, k| none.or_default("s", v, k);
        assert_eq!(folder(None, None), PathBuf::from("results/s"));
        assert_eq!(folder(Some("a"), None), PathBuf::from("results/s-a"));
        assert_eq!(
            folder(Some("a"), Some("live")),
            PathBuf::from("results/s-a-live")
        );
        assert_ne!(
            folder(Some("a"), Some("live")),
            folder(Some("b"), Some("live"))
        );
        let given = OutArgs {
            out: Some("x".into()),
        };
        assert_eq!(given.or_default("s", Some("a"), None), PathBuf::from("x"));
    }
}
