//! A calibration: one least-squares line per measured phase, the residuals per size, and the
//! cost model those lines give. `migsim calibrate fit` writes it as TOML; a scenario names the
//! file (`[migration] calibration = "..."`) to use its costs.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::keypath::KeyPath;
use crate::locate::{line_col, locate};
use crate::migration::calibration::{Input, InputError, LinearFit, Phase, Sample};
use crate::migration::{CostModel, CostSpec, Mechanism, MigrationSpec};
use crate::units::ByteRate;

#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// The files the samples came from, as given.
    pub inputs: Vec<String>,
    /// Bytes per second of the link the streamed transfers crossed; `None` for loopback.
    pub link: Option<f64>,
    pub phases: BTreeMap<Phase, PhaseFit>,
    pub cost: CostModel,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseFit {
    pub line: LinearFit,
    pub sizes: Vec<SizeFit>,
}

/// How the line does at one size: the mean of the runs against the prediction.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SizeFit {
    pub size: f64,
    pub runs: usize,
    pub mean: f64,
    pub predicted: f64,
}

impl SizeFit {
    pub fn residual(&self) -> f64 {
        self.mean - self.predicted
    }
}

impl Calibration {
    /// Fits every phase that has samples. The inputs must agree on the link they crossed.
    pub fn from_inputs(inputs: &[Input]) -> Result<Calibration, String> {
        let link = inputs.first().and_then(|i| i.link);
        if let Some(other) = inputs.iter().find(|i| i.link != link) {
            return Err(format!(
                "{} crossed a different link than {}; fit them separately",
                other.path.display(),
                inputs[0].path.display()
            ));
        }
        let samples: Vec<Sample> = inputs.iter().flat_map(|i| i.samples.clone()).collect();
        let names: Vec<String> = inputs
            .iter()
            .map(|i| i.path.display().to_string())
            .collect();
        let from = names.join(", ");
        Calibration::fit(&samples, link, names).map_err(|m| format!("{from}: {m}"))
    }

    pub fn fit(
        samples: &[Sample],
        link: Option<f64>,
        inputs: Vec<String>,
    ) -> Result<Calibration, String> {
        if samples.is_empty() {
            return Err("no samples to fit".into());
        }
        let phases: BTreeMap<Phase, PhaseFit> = Phase::ALL
            .into_iter()
            .filter_map(|p| fit_phase(samples, p).map(|f| (p, f)))
            .collect();
        let setup = mean(
            samples
                .iter()
                .filter(|s| s.phase == Phase::Setup)
                .map(|s| s.seconds),
        );
        let cost = cost_model(&phases, setup.unwrap_or(0.0), link)?;
        Ok(Calibration {
            inputs,
            link,
            phases,
            cost,
        })
    }

    /// The bandwidth to predict with when none is given: the link measured on, else unlimited
    /// (loopback measurements are bound by CRIU, not by a network).
    pub fn bandwidth(&self) -> f64 {
        self.link.unwrap_or(f64::INFINITY)
    }

    /// The measured phases no term of the cost model is fitted from: kept in the file and
    /// shown, but they change no prediction.
    pub fn unpriced(&self) -> Vec<Phase> {
        let whole = self.whole();
        self.phases
            .keys()
            .copied()
            .filter(|&p| match p {
                Phase::Setup
                | Phase::Dump
                | Phase::Stream
                | Phase::Transfer
                | Phase::Restore
                | Phase::Handoff
                | Phase::LazyPull => false,
                // A measured handoff is post-copy's frozen part; a lazy restore is only a
                // part of it.
                Phase::LazyRestore => self.phases.contains_key(&Phase::Handoff),
                Phase::Downtime | Phase::Total => whole != Some(p),
                Phase::PreDump => true,
            })
            .collect()
    }

    /// The whole migration's phase the cost model stands on when no step was measured.
    pub fn whole(&self) -> Option<Phase> {
        whole_phase(&self.phases)
    }

    /// A stop-and-copy migration of `bytes` alone on the measured link, end to end.
    pub fn predict_total(&self, bytes: f64) -> f64 {
        let spec = MigrationSpec {
            mechanism: Mechanism::StopAndCopy,
            ..MigrationSpec::default()
        };
        spec.estimate(&self.cost, bytes, self.bandwidth(), 0.0)
            .total
    }

