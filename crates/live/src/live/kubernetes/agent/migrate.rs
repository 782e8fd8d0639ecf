//! The Migrations this agent is the target of, carried out with the local backend's criu
//! code: the job is dumped in the source node's namespace and restored into this node's
//! (both nodes are on this machine), and every step is written into the Migration's status as
//! it is taken, the destination being the one that reports. A completed move's process then
//! runs as the target pod, which this agent says is Running.
//!
//! Each step is journaled (in `nodes/NAME/`) before it is taken and before the status says
//! so: an agent killed in a move is restarted into a journal that shows where it stopped, and
//! finishes or rolls the move back as the local backend's adapter does.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::{Client, ResourceExt};

use crate::live::backend::{MoveOrder, StepTaken};
use crate::live::journal::{self, Entry, InFlight, Step};
use crate::live::kubernetes::api::{
    self, Migration, MigrationStatus, Phase, LABEL_JOB, LABEL_MIGRATION, LABEL_RUN,
};
use crate::live::kubernetes::cluster::ClusterRecord;
use crate::live::local::{migrate, recover, Ctx};
use crate::migration::Mechanism;
use crate::model::{JobId, NodeId};

struct Active {
    namespace: String,
    name: String,
    cancel: Arc<AtomicBool>,
    thread: JoinHandle<()>,
    status: MigrationStatus,
}

pub struct Mover {
    pub me: String,
    /// Real bytes per scenario byte: the status counts real bytes.
    scale: f64,
    pub client: Client,
    ctx: Arc<Ctx>,
    steps: Receiver<StepTaken>,
    /// By the id this agent gave the move.
    active: HashMap<u32, Active>,
    /// The moves this agent's journal shows ended, by Migration (NAMESPACE/NAME), with the
    /// status they ended in: written again where a restart cut that write short.
    ended: HashMap<String, MigrationStatus>,
    /// The next id to give: ids are this node's index modulo the number of nodes, so no two
    /// agents' moves share an images folder.
    next_id: u32,
    stride: u32,
}

