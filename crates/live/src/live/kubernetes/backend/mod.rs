//! The Kubernetes backend: the live driver's [`Backend`] through a Kubernetes API. A job is a
//! pod with `schedulerName: migsim`, bound to the node the scheduler chose (the Binding
//! subresource); monitoring reads each node agent's resource metrics; a restart deletes the
//! pod and binds a new one on the target; a checkpointed move is a Migration object the two
//! nodes' agents carry out, followed by watch. No policy lives here: the driver runs the
//! control loop, as on the local backend and in the simulator.

mod prometheus;
mod resume;

pub use prometheus::Prometheus;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, ResourceExt};
use serde_json::json;

use crate::live::backend::{Backend, JobUsage, Life, MoveOrder, Observation, StepTaken};
use crate::live::journal::{Entry, Journal, Step};
use crate::live::kubernetes::agent::{parse_metrics, Sample, METRICS_PATH};
use crate::live::kubernetes::api::{
    client, pod_name, say, Migration, MigrationSpec, Phase, ANNOTATION_CRIU, ANNOTATION_METRICS,
    ANNOTATION_RESTORE, ANNOTATION_SCALE, ANNOTATION_WORKLOAD, CONTAINER, IMAGE, LABEL_AGENT,
    LABEL_JOB, LABEL_MIGRATION, LABEL_RUN, SCHEDULER,
};
use crate::live::kubernetes::retry::{conflict, not_found, retried, Reconnect};
use crate::live::{Clock, LiveWorkload};
use crate::migration::Mechanism;
use crate::model::{JobId, NodeId};

/// A scenario node as the API has it.
struct KubeNode {
    name: String,
    /// `host:port` of its agent's metrics.
    metrics: String,
    /// The criu its agent migrates with.
    criu: String,
}

/// The pod a job runs as now.
struct JobPod {
    name: String,
    node: NodeId,
    /// Its last readings, newest last (a pod being killed shrinks before it is gone).
    recent: [f64; 4],
    work_s: f64,
    /// The watch has shown it at least once (until then it counts as starting).
    seen: bool,
}

/// A restart under way: the old pod deleted, the new one bound, waiting for it to run.
struct Restart {
    job: JobId,
    frozen: f64,
}

/// A checkpointed move under way: a Migration object and the pod waiting on the target.
struct Move {
    job: JobId,
    name: String,
    target: NodeId,
    target_pod: String,
    /// How far into [`STEPS`] its status has been journaled.
    reported: usize,
    /// Only post-copy pulls pages after the restore.
    post_copy: bool,
}

/// The steps a Migration's status goes through, in order, as its agent names them.
const STEPS: [&str; 5] = ["freezing", "dumped", "restoring", "pulled", "restored"];

pub struct KubeSetup {
    pub kubeconfig: std::path::PathBuf,
    pub namespace: String,
    pub run: String,
    /// The scenario's node names, by node index.
    pub nodes: Vec<String>,
    pub clock: Clock,
    pub journal: Arc<Mutex<Journal>>,
    /// The scenario's jobs as workloads, at the cluster's memory scale.
    pub workloads: Vec<LiveWorkload>,
    /// CPUs each job asks for.
    pub cpus: Vec<f64>,
    /// Monitoring through Prometheus rather than from the agents.
    pub prometheus: Option<Prometheus>,
}

pub struct KubeBackend {
    rt: tokio::runtime::Runtime,
    /// Made on `rt`, whose tasks carry its requests.
    client: Client,
    setup: KubeSetup,
    nodes: Vec<KubeNode>,
    /// Real bytes per scenario byte, from the agents' Nodes.
    scale: f64,
    pods: Store<Pod>,
    migrations: Store<Migration>,
    jobs: HashMap<JobId, JobPod>,
    /// Pods made for each job so far: the next one's name ends in it (a failed pod stays, for
    /// `kubectl` to show, so names are never reused within a run).
    made: HashMap<JobId, u32>,
    restarts: HashMap<u32, Restart>,
    moves: HashMap<u32, Move>,
    steps: Vec<StepTaken>,
    /// When each new pod (not one a move lands) was asked for, and when the watch first
    /// showed each pod Running: a start's latency through the API.
    asked: HashMap<String, Instant>,
    running: Running,
    /// What Prometheus last failed with, said once.
    scrape_error: Option<String>,
}