    pub fn to_toml(&self) -> String {
        let file = File {
            inputs: self.inputs.clone(),
            link: self.link.map(ByteRate::new),
            cost: CostSpec::from(&self.cost),
            phases: self.phases.clone(),
        };
        let body = toml::to_string(&file).expect("a calibration serialises");
        format!("{HEADER}{body}")
    }

    /// Reads a calibration file; errors name the line and the field.
    pub fn read(path: &Path) -> Result<Calibration, InputError> {
        let fail = |line, field: Option<String>, message: String| InputError {
            file: path.to_path_buf(),
            line,
            field,
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| fail(None, None, e.to_string()))?;
        let file: File =
            serde_path_to_error::deserialize(toml::Deserializer::new(&text)).map_err(|e| {
                let field = Some(e.path().to_string()).filter(|p| p != ".");
                let line = key_line(&text, field.as_deref())
                    .or_else(|| e.inner().span().map(|s| line_col(&text, s.start).0));
                fail(line, field, e.inner().message().to_string())
            })?;
        file.cost
            .check(&KeyPath::root().key("cost"))
            .map_err(|i| fail(None, Some(i.path.to_string()), i.message))?;
        Ok(Calibration {
            inputs: file.inputs,
            link: file.link.map(|l| l.value),
            phases: file.phases,
            cost: file.cost.over(&CostModel::default()),
        })
    }
}

/// The line of the key at `path` (`cost.setup`), when the text has it.
fn key_line(text: &str, path: Option<&str>) -> Option<usize> {
    let doc = toml_edit::ImDocument::parse(text).ok()?;
    locate(&doc, &KeyPath::parse(path?).ok()?).map(|(line, _)| line)
}

const HEADER: &str = "\
# A migsim calibration, written by `migsim calibrate fit`. Each measured phase is a line,
# seconds = intercept + memory_bytes * per_byte, with R^2 and the mean residual per size;
# [cost] is the cost model those lines give, in the units of a scenario's [migration.cost].
# Use it from a scenario: [migration] calibration = \"path/to/this.toml\"
";

fn fit_phase(samples: &[Sample], phase: Phase) -> Option<PhaseFit> {
    let own: Vec<&Sample> = samples.iter().filter(|s| s.phase == phase).collect();
    let points: Vec<(f64, f64)> = own.iter().map(|s| (s.memory_bytes, s.seconds)).collect();
    let line = LinearFit::fit(&points)?;
    let mut by_size: BTreeMap<u64, Vec<&Sample>> = BTreeMap::new();
    for s in &own {
        by_size.entry(s.size as u64).or_default().push(s);
    }
    let sizes = by_size
        .into_iter()
        .map(|(size, runs)| {
            let memory = mean(runs.iter().map(|s| s.memory_bytes)).expect("a group has runs");
            SizeFit {
                size: size as f64,
                runs: runs.len(),
                mean: mean(runs.iter().map(|s| s.seconds)).expect("a group has runs"),
                predicted: line.predict(memory),
            }
        })
        .collect();
    Some(PhaseFit { line, sizes })
}

pub(super) fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (n, sum) = values.fold((0usize, 0.0), |(n, s), v| (n + 1, s + v));
    (n > 0).then(|| sum / n as f64)
}

/// The steps of a migration a cost model is fitted from, when any was measured.
const STEPS: [Phase; 4] = [Phase::Dump, Phase::Stream, Phase::Transfer, Phase::Restore];

fn measures_steps(phases: &BTreeMap<Phase, PhaseFit>) -> bool {
    STEPS.iter().any(|p| phases.contains_key(p))
}

/// The whole migration's figure the cost model stands on when no step was measured: the
/// downtime, else the total.
fn whole_phase(phases: &BTreeMap<Phase, PhaseFit>) -> Option<Phase> {
    if measures_steps(phases) {
        return None;
    }
    [Phase::Downtime, Phase::Total]
        .into_iter()
        .find(|p| phases.contains_key(p))
}