/// The description an agent journals a move it takes up with: the Migration that asked.
fn cause(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

impl Mover {
    /// The mover of node `index` of `nodes`, with what its journal holds (`entries`): the
    /// moves a killed agent left in flight are finished or rolled back, on threads of their
    /// own, and reported like any other.
    pub fn new(
        me: &str,
        (index, nodes): (usize, usize),
        scale: f64,
        client: Client,
        ctx: (Arc<Ctx>, Receiver<StepTaken>),
        entries: &[Entry],
    ) -> Mover {
        let stride = nodes.max(1) as u32;
        let highest = entries
            .iter()
            .filter_map(|e| match e {
                Entry::Migration { id, .. } => Some(*id),
                _ => None,
            })
            .max();
        let next_id = match highest {
            Some(h) => (h / stride + 1) * stride + index as u32,
            None => index as u32,
        };
        let mut mover = Mover {
            me: me.to_string(),
            scale,
            client,
            ctx: ctx.0,
            steps: ctx.1,
            active: HashMap::new(),
            ended: HashMap::new(),
            next_id,
            stride,
        };
        mover.take_over(entries);
        mover
    }

    fn take_over(&mut self, entries: &[Entry]) {
        let mut asked: HashMap<u32, String> = HashMap::new();
        let mut statuses: HashMap<u32, MigrationStatus> = HashMap::new();
        for e in entries {
            let Entry::Migration { id, step, .. } = e else {
                continue;
            };
            if let Step::Issued { cause, .. } = step {
                asked.insert(*id, cause.clone());
            }
            apply_step(statuses.entry(*id).or_default(), step, self.scale);
        }
        let open: Vec<InFlight> = journal::in_flight(entries);
        for (id, status) in statuses {
            let Some((namespace, name)) = asked.get(&id).and_then(|c| c.split_once('/')) else {
                continue;
            };
            let Some(m) = open.iter().find(|m| m.id == id).cloned() else {
                self.ended.insert(cause(namespace, name), status);
                continue;
            };
            let ctx = Arc::clone(&self.ctx);
            let thread = std::thread::spawn(move || recover(&ctx, &m, "target node's agent"));
            self.active.insert(
                id,
                Active {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                    cancel: Arc::new(AtomicBool::new(false)),
                    thread,
                    status,
                },
            );
        }
    }

    /// Starts the Migrations that target this node and are new, passes on cancellations,
    /// and reports the steps taken since the last pass.
    pub async fn reconcile(
        &mut self,
        record: &ClusterRecord,
        migrations: &[Arc<Migration>],
        pods: &[Arc<Pod>],
    ) {
        for m in migrations {
            if m.spec.target != self.me || migration_id(m).is_none() {
                continue;
            }
            let (namespace, name) = (m.namespace().unwrap_or_default(), m.name_any());
            let key = cause(&namespace, &name);
            if let Some(a) = self
                .active
                .values()
                .find(|a| cause(&a.namespace, &a.name) == key)
            {
                if m.spec.cancel {
                    a.cancel.store(true, Ordering::SeqCst);
                }
                continue;
            }
            let phase = m.status.as_ref().map(|s| s.phase).unwrap_or_default();
            if phase.terminal() {
                continue;
            }
            let status = match self.ended.get(&key) {
                // Ended here, but the agent died before the status said so.
                Some(ended) => ended.clone(),
                None if phase == Phase::Issued => match self.begin(record, m, pods) {
                    Ok(()) => continue,
                    Err(reason) => failed(reason),
                },
                None => failed(
                    "the target node's agent restarted and has no record of this move".into(),
                ),
            };
            if let Err(e) = write_status(&self.client, &namespace, &name, &status).await {
                eprintln!("migration {name}: {e}");
            }
        }
        let taken: Vec<StepTaken> = self.steps.try_iter().collect();
        for s in taken {
            self.report(s).await;
        }
    }

    fn begin(
        &mut self,
        record: &ClusterRecord,
        m: &Migration,
        pods: &[Arc<Pod>],
    ) -> Result<(), String> {
        let mechanism = match m.spec.mechanism.as_str() {
            "stop-and-copy" => Mechanism::StopAndCopy,
            "post-copy" => Mechanism::PostCopy,
            other => return Err(format!("mechanism {other:?} is not one a node agent carries out (stop-and-copy, post-copy)")),
        };
        let node = |name: &str| {
            record
                .node(name)
                .map(|n| NodeId(n.index as u32))
                .ok_or_else(|| format!("node {name} is not in this cluster"))
        };
        let target_pod = pods
            .iter()
            .find(|p| p.name_any() == m.spec.target_pod)
            .ok_or_else(|| {
                format!(
                    "the target pod {} is not bound to {}",
                    m.spec.target_pod, self.me
                )
            })?;
        let job: u32 = target_pod
            .labels()
            .get(LABEL_JOB)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("the target pod has no {LABEL_JOB} label"))?;
        let id = self.next_id;
        self.next_id += self.stride;
        let order = MoveOrder {
            id,
            job: JobId(job),
            source: node(&m.spec.source)?,
            target: node(&m.spec.target)?,
            mechanism,
            memory: 0.0,
            work_s: 0.0,
        };
        let (namespace, name) = (m.namespace().unwrap_or_default(), m.name_any());
        // Journaled first: a restarted agent knows which Migration the move was.
        self.ctx.step(
            id,
            Step::Issued {
                job,
                source: order.source.0,
                target: order.target.0,
                mechanism,
                cause: cause(&namespace, &name),
            },
        );
        let cancel = Arc::new(AtomicBool::new(m.spec.cancel));
        let (ctx, flag) = (Arc::clone(&self.ctx), Arc::clone(&cancel));
        let thread = std::thread::spawn(move || migrate::run(&ctx, &order, &flag));
        self.active.insert(
            id,
            Active {
                namespace,
                name,
                cancel,
                thread,
                status: MigrationStatus::default(),
            },
        );
        Ok(())
    }

    /// Writes a step into the Migration's status; a move that ended is joined.
    async fn report(&mut self, s: StepTaken) {
        let scale = self.scale;
        let Some(a) = self.active.get_mut(&s.id) else {
            return;
        };
        if matches!(s.step, Step::Issued { .. }) {
            return;
        }
        apply_step(&mut a.status, &s.step, scale);
        let (ns, name, status) = (a.namespace.clone(), a.name.clone(), a.status.clone());
        if let Err(e) = write_status(&self.client, &ns, &name, &status).await {
            eprintln!("migration {name}: {e}");
        }
        if status.phase.terminal() {
            let a = self.active.remove(&s.id).expect("active");
            self.ended.insert(cause(&ns, &name), status);
            let _ = a.thread.join();
        }
    }

    /// The move of `pod` away from this node that is under way or done, if any (its process
    /// is then stopped or gone without the pod having ended). Pod names recur from run to
    /// run: a Migration is only of the pod of its own run.
    pub fn moving_away<'m>(
        migrations: &'m [Arc<Migration>],
        me: &str,
        pod: &Pod,
    ) -> Option<&'m Migration> {
        let run = pod.labels().get(LABEL_RUN);
        migrations
            .iter()
            .find(|m| {
                m.spec.source == me
                    && m.spec.pod == pod.name_any()
                    && m.labels().get(LABEL_RUN) == run
                    && !matches!(
                        m.status.as_ref().map(|s| s.phase),
                        Some(Phase::Failed | Phase::Cancelled)
                    )
            })
            .map(|m| m.as_ref())
    }
}

/// What a step says in a Migration's status.
fn apply_step(st: &mut MigrationStatus, step: &Step, scale: f64) {
    match step {
        Step::Freezing { .. } => {
            st.phase = Phase::InProgress;
            st.step = Some("freezing".into());
        }
        Step::Dumped { bytes_sent } => {
            st.step = Some("dumped".into());
            st.bytes_sent = (bytes_sent * scale).round() as u64;
        }
        Step::Restoring => st.step = Some("restoring".into()),
        Step::Pulled { bytes_sent } => {
            st.step = Some("pulled".into());
            st.bytes_sent = (bytes_sent * scale).round() as u64;
        }
        Step::Restored => st.step = Some("restored".into()),
        Step::Complete { downtime_s } => {
            st.phase = Phase::Complete;
            st.step = Some("committed".into());
            st.downtime_s = Some(*downtime_s);
        }
        Step::Failed { reason, downtime_s } => {
            st.phase = Phase::Failed;
            st.step = Some("rolled back".into());
            st.reason = Some(reason.clone());
            st.downtime_s = Some(*downtime_s);
        }
        Step::Cancelled { reason } => {
            st.phase = Phase::Cancelled;
            st.reason = Some(reason.clone());
        }
        Step::Issued { .. } => {}
    }
}

fn failed(reason: String) -> MigrationStatus {
    MigrationStatus {
        phase: Phase::Failed,
        reason: Some(reason),
        ..Default::default()
    }
}

/// Only the run's Migrations carry an id label; others are no agent's to take.
fn migration_id(m: &Migration) -> Option<u32> {
    m.labels().get(LABEL_MIGRATION).and_then(|v| v.parse().ok())
}

pub async fn write_status(
    client: &Client,
    namespace: &str,
    name: &str,
    status: &MigrationStatus,
) -> Result<(), String> {
    let api: Api<Migration> = Api::namespaced(client.clone(), namespace);
    api::patch_status(&api, name, status).await
}
