//! Ctrl-C (and SIGTERM), installed in one place. Most commands take it as a request to stop
//! cleanly: the first sets a flag the command polls, a second exits at once. A command that
//! cannot poll cleans up and exits.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag the first Ctrl-C sets, saying `stopping`; `otherwise` is said if no handler can be
/// installed.
pub fn flag(stopping: &'static str, otherwise: &'static str) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    install(
        move || {
            if flag.swap(true, Ordering::SeqCst) {
                std::process::exit(130);
            }
            eprintln!("\n{stopping} (Ctrl-C again to stop now)");
        },
        otherwise,
    );
    stop
}

/// On Ctrl-C, runs `cleanup` and exits.
pub fn exit_after(cleanup: impl Fn() + Send + 'static, otherwise: &'static str) {
    install(
        move || {
            cleanup();
            std::process::exit(130);
        },
        otherwise,
    );
}

fn install(handler: impl FnMut() + Send + 'static, otherwise: &'static str) {
    if let Err(e) = ctrlc::set_handler(handler) {
        eprintln!("warning: cannot catch Ctrl-C ({e}); {otherwise}");
    }
}
