//! Prints a calibration for people: the cost model, then each phase's line with its residuals.

use migsim::migration::calibration::{Calibration, Phase};
use migsim::migration::CostModel;
use migsim::units::human_bytes;

pub fn print(c: &Calibration) {
    println!("  cost: {}", cost_line(&c.cost));
    match c.link {
        Some(l) => println!("  measured over a {:.3} Gbit/s link", l * 8.0 / 1e9),
        None => println!("  measured over loopback (no link: transfers are bound by CRIU)"),
    }
    for (phase, f) in &c.phases {
        let l = &f.line;
        println!(
            "  {phase}: {:.3} s + {} (R^2 {:.3}, {} points)",
            l.intercept,
            rate(l.rate()),
            l.r_squared,
            l.points
        );
        println!(
            "    {:>12} {:>5} {:>10} {:>10} {:>18}",
            "size", "runs", "mean", "fit", "residual"
        );
        for z in &f.sizes {
            println!(
                "    {:>12} {:>5} {:>9.3}s {:>9.3}s {:>+9.3}s ({:+.1}%)",
                human_bytes(z.size),
                z.runs,
                z.mean,
                z.predicted,
                z.residual(),
                100.0 * z.residual() / z.mean
            );
        }
    }
    if let Some(whole) = c.whole() {
        println!(
            "  no step measured: the {whole} line is the frozen part of stop-and-copy (one streamed checkpoint)"
        );
    }
    let unpriced: Vec<&str> = c.unpriced().iter().map(|p| p.as_str()).collect();
    if !unpriced.is_empty() {
        println!(
            "  not priced by the cost model (shown, kept in the file): {}",
            unpriced.join(", ")
        );
    }
    if let Some(total) = c.phases.get(&Phase::Total) {
        print!("  total, measured -> cost model (stop-and-copy):");
        for z in &total.sizes {
            print!(
                " {} {:.1}->{:.1} s;",
                human_bytes(z.size),
                z.mean,
                c.predict_total(z.size)
            );
        }
        println!();
    }
}

pub fn cost_line(m: &CostModel) -> String {
    format!(
        "setup {:.2} s | checkpoint {:.2} s + {} | transfer +{:.2} s at {:.0}% of the link | restore {:.2} s + {} | streaming {} | post-copy handoff {:.2} s + {}, pull +{:.2} s at {}",
        m.setup,
        m.checkpoint_overhead,
        rate(m.checkpoint_rate),
        m.transfer_overhead,
        100.0 * m.efficiency,
        m.restore_overhead,
        rate(m.restore_rate),
        m.streaming,
        m.handoff_time(0.0),
        rate(m.handoff_rate),
        m.pull_overhead,
        pull_rate(m.pull_rate),
    )
}

fn pull_rate(r: f64) -> String {
    if r.is_finite() {
        format!("{}/s", human_bytes(r))
    } else {
        "the streamed checkpoint's pace".into()
    }
}

fn rate(r: f64) -> String {
    if r.is_finite() {
        format!("{}/s", human_bytes(r))
    } else {
        "no per-byte cost".into()
    }
}
