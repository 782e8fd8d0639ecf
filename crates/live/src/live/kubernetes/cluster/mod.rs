//! `migsim cluster up` and `down`: a Kubernetes control plane on loopback (etcd and a real
//! kube-apiserver, TLS, RBAC, the Migration CRD) with one `migsim node` agent per scenario
//! node, the nodes being the local backend's memory cgroups and network namespaces. Everything
//! started is written down in `DIR/cluster.json` as it is started, so `down`, or an `up` on a
//! DIR a crash left, stops exactly that.

mod control_plane;
mod manifests;
mod process;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use serde::{Deserialize, Serialize};

use crate::live::kubernetes::api::{self, LABEL_AGENT};
use crate::live::kubernetes::pki::{Identity, Pki};
use crate::live::local::session::{self, Owner, Session};
use crate::live::local::{self, netns::Network};
use crate::scenario::Scenario;

pub use control_plane::{kube_bin_dir, require_etcd, KUBE_VERSION};
pub use manifests::NAMESPACE;
use process::Daemon;

pub const RECORD: &str = "cluster.json";
pub const PROMETHEUS_CONFIG: &str = "prometheus.yml";

/// How to bring a cluster up.
#[derive(Clone, Debug)]
pub struct UpOptions {
    pub state: PathBuf,
    /// Real bytes per scenario byte; None as for `migsim live`.
    pub memory_scale: Option<f64>,
    pub criu: Option<PathBuf>,
}

/// What a cluster is made of, on disk as `DIR/cluster.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClusterRecord {
    pub scenario: String,
    pub kube_version: String,
    pub ports: control_plane::Ports,
    pub memory_scale: f64,
    /// The nodes' cgroups and namespaces, and the jobs' working folders.
    pub session: Session,
    pub memhog: PathBuf,
    pub criu: PathBuf,
    pub nodes: Vec<NodeRecord>,
    /// Started so far, in order.
    pub daemons: Vec<Daemon>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeRecord {
    pub name: String,
    pub index: usize,
    /// Scenario bytes.
    pub memory: f64,
    pub cpu: f64,
    /// Where the agent serves `/metrics/resource`, on 127.0.0.1.
    pub metrics_port: u16,
}

impl ClusterRecord {
    pub fn load(dir: &Path) -> Result<ClusterRecord, String> {
        let path = dir.join(RECORD);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!("cannot read {}: {e}; is a cluster up there (migsim cluster up SCENARIO --state {})?", path.display(), dir.display())
        })?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn save(&self, dir: &Path) -> Result<(), String> {
        crate::output::write_atomic(&dir.join(RECORD), &|w| {
            serde_json::to_writer_pretty(&mut *w, self).map_err(std::io::Error::other)
        })
        .map_err(|e| format!("cannot write {}: {e}", dir.join(RECORD).display()))
    }

    pub fn server(&self) -> String {
        format!("https://127.0.0.1:{}", self.ports.apiserver)
    }

    pub fn node(&self, name: &str) -> Option<&NodeRecord> {
        self.nodes.iter().find(|n| n.name == name)
    }
}

/// Where things are in a cluster's folder.
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn pki(&self) -> Pki {
        Pki {
            dir: self.dir.join("pki"),
        }
    }
    pub fn logs(&self) -> PathBuf {
        self.dir.join("logs")
    }
    /// The admin's kubeconfig, the one users export.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }
    pub fn backend_kubeconfig(&self) -> PathBuf {
        self.dir.join("backend.kubeconfig")
    }
    pub fn node_kubeconfig(&self, node: &str) -> PathBuf {
        self.dir.join("nodes").join(format!("{node}.kubeconfig"))
    }
}

