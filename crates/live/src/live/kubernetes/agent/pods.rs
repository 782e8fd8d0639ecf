//! The pods bound to this agent's node, as a kubelet runs them: each is the project's
//! workload process (`migsim-memhog`) following the memory profile in the pod's annotation,
//! in its own cgroup below the node's and in the node's network namespace. Its status is
//! written as a kubelet writes it: Running with its conditions and container status, then
//! Succeeded (`Completed`, or `Migrated` once a move of its job to another node is committed)
//! or Failed (`OOMKilled` when its cgroup killed it, else `Error`). A deleted pod's process is
//! killed and the pod removed for good.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Child;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, Preconditions};
use kube::{Client, ResourceExt};
use serde_json::{json, Value};

use crate::live::kubernetes::agent::migrate::Mover;
use crate::live::kubernetes::api::{
    self, Migration, Phase, ANNOTATION_RESTORE, ANNOTATION_WORKLOAD, CONTAINER, IMAGE, LABEL_JOB,
};
use crate::live::local::cgroup::Cgroup;
use crate::live::local::job::{self, JobFiles};
use crate::live::local::migrate::job_dir;
use crate::live::local::netns::{Netns, Network};
use crate::live::LiveWorkload;

/// One pod's process on this node.
pub struct Run {
    pub namespace: String,
    pub name: String,
    pub cgroup: Cgroup,
    pub files: JobFiles,
    /// `unshare`, the parent of the job's PID namespace, when this agent started it.
    child: Option<Child>,
    pub started: String,
    pub ended: bool,
}

impl Run {
    /// Whether its process is gone: the `unshare` parent exits with it.
    fn gone(&mut self) -> bool {
        match &mut self.child {
            Some(c) => !matches!(c.try_wait(), Ok(None)),
            None => job::workload_pid(&self.cgroup).is_none(),
        }
    }

    /// Why it ended, as a kubelet says it: exit code and reason.
    fn end(&self) -> (i32, &'static str) {
        if self.files.read().is_some_and(|p| p.done) {
            (0, "Completed")
        } else if self.cgroup.oom_kills().unwrap_or(0) > 0 {
            (137, "OOMKilled")
        } else {
            (1, "Error")
        }
    }
}

/// Pods by uid; the metrics server reads them too.
pub type Runs = Arc<Mutex<BTreeMap<String, Run>>>;

/// What the agent knows of its node.
pub struct Host {
    pub client: Client,
    /// The node's name.
    pub name: String,
    pub index: usize,
    pub memhog: PathBuf,
    pub work: PathBuf,
    pub netns: Netns,
    /// The node's cgroup; jobs' cgroups are below it.
    pub cgroup: Cgroup,
    pub runs: Runs,
}

impl Host {
    /// Brings what runs here in line with the pods bound here and the Migrations that move
    /// them.
    pub async fn reconcile(&self, pods: &[Arc<Pod>], migrations: &[Arc<Migration>]) {
        for pod in pods {
            if let Err(e) = self.sync(pod, migrations).await {
                eprintln!(
                    "pod {}/{}: {e}",
                    pod.namespace().unwrap_or_default(),
                    pod.name_any()
                );
            }
        }
        let known: Vec<String> = pods.iter().filter_map(|p| p.uid()).collect();
        let orphans: Vec<Cgroup> = {
            let mut runs = lock(&self.runs);
            let gone: Vec<String> = runs
                .keys()
                .filter(|u| !known.contains(u))
                .cloned()
                .collect();
            gone.iter().filter_map(|u| release(&mut runs, u)).collect()
        };
        for cgroup in orphans {
            let _ = cgroup.remove();
        }
    }

