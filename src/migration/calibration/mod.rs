//! Cost parameters fitted to measured migrations. Named profiles are fitted, when first used,
//! from the measurement files shipped in `data/`, so no fitted number is copied by hand.

mod fit;
mod ums;

pub use fit::LinearFit;
pub use ums::{UmsFit, UmsRun, UMS_APPROACHES};

use std::sync::OnceLock;

use crate::migration::CostModel;

/// Every named profile: (name, what it is).
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
pub fn ums_fits() -> &'static [UmsFit] {
    static FITS: OnceLock<Vec<UmsFit>> = OnceLock::new();
    FITS.get_or_init(|| {
        UMS_APPROACHES
            .iter()
            .map(|a| UmsFit::fit(&UmsRun::parse(a.data).expect("the shipped UMS data parse")))
            .collect()
    })
}

/// The cost model of a named profile, or a message listing the names.
pub fn profile(name: &str) -> Result<CostModel, String> {
    match PROFILES.iter().position(|(n, _)| *n == name) {
        Some(i) => Ok(ums_fits()[i].model),
        None => {
            let names: Vec<&str> = PROFILES.iter().map(|p| p.0).collect();
            Err(format!(
                "unknown cost profile `{name}`; the profiles are {}",
                names.join(", ")
            ))
        }
    }
}
