use crate::cli::CliError;
#[derive(clap::Args)]
pub struct PlotArgs {}
pub fn plot(_: PlotArgs) -> Result<(), CliError> {
    todo!()
}