    async fn sync(&self, pod: &Pod, migrations: &[Arc<Migration>]) -> Result<(), String> {
        let uid = pod.uid().unwrap_or_default();
        let api: Api<Pod> =
            Api::namespaced(self.client.clone(), &pod.namespace().unwrap_or_default());
        if pod.metadata.deletion_timestamp.is_some() {
            // A committed move's old pod the backend deleted before this agent ended it: it
            // still says Running until it is removed, so it ends first, for no watcher to see
            // the job's target pod run beside it.
            if let Some(m) = Mover::moving_away(migrations, &self.name, pod) {
                if m.status
                    .as_ref()
                    .is_some_and(|st| st.phase == Phase::Complete && !st.source_released)
                {
                    self.end_migrated(&api, pod, m).await?;
                }
            }
            let cgroup = release(&mut lock(&self.runs), &uid);
            if let Some(cgroup) = cgroup {
                cgroup.remove().map_err(|e| e.to_string())?;
            }
            return delete_now(&api, pod).await;
        }
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.clone())
            .unwrap_or_default();
        if let Some(m) = Mover::moving_away(migrations, &self.name, pod) {
            // Its process is frozen for the move, or gone to the target: it has not ended
            // until the move is committed.
            return match &m.status {
                Some(st) if st.phase == Phase::Complete && !st.source_released => {
                    self.end_migrated(&api, pod, m).await
                }
                _ => Ok(()),
            };
        }
        let ended = {
            let mut runs = lock(&self.runs);
            match runs.get_mut(&uid) {
                Some(run) if run.ended => return Ok(()),
                Some(run) => {
                    if !run.gone() {
                        return Ok(());
                    }
                    run.ended = true;
                    Some((run.end(), run.started.clone()))
                }
                None => None,
            }
        };
        if let Some((end, started)) = ended {
            if end.1 == "Error" {
                eprintln!(
                    "pod {}: its workload exited before its work was done",
                    pod.name_any()
                );
            }
            return patch(&api, pod, terminated(end, &started)).await;
        }
        match phase.as_str() {
            "Succeeded" | "Failed" => Ok(()),
            "Running" => self.adopt(pod),
            _ => match pod.annotations().get(ANNOTATION_RESTORE) {
                Some(from) => self.land(&api, pod, from, migrations).await,
                None => self.start(&api, pod).await,
            },
        }
    }

    /// Starts a new pod's workload and says it runs.
    async fn start(&self, api: &Api<Pod>, pod: &Pod) -> Result<(), String> {
        let job = job_index(pod)?;
        let workload: LiveWorkload = pod
            .annotations()
            .get(ANNOTATION_WORKLOAD)
            .ok_or_else(|| format!("no {ANNOTATION_WORKLOAD} annotation"))
            .and_then(|t| {
                serde_json::from_str(t).map_err(|e| format!("{ANNOTATION_WORKLOAD}: {e}"))
            })?;
        let files = JobFiles {
            dir: job_dir(&self.work, job),
        };
        let cgroup = self.cgroup.child(&job::cgroup_name(job));
        let child = job::start(&self.memhog, &files, &workload, &self.netns, &cgroup, false)
            .map_err(|e| format!("cannot start its workload: {e}"))?;
        let started = Timestamp::now().to_string();
        self.insert(pod, cgroup, files, Some(child), &started);
        patch(api, pod, running(&Network::address(self.index), &started)).await
    }

    /// A pod a Migration brings here: once the move is complete and the source's pod has
    /// ended, its restored process is the pod's, which runs.
    async fn land(
        &self,
        api: &Api<Pod>,
        pod: &Pod,
        from: &str,
        migrations: &[Arc<Migration>],
    ) -> Result<(), String> {
        let complete = migrations.iter().any(|m| {
            m.name_any() == from
                && m.status
                    .as_ref()
                    .is_some_and(|s| s.phase == Phase::Complete && s.source_released)
        });
        if !complete {
            return Ok(());
        }
        self.adopt(pod)?;
        let started = Timestamp::now().to_string();
        patch(api, pod, running(&Network::address(self.index), &started)).await
    }

    /// A committed move's old pod: it ends `Migrated` (its process runs on as the target's
    /// pod), then the Migration says so, for the target's pod to run.
    async fn end_migrated(&self, api: &Api<Pod>, pod: &Pod, m: &Migration) -> Result<(), String> {
        let started = {
            let mut runs = lock(&self.runs);
            let run = runs.get_mut(&pod.uid().unwrap_or_default());
            let started = run.as_ref().map(|r| r.started.clone());
            if let Some(r) = run {
                r.ended = true;
            }
            started
        };
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
        if phase != Some("Succeeded") {
            let started = started.unwrap_or_else(|| Timestamp::now().to_string());
            patch(api, pod, terminated((0, "Migrated"), &started)).await?;
        }
        self.released(m).await
    }

    /// Tells the target's agent that this node's pod of the move has ended.
    async fn released(&self, m: &Migration) -> Result<(), String> {
        let migrations: Api<Migration> =
            Api::namespaced(self.client.clone(), &m.namespace().unwrap_or_default());
        api::patch_status(&migrations, &m.name_any(), &json!({"sourceReleased": true})).await
    }

    /// A pod this agent ran before it restarted: its process is taken over; if it is gone,
    /// the next pass ends the pod as the process did.
    fn adopt(&self, pod: &Pod) -> Result<(), String> {
        let job = job_index(pod)?;
        let started = pod
            .status
            .as_ref()
            .and_then(|s| s.start_time.as_ref())
            .map_or_else(|| Timestamp::now().to_string(), |t| t.0.to_string());
        let files = JobFiles {
            dir: job_dir(&self.work, job),
        };
        let cgroup = self.cgroup.child(&job::cgroup_name(job));
        self.insert(pod, cgroup, files, None, &started);
        Ok(())
    }

    fn insert(
        &self,
        pod: &Pod,
        cgroup: Cgroup,
        files: JobFiles,
        child: Option<Child>,
        started: &str,
    ) {
        lock(&self.runs).insert(
            pod.uid().unwrap_or_default(),
            Run {
                namespace: pod.namespace().unwrap_or_default(),
                name: pod.name_any(),
                cgroup,
                files,
                child,
                started: started.to_string(),
                ended: false,
            },
        );
    }
}

