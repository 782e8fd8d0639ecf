//! Fit quality where it matters most: on sizes the fit has not seen.

use crate::migration::calibration::fitted::mean;
use crate::migration::calibration::{Calibration, Input, Phase, Sample};

/// Predictions for the held-out sizes.
#[derive(Clone, Debug, PartialEq)]
pub struct Holdout {
    /// The sizes fitted on.
    pub trained: Vec<f64>,
    pub rows: Vec<HoldoutRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct HoldoutRow {
    pub size: f64,
    /// What is compared: a phase's own line, or `total (model)`, the whole cost model.
    pub what: String,
    pub measured: f64,
    pub predicted: f64,
}

impl HoldoutRow {
    pub fn relative_error(&self) -> f64 {
        (self.predicted - self.measured) / self.measured
    }
}

impl Holdout {
    /// Fits on every size but the largest `n` and predicts those: each phase by its line and,
    /// when whole migrations were timed, the total by the cost model.
    pub fn run(inputs: &[Input], n: usize) -> Result<Holdout, String> {
        let mut sizes: Vec<u64> = inputs
            .iter()
            .flat_map(|i| i.samples.iter().map(|s| s.size as u64))
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        if sizes.len() < n + 2 {
            return Err(format!(
                "holding out {n} sizes needs at least {} distinct sizes, the inputs have {}",
                n + 2,
                sizes.len()
            ));
        }
        let cut = sizes[sizes.len() - n];
        let split = |held: bool| -> Vec<Input> {
            inputs
                .iter()
                .map(|i| Input {
                    samples: i
                        .samples
                        .iter()
                        .filter(|s| ((s.size as u64) >= cut) == held)
                        .copied()
                        .collect(),
                    ..i.clone()
                })
                .collect()
        };
        let fit = Calibration::from_inputs(&split(false))?;
        let held: Vec<Sample> = split(true).into_iter().flat_map(|i| i.samples).collect();
        let mut rows = Vec::new();
        for &size in &sizes[sizes.len() - n..] {
            let at: Vec<&Sample> = held.iter().filter(|s| s.size as u64 == size).collect();
            for (phase, f) in &fit.phases {
                let own: Vec<&&Sample> = at.iter().filter(|s| s.phase == *phase).collect();
                let (Some(measured), Some(memory)) = (
                    mean(own.iter().map(|s| s.seconds)),
                    mean(own.iter().map(|s| s.memory_bytes)),
                ) else {
                    continue;
                };
                rows.push(HoldoutRow {
                    size: size as f64,
                    what: phase.to_string(),
                    measured,
                    predicted: f.line.predict(memory),
                });
                if *phase == Phase::Total {
                    rows.push(HoldoutRow {
                        size: size as f64,
                        what: "total (model)".into(),
                        measured,
                        predicted: fit.predict_total(memory),
                    });
                }
            }
        }
        Ok(Holdout {
            trained: sizes[..sizes.len() - n].iter().map(|&s| s as f64).collect(),
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdout_predicts_the_largest_sizes_from_the_rest() {
        let mut s = Vec::new();
        for mib in [64.0, 128.0, 256.0, 512.0, 1024.0] {
            s.push(Sample::at_mib(Phase::Dump, mib, 1.0 + mib / 100.0));
            s.push(Sample::at_mib(Phase::Total, mib, 2.0 + mib / 100.0));
        }
        let input = Input {
            path: "x".into(),
            samples: s,
            link: None,
        };
        let h = Holdout::run(std::slice::from_ref(&input), 2).unwrap();
        assert_eq!(h.trained.len(), 3);
        let whats: Vec<&str> = h.rows.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(
            whats,
            [
                "dump",
                "total",
                "total (model)",
                "dump",
                "total",
                "total (model)"
            ]
        );
        assert!(h.rows[0].relative_error().abs() < 1e-9);
        assert!(Holdout::run(&[input], 4).is_err());
    }

    /// A table of published totals alone (the UMS means, without their phases) fitted on the
    /// smaller sizes predicts the two largest within 15%, through the cost model it gives.
    #[test]
    fn published_totals_alone_predict_the_largest_sizes() {
        use crate::migration::calibration::ums::{UmsRun, UMS_APPROACHES};
        for a in &UMS_APPROACHES {
            let totals = UmsRun::parse(a.data)
                .unwrap()
                .iter()
                .flat_map(UmsRun::samples)
                .filter(|s| s.phase == Phase::Total)
                .collect();
            let input = Input {
                path: a.file.into(),
                samples: totals,
                link: None,
            };
            let h = Holdout::run(&[input], 2).unwrap();
            let model: Vec<&HoldoutRow> = h
                .rows
                .iter()
                .filter(|r| r.what == "total (model)")
                .collect();
            assert_eq!(model.len(), 2, "{}", a.profile);
            for r in model {
                let e = r.relative_error();
                assert!(
                    e.abs() < 0.15,
                    "{} at {} B: {:+.1}%",
                    a.profile,
                    r.size,
                    100.0 * e
                );
            }
        }
    }
}