type Running = Arc<Mutex<HashMap<String, Instant>>>;

impl KubeBackend {
    /// Checks that every scenario node has a migsim agent, then watches this run's pods.
    pub fn connect(mut setup: KubeSetup, mechanism: Mechanism) -> Result<KubeBackend, String> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let client = rt.block_on(client(&setup.kubeconfig))?;
        let (nodes, scale) = rt.block_on(find_nodes(&client, &setup.nodes))?;
        for w in &mut setup.workloads {
            w.scale = scale;
        }
        if mechanism != Mechanism::Restart {
            rt.block_on(require_crd(&client))?;
        }
        rt.block_on(alone(&client, &setup.namespace, &setup.run))?;
        let pods: Api<Pod> = Api::namespaced(client.clone(), &setup.namespace);
        let (store, writer) = reflector::store();
        let config = watcher::Config::default().labels(&format!("{LABEL_RUN}={}", setup.run));
        let running = Running::default();
        let seen = Arc::clone(&running);
        let watch =
            reflector::reflector(writer, watcher(pods, config).backoff(Reconnect::default()))
                .for_each(move |event| {
                    if let Ok(watcher::Event::Apply(pod) | watcher::Event::InitApply(pod)) = event {
                        if phase(&pod) == "Running" {
                            let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                            seen.entry(pod.name_any()).or_insert_with(Instant::now);
                        }
                    }
                    futures::future::ready(())
                });
        rt.spawn(watch);
        rt.block_on(store.wait_until_ready())
            .map_err(|e| format!("cannot watch pods: {e}"))?;
        let migrations = Api::<Migration>::namespaced(client.clone(), &setup.namespace);
        let (moves, writer) = reflector::store();
        let config = watcher::Config::default().labels(&format!("{LABEL_RUN}={}", setup.run));
        let watch = reflector::reflector(
            writer,
            watcher(migrations, config).backoff(Reconnect::default()),
        )
        .for_each(|_| futures::future::ready(()));
        if mechanism != Mechanism::Restart {
            rt.spawn(watch);
            rt.block_on(moves.wait_until_ready())
                .map_err(|e| format!("cannot watch Migrations: {e}"))?;
        }
        Ok(KubeBackend {
            rt,
            client,
            nodes,
            scale,
            pods: store,
            migrations: moves,
            jobs: HashMap::new(),
            made: HashMap::new(),
            restarts: HashMap::new(),
            moves: HashMap::new(),
            steps: Vec::new(),
            asked: HashMap::new(),
            running,
            scrape_error: None,
            setup,
        })
    }

    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The criu versions the agents migrate with, as `live.json` names them.
    pub fn criu(&self) -> String {
        let mut versions: Vec<&str> = self.nodes.iter().map(|n| n.criu.as_str()).collect();
        versions.dedup();
        versions.join(", ")
    }

    fn pods(&self) -> Api<Pod> {
        Api::namespaced(self.client.clone(), &self.setup.namespace)
    }

    /// Creates the job's next pod and binds it to `node`.
    fn place(
        &mut self,
        job: JobId,
        node: NodeId,
        restore_from: Option<&str>,
    ) -> Result<String, String> {
        let made = self.made.entry(job).or_default();
        let generation = *made;
        *made += 1;
        let spec = &self.setup.workloads[job.index()];
        let name = pod_name(&spec.name, job.index(), generation);
        let workload = serde_json::to_string(spec).map_err(|e| e.to_string())?;
        let mut annotations = json!({ANNOTATION_WORKLOAD: workload});
        if let Some(m) = restore_from {
            annotations[ANNOTATION_RESTORE] = json!(m);
        }
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": name,
                "labels": {LABEL_JOB: job.index().to_string(), LABEL_RUN: self.setup.run},
                "annotations": annotations,
            },
            "spec": {
                "schedulerName": SCHEDULER,
                "restartPolicy": "Never",
                "containers": [{
                    "name": CONTAINER, "image": IMAGE,
                    "resources": {"requests": {"cpu": format!("{}m", (self.setup.cpus[job.index()] * 1000.0).round() as u64)}},
                }],
            },
        }))
        .map_err(|e| e.to_string())?;
        let target = &self.nodes[node.index()].name;
        let binding = json!({
            "apiVersion": "v1", "kind": "Binding",
            "metadata": {"name": name},
            "target": {"apiVersion": "v1", "kind": "Node", "name": target},
        });
        if restore_from.is_none() {
            self.asked.insert(name.clone(), Instant::now());
        }
        let api = self.pods();
        let (client, run) = (&self.client, &self.setup.run);
        let post = PostParams::default();
        self.rt.block_on(async {
            // A retry after a lost answer finds its own pod made.
            match retried(client, || api.create(&post, &pod)).await {
                Err(e) if conflict(&e) && ours(&api, &name, run).await => {}
                Err(e) => return Err(format!("cannot create pod {name}: {}", say(&e))),
                Ok(_) => {}
            }
            let bound = retried(client, || {
                api.create_subresource::<serde_json::Value, serde_json::Value>(
                    "binding", &name, &post, &binding,
                )
            })
            .await;
            match bound {
                Err(e) if conflict(&e) && bound_to(&api, &name, target).await => Ok(()),
                Err(e) => Err(format!("cannot bind pod {name} to {target}: {}", say(&e))),
                Ok(_) => Ok(()),
            }
        })?;
        Ok(name)
    }

    /// Deletes a pod of the run; one already gone is fine.
    fn delete(&self, name: &str) {
        let api = self.pods();
        let params = DeleteParams::default();
        let deleted = self
            .rt
            .block_on(retried(&self.client, || api.delete(name, &params)));
        if let Err(e) = deleted
            .map(drop)
            .or_else(|e| if not_found(&e) { Ok(()) } else { Err(e) })
        {
            self.note(format!("cannot delete pod {name}: {}", say(&e)));
        }
    }

    fn note(&self, note: String) {
        self.setup
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .note(note);
    }

    /// Every node's metrics, by node index, from its agent or from Prometheus (a node that
    /// does not answer has none; a Prometheus that does not is noted, once per change).
    fn scrape(&mut self) -> Vec<Vec<Sample>> {
        let Some(p) = &self.setup.prometheus else {
            return self.rt.block_on(async {
                let mut all = Vec::new();
                for n in &self.nodes {
                    all.push(fetch(&n.metrics).await.unwrap_or_default());
                }
                all
            });
        };
        let addresses: Vec<&str> = self.nodes.iter().map(|n| n.metrics.as_str()).collect();
        let ns = &self.setup.namespace;
        let queries = [
            "node_memory_working_set_bytes".to_string(),
            format!("container_memory_working_set_bytes{{namespace=\"{ns}\",container=\"{CONTAINER}\"}}"),
            format!("migsim_pod_work_seconds{{namespace=\"{ns}\"}}"),
        ];
        let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
        match self.rt.block_on(p.by_node(&queries, &addresses)) {
            Ok(all) => all,
            Err(e) => {
                if self.scrape_error.as_ref() != Some(&e) {
                    self.note(format!("monitoring: {e}"));
                    self.scrape_error = Some(e);
                }
                vec![Vec::new(); self.nodes.len()]
            }
        }
    }

    /// The pod memory series its monitoring source has: the kubelet's resource metrics name
    /// it per pod, cAdvisor's (what Prometheus users query) per container.
    fn pod_metric(&self) -> &'static str {
        match self.setup.prometheus {
            None => "pod_memory_working_set_bytes",
            Some(_) => "container_memory_working_set_bytes",
        }
    }

    fn step(&mut self, id: u32, step: Step) {
        let taken = StepTaken {
            t: self.setup.clock.now_s(),
            id,
            step,
        };
        let entry = Entry::Migration {
            t: taken.t,
            id,
            step: taken.step.clone(),
        };
        self.setup
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .append_or_note(&entry);
        self.steps.push(taken);
    }

    /// Restarts whose new pod runs are complete.
    fn follow_restarts(&mut self) {
        let done: Vec<(u32, f64)> = self
            .restarts
            .iter()
            .filter(|(_, r)| {
                self.jobs.get(&r.job).is_some_and(|p| {
                    self.pod(&p.name)
                        .is_some_and(|pod| phase(&pod) != "Pending")
                })
            })
            .map(|(&id, r)| (id, r.frozen))
            .collect();
        for (id, frozen) in done {
            self.restarts.remove(&id);
            let downtime_s = self.setup.clock.now_s() - frozen;
            self.step(id, Step::Complete { downtime_s });
        }
    }

    /// Creates the pod the job continues as on the target (waiting for the move), then the
    /// Migration the two nodes' agents carry out.
    fn issue(&mut self, order: &MoveOrder) -> Result<(), String> {
        let old = self
            .jobs
            .get(&order.job)
            .map(|p| p.name.clone())
            .ok_or("its pod is gone")?;
        let name = self.migration_name(order.id);
        let target_pod = self.place(order.job, order.target, Some(&name))?;
        let mechanism = match order.mechanism {
            Mechanism::StopAndCopy => "stop-and-copy",
            Mechanism::PostCopy => "post-copy",
            Mechanism::PreCopy => "pre-copy",
            Mechanism::Restart => "restart",
        };
        let migration = Migration::new(
            &name,
            MigrationSpec {
                pod: old,
                source: self.nodes[order.source.index()].name.clone(),
                target: self.nodes[order.target.index()].name.clone(),
                mechanism: mechanism.into(),
                target_pod: target_pod.clone(),
                cancel: false,
            },
        );
        let mut migration = migration;
        migration.metadata.labels = Some(
            [
                (LABEL_RUN.to_string(), self.setup.run.clone()),
                (LABEL_MIGRATION.to_string(), order.id.to_string()),
            ]
            .into(),
        );
        let api: Api<Migration> = Api::namespaced(self.client.clone(), &self.setup.namespace);
        let (client, run) = (&self.client, &self.setup.run);
        let post = PostParams::default();
        let made = self.rt.block_on(async {
            match retried(client, || api.create(&post, &migration)).await {
                Err(e) if conflict(&e) && ours(&api, &name, run).await => Ok(()),
                done => done.map(drop),
            }
        });
        if let Err(e) = made {
            self.delete(&target_pod);
            return Err(format!("cannot create Migration {name}: {}", say(&e)));
        }
        self.moves.insert(
            order.id,
            Move {
                job: order.job,
                name,
                target: order.target,
                target_pod,
                reported: 1,
                post_copy: order.mechanism == Mechanism::PostCopy,
            },
        );
        Ok(())
    }

    fn migration_name(&self, id: u32) -> String {
        format!("{}-m{}", self.setup.run, id)
    }

    /// Journals what the Migrations' statuses say happened since the last pass; a move that
    /// ended leaves the job on one pod: the new one after a commit, else the old one.
    fn follow_moves(&mut self) {
        let speed = self.setup.clock.speed;
        let ids: Vec<u32> = self.moves.keys().copied().collect();
        for id in ids {
            let m = &self.moves[&id];
            let Some(object) = self
                .migrations
                .get(&reflector::ObjectRef::new(&m.name).within(&self.setup.namespace))
            else {
                continue;
            };
            let Some(status) = object.status.clone() else {
                continue;
            };
            // The watch may skip states: a committed move went through every step of its
            // mechanism, whichever of them this pass saw.
            let at = match status.phase {
                Phase::Complete => STEPS.len(),
                _ => status
                    .step
                    .as_deref()
                    .and_then(|s| STEPS.iter().position(|x| *x == s))
                    .map_or(0, |k| k + 1),
            };
            let (mut reported, post_copy) = (m.reported, m.post_copy);
            while reported < at {
                let step = match STEPS[reported] {
                    "dumped" => Some(Step::Dumped {
                        bytes_sent: status.bytes_sent as f64 / self.scale,
                    }),
                    "restoring" => Some(Step::Restoring),
                    "pulled" if post_copy => Some(Step::Pulled {
                        bytes_sent: status.bytes_sent as f64 / self.scale,
                    }),
                    "restored" => Some(Step::Restored),
                    _ => None,
                };
                reported += 1;
                if let Some(step) = step {
                    self.step(id, step);
                }
            }
            self.moves.get_mut(&id).expect("a move").reported = reported;
            let downtime_s = status.downtime_s.unwrap_or(0.0) * speed;
            let reason = status.reason.clone().unwrap_or_default();
            let end = match status.phase {
                Phase::Complete => Step::Complete { downtime_s },
                Phase::Failed => Step::Failed { reason, downtime_s },
                Phase::Cancelled => Step::Cancelled { reason },
                Phase::Issued | Phase::InProgress => continue,
            };
            let m = self.moves.remove(&id).expect("a move");
            if matches!(end, Step::Complete { .. }) {
                if let Some(p) = self.jobs.get_mut(&m.job) {
                    let old = std::mem::replace(&mut p.name, m.target_pod);
                    p.node = m.target;
                    p.seen = false;
                    self.delete(&old);
                }
            } else {
                self.delete(&m.target_pod);
            }
            self.step(id, end);
        }
    }

    /// Makes `name` the job's pod. `seen`: the pod is in the watch's store (one that is not
    /// yet counts as starting).
    fn keep(&mut self, job: JobId, node: NodeId, name: String, work_s: f64, seen: bool) {
        self.jobs.insert(
            job,
            JobPod {
                name,
                node,
                recent: [0.0; 4],
                work_s,
                seen,
            },
        );
    }

    fn pod(&self, name: &str) -> Option<Arc<Pod>> {
        self.pods
            .get(&reflector::ObjectRef::new(name).within(&self.setup.namespace))
    }
}

