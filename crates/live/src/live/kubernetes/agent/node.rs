//! The agent's Node and Lease, as a kubelet keeps them: the Node registered with the
//! scenario node's capacity (real bytes, so `kubectl` shows what the cgroup allows) and a
//! Ready condition, its heartbeat renewed; the Lease in `kube-node-lease` renewed every 10 s.

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Node;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::Client;
use serde_json::json;

use crate::live::kubernetes::api::{
    ANNOTATION_CRIU, ANNOTATION_METRICS, ANNOTATION_SCALE, LABEL_AGENT,
};
use crate::live::kubernetes::cluster::{NodeRecord, KUBE_VERSION};
use crate::live::local::netns::Network;

pub const LEASE_NAMESPACE: &str = "kube-node-lease";
const LEASE_SECONDS: i32 = 40;

/// Creates the Node (or takes over the one a previous run of this agent made) and marks it
/// Ready.
pub async fn register(
    client: &Client,
    node: &NodeRecord,
    scale: f64,
    criu: &str,
) -> Result<(), String> {
    let nodes: Api<Node> = Api::all(client.clone());
    let object: Node = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {
            "name": node.name,
            "labels": {
                LABEL_AGENT: "true",
                "kubernetes.io/hostname": node.name,
                "kubernetes.io/os": "linux",
            },
            "annotations": {
                ANNOTATION_SCALE: scale.to_string(),
                ANNOTATION_METRICS: format!("127.0.0.1:{}", node.metrics_port),
                ANNOTATION_CRIU: criu,
            },
        },
    }))
    .map_err(|e| e.to_string())?;
    match nodes.create(&PostParams::default(), &object).await {
        Ok(_) => {}
        Err(kube::Error::Api(e)) if e.code == 409 => {}
        Err(e) => {
            return Err(format!(
                "cannot register node {}: {e}",
                node.name,
                e = crate::live::kubernetes::api::say(&e)
            ))
        }
    }
    patch_status(&nodes, node, scale).await
}

/// The Node's status: capacity, addresses, where its metrics are, and Ready now.
pub async fn patch_status(nodes: &Api<Node>, node: &NodeRecord, scale: f64) -> Result<(), String> {
    let now = Timestamp::now().to_string();
    let memory = format!("{}", (node.memory * scale) as u64);
    let cpu = format!("{}m", (node.cpu * 1000.0).round() as u64);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let status = json!({"status": {
        "capacity": {"memory": memory, "cpu": cpu, "pods": "110"},
        "allocatable": {"memory": memory, "cpu": cpu, "pods": "110"},
        "conditions": [{
            "type": "Ready", "status": "True", "reason": "KubeletReady",
            "message": "migsim node agent is posting ready status",
            "lastHeartbeatTime": now, "lastTransitionTime": now,
        }],
        "addresses": [
            {"type": "InternalIP", "address": Network::address(node.index)},
            {"type": "Hostname", "address": node.name},
        ],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": node.metrics_port}},
        "nodeInfo": {
            "machineID": "", "systemUUID": "", "bootID": "",
            "kernelVersion": kernel.trim(), "osImage": "migsim local node",
            "containerRuntimeVersion": "migsim://memhog",
            "kubeletVersion": format!("v{KUBE_VERSION}-migsim"), "kubeProxyVersion": "",
            "operatingSystem": "linux", "architecture": std::env::consts::ARCH,
        },
    }});
    nodes
        .patch_status(
            &node.name,
            &PatchParams::default(),
            &Patch::Strategic(&status),
        )
        .await
        .map(drop)
        .map_err(|e| {
            format!(
                "cannot update the status of node {}: {e}",
                node.name,
                e = crate::live::kubernetes::api::say(&e)
            )
        })
}

/// Renews (or creates) the node's Lease.
pub async fn renew_lease(client: &Client, name: &str) -> Result<(), String> {
    let leases: Api<Lease> = Api::namespaced(client.clone(), LEASE_NAMESPACE);
    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": name, "namespace": LEASE_NAMESPACE},
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": LEASE_SECONDS,
            "renewTime": MicroTime(Timestamp::now()),
        },
    });
    leases
        .patch(
            name,
            &PatchParams::apply("migsim-node").force(),
            &Patch::Apply(&lease),
        )
        .await
        .map(drop)
        .map_err(|e| {
            format!(
                "cannot renew the lease of node {name}: {e}",
                e = crate::live::kubernetes::api::say(&e)
            )
        })
}