/// Brings the cluster up and returns once every node is Ready.
pub fn up(
    scenario: &Scenario,
    opts: &UpOptions,
    say: &mut dyn FnMut(&str),
) -> Result<ClusterRecord, String> {
    let spec = &scenario.spec;
    let ready = local::preflight::check(opts.criu.as_deref(), spec.migration.mechanism, false)?;
    control_plane::require_etcd()?;
    let bin = kube_bin_dir();
    if !bin.join("kube-apiserver").exists() {
        control_plane::build_kube(say)?;
    }
    let layout = Layout {
        dir: opts.state.clone(),
    };
    if layout.dir.join(RECORD).exists() {
        down(&layout.dir)?;
        say(&format!(
            "cleaned up the cluster left in {}",
            layout.dir.display()
        ));
    }
    std::fs::create_dir_all(layout.dir.join("nodes"))
        .map_err(|e| format!("cannot create {}: {e}", layout.dir.display()))?;
    let dir = std::fs::canonicalize(&layout.dir).map_err(|e| e.to_string())?;
    let layout = Layout { dir };
    let scale = crate::live::memory_scale(scenario, opts.memory_scale)?;
    let nodes = node_records(scenario)?;
    let id = session::new_id();
    let mut record = ClusterRecord {
        scenario: scenario.name(),
        kube_version: KUBE_VERSION.into(),
        ports: control_plane::Ports::pick()?,
        memory_scale: scale,
        session: Session {
            id: id.clone(),
            owner: Owner::me(),
            out: layout.dir.clone(),
            cgroup: local::cgroup::detect()?.child(&format!("migsim-k8s-{id}")),
            network: Network::named(&id, nodes.len()),
            work: layout.dir.join("work"),
        },
        memhog: ready.memhog,
        criu: ready.criu.path.clone(),
        nodes,
        daemons: Vec::new(),
    };
    record.save(&layout.dir)?;
    start(&mut record, &layout, &bin, say).inspect_err(|_| {
        let _ = down(&layout.dir);
    })?;
    Ok(record)
}

fn start(
    record: &mut ClusterRecord,
    layout: &Layout,
    bin: &Path,
    say: &mut dyn FnMut(&str),
) -> Result<(), String> {
    let capacities: Vec<f64> = record.nodes.iter().map(|n| n.memory).collect();
    local::build_nodes(&record.session, &capacities, record.memory_scale)?;
    let mut identities = vec![Identity::admin(), Identity::backend()];
    identities.extend(record.nodes.iter().map(|n| Identity::node(&n.name)));
    let pki = Pki::create(&layout.pki().dir, &identities)?;
    write_kubeconfigs(record, layout, &pki, &identities)?;
    write_prometheus_config(record, layout)?;

    start_etcd(record, layout)?;
    say(&format!(
        "etcd is up on 127.0.0.1:{}",
        record.ports.etcd_client
    ));
    let rt = runtime()?;
    rt.block_on(async {
        let client = start_apiserver(record, layout, bin).await?;
        say(&format!(
            "kube-apiserver v{KUBE_VERSION} is up on {}",
            record.server()
        ));
        manifests::apply(&client).await
    })?;
    for node in record.nodes.clone() {
        start_agent(record, layout, &node)?;
    }
    rt.block_on(wait_nodes_ready(record, layout))?;
    say(&format!("{} nodes are Ready", record.nodes.len()));
    Ok(())
}