impl Backend for KubeBackend {
    fn start_latencies(&self) -> Vec<f64> {
        let running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<&String> = self.asked.keys().collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|n| Some((*running.get(n)? - self.asked[n]).as_secs_f64()))
            .collect()
    }

    fn start(&mut self, job: JobId, node: NodeId) -> Result<(), String> {
        let name = self.place(job, node, None)?;
        self.keep(job, node, name, 0.0, false);
        Ok(())
    }

    fn observe(&mut self) -> Observation {
        self.follow_restarts();
        let scraped = self.scrape();
        let pod_metric = self.pod_metric();
        let nodes = scraped
            .iter()
            .map(|s| {
                s.iter()
                    .find(|x| x.name == "node_memory_working_set_bytes")
                    .map_or(0.0, |x| x.value / self.scale)
            })
            .collect();
        let mut jobs = Vec::new();
        for (&job, p) in &mut self.jobs {
            let metric = |name: &str| {
                scraped[p.node.index()]
                    .iter()
                    .find(|x| x.name == name && x.label("pod") == Some(p.name.as_str()))
                    .map(|x| x.value)
            };
            if let Some(m) = metric(pod_metric) {
                p.recent.rotate_left(1);
                p.recent[3] = m / self.scale;
            }
            if let Some(w) = metric("migsim_pod_work_seconds") {
                p.work_s = w;
            }
            let pod = self
                .pods
                .get(&reflector::ObjectRef::new(&p.name).within(&self.setup.namespace));
            p.seen |= pod.is_some();
            // As on the local backend, the move speaks for a job it is moving: one that
            // ends meanwhile fails the move, and its end is seen once the move is over.
            let moving = self.moves.values().any(|m| m.job == job);
            let life = match &pod {
                _ if moving => Life::Running,
                None if !p.seen => Life::Running,
                None => Life::Exited,
                Some(pod) => life(pod),
            };
            jobs.push(JobUsage {
                job,
                memory: if life == Life::Running {
                    p.recent[3]
                } else {
                    p.recent.iter().copied().fold(0.0, f64::max)
                },
                work_s: p.work_s,
                life,
            });
        }
        jobs.sort_by_key(|u| u.job);
        for u in &jobs {
            let moving = self.restarts.values().any(|r| r.job == u.job)
                || self.moves.values().any(|m| m.job == u.job);
            if u.life != Life::Running && !moving {
                self.jobs.remove(&u.job);
            }
        }
        Observation { nodes, jobs }
    }

    fn migrate(&mut self, order: MoveOrder) {
        self.step(
            order.id,
            Step::Freezing {
                memory: order.memory,
                work_s: order.work_s,
            },
        );
        let frozen = self.setup.clock.now_s();
        if order.mechanism != Mechanism::Restart {
            if let Err(reason) = self.issue(&order) {
                self.step(
                    order.id,
                    Step::Failed {
                        reason,
                        downtime_s: 0.0,
                    },
                );
            }
            return;
        }
        let Some(old) = self.jobs.get(&order.job).map(|p| p.name.clone()) else {
            return self.step(
                order.id,
                Step::Failed {
                    reason: "its pod is gone".into(),
                    downtime_s: 0.0,
                },
            );
        };
        self.delete(&old);
        match self.start(order.job, order.target) {
            Ok(()) => {
                self.restarts.insert(
                    order.id,
                    Restart {
                        job: order.job,
                        frozen,
                    },
                );
            }
            Err(reason) => {
                self.jobs.remove(&order.job);
                self.step(
                    order.id,
                    Step::Failed {
                        reason,
                        downtime_s: self.setup.clock.now_s() - frozen,
                    },
                )
            }
        }
    }

    fn cancel(&mut self, id: u32, _reason: &str) -> bool {
        // A restart deletes the pod at once: there is nothing left to call off.
        let Some(m) = self.moves.get(&id) else {
            return false;
        };
        let api: Api<Migration> = Api::namespaced(self.client.clone(), &self.setup.namespace);
        let patch = json!({"spec": {"cancel": true}});
        let (params, patch) = (PatchParams::default(), Patch::Merge(&patch));
        self.rt
            .block_on(retried(&self.client, || {
                api.patch(&m.name, &params, &patch)
            }))
            .is_ok()
    }

    fn steps(&mut self) -> Vec<StepTaken> {
        self.follow_restarts();
        self.follow_moves();
        std::mem::take(&mut self.steps)
    }

    fn migration_memory(&self, _node: NodeId) -> f64 {
        0.0
    }

    fn shutdown(&mut self) -> Result<(), String> {
        let api = self.pods();
        let client = &self.client;
        let run = ListParams::default().labels(&format!("{LABEL_RUN}={}", self.setup.run));
        self.rt.block_on(async {
            let params = DeleteParams::default();
            retried(client, || api.delete_collection(&params, &run))
                .await
                .map_err(|e| format!("cannot delete the run's pods: {}", say(&e)))?;
            // The agents stop each pod's process, then remove it.
            for _ in 0..300 {
                let left = retried(client, || api.list(&run))
                    .await
                    .map_err(|e| format!("cannot list the run's pods: {}", say(&e)))?;
                if left.items.is_empty() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err("the run's pods were not all removed within 30 s".to_string())
        })
    }
}