/// The cost model of the fitted phases. The streamed transfer goes at the slower of the dump
/// rate and what the link carries: on a measured link, a stream slower than the dump was bound
/// by the link, which sets the efficiency; on loopback there is no link, so a stream slower
/// than the dump is CRIU's page server itself, which caps the checkpoint rate. A transfer after
/// the dump is read against the link it crossed. With no step measured (a paper's table of
/// totals), the whole migration's line becomes the frozen part of stop-and-copy: one streamed
/// checkpoint at the line's cost, less the setup when the total includes it. Without any of
/// these there is nothing to price a migration with, and the fit is refused. Post-copy's
/// frozen handoff and its pull come from their own lines where measured.
fn cost_model(
    phases: &BTreeMap<Phase, PhaseFit>,
    setup: f64,
    link: Option<f64>,
) -> Result<CostModel, String> {
    let line = |p| phases.get(&p).map(|f: &PhaseFit| f.line);
    let mut m = CostModel {
        setup,
        ..CostModel::default()
    };
    match whole_phase(phases) {
        Some(whole) => {
            let w = line(whole).expect("the whole phase was fitted");
            let included = if whole == Phase::Total { setup } else { 0.0 };
            m.streaming = true;
            m.checkpoint_overhead = (w.overhead() - included).max(0.0);
            m.checkpoint_rate = w.rate();
        }
        None if measures_steps(phases) => price_steps(&mut m, &line, link)?,
        None => {
            let measured: Vec<&str> = phases.keys().map(|p| p.as_str()).collect();
            return Err(format!(
                "the phases measured ({}) price no migration: measure dump (or checkpoint) and restore, with stream or transfer for the network, or give each size's downtime or total",
                measured.join(", ")
            ));
        }
    }
    price_post_copy(&mut m, line(Phase::Handoff), line(Phase::LazyRestore));
    if let Some(pull) = line(Phase::LazyPull) {
        m.pull_overhead = pull.overhead();
        m.pull_rate = pull.rate();
    }
    Ok(m)
}

/// Stop-and-copy's terms from the steps measured.
fn price_steps(
    m: &mut CostModel,
    line: &dyn Fn(Phase) -> Option<LinearFit>,
    link: Option<f64>,
) -> Result<(), String> {
    if let Some(dump) = line(Phase::Dump) {
        m.checkpoint_overhead = dump.overhead();
        m.checkpoint_rate = dump.rate();
    }
    if let Some(restore) = line(Phase::Restore) {
        m.restore_overhead = restore.overhead();
        m.restore_rate = restore.rate();
    }
    if let Some(transfer) = line(Phase::Transfer) {
        let link = link.ok_or(
            "phase `transfer` was measured, but not the link it crossed: give it with --link (e.g. 10Gbit/s), or measure stream",
        )?;
        m.transfer_overhead = transfer.overhead();
        m.efficiency = (transfer.rate() / link).min(1.0);
    }
    if let Some(stream) = line(Phase::Stream) {
        m.streaming = true;
        m.transfer_overhead = (stream.overhead() - m.checkpoint_overhead).max(0.0);
        let (streamed, dumped) = (stream.rate(), m.checkpoint_rate);
        if streamed < dumped {
            match link {
                Some(link) => m.efficiency = (streamed / link).min(1.0),
                None => m.checkpoint_rate = streamed,
            }
        }
    }
    Ok(())
}

/// Post-copy's frozen part: as measured whole, else a dump's and a transfer's fixed costs
/// (a lazy dump writes no pages) and a lazy restore; else the cost model's default.
fn price_post_copy(m: &mut CostModel, handoff: Option<LinearFit>, lazy: Option<LinearFit>) {
    if let Some(h) = handoff {
        m.handoff_overhead = Some(h.overhead());
        m.handoff_rate = h.rate();
    } else if let Some(l) = lazy {
        m.handoff_overhead = Some(m.checkpoint_overhead + m.transfer_overhead + l.overhead());
        m.handoff_rate = l.rate();
    }
}