/// `DIR/prometheus.yml`: a Prometheus that scrapes the agents as it would scrape kubelets, for
/// `live --prometheus` (migsim does not start one: a real cluster has its own).
fn write_prometheus_config(record: &ClusterRecord, layout: &Layout) -> Result<(), String> {
    let targets: Vec<String> = record
        .nodes
        .iter()
        .map(|n| format!("\"127.0.0.1:{}\"", n.metrics_port))
        .collect();
    let dir = layout.dir.display();
    let text = format!(
        "# Prometheus scraping this cluster's node agents, as it would scrape kubelets:
#   prometheus --config.file {dir}/{PROMETHEUS_CONFIG} --storage.tsdb.path {dir}/prometheus --web.listen-address 127.0.0.1:9090
#   migsim live SCENARIO --backend kubernetes --prometheus http://127.0.0.1:9090 --out DIR
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: migsim-agents
    metrics_path: /metrics/resource
    # Scrape times, not the agents' own: a series that stops (a pod gone) is then marked stale.
    honor_timestamps: false
    static_configs:
      - targets: [{}]
",
        targets.join(", ")
    );
    let path = layout.dir.join(PROMETHEUS_CONFIG);
    crate::output::write_atomic(&path, &|w| w.write_all(text.as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The cluster's parts, each started as `up` starts it; `restart` starts one again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Component {
    Etcd,
    ApiServer,
    /// A node's agent, by node name.
    Agent(String),
}

impl Component {
    /// `etcd`, `kube-apiserver`, or a node's name.
    pub fn parse(record: &ClusterRecord, name: &str) -> Result<Component, String> {
        match name {
            "etcd" => Ok(Component::Etcd),
            "kube-apiserver" => Ok(Component::ApiServer),
            node if record.node(node).is_some() => Ok(Component::Agent(node.to_string())),
            other => {
                let nodes: Vec<&str> = record.nodes.iter().map(|n| n.name.as_str()).collect();
                Err(format!(
                    "{other:?} is not a part of this cluster: etcd, kube-apiserver or a node ({})",
                    nodes.join(", ")
                ))
            }
        }
    }

    fn role(&self) -> String {
        match self {
            Component::Etcd => "etcd".into(),
            Component::ApiServer => "kube-apiserver".into(),
            Component::Agent(node) => format!("node {node}"),
        }
    }
}

/// Stops one part of the cluster in `dir` (SIGTERM, then SIGKILL after a grace; one that died is
/// left as it is) and starts it again as `up` did, for operators and for the fault tests: the
/// backend and the agents reconnect to a restarted API server, and a restarted agent takes
/// over its pods and finishes or rolls back the moves it was carrying out.
pub fn restart(dir: &Path, name: &str, say: &mut dyn FnMut(&str)) -> Result<(), String> {
    let mut record = ClusterRecord::load(dir)?;
    let layout = Layout {
        dir: dir.to_path_buf(),
    };
    let component = Component::parse(&record, name)?;
    let role = component.role();
    if let Some(d) = record.daemons.iter().find(|d| d.role == role) {
        d.stop(grace(d));
    }
    match &component {
        Component::Etcd => start_etcd(&mut record, &layout)?,
        Component::ApiServer => {
            runtime()?.block_on(start_apiserver(&mut record, &layout, &kube_bin_dir()))?;
        }
        Component::Agent(node) => {
            let node = record.node(node).cloned().expect("parsed");
            let agent = start_agent(&mut record, &layout, &node)?;
            control_plane::wait_listening(node.metrics_port, Duration::from_secs(30), || {
                agent.alive()
            })
            .map_err(|why| failed(&agent, &layout.logs(), why))?;
        }
    }
    say(&format!("{role} is up again"));
    Ok(())
}

/// How long a daemon is given to stop after SIGTERM. kube-apiserver 1.34 stops serving at
/// once (its log says so within milliseconds) but then lingers until killed: waiting the
/// full grace for it would add ten seconds to every restart and `down`.
fn grace(d: &Daemon) -> Duration {
    match d.role.as_str() {
        "kube-apiserver" => Duration::from_secs(2),
        _ => Duration::from_secs(10),
    }
}

fn start_etcd(record: &mut ClusterRecord, layout: &Layout) -> Result<(), String> {
    let etcd = spawn(
        record,
        layout,
        "etcd",
        &mut control_plane::etcd(&layout.dir.join("etcd"), record.ports),
        None,
    )?;
    control_plane::wait_listening(record.ports.etcd_client, Duration::from_secs(30), || {
        etcd.alive()
    })
    .map_err(|why| failed(&etcd, &layout.logs(), why))
}

/// Returns the admin's client once the API server is ready.
async fn start_apiserver(
    record: &mut ClusterRecord,
    layout: &Layout,
    bin: &Path,
) -> Result<kube::Client, String> {
    let logs = layout.logs();
    let apiserver = spawn(
        record,
        layout,
        "kube-apiserver",
        &mut control_plane::apiserver(bin, &layout.pki(), record.ports),
        None,
    )?;
    control_plane::wait_listening(record.ports.apiserver, Duration::from_secs(60), || {
        apiserver.alive()
    })
    .map_err(|why| failed(&apiserver, &logs, why))?;
    let client = api::client(&layout.kubeconfig()).await?;
    control_plane::wait_ready(&client, Duration::from_secs(60), || apiserver.alive())
        .await
        .map_err(|why| failed(&apiserver, &logs, why))?;
    Ok(client)
}

/// A node's agent, in a cgroup of its own: the memory of the jobs it runs is its node's, not
/// its own.
fn start_agent(
    record: &mut ClusterRecord,
    layout: &Layout,
    node: &NodeRecord,
) -> Result<Daemon, String> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find migsim itself: {e}"))?;
    let cgroup = record
        .session
        .cgroup
        .child(&format!("agent-{}", node.index));
    cgroup.create().map_err(|e| e.to_string())?;
    let procs = cgroup.procs_file().map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&exe);
    cmd.arg("node")
        .arg("--cluster")
        .arg(&layout.dir)
        .arg("--node")
        .arg(&node.name);
    spawn(
        record,
        layout,
        &format!("node {}", node.name),
        &mut cmd,
        Some(procs),
    )
}

