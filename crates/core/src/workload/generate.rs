//! Turns a workload spec into concrete jobs.

use rand::Rng;
use rand_distr::{Distribution, Exp};

use crate::engine::{RngStreams, SimDuration, SimTime};
use crate::keypath::{FieldIssue, KeyPath};
use crate::units::{Plain, Rate};
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
    /// Bytes per second it dirties besides its growth; None: the scenario's pre-copy rate.
    pub dirty_rate: Option<f64>,
}

impl JobSpec {
    /// Bytes per second it dirties besides its growth, `global` unless it has its own.
    pub fn dirties(&self, global: f64) -> f64 {
        self.dirty_rate.unwrap_or(global)
    }
}

/// Draws every job, sorted by arrival; ties keep the order of the file (explicit jobs first,
/// then classes in order). Jobs draw from the `workload/<class>` stream of their class. Fails,
/// naming the profile, when a drawn job's memory is not a finite number over its work (an
/// uncapped exponential that overflows, say): no simulation can account for that.
pub fn generate(spec: &WorkloadSpec, streams: &RngStreams) -> Result<Vec<JobSpec>, FieldIssue> {
    let mut jobs = Vec::with_capacity(spec.job_count());
    let mut rng = streams.stream("workload/explicit");
    let mut dirty = DirtyRates::new(streams, "explicit");
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
            dirty.draw(j.dirty_rate.as_ref()),
        );
        jobs.push(finite(job, root.key("jobs").index(i))?);
    }
    for (c, class) in spec.generate.iter().enumerate() {
        let mut rng = streams.stream(&format!("workload/{}", class.name));
        let mut dirty = DirtyRates::new(streams, &class.name);
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
                dirty.draw(class.dirty_rate.as_ref()),
            );
            jobs.push(finite(job, root.key("generate").index(c))?);
        }
    }
    for (t, trace) in spec.trace.iter().enumerate() {
        let mut rng = streams.stream(&format!("workload/trace-{t}"));
        let mut dirty = DirtyRates::new(streams, &format!("trace-{t}"));
        jobs.extend(trace.jobs(&mut rng, &mut |d| dirty.draw(d)));
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
    dirty_rate: Option<f64>,
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
        dirty_rate,
    }
}

/// Dirty rates come from a stream of their own per job source, so that giving a class one
/// changes none of its other draws.
struct DirtyRates(crate::engine::StreamRng);

impl DirtyRates {
    fn new(streams: &RngStreams, source: &str) -> Self {
        DirtyRates(streams.stream(&format!("workload/{source}/dirty_rate")))
    }

    fn draw(&mut self, dist: Option<&Dist<Rate>>) -> Option<f64> {
        dist.map(|d| d.sample(&mut self.0))
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(text: &str) -> Vec<JobSpec> {
        let spec: WorkloadSpec = toml::from_str(text).unwrap();
        generate(&spec, &RngStreams::new(7)).unwrap()
    }

    const CLASS: &str = r#"
[[generate]]
name = "c"
count = 50
arrival = { process = "poisson", mean_gap = "1m" }
work = { dist = "lognormal", mean = "2h", std = "30m" }
profile = { shape = "linear", start = "1GiB", growth = { dist = "uniform", min = "1MiB/s", max = "2MiB/s" } }
"#;

    /// Each job draws its own rate from its class's distribution, seeded; a class that gives
    /// none leaves it to the scenario, and giving one changes none of the other draws.
    #[test]
    fn a_class_gives_each_job_its_own_dirty_rate() {
        let plain = jobs(CLASS);
        assert!(plain.iter().all(|j| j.dirty_rate.is_none()));
        let with = format!(
            "{CLASS}dirty_rate = {{ dist = \"lognormal\", mean = \"5MiB/s\", std = \"20MiB/s\" }}\n"
        );
        let drawn = jobs(&with);
        assert_eq!(drawn.len(), plain.len());
        for (a, b) in plain.iter().zip(&drawn) {
            assert_eq!((a.arrival, a.work, &a.name), (b.arrival, b.work, &b.name));
            assert_eq!(a.profile.points(), b.profile.points());
        }
        let rates: Vec<f64> = drawn.iter().map(|j| j.dirty_rate.unwrap()).collect();
        assert!(rates.iter().all(|&r| r > 0.0));
        // Spread over orders of magnitude, as measured workloads are.
        let (lo, hi) = rates
            .iter()
            .fold((f64::MAX, 0.0f64), |(l, h), &r| (l.min(r), h.max(r)));
        assert!(hi / lo > 100.0, "{lo} .. {hi}");
        let again: Vec<f64> = jobs(&with).iter().map(|j| j.dirty_rate.unwrap()).collect();
        assert_eq!(rates, again);
        assert_eq!(drawn[0].dirties(1.0), rates[0]);
        assert_eq!(plain[0].dirties(1.0), 1.0);
    }

    #[test]
    fn a_negative_dirty_rate_is_refused_by_name() {
        let text = format!(
            "{CLASS}dirty_rate = {{ dist = \"normal\", mean = \"-1MiB/s\", std = \"1MiB/s\" }}\n"
        );
        let refused = match toml::from_str::<WorkloadSpec>(&text) {
            Err(e) => e.to_string(),
            Ok(spec) => format!("{:?}", spec.check(&KeyPath::root()).unwrap_err()),
        };
        assert!(refused.contains("dirty_rate"), "{refused}");
    }
}
