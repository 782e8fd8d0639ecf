//! Turns a workload spec into concrete jobs.

use rand::Rng;
use rand_distr::{Distribution, Exp};

use crate::engine::{RngStreams, SimDuration, SimTime};
use crate::keypath::{FieldIssue, KeyPath};
use crate::units::Plain;
use crate::workload::dist::Dist;
use crate::workload::{ArrivalSpec, MemoryProfile, ProfileSpec, RequestSpec, WorkloadSpec};

/// One job with every parameter drawn.
#[derive(Clone, Debug)]
pub struct JobSpec {
    pub name: String,
    /// The class it was drawn from, or `explicit`.
    pub class: String,
    pub arrival: SimTime,
    /// Executed time it needs to finish.
    pub work: SimDuration,
    pub cpu: f64,
    /// Declared memory in bytes (0 when unknown).
    pub request: f64,
    pub profile: MemoryProfile,
}

/// Draws every job, sorted by arrival; ties keep the order of the file (explicit jobs first,
/// then classes in order). Jobs draw from the `workload/<class>` stream of their class. Fails,
/// naming the profile, when a drawn job's memory is not a finite number over its work (an
/// uncapped exponential that overflows, say): no simulation can account for that.
pub fn generate(spec: &WorkloadSpec, streams: &RngStreams) -> Result<Vec<JobSpec>, FieldIssue> {
    let mut jobs = Vec::with_capacity(spec.job_count());
    let mut rng = streams.stream("workload/explicit");
    let root = KeyPath::root().key("workload");
    for (i, j) in spec.jobs.iter().enumerate() {
        let work = SimDuration::from_secs(j.work.value).max(SimDuration(1));
        let job = draw_job(
            &mut rng,
            j.name.clone(),
            "explicit",
            SimTime::from_secs(j.arrival.value),
            work,
            &j.cpu,
            &j.request,
            &j.profile,
        );
        jobs.push(finite(job, root.key("jobs").index(i))?);
    }
    for (c, class) in spec.generate.iter().enumerate() {
        let mut rng = streams.stream(&format!("workload/{}", class.name));
        let arrivals = arrivals(&class.arrival, class.count, &mut rng);
        for (i, arrival) in arrivals.into_iter().enumerate() {
            let work = SimDuration::from_secs(class.work.sample(&mut rng)).max(SimDuration(1));
            let name = format!("{}-{i}", class.name);
            let job = draw_job(
                &mut rng,
                name,
                &class.name,
                arrival,
                work,
                &class.cpu,
                &class.request,
                &class.profile,
            );
            jobs.push(finite(job, root.key("generate").index(c))?);
        }
    }
    for (t, trace) in spec.trace.iter().enumerate() {
        let mut rng = streams.stream(&format!("workload/trace-{t}"));
        jobs.extend(trace.jobs(&mut rng));
    }
    jobs.sort_by_key(|j| j.arrival);
    Ok(jobs)
}

fn finite(job: JobSpec, at: KeyPath) -> Result<JobSpec, FieldIssue> {
    if !job.profile.is_finite() {
        let work = crate::units::human_duration(job.work.as_secs());
        return Err(FieldIssue::new(
            at.key("profile"),
            format!(
                "job `{}` would need unbounded memory within its {work} of work: give the profile a `cap`",
                job.name
            ),
        ));
    }
    if !job.request.is_finite() {
        return Err(FieldIssue::new(
            at.key("request"),
            format!(
                "job `{}` drew a request too large to represent: narrow its distribution",
                job.name
            ),
        ));
    }
    Ok(job)
}

#[allow(clippy::too_many_arguments)] // one call site per job source; a struct would only rename them
fn draw_job<R: Rng>(
    rng: &mut R,
    name: String,
    class: &str,
    arrival: SimTime,
    work: SimDuration,
    cpu: &Dist<Plain>,
    request: &RequestSpec,
    profile: &ProfileSpec,
) -> JobSpec {
    let cpu = cpu.sample(rng);
    let profile = MemoryProfile::compile(&profile.sample(rng), work);
    let request = match request {
        RequestSpec::Unknown => 0.0,
        RequestSpec::Peak => profile.peak(),
        RequestSpec::Amount(d) => d.sample(rng),
    };
    JobSpec {
        name,
        class: class.to_string(),
        arrival,
        work,
        cpu,
        request,
        profile,
    }
}

fn arrivals<R: Rng>(spec: &ArrivalSpec, count: u32, rng: &mut R) -> Vec<SimTime> {
    match spec {
        ArrivalSpec::Batch { at } => vec![SimTime::from_secs(at.value); count as usize],
        ArrivalSpec::Periodic { gap, start } => (0..count)
            .map(|i| SimTime::from_secs(start.value + gap.value * i as f64))
            .collect(),
        ArrivalSpec::Poisson { mean_gap, start } => {
            let gaps = Exp::new(1.0 / mean_gap.value).expect("checked positive");
            let mut t = start.value;
            (0..count)
                .map(|i| {
                    if i > 0 {
                        t += gaps.sample(rng);
                    }
                    SimTime::from_secs(t)
                })
                .collect()
        }
    }
}