/// Forgets a pod's run; returns its cgroup unless another pod's process is in it. A job's
/// cgroup is named after the job, and a pod that ended (the API server removes those at once
/// when deleted) can leave the watch after the job's next pod, from the next run, started in it.
fn release(runs: &mut BTreeMap<String, Run>, uid: &str) -> Option<Cgroup> {
    let run = runs.remove(uid)?;
    let shared = runs.values().any(|r| r.cgroup.path == run.cgroup.path);
    (!shared).then_some(run.cgroup)
}

fn job_index(pod: &Pod) -> Result<usize, String> {
    pod.labels()
        .get(LABEL_JOB)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no numeric {LABEL_JOB} label"))
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn condition(kind: &str, status: bool, at: &str, reason: Option<&str>) -> Value {
    let mut c = json!({"type": kind, "status": if status { "True" } else { "False" }, "lastTransitionTime": at});
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    c
}

fn running(address: &str, started: &str) -> Value {
    let conditions: Vec<Value> = [
        "PodReadyToStartContainers",
        "Initialized",
        "ContainersReady",
        "Ready",
        "PodScheduled",
    ]
    .iter()
    .map(|k| condition(k, true, started, None))
    .collect();
    json!({
        "phase": "Running",
        "hostIP": address, "hostIPs": [{"ip": address}],
        "podIP": address, "podIPs": [{"ip": address}],
        "startTime": started,
        "conditions": conditions,
        "containerStatuses": [{
            "name": CONTAINER, "image": IMAGE, "imageID": "", "ready": true, "started": true,
            "restartCount": 0, "state": {"running": {"startedAt": started}},
        }],
    })
}

fn terminated((code, reason): (i32, &str), started: &str) -> Value {
    let now = Timestamp::now().to_string();
    json!({
        "phase": if code == 0 { "Succeeded" } else { "Failed" },
        "conditions": [
            condition("PodReadyToStartContainers", false, &now, None),
            condition("Initialized", true, started, None),
            condition("ContainersReady", false, &now, Some("PodCompleted")),
            condition("Ready", false, &now, Some("PodCompleted")),
            condition("PodScheduled", true, started, None),
        ],
        "containerStatuses": [{
            "name": CONTAINER, "image": IMAGE, "imageID": "", "ready": false, "started": false,
            "restartCount": 0,
            "state": {"terminated": {"exitCode": code, "reason": reason, "startedAt": started, "finishedAt": now}},
        }],
    })
}

async fn patch(api: &Api<Pod>, pod: &Pod, status: Value) -> Result<(), String> {
    api::patch_status(api, &pod.name_any(), &status).await
}

/// The kubelet's last word on a deleted pod: gone now, if it is still the same pod.
async fn delete_now(api: &Api<Pod>, pod: &Pod) -> Result<(), String> {
    let params = DeleteParams {
        grace_period_seconds: Some(0),
        preconditions: Some(Preconditions {
            uid: pod.uid(),
            resource_version: None,
        }),
        ..Default::default()
    };
    match api.delete(&pod.name_any(), &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 409 => Ok(()),
        Err(e) => Err(format!(
            "cannot remove it: {e}",
            e = crate::live::kubernetes::api::say(&e)
        )),
    }
}
