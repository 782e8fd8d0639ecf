//! Ctrl-C as a request to stop cleanly: the first sets a flag the command polls, a second
//! exits at once.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Installs the handler; `stopping` is said on the first Ctrl-C, `otherwise` if the handler
/// cannot be installed.
pub fn flag(stopping: &'static str, otherwise: &'static str) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let installed = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("\n{stopping} (Ctrl-C again to stop now)");
    });
    if let Err(e) = installed {
        eprintln!("warning: cannot catch Ctrl-C ({e}); {otherwise}");
    }
    stop
}
