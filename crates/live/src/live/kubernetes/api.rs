//! What migsim keeps in the Kubernetes API: the `Migration` resource (`migrations.migsim.io`),
//! the labels and annotations that tie pods to scenario jobs, and clients made from
//! kubeconfig files.

use std::path::Path;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const GROUP: &str = "migsim.io";
/// The scheduler name pods ask for, so that only migsim's scheduler binds them.
pub const SCHEDULER: &str = "migsim";
/// On a Node: the agent runs there. On a pod: the scenario job it is.
pub const LABEL_AGENT: &str = "migsim.io/agent";
pub const LABEL_JOB: &str = "migsim.io/job";
/// On a pod or a Migration: the live run it belongs to.
pub const LABEL_RUN: &str = "migsim.io/run";
/// On a Migration: its number in the run (names its images and page-server port).
pub const LABEL_MIGRATION: &str = "migsim.io/migration";
/// On a pod: the workload to run (the `LiveWorkload` as JSON).
pub const ANNOTATION_WORKLOAD: &str = "migsim.io/workload";
/// On a Node: real bytes per scenario byte on this cluster.
pub const ANNOTATION_SCALE: &str = "migsim.io/memory-scale";
/// On a Node: `host:port` of its agent's resource metrics.
pub const ANNOTATION_METRICS: &str = "migsim.io/metrics-address";
/// The version of criu the node's agent migrates with.
pub const ANNOTATION_CRIU: &str = "migsim.io/criu";
/// On a pod created by a migration: the Migration it restores from.
pub const ANNOTATION_RESTORE: &str = "migsim.io/restore-from";
/// The one container of a migsim pod.
pub const CONTAINER: &str = "job";
pub const IMAGE: &str = "migsim.io/memhog:live";

/// A move of one job's pod from its node to another, carried out by the two nodes' agents.
#[derive(CustomResource, Clone, Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
#[kube(
    group = "migsim.io",
    version = "v1alpha1",
    kind = "Migration",
    namespaced,
    status = "MigrationStatus",
    shortname = "mig",
    printcolumn = r#"{"name":"Pod","type":"string","jsonPath":".spec.pod"}"#,
    printcolumn = r#"{"name":"Source","type":"string","jsonPath":".spec.source"}"#,
    printcolumn = r#"{"name":"Target","type":"string","jsonPath":".spec.target"}"#,
    printcolumn = r#"{"name":"Mechanism","type":"string","jsonPath":".spec.mechanism"}"#,
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Step","type":"string","jsonPath":".status.step"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct MigrationSpec {
    /// The pod that moves (on `source`).
    pub pod: String,
    pub source: String,
    pub target: String,
    /// restart, stop-and-copy or post-copy.
    pub mechanism: String,
    /// The pod the job continues as on `target`.
    pub target_pod: String,
    /// Asked to stop; honoured while the job is not frozen yet.
    #[serde(default)]
    pub cancel: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MigrationStatus {
    pub phase: Phase,
    /// The step in progress or last taken, e.g. "dump", "restore", "commit".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default)]
    pub bytes_sent: u64,
    /// Seconds the job was frozen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downtime_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Set by the source's agent once the move is Complete and its pod has ended
    /// (`Migrated`): only then does the target's agent say the new pod runs, so that no job
    /// ever has two Running pods. The target never writes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub source_released: bool,
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, JsonSchema, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Issued,
    InProgress,
    Complete,
    Failed,
    Cancelled,
}

impl Phase {
    pub fn terminal(self) -> bool {
        matches!(self, Phase::Complete | Phase::Failed | Phase::Cancelled)
    }
}

/// A job's pod name: DNS-1123 (lower-case letters, digits, '-'), unique by job index and
/// generation (a job has a new pod after each move).
pub fn pod_name(job: &str, index: usize, generation: u32) -> String {
    let mut base: String = job
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    base.truncate(40);
    let base = base.trim_matches('-');
    let base = if base.is_empty() { "job" } else { base };
    format!("{base}-{index}-{generation}")
}

/// The kubeconfig to use: the one asked for, else `$KUBECONFIG`, else `~/.kube/config`.
pub fn find_kubeconfig(asked: Option<&Path>) -> Result<std::path::PathBuf, String> {
    let path = match asked {
        Some(p) => p.to_path_buf(),
        None => match std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
            Some(v) => std::path::PathBuf::from(v),
            None => std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".kube/config"),
        },
    };
    if path.exists() {
        Ok(path)
    } else {
        Err(format!(
            "no kubeconfig at {}; start a cluster with `migsim cluster up SCENARIO --state DIR` and `export KUBECONFIG=DIR/kubeconfig`, or pass --kubeconfig FILE",
            path.display()
        ))
    }
}

/// A client for the cluster a kubeconfig file names (its current context).
pub async fn client(kubeconfig: &Path) -> Result<kube::Client, String> {
    let file = kube::config::Kubeconfig::read_from(kubeconfig)
        .map_err(|e| format!("cannot read kubeconfig {}: {e}", kubeconfig.display()))?;
    let config = kube::Config::from_custom_kubeconfig(file, &Default::default())
        .await
        .map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))?;
    kube::Client::try_from(config).map_err(|e| format!("kubeconfig {}: {e}", kubeconfig.display()))
}

/// A kubeconfig for one identity, with its certificate files named by absolute path.
pub fn kubeconfig_text(server: &str, ca: &Path, cert: &Path, key: &Path, user: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: migsim
  cluster:
    server: {server}
    certificate-authority: {ca}
users:
- name: {user}
  user:
    client-certificate: {cert}
    client-key: {key}
contexts:
- name: migsim
  context:
    cluster: migsim
    user: {user}
    namespace: migsim
current-context: migsim
",
        ca = ca.display(),
        cert = cert.display(),
        key = key.display(),
    )
}

/// Merges `status` into the status subresource of `name`, as kubelets and controllers write
/// it, through an API server restart.
pub async fn patch_status<K>(
    api: &kube::Api<K>,
    name: &str,
    status: &impl serde::Serialize,
) -> Result<(), String>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let patch = serde_json::json!({ "status": status });
    let (params, patch) = (
        kube::api::PatchParams::default(),
        kube::api::Patch::Merge(&patch),
    );
    crate::live::kubernetes::retry::retried(&api.clone().into_client(), || {
        api.patch_status(name, &params, &patch)
    })
    .await
    .map(drop)
    .map_err(|e| format!("cannot write its status: {}", say(&e)))
}

/// A Kubernetes API error in one line: the API server's own message where it gave one.
pub fn say(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("{} ({} {})", s.message, s.code, s.reason),
        other => other.to_string(),
    }
}
