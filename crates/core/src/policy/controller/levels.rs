//! What monitoring has shown of each job's and each node's memory over a trailing window: the
//! history the peak predictors of the overcommit literature read. Autopilot (Rzadca et al.,
//! EuroSys 2020) and the per-task predictors of Bashir et al. (EuroSys 2021) take a percentile
//! of each task's recent usage; the machine-level N-sigma predictor of Bashir et al. takes the
//! mean of the machine's recent usage plus N standard deviations. Fed the views the controller
//! decides on, and nothing else.

use std::collections::{BTreeMap, VecDeque};

use crate::engine::{SimDuration, SimTime};
use crate::model::{JobId, NodeId};
use crate::policy::{ClusterView, JobView};

/// Figures seen at the views' times, the oldest dropped once outside the window.
#[derive(Clone, Debug, Default)]
struct Series(VecDeque<(SimTime, f64)>);

impl Series {
    fn push(&mut self, at: SimTime, value: f64, window: SimDuration) {
        while self.0.front().is_some_and(|&(t, _)| t + window < at) {
            self.0.pop_front();
        }
        self.0.push_back((at, value));
    }

    fn values(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.0.iter().map(|&(_, v)| v)
    }
}

/// The memory levels of every job and node monitoring has shown within the window.
#[derive(Clone, Debug)]
pub struct Levels {
    window: SimDuration,
    last: Option<SimTime>,
    jobs: BTreeMap<JobId, Series>,
    nodes: Vec<Series>,
}

impl Levels {
    pub fn new(window: SimDuration) -> Self {
        Levels {
            window,
            last: None,
            jobs: BTreeMap::new(),
            nodes: Vec::new(),
        }
    }

    /// Reads a view once (a view seen before, or older, changes nothing). A job not in it is
    /// forgotten: it ended, or runs where the view holds no jobs.
    pub fn observe(&mut self, view: &ClusterView) {
        if self.last.is_some_and(|t| view.time <= t) {
            return;
        }
        self.last = Some(view.time);
        self.nodes.resize_with(view.nodes.len(), Series::default);
        let mut seen = BTreeMap::new();
        for &id in &view.with_jobs {
            self.nodes[id.index()].push(view.time, view.used(id), self.window);
            for job in &view.nodes[id.index()].jobs {
                let mut series = self.jobs.remove(&job.id).unwrap_or_default();
                series.push(view.time, job.memory, self.window);
                seen.insert(job.id, series);
            }
        }
        self.jobs = seen;
    }

    /// The `p`-th percentile (nearest rank, `p` in (0, 1]) of `job`'s memory over the window;
    /// its memory now if monitoring has not shown it yet.
    pub fn percentile(&self, job: &JobView, p: f64) -> f64 {
        let Some(series) = self.jobs.get(&job.id).filter(|s| !s.0.is_empty()) else {
            return job.memory;
        };
        let mut values: Vec<f64> = series.values().collect();
        values.sort_by(f64::total_cmp);
        let rank = (p * values.len() as f64).ceil() as usize;
        values[rank.clamp(1, values.len()) - 1]
    }

    /// The mean of `node`'s memory in use over the window plus `n` standard deviations;
    /// `None` before monitoring has shown it.
    pub fn n_sigma(&self, node: NodeId, n: f64) -> Option<f64> {
        let series = self.nodes.get(node.index()).filter(|s| !s.0.is_empty())?;
        let count = series.0.len() as f64;
        let mean = series.values().sum::<f64>() / count;
        let variance = series.values().map(|v| (v - mean).powi(2)).sum::<f64>() / count;
        Some(mean + n * variance.sqrt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::NodeView;

    fn view(t: f64, jobs: &[(u32, f64)]) -> ClusterView {
        let jobs: Vec<JobView> = jobs
            .iter()
            .map(|&(id, memory)| JobView::placement(JobId(id), memory, 0.0, 1.0))
            .collect();
        let used = jobs.iter().map(|j| j.memory).sum();
        ClusterView {
            time: SimTime::from_secs(t),
            nodes: vec![NodeView {
                id: NodeId(0),
                memory_capacity: 100.0,
                memory_used: used,
                cpu_capacity: 8.0,
                cpu_requested: 1.0,
                network: 1.25e9,
                cordoned: false,
                down: false,
                jobs,
            }],
            with_jobs: vec![NodeId(0)],
            ..ClusterView::default()
        }
    }

    /// Ten views of one job at 1..10 bytes, a window of 5 s: what falls outside the window is
    /// forgotten, the percentile is the nearest rank of what is left, and the node's N-sigma
    /// is its mean plus N population standard deviations.
    #[test]
    fn predictors_read_the_window_monitoring_showed() {
        let mut levels = Levels::new(SimDuration::from_secs(5.0));
        for t in 1..=10 {
            levels.observe(&view(f64::from(t), &[(7, f64::from(t))]));
        }
        let job = JobView::placement(JobId(7), 99.0, 0.0, 1.0);
        // The window holds t = 5..10: values 5..10.
        assert_eq!(levels.percentile(&job, 1.0), 10.0);
        assert_eq!(levels.percentile(&job, 0.5), 7.0);
        assert_eq!(levels.percentile(&job, 0.01), 5.0);
        let (mean, sd) = (7.5, (17.5f64 / 6.0).sqrt());
        let got = levels.n_sigma(NodeId(0), 2.0).unwrap();
        assert!((got - (mean + 2.0 * sd)).abs() < 1e-12, "{got}");
        // A job monitoring has not shown is predicted at its level now.
        let new = JobView::placement(JobId(8), 3.0, 0.0, 1.0);
        assert_eq!(levels.percentile(&new, 0.99), 3.0);
        // A view seen before teaches nothing; a job gone from the view is forgotten.
        levels.observe(&view(10.0, &[(7, 1000.0)]));
        assert_eq!(levels.percentile(&job, 1.0), 10.0);
        levels.observe(&view(11.0, &[(8, 4.0)]));
        assert_eq!(levels.percentile(&job, 1.0), 99.0);
    }
}
