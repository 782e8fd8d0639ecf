//! `migsim cluster up|down|restart` and `migsim node`: a local Kubernetes control plane with migsim's
//! node agents.

use std::path::PathBuf;

use migsim::live::kubernetes::{agent, cluster};

use crate::cli::{CliError, ScenarioArgs};

#[derive(clap::Subcommand)]
pub enum ClusterCommand {
    /// Start etcd, kube-apiserver (TLS, RBAC, the Migration CRD) and one `migsim node` agent
    /// per scenario node, on 127.0.0.1; returns once every node is Ready.
    Up(UpArgs),
    /// Stop everything `up` started and remove its cgroups, namespaces, images and state.
    Down(DownArgs),
    /// Stop one part of the cluster and start it again: `etcd`, `kube-apiserver` or a node's
    /// agent (by node name). A run going on carries on: its backend and agents reconnect.
    Restart(RestartArgs),
}

#[derive(clap::Args)]
pub struct UpArgs {
    #[command(flatten)]
    scenario: ScenarioArgs,
    /// The cluster's folder: certificates, kubeconfigs, etcd's data, logs, the record of what
    /// runs.
    #[arg(long)]
    state: PathBuf,
    /// Real bytes per scenario byte (default: 1, or less when the nodes would not fit in half
    /// of this machine's available memory).
    #[arg(long)]
    memory_scale: Option<f64>,
    /// The criu binary the agents migrate with (default: `criu` on the PATH).
    #[arg(long)]
    criu: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct DownArgs {
    /// The cluster's folder (`cluster up --state`).
    #[arg(long)]
    state: PathBuf,
}

#[derive(clap::Args)]
pub struct RestartArgs {
    /// The cluster's folder (`cluster up --state`).
    #[arg(long)]
    state: PathBuf,
    /// `etcd`, `kube-apiserver`, or the name of a node (its agent).
    component: String,
}

#[derive(clap::Args)]
pub struct NodeArgs {
    /// The folder of the cluster (`migsim cluster up --state`).
    #[arg(long)]
    cluster: PathBuf,
    /// The scenario node this agent is.
    #[arg(long)]
    node: String,
}

pub fn cluster(command: ClusterCommand) -> Result<(), CliError> {
    match command {
        ClusterCommand::Up(a) => up(a),
        ClusterCommand::Down(a) => cluster::down(&a.state).map_err(CliError::Failed),
        ClusterCommand::Restart(a) => {
            cluster::restart(&a.state, &a.component, &mut |line| eprintln!("{line}"))
                .map_err(CliError::Failed)
        }
    }
}

fn up(args: UpArgs) -> Result<(), CliError> {
    let scenario = args.scenario.load()?;
    let options = cluster::UpOptions {
        state: args.state.clone(),
        memory_scale: args.memory_scale,
        criu: args.criu,
    };
    let record = cluster::up(&scenario, &options, &mut |line| eprintln!("{line}"))
        .map_err(CliError::Failed)?;
    let dir = std::fs::canonicalize(&args.state).unwrap_or(args.state);
    println!(
        "cluster {} is up: {} nodes, kube-apiserver v{} at {}",
        record.scenario,
        record.nodes.len(),
        record.kube_version,
        record.server()
    );
    println!("export KUBECONFIG={}", dir.join("kubeconfig").display());
    Ok(())
}

pub fn node(args: NodeArgs) -> Result<(), CliError> {
    agent::run(&args.cluster, &args.node).map_err(CliError::Failed)
}