/// Refuses to share the cluster with another run whose pods still run: the agents name a
/// job's cgroup and files by its index in the scenario, so two runs' jobs would meet.
async fn alone(client: &Client, namespace: &str, run: &str) -> Result<(), String> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let listed = api
        .list(&ListParams::default().labels(LABEL_RUN))
        .await
        .map_err(|e| format!("cannot list pods: {}", say(&e)))?;
    let other = listed.items.iter().find(|p| {
        p.labels().get(LABEL_RUN).is_some_and(|r| r != run)
            && !matches!(phase(p).as_str(), "Succeeded" | "Failed")
    });
    match other {
        Some(p) => Err(format!(
            "run {} still has pods in namespace {namespace} (pod {}): one run at a time per cluster; resume it (--resume with its --out), or delete its pods: kubectl delete pods -n {namespace} -l {LABEL_RUN}={}",
            p.labels()[LABEL_RUN], p.name_any(), p.labels()[LABEL_RUN]
        )),
        None => Ok(()),
    }
}

/// Whether the object `name` that a create found taken is this run's.
async fn ours<K>(api: &Api<K>, name: &str, run: &str) -> bool
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.get(name)
        .await
        .is_ok_and(|o| o.labels().get(LABEL_RUN).is_some_and(|r| r == run))
}