/// Starts a daemon and records it in place of the one of its role it follows.
fn spawn(
    record: &mut ClusterRecord,
    layout: &Layout,
    role: &str,
    cmd: &mut Command,
    cgroup: Option<std::fs::File>,
) -> Result<Daemon, String> {
    let daemon = Daemon::spawn(role, cmd, &layout.logs(), cgroup)?;
    match record.daemons.iter_mut().find(|d| d.role == role) {
        Some(d) => *d = daemon.clone(),
        None => record.daemons.push(daemon.clone()),
    }
    record.save(&layout.dir)?;
    Ok(daemon)
}

fn failed(daemon: &Daemon, logs: &Path, why: &str) -> String {
    format!(
        "{} {why}; the end of {}:\n{}",
        daemon.role,
        process::log_file(logs, &daemon.role).display(),
        daemon.log_tail(logs, 15)
    )
}

pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// The scenario's nodes, each with a port for its agent's metrics.
fn node_records(scenario: &Scenario) -> Result<Vec<NodeRecord>, String> {
    let mut nodes = Vec::new();
    for group in &scenario.spec.nodes {
        for name in group.node_names() {
            nodes.push(NodeRecord {
                index: nodes.len(),
                name,
                memory: group.memory.value,
                cpu: group.cpu,
                metrics_port: control_plane::free_port()?,
            });
        }
    }
    Ok(nodes)
}

fn write_kubeconfigs(
    record: &ClusterRecord,
    layout: &Layout,
    pki: &Pki,
    identities: &[Identity],
) -> Result<(), String> {
    let server = record.server();
    for id in identities {
        let path = match id.file.strip_prefix("node-") {
            Some(node) => layout.node_kubeconfig(node),
            None if id.file == "backend" => layout.backend_kubeconfig(),
            None => layout.kubeconfig(),
        };
        let pair = pki.pair(&id.file);
        let text = api::kubeconfig_text(&server, &pki.ca(), &pair.cert, &pair.key, &id.user);
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Waits until every scenario node's agent has registered its Node as Ready.
async fn wait_nodes_ready(record: &ClusterRecord, layout: &Layout) -> Result<(), String> {
    let client = api::client(&layout.kubeconfig()).await?;
    let nodes: Api<Node> = Api::all(client);
    let logs = layout.logs();
    for _ in 0..600 {
        let listed = nodes
            .list(&ListParams::default().labels(&format!("{LABEL_AGENT}=true")))
            .await
            .map_err(|e| format!("cannot list nodes: {e}"))?;
        let ready = listed.items.iter().filter(|n| is_ready(n)).count();
        if ready == record.nodes.len() {
            return Ok(());
        }
        if let Some(dead) = record
            .daemons
            .iter()
            .find(|d| d.role.starts_with("node ") && !d.alive())
        {
            return Err(failed(dead, &logs, "exited"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("the node agents did not all report Ready within 60 s".into())
}

pub fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Stops every recorded process (agents first, etcd last), then removes the nodes' cgroups,
/// namespaces and the jobs' images, and the cluster's folder. A folder with no record is left
/// alone.
pub fn down(dir: &Path) -> Result<(), String> {
    let record = ClusterRecord::load(dir)?;
    for d in record.daemons.iter().rev() {
        d.stop(grace(d));
    }
    record
        .session
        .remove(&dir.join("nodes"))
        .map_err(|e| format!("cannot remove the nodes of {}: {e}", dir.display()))?;
    for entry in [
        "pki",
        "etcd",
        "logs",
        "nodes",
        "work",
        "kubeconfig",
        "backend.kubeconfig",
        PROMETHEUS_CONFIG,
        "prometheus",
        RECORD,
    ] {
        let path = dir.join(entry);
        let gone = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match gone {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(format!("cannot remove {}: {e}", path.display()))
            }
            _ => {}
        }
    }
    let _ = std::fs::remove_dir(dir);
    Ok(())
}
