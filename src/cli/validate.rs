use migsim::units::human_bytes;

use crate::cli::{CliError, ScenarioArgs};

#[derive(clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
}

pub fn validate(args: ValidateArgs) -> Result<(), CliError> {
    let scenario = args.scenario.load()?;
    let spec = &scenario.spec;
    let nodes: u32 = spec.nodes.iter().map(|g| g.count).sum();
    let memory: f64 = spec
        .nodes
        .iter()
        .map(|g| g.count as f64 * g.memory.value)
        .sum();
    let end = spec
        .simulation
        .end
        .map_or("runs until every job ends".to_string(), |e| {
            format!("ends at {}", migsim::units::human_duration(e.value))
        });
    let controller = spec
        .controller
        .as_ref()
        .map_or("no migration".to_string(), |c| {
            format!(
                "{} migration by a {}/{}/{} controller",
                spec.migration.mechanism.as_str(),
                c.request.name(),
                c.selection.name(),
                c.pacing.name()
            )
        });
    println!(
        "ok: {}: {} nodes ({}), {} jobs, {} {} scheduler, {}, {}",
        scenario.file.display(),
        nodes,
        human_bytes(memory),
        scenario.jobs.len(),
        serde_name(&spec.scheduler.kind),
        serde_name(&spec.scheduler.placement),
        controller,
        end
    );
    // The grid is checked too, so that a sweep fails here rather than after its first runs.
    let text = migsim::scenario::read_text(&scenario.file)?;
    if let Some(sweep) = migsim::scenario::read_sweep(&text, &scenario.file)? {
        let axes: Vec<String> = sweep
            .axes
            .iter()
            .map(|a| format!("{} ({})", a.name, a.values.len()))
            .collect();
        let points = sweep.points().len();
        println!(
            "sweep: {points} grid points ({}) x {} seeds = {} runs",
            axes.join(" x "),
            sweep.seeds.len(),
            points * sweep.seeds.len()
        );
    }
    Ok(())
}

/// The name a value has in scenario files.
fn serde_name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