/// Whether pod `name` is bound to `node` (a retried binding finds its first try done).
async fn bound_to(api: &Api<Pod>, name: &str, node: &str) -> bool {
    api.get(name)
        .await
        .is_ok_and(|p| p.spec.and_then(|s| s.node_name).as_deref() == Some(node))
}

fn phase(pod: &Pod) -> String {
    pod.status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_default()
}

/// A pod's life as its node's agent wrote it.
fn life(pod: &Pod) -> Life {
    match phase(pod).as_str() {
        "Succeeded" => Life::Finished,
        "Failed" => {
            let oom = pod
                .status
                .as_ref()
                .and_then(|s| s.container_statuses.as_ref())
                .into_iter()
                .flatten()
                .filter_map(|c| c.state.as_ref()?.terminated.as_ref())
                .any(|t| t.reason.as_deref() == Some("OOMKilled"));
            if oom {
                Life::OomKilled
            } else {
                Life::Exited
            }
        }
        _ if pod.metadata.deletion_timestamp.is_some() => Life::Exited,
        _ => Life::Running,
    }
}

/// The scenario's nodes among the API's, each with a migsim agent, and the cluster's scale.
async fn find_nodes(client: &Client, names: &[String]) -> Result<(Vec<KubeNode>, f64), String> {
    let api: Api<Node> = Api::all(client.clone());
    let listed = api
        .list(&ListParams::default())
        .await
        .map_err(|e| unreachable_api(&e))?;
    let mut nodes = Vec::new();
    let mut scale = None;
    for name in names {
        let node = listed
            .items
            .iter()
            .find(|n| n.name_any() == *name && n.labels().get(LABEL_AGENT).is_some_and(|v| v == "true"))
            .ok_or_else(|| format!("node {name} of the scenario has no migsim agent in this cluster; start one with `migsim cluster up SCENARIO --state DIR`"))?;
        let annotation = |key: &str| node.annotations().get(key).cloned();
        let metrics = annotation(ANNOTATION_METRICS).ok_or_else(|| {
            format!("node {name} does not say where its metrics are ({ANNOTATION_METRICS})")
        })?;
        let s: f64 = annotation(ANNOTATION_SCALE)
            .and_then(|v| v.parse().ok())
            .unwrap_or(1.0);
        if scale.is_some_and(|x: f64| (x - s).abs() > 1e-12) {
            return Err(format!(
                "node {name} has memory scale {s}, unlike the others"
            ));
        }
        scale = Some(s);
        nodes.push(KubeNode {
            name: name.clone(),
            metrics,
            criu: annotation(ANNOTATION_CRIU).unwrap_or_default(),
        });
    }
    Ok((nodes, scale.unwrap_or(1.0)))
}

