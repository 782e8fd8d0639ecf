use std::io::IsTerminal;
use std::path::PathBuf;

use migsim::live::{self, local::session::DEFAULT_STATE, LiveOptions};
use migsim::units::human_duration;

use crate::cli::{summary, CliError, OutArgs, ScenarioArgs};

#[derive(Clone, Copy, clap::ValueEnum)]
enum BackendKind {
    /// This machine: nodes are memory cgroups in network namespaces, jobs real processes,
    /// migrations real criu dumps and restores (needs root and criu 4).
    Local,
    /// A Kubernetes API (`migsim cluster up` makes one here): jobs are pods bound by migsim's
    /// scheduler, run by migsim node agents; migrations are Migration objects.
    #[cfg(feature = "kubernetes")]
    Kubernetes,
}

#[derive(clap::Args)]
pub struct LiveArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    #[arg(long, value_enum, default_value = "local")]
    backend: BackendKind,
    /// Also holds the run's journal.
    #[command(flatten)]
    out: OutArgs,
    /// Simulated seconds per real second: jobs do their work this much faster.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Real bytes per scenario byte (default: 1, or less when the nodes would not fit in half
    /// of this machine's available memory).
    #[arg(long)]
    memory_scale: Option<f64>,
    /// Carry on the run in --out after its adapter was stopped (killed, crashed): what was in
    /// flight is finished or rolled back from the journal, and the jobs still running are
    /// taken over.
    #[arg(long)]
    resume: bool,
    /// Write the tables gzipped (NAME.csv.gz); `plot` and `compare` read them as they are.
    #[arg(long)]
    compress: bool,
    /// Where sessions are recorded, so that a later start can clean up after a crash.
    #[arg(long, default_value = DEFAULT_STATE)]
    state: PathBuf,
    /// The criu binary (default: `criu` on the PATH).
    #[arg(long)]
    criu: Option<PathBuf>,
    /// --backend kubernetes: the cluster's kubeconfig (default: $KUBECONFIG, else
    /// ~/.kube/config).
    #[cfg(feature = "kubernetes")]
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// --backend kubernetes: the namespace the run's pods and Migrations go in.
    #[cfg(feature = "kubernetes")]
    #[arg(long, default_value = "migsim")]
    namespace: String,
    /// --backend kubernetes: read memory from this Prometheus (http://HOST:PORT), which
    /// scrapes the agents' /metrics/resource (`cluster up` writes DIR/prometheus.yml for it),
    /// instead of from the agents.
    #[cfg(feature = "kubernetes")]
    #[arg(long)]
    prometheus: Option<String>,
    /// No progress line and no summary.
    #[arg(long, short)]
    quiet: bool,
}

pub fn live(args: LiveArgs) -> Result<(), CliError> {
    if !(args.speed > 0.0 && args.speed.is_finite()) {
        return Err(CliError::Input(format!(
            "--speed {}: must be a positive number",
            args.speed
        )));
    }
    let scenario = args.scenario.load()?;
    let out = args
        .out
        .or_default(&scenario.name(), scenario.variant.as_deref(), Some("live"));
    let options = LiveOptions {
        out: out.clone(),
        speed: args.speed,
        memory_scale: args.memory_scale,
        state: args.state.clone(),
        criu: args.criu.clone(),
        resume: args.resume,
        compress: args.compress,
    };
    let stop = crate::cli::interrupt::flag(
        "stopping: waiting for migrations under way, then removing every node and job",
        "stop it with SIGTERM; a later start removes what it leaves",
    );
    let end = scenario.spec.simulation.end.map(|e| e.value);
    // A status line on a terminal only, a few times a second.
    let show = !args.quiet && std::io::stderr().is_terminal();
    let mut shown = -1.0;
    let mut on_tick = |now: f64| {
        if show && now - shown >= 0.25 {
            shown = now;
            let of = end.map_or(String::new(), |e| format!(" of {}", human_duration(e)));
            eprint!("\rlive  {}{of}   ", human_duration(now));
        }
    };
    let run = match args.backend {
        BackendKind::Local => live::run_local(&scenario, &options, &stop, &mut on_tick),
        #[cfg(feature = "kubernetes")]
        BackendKind::Kubernetes => {
            let kube = live::KubeOptions {
                kubeconfig: args.kubeconfig.clone(),
                namespace: args.namespace.clone(),
                prometheus: args.prometheus.clone(),
            };
            live::run_kubernetes(&scenario, &options, &kube, &stop, &mut on_tick)
        }
    }
    .map_err(CliError::Failed)?;
    if show {
        eprintln!();
    }
    if !args.quiet {
        for n in &run.info.notes {
            println!("note       {n}");
        }
        let i = &run.info;
        let header = format!(
            "{} live on {} (criu {}, kernel {}, cgroup {:?}), speed {}x, memory x{}",
            scenario.name(),
            i.backend,
            i.criu,
            i.kernel,
            i.cgroup,
            i.speed,
            i.memory_scale
        );
        let controller = scenario.spec.controller.is_some();
        summary::print(&header, &run.output, controller, &out);
    }
    if run.info.interrupted {
        return Err(CliError::Interrupted(format!(
            "interrupted: the results so far are in {}; every node and job was removed",
            out.display()
        )));
    }
    Ok(())
}
