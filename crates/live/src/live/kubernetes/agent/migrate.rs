//! The Migrations this agent is the target of, carried out with the local backend's criu
//! code: the job is dumped in the source node's namespace and restored into this node's
//! (both nodes are on this machine), and every step is written into the Migration's status as
//! it is taken, the destination being the one that reports. A completed move's process then
//! runs as the target pod, which this agent says is Running.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;

use k8s_openapi::api::core::v1::Pod;
use kube::api::Api;
use kube::{Client, ResourceExt};

use crate::live::backend::{MoveOrder, StepTaken};
use crate::live::journal::Step;
use crate::live::kubernetes::api::{
    self, Migration, MigrationStatus, Phase, LABEL_JOB, LABEL_MIGRATION, LABEL_RUN,
};
use crate::live::kubernetes::cluster::ClusterRecord;
use crate::live::local::{migrate, Ctx};
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
    /// By migration id.
    active: HashMap<u32, Active>,
}

impl Mover {
    pub fn new(
        me: &str,
        scale: f64,
        client: Client,
        ctx: (Arc<Ctx>, Receiver<StepTaken>),
    ) -> Mover {
        Mover {
            me: me.to_string(),
            scale,
            client,
            ctx: ctx.0,
            steps: ctx.1,
            active: HashMap::new(),
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
            if m.spec.target != self.me {
                continue;
            }
            let Some(id) = migration_id(m) else { continue };
            if let Some(a) = self.active.get(&id) {
                if m.spec.cancel {
                    a.cancel.store(true, Ordering::SeqCst);
                }
                continue;
            }
            let phase = m.status.as_ref().map(|s| s.phase).unwrap_or_default();
            if phase != Phase::Issued {
                continue;
            }
            if let Err(reason) = self.begin(record, id, m, pods) {
                let status = MigrationStatus {
                    phase: Phase::Failed,
                    reason: Some(reason),
                    ..Default::default()
                };
                let _ = write_status(
                    &self.client,
                    &m.namespace().unwrap_or_default(),
                    &m.name_any(),
                    &status,
                )
                .await;
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
        id: u32,
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
        let order = MoveOrder {
            id,
            job: JobId(job),
            source: node(&m.spec.source)?,
            target: node(&m.spec.target)?,
            mechanism,
            memory: 0.0,
            work_s: 0.0,
        };
        let cancel = Arc::new(AtomicBool::new(m.spec.cancel));
        let (ctx, flag) = (Arc::clone(&self.ctx), Arc::clone(&cancel));
        let thread = std::thread::spawn(move || migrate::run(&ctx, &order, &flag));
        self.active.insert(
            id,
            Active {
                namespace: m.namespace().unwrap_or_default(),
                name: m.name_any(),
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
        let st = &mut a.status;
        match &s.step {
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
        let (ns, name, status) = (a.namespace.clone(), a.name.clone(), a.status.clone());
        if let Err(e) = write_status(&self.client, &ns, &name, &status).await {
            eprintln!("migration {name}: {e}");
        }
        if status.phase.terminal() {
            let a = self.active.remove(&s.id).expect("active");
            let _ = a.thread.join();
        }
    }

    /// Whether a move of `pod` away from this node is under way or done (its process is then
    /// stopped or gone without the pod having ended). Pod names recur from run to run: a
    /// Migration is only of the pod of its own run.
    pub fn moving_away(migrations: &[Arc<Migration>], me: &str, pod: &Pod) -> bool {
        let run = pod.labels().get(LABEL_RUN);
        migrations.iter().any(|m| {
            m.spec.source == me
                && m.spec.pod == pod.name_any()
                && m.labels().get(LABEL_RUN) == run
                && !matches!(
                    m.status.as_ref().map(|s| s.phase),
                    Some(Phase::Failed | Phase::Cancelled)
                )
        })
    }
}

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