fn unreachable_api(e: &kube::Error) -> String {
    format!("cannot reach the Kubernetes API: {e}; is the cluster up (migsim cluster up SCENARIO --state DIR, then export KUBECONFIG=DIR/kubeconfig)?")
}

async fn require_crd(client: &Client) -> Result<(), String> {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    match api.get("migrations.migsim.io").await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(e)) if e.code == 404 => Err(
            "this cluster has no Migration CRD (migrations.migsim.io), which checkpointing mechanisms need; `migsim cluster up` installs it, or use migration.mechanism = \"restart\"".into(),
        ),
        Err(e) => Err(format!("cannot look up the Migration CRD: {e}", e = say(&e))),
    }
}

/// GETs an agent's metrics over plain HTTP (loopback only).
async fn fetch(address: &str) -> Result<Vec<Sample>, String> {
    parse_metrics(&http_get(address, METRICS_PATH).await?)
}

/// GETs `path` over plain HTTP and returns the body.
async fn http_get(address: &str, path: &str) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let io = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes())
            .await?;
        let mut text = String::new();
        stream.read_to_string(&mut text).await?;
        Ok::<String, std::io::Error>(text)
    };
    let text = tokio::time::timeout(Duration::from_secs(2), io)
        .await
        .map_err(|_| format!("{address}: no answer"))?
        .map_err(|e| format!("{address}: {e}"))?;
    Ok(text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string())
}
