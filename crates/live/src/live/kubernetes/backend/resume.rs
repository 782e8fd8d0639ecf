//! Taking over a run whose backend died: everything the run made is in the API (its pods and
//! Migrations carry its run label), and its journal says what the run believed. Each running
//! job gets back its pod, each Migration in flight is followed on from the step the journal
//! reached, a restart cut short is finished, and what the dead backend made but never
//! journaled is removed.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Pod;
use kube::runtime::reflector;
use kube::ResourceExt;

use super::{phase, KubeBackend, Move, Restart, STEPS};
use crate::live::backend::StepTaken;
use crate::live::journal::{Entry, InFlight, Step};
use crate::live::kubernetes::api::{ANNOTATION_RESTORE, LABEL_JOB};
use crate::migration::Mechanism;
use crate::model::{JobId, NodeId};

impl KubeBackend {
    /// Takes over the jobs `running` (job, node, work done) and the migrations `in_flight`
    /// of the journal; returns the steps the takeover itself took (moves it called off).
    pub fn take_over(
        &mut self,
        entries: &[Entry],
        running: &[(JobId, NodeId, f64)],
        in_flight: &[InFlight],
    ) -> Result<Vec<StepTaken>, String> {
        let pods = self.pods.state();
        let mut ended: HashMap<JobId, usize> = HashMap::new();
        for e in entries {
            if let Entry::Ended { job, .. } = e {
                *ended.entry(JobId(*job)).or_default() += 1;
            }
        }
        for p in &pods {
            if let Some((job, generation)) = job_and_generation(p) {
                let made = self.made.entry(job).or_default();
                *made = (*made).max(generation + 1);
            }
        }
        let mut lacking = Vec::new();
        for &(job, node, work_s) in running {
            let journaled = ended.get(&job).copied().unwrap_or(0);
            match current_pod(&pods, &self.nodes[node.index()].name, job, journaled) {
                Some(name) => self.keep(job, node, name, work_s, true),
                None => lacking.push((job, node, work_s)),
            }
        }
        // The journal says a job started before its pod is made: a backend killed in between
        // leaves one job without a pod. More than that is not this cluster's run.
        if lacking.len() > 1 {
            return Err(format!(
                "{} running jobs of run {} have no pod in this cluster; was the cluster made again since?",
                lacking.len(),
                self.setup.run
            ));
        }
        for (job, node, work_s) in lacking {
            let name = self.place(job, node, None)?;
            self.note(format!("job {} had no pod (the backend stopped between journaling its start and making it): made {name}", self.setup.workloads[job.index()].name));
            self.keep(job, node, name, work_s, false);
        }
        for m in in_flight {
            self.follow_on(&pods, m)?;
        }
        self.note(format!(
            "resumed run {}: took over {} running jobs; migrations in flight: {}",
            self.setup.run,
            running.len(),
            in_flight.len()
        ));
        self.remove_strays(&pods);
        Ok(std::mem::take(&mut self.steps))
    }

    fn follow_on(&mut self, pods: &[Arc<Pod>], m: &InFlight) -> Result<(), String> {
        let (job, target) = (JobId(m.job), NodeId(m.target));
        let Some(frozen) = m.frozen_at else {
            self.step(
                m.id,
                Step::Cancelled {
                    reason: "the backend stopped before the move began".into(),
                },
            );
            return Ok(());
        };
        if m.mechanism == Mechanism::Restart {
            // The old pod goes before the new one is made: finish what was cut short.
            let host = &self.nodes[target.index()].name;
            let made = pods
                .iter()
                .filter(|p| on(p, host) && !ended(p))
                .find(|p| job_and_generation(p).is_some_and(|(j, _)| j == job))
                .map(|p| p.name_any());
            let name = match made {
                Some(name) => name,
                None => {
                    if let Some(old) = self.jobs.get(&job).map(|p| p.name.clone()) {
                        self.delete(&old);
                    }
                    self.place(job, target, None)?
                }
            };
            let work_s = self.jobs.get(&job).map_or(0.0, |p| p.work_s);
            self.keep(job, target, name, work_s, false);
            self.restarts.insert(m.id, Restart { job, frozen });
            return Ok(());
        }
        let name = self.migration_name(m.id);
        let object = self
            .migrations
            .get(&reflector::ObjectRef::new(&name).within(&self.setup.namespace));
        let Some(object) = object else {
            // Made just before its Migration: the pod that was to receive the job.
            for p in pods
                .iter()
                .filter(|p| restores_from(p) == Some(name.as_str()))
            {
                self.delete(&p.name_any());
            }
            self.step(
                m.id,
                Step::Cancelled {
                    reason: "the backend stopped before it created the Migration; the job ran on on its source".into(),
                },
            );
            return Ok(());
        };
        let last = m.last.name();
        self.moves.insert(
            m.id,
            Move {
                job,
                name,
                target,
                target_pod: object.spec.target_pod.clone(),
                reported: STEPS.iter().position(|s| *s == last).map_or(0, |k| k + 1),
                post_copy: m.mechanism == Mechanism::PostCopy,
            },
        );
        Ok(())
    }

    /// Pods of the run the journal knows nothing of: made by the dead backend after its last
    /// entry. Ended pods stay, for `kubectl` to show, as they do in a run.
    fn remove_strays(&mut self, pods: &[Arc<Pod>]) {
        let mut known: HashSet<String> = self.jobs.values().map(|p| p.name.clone()).collect();
        known.extend(self.moves.values().map(|m| m.target_pod.clone()));
        for p in pods {
            let name = p.name_any();
            if !known.contains(&name) && !ended(p) && p.metadata.deletion_timestamp.is_none() {
                self.delete(&name);
            }
        }
    }
}

/// The pod a job the journal has running on `host` runs as: its newest there that is not
/// waiting for a move to land. One that ended counts only if its end is news: the journal
/// has `journaled` ends of the job, one per pod of it that ended before.
fn current_pod(pods: &[Arc<Pod>], host: &str, job: JobId, journaled: usize) -> Option<String> {
    let mine: Vec<(u32, &Arc<Pod>)> = pods
        .iter()
        .filter_map(|p| {
            job_and_generation(p)
                .filter(|(j, _)| *j == job)
                .map(|(_, g)| (g, p))
        })
        .collect();
    let (_, newest) = mine
        .iter()
        .filter(|(_, p)| on(p, host) && !waiting_to_land(p))
        .max_by_key(|(g, _)| *g)?;
    let ends = mine.iter().filter(|(_, p)| ended(p)).count();
    (!ended(newest) || ends > journaled).then(|| newest.name_any())
}

fn on(pod: &Pod, host: &str) -> bool {
    pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(host)
}

fn ended(pod: &Pod) -> bool {
    matches!(phase(pod).as_str(), "Succeeded" | "Failed")
}

/// Its job and its generation, from the label and the name `pod_name` gave it.
fn job_and_generation(pod: &Pod) -> Option<(JobId, u32)> {
    let job = pod.labels().get(LABEL_JOB)?.parse().ok()?;
    let generation = pod.name_any().rsplit('-').next()?.parse().ok()?;
    Some((JobId(job), generation))
}

fn restores_from(pod: &Pod) -> Option<&str> {
    pod.annotations()
        .get(ANNOTATION_RESTORE)
        .map(String::as_str)
}

/// A pod a Migration brings to its node that has not started: the job is not there yet.
fn waiting_to_land(pod: &Pod) -> bool {
    restores_from(pod).is_some() && phase(pod) != "Running" && !ended(pod)
}