/// The file's layout.
#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct File {
    inputs: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    link: Option<ByteRate>,
    cost: CostSpec,
    #[serde(default)]
    phases: BTreeMap<Phase, PhaseFit>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_lines_give_the_cost_model_and_survive_the_file() {
        // dump 0.1 s + 1 GiB/s, restore 0.2 s + 2 GiB/s, stream 0.15 s + 0.5 GiB/s on loopback.
        let mut s = Vec::new();
        for mib in [64.0, 256.0, 1024.0] {
            let g = mib / 1024.0;
            s.push(Sample::at_mib(Phase::Dump, mib, 0.1 + g));
            s.push(Sample::at_mib(Phase::Restore, mib, 0.2 + g / 2.0));
            s.push(Sample::at_mib(Phase::Stream, mib, 0.15 + 2.0 * g));
        }
        let c = Calibration::fit(&s, None, vec!["x.csv".into()]).unwrap();
        let gib = 1073741824.0;
        assert!((c.cost.checkpoint_overhead - 0.1).abs() < 1e-9);
        assert!((c.cost.restore_rate - 2.0 * gib).abs() < 1.0);
        assert!((c.cost.transfer_overhead - 0.05).abs() < 1e-9);
        // Loopback: the slower page server caps the streamed checkpoint.
        assert!((c.cost.checkpoint_rate - 0.5 * gib).abs() < 1.0);
        assert!(c.cost.streaming && c.cost.efficiency == 1.0);
        let sizes = &c.phases[&Phase::Dump].sizes;
        assert_eq!(sizes.len(), 3);
        assert!(sizes
            .iter()
            .all(|z| z.runs == 1 && z.residual().abs() < 1e-9));
        // A stop-and-copy of 1 GiB: 0.1 + 0.05 + 2 s streamed, then 0.2 + 0.5 s restore.
        assert!((c.predict_total(gib) - 2.85).abs() < 1e-9);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, c.to_toml()).unwrap();
        let back = Calibration::read(&path).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    fn a_measured_link_sets_the_efficiency() {
        let mut s = Vec::new();
        for mib in [100.0, 200.0, 400.0] {
            let b = mib * 1048576.0;
            s.push(Sample::at_mib(Phase::Dump, mib, b / 1e9));
            s.push(Sample::at_mib(Phase::Stream, mib, b / 100e6));
        }
        let c = Calibration::fit(&s, Some(125e6), vec![]).unwrap();
        assert!((c.cost.efficiency - 0.8).abs() < 1e-9);
        assert!((c.cost.checkpoint_rate - 1e9).abs() < 1e-3);
    }

    const GIB: f64 = 1073741824.0;

    /// `phase` at 1, 2, 4 and 8 GiB on the line `intercept` s + 1 s per `gib_per_s` GiB.
    fn line_of(phase: Phase, intercept: f64, gib_per_s: f64) -> Vec<Sample> {
        [1024.0, 2048.0, 4096.0, 8192.0]
            .map(|mib| Sample::at_mib(phase, mib, intercept + mib / 1024.0 / gib_per_s))
            .to_vec()
    }

    #[test]
    fn a_table_of_totals_is_the_frozen_part_of_stop_and_copy() {
        // A paper's totals: 2 s + 0.4 GiB/s. No step measured, so the total is the model.
        let c = Calibration::fit(&line_of(Phase::Total, 2.0, 0.4), None, vec![]).unwrap();
        assert_eq!(c.whole(), Some(Phase::Total));
        assert!(c.unpriced().is_empty());
        for gib in [1.0, 8.0, 50.0] {
            let want = 2.0 + gib / 0.4;
            assert!(
                (c.predict_total(gib * GIB) - want).abs() < 1e-6,
                "{gib} GiB"
            );
        }
        // With a measured setup, the total includes it: the frozen part is the rest.
        let mut s = line_of(Phase::Total, 2.0, 0.4);
        s.push(Sample::at_mib(Phase::Setup, 1024.0, 0.5));
        let c = Calibration::fit(&s, None, vec![]).unwrap();
        assert!((c.cost.checkpoint_overhead - 1.5).abs() < 1e-9);
        assert!((c.predict_total(50.0 * GIB) - (2.0 + 50.0 / 0.4)).abs() < 1e-6);
        // Downtime is the frozen part itself, and wins over a total; the total is then a check.
        let mut s = line_of(Phase::Downtime, 1.0, 0.5);
        s.extend(line_of(Phase::Total, 3.0, 0.5));
        s.push(Sample::at_mib(Phase::Setup, 1024.0, 2.0));
        let c = Calibration::fit(&s, None, vec![]).unwrap();
        assert_eq!(
            (c.whole(), c.unpriced()),
            (Some(Phase::Downtime), vec![Phase::Total])
        );
        assert!((c.predict_total(10.0 * GIB) - (2.0 + 1.0 + 10.0 / 0.5)).abs() < 1e-6);
    }

    #[test]
    fn a_transfer_after_the_dump_is_read_against_its_link() {
        let mut s = line_of(Phase::Dump, 0.1, 2.0);
        s.extend(line_of(Phase::Restore, 0.2, 4.0));
        // 0.3 s + 0.5 GiB/s over a 1 GiB/s link: half of it.
        s.extend(line_of(Phase::Transfer, 0.3, 0.5));
        let c = Calibration::fit(&s, Some(GIB), vec![]).unwrap();
        assert!((c.cost.efficiency - 0.5).abs() < 1e-9);
        assert!((c.cost.transfer_overhead - 0.3).abs() < 1e-9);
        assert!(!c.cost.streaming && c.whole().is_none());
        // 1 GiB: 0.1 + 0.5 s dump, 0.3 + 2 s over the link at half, 0.2 + 0.25 s restore.
        assert!((c.predict_total(GIB) - 3.35).abs() < 1e-9);
        let e = Calibration::fit(&s, None, vec![]).unwrap_err();
        assert!(
            e.contains("`transfer` was measured, but not the link") && e.contains("--link"),
            "{e}"
        );
    }

    #[test]
    fn phases_that_price_nothing_are_refused_or_named() {
        let mut s = line_of(Phase::LazyPull, 0.1, 1.0);
        s.extend(line_of(Phase::PreDump, 0.1, 1.0));
        s.push(Sample::at_mib(Phase::Setup, 1024.0, 0.5));
        let e = Calibration::fit(&s, None, vec![]).unwrap_err();
        assert!(
            e.starts_with("the phases measured (setup, pre_dump, lazy_pull) price no migration")
                && e.contains("measure dump (or checkpoint) and restore")
                && e.contains("downtime or total"),
            "{e}"
        );
        s.extend(line_of(Phase::Dump, 0.1, 1.0));
        s.extend(line_of(Phase::Total, 0.1, 1.0));
        let c = Calibration::fit(&s, None, vec![]).unwrap();
        assert_eq!(c.unpriced(), vec![Phase::PreDump, Phase::Total]);
        assert!(c.cost.checkpoint_overhead > 0.0 && c.whole().is_none());
    }

    /// Post-copy's moves: frozen for the handoff, then the pull, each priced by its own line.
    fn post_copy(c: &Calibration, bytes: f64) -> crate::migration::Estimate {
        let spec = MigrationSpec {
            mechanism: Mechanism::PostCopy,
            ..MigrationSpec::default()
        };
        spec.estimate(&c.cost, bytes, 10.0 * GIB, 0.0)
    }

    #[test]
    fn post_copy_is_priced_by_its_handoff_and_pull_lines() {
        let mut s = line_of(Phase::Stream, 0.2, 1.0);
        s.extend(line_of(Phase::Restore, 0.05, 2.0));
        s.extend(line_of(Phase::LazyRestore, 0.03, 100.0));
        s.extend(line_of(Phase::LazyPull, 0.4, 0.5));
        // Without a handoff measured whole: the stream's latency and the lazy restore's line.
        let c = Calibration::fit(&s, None, vec![]).unwrap();
        let e = post_copy(&c, 2.0 * GIB);
        assert!(
            (e.downtime - (0.2 + 0.03 + 2.0 / 100.0)).abs() < 1e-9,
            "{e:?}"
        );
        // The pull, at its own pace on a link that could carry 20 times more.
        assert!(
            (e.total - e.downtime - (0.4 + 2.0 / 0.5)).abs() < 1e-9,
            "{e:?}"
        );
        assert!(c.unpriced().is_empty());
        // A handoff measured whole wins, and the lazy restore is then only shown.
        s.extend(line_of(Phase::Handoff, 0.1, 50.0));
        let c = Calibration::fit(&s, None, vec![]).unwrap();
        let e = post_copy(&c, 2.0 * GIB);
        assert!((e.downtime - (0.1 + 2.0 / 50.0)).abs() < 1e-9, "{e:?}");
        assert_eq!(c.unpriced(), vec![Phase::LazyRestore]);
        // A link slower than the pull bounds it.
        let slow = MigrationSpec {
            mechanism: Mechanism::PostCopy,
            ..MigrationSpec::default()
        }
        .estimate(&c.cost, 2.0 * GIB, 0.25 * GIB, 0.0);
        assert!((slow.total - slow.downtime - (0.4 + 8.0)).abs() < 1e-9);
        // Both survive the file.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, c.to_toml()).unwrap();
        assert_eq!(Calibration::read(&path).unwrap(), c);
    }

    #[test]
    fn bad_files_name_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "inputs = []\n[cost]\nsetup = 1\nefficiency = 3\n").unwrap();
        let e = Calibration::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("bad.toml: field `cost.efficiency`: must be a fraction"),
            "{e}"
        );
        std::fs::write(&path, "inputs = []\n[cost]\nsetup = 1\nsetpu = 2\n").unwrap();
        let e = Calibration::read(&path).unwrap_err().to_string();
        assert!(
            e.contains("bad.toml:4: field `cost.setpu`: unknown field"),
            "{e}"
        );
    }
}
