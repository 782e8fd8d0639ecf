//! The UMS project's container-migration timings (see `data/criu/ums/README.md`) and the
//! stop-and-copy cost model fitted to them.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::migration::calibration::{Phase, Sample};

/// One shipped data set.
pub struct UmsApproach {
    pub profile: &'static str,
    /// Where the data is in this repository.
    pub file: &'static str,
    pub data: &'static str,
}

pub const UMS_APPROACHES: [UmsApproach; 3] = [
    UmsApproach {
        profile: "ums-service-level",
        file: "data/criu/ums/fastfreeze_exp1.json",
        data: include_str!("../../../../../data/criu/ums/fastfreeze_exp1.json"),
    },
    UmsApproach {
        profile: "ums-orchestrator-level",
        file: "data/criu/ums/ssu-podmigration-operator_exp1.json",
        data: include_str!("../../../../../data/criu/ums/ssu-podmigration-operator_exp1.json"),
    },
    UmsApproach {
        profile: "ums-container-level",
        file: "data/criu/ums/dind_exp1.json",
        data: include_str!("../../../../../data/criu/ums/dind_exp1.json"),
    },
];

/// The UMS testbed's link: 1 Gbit/s.
pub const UMS_LINK: f64 = 1e9 / 8.0;

const MIB: f64 = 1024.0 * 1024.0;

/// One measured migration, seconds per phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UmsRun {
    pub bytes: f64,
    pub creation: f64,
    pub checkpoint: f64,
    /// Checkpoint and transfer together (they overlap).
    pub checkpoint_and_transfer: f64,
    pub restoration: f64,
    pub total: f64,
}

#[derive(Deserialize)]
struct RawRun {
    overhead: RawOverhead,
}

#[derive(Deserialize)]
struct RawOverhead {
    creation: f64,
    checkpoint_and_transfer: RawCheckpoint,
    checkpoint_and_transfer_total: f64,
    restoration: f64,
    total: f64,
}

#[derive(Deserialize)]
struct RawCheckpoint {
    checkpoint: f64,
}

impl UmsRun {
    /// Reads an `experiment1.json`: memhog size in MiB -> runs. Sorted by size. An error
    /// carries the line it was found on and the path of the value.
    pub fn parse(json: &str) -> Result<Vec<UmsRun>, (Option<usize>, String)> {
        let mut de = serde_json::Deserializer::from_str(json);
        let raw: BTreeMap<String, Vec<RawRun>> = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| {
                let line = e.inner().line();
                (Some(line), format!("at `{}`: {}", e.path(), e.inner()))
            })?;
        let mut runs = Vec::new();
        for (size, list) in raw {
            let mib: f64 = size
                .parse()
                .map_err(|_| (None, format!("size key `{size}` is not a number of MiB")))?;
            runs.extend(list.iter().map(|r| UmsRun {
                bytes: mib * MIB,
                creation: r.overhead.creation,
                checkpoint: r.overhead.checkpoint_and_transfer.checkpoint,
                checkpoint_and_transfer: r.overhead.checkpoint_and_transfer_total,
                restoration: r.overhead.restoration,
                total: r.overhead.total,
            }));
        }
        runs.sort_by(|a, b| a.bytes.total_cmp(&b.bytes));
        Ok(runs)
    }

    /// The run as timed phases. The setup is what the total has beyond the
    /// checkpoint-and-transfer and restore phases: container creation, and for FastFreeze about
    /// 0.8 s more that no phase field covers.
    pub fn samples(&self) -> [Sample; 5] {
        let at = |phase, seconds| Sample {
            phase,
            size: self.bytes,
            memory_bytes: self.bytes,
            seconds,
        };
        [
            at(
                Phase::Setup,
                self.total - self.checkpoint_and_transfer - self.restoration,
            ),
            at(Phase::Dump, self.checkpoint),
            at(Phase::Stream, self.checkpoint_and_transfer),
            at(Phase::Restore, self.restoration),
            at(Phase::Total, self.total),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::calibration::ums_fits;

    /// Mean measured total per size.
    fn mean_totals(runs: &[UmsRun]) -> BTreeMap<u64, f64> {
        let mut by: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
        for r in runs {
            by.entry(r.bytes as u64).or_default().push(r.total);
        }
        by.into_iter()
            .map(|(b, v)| (b, v.iter().sum::<f64>() / v.len() as f64))
            .collect()
    }

    #[test]
    fn the_shipped_data_parse_with_30_runs_per_size() {
        for a in &UMS_APPROACHES {
            let runs = UmsRun::parse(a.data).unwrap();
            assert_eq!(runs.len(), 8 * 30, "{}", a.profile);
            assert_eq!(runs.last().unwrap().bytes, 1024.0 * MIB);
        }
    }

    #[test]
    fn fitted_profiles_reproduce_the_measured_totals() {
        // The published means: 5.94 / 6.94 / 14.7 s at 128 MiB and 16.8 / 17.4 / 76.9 s at
        // 1024 MiB. The model must come within 15% at both sizes for every approach.
        for (a, fit) in UMS_APPROACHES.iter().zip(ums_fits()) {
            let measured = mean_totals(&UmsRun::parse(a.data).unwrap());
            for mib in [128.0, 1024.0] {
                let bytes = mib * MIB;
                let m = measured[&(bytes as u64)];
                let p = fit.predict_total(bytes);
                assert!(
                    (p - m).abs() / m < 0.15,
                    "{} at {mib} MiB: predicted {p:.2} s, measured {m:.2} s",
                    a.profile
                );
            }
            assert!(fit.cost.streaming && fit.cost.efficiency <= 1.0);
        }
        // The container-level approach is slowest per byte, by far.
        let fits = ums_fits();
        assert!(fits[2].predict_total(1024.0 * MIB) > 3.0 * fits[0].predict_total(1024.0 * MIB));
    }
}
