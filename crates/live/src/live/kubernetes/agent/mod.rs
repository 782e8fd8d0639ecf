//! `migsim node`: a kubelet for migsim jobs on one node of a `migsim cluster`. It registers
//! its Node and keeps its Lease, runs the pods bound to it (the pods' watch resumes on its own
//! after the API server restarts), and serves their memory as resource metrics.

mod metrics;
mod migrate;
mod node;
mod pods;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::runtime::{reflector, watcher, WatchStreamExt};

use crate::criu::Criu;
use crate::live::journal::{self, Entry, Journal};
use crate::live::kubernetes::api::{self, Migration};
use crate::live::kubernetes::cluster::{runtime, ClusterRecord, Layout};
use crate::live::kubernetes::retry::Reconnect;
use crate::live::local::{self, Ctx, CtxParts, Fault};
use crate::live::Clock;

pub use metrics::{parse as parse_metrics, Sample, PATH as METRICS_PATH};

/// How often pods are brought in line and the lease renewed.
const SYNC: Duration = Duration::from_millis(200);
const HEARTBEAT: Duration = Duration::from_secs(10);

/// The agent's own journal of the migration steps it takes, in `nodes/NAME/`, with what it
/// holds.
fn agent_journal(
    layout: &Layout,
    node: &str,
) -> Result<(Arc<std::sync::Mutex<Journal>>, Vec<Entry>), String> {
    let dir = layout.dir.join("nodes").join(node);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let (journal, entries) = if dir.join(journal::FILE).exists() {
        Journal::reopen(&dir)
    } else {
        Journal::create(&dir).map(|j| (j, Vec::new()))
    }
    .map_err(|e| e.to_string())?;
    Ok((Arc::new(std::sync::Mutex::new(journal)), entries))
}

/// The faults a test may have the agent inject into the moves it carries out (the
/// environment of `cluster up` is its own): those of the restore, which the target takes,
/// and its own death once a dump is journaled.
fn migration_fault() -> Result<Option<Fault>, String> {
    match Fault::from_env()? {
        f @ (None | Some(Fault::SmallTarget | Fault::RestoreImages | Fault::CrashAfterDump)) => {
            Ok(f)
        }
        Some(other) => Err(format!("MIGSIM_LIVE_FAULT: a node agent cannot inject {other:?} (small-target, restore-images, crash-after-dump)")),
    }
}

/// Runs the agent of `node` in the cluster kept in `dir` until it is killed.
pub fn run(dir: &Path, node: &str) -> Result<(), String> {
    let record = ClusterRecord::load(dir)?;
    let me = record
        .node(node)
        .cloned()
        .ok_or_else(|| format!("the cluster in {} has no node {node}", dir.display()))?;
    let layout = Layout {
        dir: dir.to_path_buf(),
    };
    let host_cgroup = local::node_cgroup(&record.session, me.index);
    let (journal, entries) = agent_journal(&layout, node)?;
    let criu = Criu::locate(Some(&record.criu))?;
    let criu_version = criu.version.clone();
    let ctx = Ctx::new(CtxParts {
        criu,
        // Real seconds since the Unix epoch: a Migration's status says how long the job was
        // frozen, for real, and a restarted agent's clock goes on from its predecessor's.
        clock: Clock {
            origin_unix_s: 0.0,
            speed: 1.0,
        },
        journal,
        scale: record.memory_scale,
        session: record.session.clone(),
        nodes: record.nodes.len(),
        memhog: record.memhog.clone(),
        workloads: Vec::new(),
        fault: migration_fault()?,
    });
    let runs = pods::Runs::default();
    metrics::serve(me.metrics_port, host_cgroup.clone(), Arc::clone(&runs))?;
    runtime()?.block_on(async {
        let client = api::client(&layout.node_kubeconfig(node)).await?;
        node::register(&client, &me, record.memory_scale, &criu_version).await?;
        let host = pods::Host {
            client: client.clone(),
            name: node.to_string(),
            index: me.index,
            memhog: record.memhog.clone(),
            work: record.session.work.clone(),
            netns: record.session.network.nodes[me.index].clone(),
            cgroup: host_cgroup,
            runs,
        };
        let pods: Api<Pod> = Api::all(client.clone());
        let (store, writer) = reflector::store();
        let config = watcher::Config::default().fields(&format!("spec.nodeName={node}"));
        let watch = reflector(writer, watcher(pods, config).backoff(Reconnect::default()))
            .for_each(|_| futures::future::ready(()));
        tokio::spawn(watch);
        let (moves, writer) = reflector::store();
        let watch = reflector(
            writer,
            watcher(Api::<Migration>::all(client.clone()), Default::default())
                .backoff(Reconnect::default()),
        )
        .for_each(|_| futures::future::ready(()));
        tokio::spawn(watch);
        let mut mover = migrate::Mover::new(
            node,
            (me.index, record.nodes.len()),
            record.memory_scale,
            client.clone(),
            ctx,
            &entries,
        );
        let nodes: Api<Node> = Api::all(client.clone());
        // The first pass beats at once: the Lease exists as soon as the Node does.
        let mut beat: Option<tokio::time::Instant> = None;
        loop {
            let (pods, migrations) = (store.state(), moves.state());
            mover.reconcile(&record, &migrations, &pods).await;
            host.reconcile(&pods, &migrations).await;
            if beat.is_none_or(|b| b.elapsed() >= HEARTBEAT) {
                // A missed beat (the API server restarting) is retried at the next.
                for r in [
                    node::renew_lease(&client, node).await,
                    node::patch_status(&nodes, &me, record.memory_scale).await,
                ] {
                    if let Err(e) = r {
                        eprintln!("{e}");
                    }
                }
                beat = Some(tokio::time::Instant::now());
            }
            tokio::time::sleep(SYNC).await;
        }
    })
}
