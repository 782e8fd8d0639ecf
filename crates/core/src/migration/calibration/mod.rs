//! Cost parameters fitted to measured migrations. Named profiles are fitted, when first used,
//! from the measurement files shipped in `data/`, so no fitted number is copied by hand.

mod fit;
mod fitted;
mod holdout;
mod samples;
mod ums;

pub use fit::LinearFit;
pub use fitted::{Calibration, PhaseFit, SizeFit};
pub use holdout::{Holdout, HoldoutRow};
pub use samples::{Input, InputError, Phase, Sample};
pub use ums::{UmsRun, UMS_APPROACHES, UMS_LINK};

use std::sync::OnceLock;

use crate::migration::CostModel;

/// The cost model of the thesis whose policies migsim's controller follows (github
/// elchead/k8s-cluster-simulator): a stop-and-copy took ceil(3.3506 s x GB), fitted there to
/// the author's own migrations. Here: a streamed checkpoint at 1 GB per 3.3506 s, the frozen
/// time rounded up to whole seconds.
pub const THESIS_2022: (&str, &str) = (
    "thesis-2022",
    "the thesis's stop-and-copy cost: ceil(3.3506 s x GB), a formula, not a fit",
);

pub fn thesis_2022() -> CostModel {
    CostModel {
        checkpoint_rate: 1e9 / 3.3506,
        streaming: true,
        round_up: 1.0,
        ..CostModel::default()
    }
}

/// Every profile fitted to measurements: (name, what it is).
pub const PROFILES: [(&str, &str); 3] = [
    (
        "ums-service-level",
        "UMS FastFreeze: the checkpoint tool lives in the service image",
    ),
    (
        "ums-orchestrator-level",
        "UMS orchestrator-level: patched kubelet/containerd",
    ),
    (
        "ums-container-level",
        "UMS Docker-in-Docker: the container runs its own Docker",
    ),
];

/// The fitted profiles, in [`PROFILES`] order.
pub fn ums_fits() -> &'static [Calibration] {
    static FITS: OnceLock<Vec<Calibration>> = OnceLock::new();
    FITS.get_or_init(|| {
        UMS_APPROACHES
            .iter()
            .map(|a| {
                let runs = UmsRun::parse(a.data).expect("the shipped UMS data parse");
                let samples: Vec<Sample> = runs.iter().flat_map(UmsRun::samples).collect();
                Calibration::fit(&samples, Some(UMS_LINK), vec![a.file.to_string()])
                    .expect("the shipped UMS data fit")
            })
            .collect()
    })
}

/// The cost model of a named profile, or a message listing the names.
pub fn profile(name: &str) -> Result<CostModel, String> {
    if name == THESIS_2022.0 {
        return Ok(thesis_2022());
    }
    match PROFILES.iter().position(|(n, _)| *n == name) {
        Some(i) => Ok(ums_fits()[i].cost),
        None => {
            let mut names: Vec<&str> = PROFILES.iter().map(|p| p.0).collect();
            names.push(THESIS_2022.0);
            Err(format!(
                "unknown cost profile `{name}`; the profiles are {}",
                names.join(", ")
            ))
        }
    }
}
