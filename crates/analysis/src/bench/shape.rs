//! The production-scale scenario the scale goals are stated on, generated for any size: nodes
//! of 256 GiB and 96 CPUs, 100 jobs per node arriving as a Poisson process over 30 days,
//! lognormal work of mean 48 h, memory growing linearly to caps of 8-48 GiB (about 40% mean
//! memory load), speculative worst-fit scheduling and, when asked, a threshold controller every
//! 10 s on a 10 s monitoring delay with big-enough selection, concurrent pacing and the UMS
//! orchestrator-level stop-and-copy cost.

/// One size of the scenario.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Shape {
    pub nodes: u32,
    pub jobs: u32,
    pub days: f64,
    pub controller: bool,
}

impl Shape {
    /// `nodes` nodes with 100 jobs each over 30 days.
    pub fn production(nodes: u32, controller: bool) -> Self {
        Shape {
            nodes,
            jobs: nodes * 100,
            days: 30.0,
            controller,
        }
    }

    pub fn name(&self) -> String {
        let c = if self.controller {
            "controller"
        } else {
            "none"
        };
        format!("scale-{}n-{}j-{c}", self.nodes, self.jobs)
    }

    /// The scenario file's text.
    pub fn toml(&self) -> String {
        let span_s = self.days * 86400.0;
        let gap_s = span_s / f64::from(self.jobs.max(1));
        let mut s = format!(
            r#"[simulation]
name = "{name}"
seed = 1
end = "{span_s}s"
sample_interval = "1h"

[[nodes]]
name = "node"
count = {nodes}
memory = "256GiB"
cpu = 96

[[workload.generate]]
name = "j"
count = {jobs}
arrival = {{ process = "poisson", mean_gap = "{gap_s}s" }}
work = {{ dist = "lognormal", mean = "48h", std = "48h" }}
cpu = {{ dist = "uniform", min = 1, max = 8 }}
profile = {{ shape = "linear", start = "1GiB", growth = {{ dist = "uniform", min = "0.05MiB/s", max = "0.35MiB/s" }}, cap = {{ dist = "uniform", min = "8GiB", max = "48GiB" }} }}

[scheduler]
placement = "worst-fit"
"#,
            name = self.name(),
            nodes = self.nodes,
            jobs = self.jobs,
        );
        if self.controller {
            s.push_str(
                r#"
[monitor]
interval = "10s"
delay = "10s"

[controller]
interval = "10s"
threshold = 0.1
selection = { policy = "big-enough" }
pacing = { policy = "concurrent", per_node = 1, cluster = 64 }

[migration]
mechanism = "stop-and-copy"
profile = "ums-orchestrator-level"
"#,
            );
        }
        s
    }
}
