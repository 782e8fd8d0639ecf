pub mod needs;

/// Real criu, where it can run here (found, and we are root).
pub fn criu() -> Result<migsim::criu::Criu, String> {
    migsim::criu::Criu::locate(None).and_then(|c| migsim::criu::support::require_root().map(|()| c))
}

/// Tests that run real criu: skipped where it cannot run, failed instead with
/// MIGSIM_REQUIRE_CRIU set.
pub fn needs_criu() -> needs::Needs {
    needs::Needs::check(criu().map(drop), "MIGSIM_REQUIRE_CRIU")
}
