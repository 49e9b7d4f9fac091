//! Stopping `generate` cleanly on SIGINT, SIGTERM or SIGHUP (Ctrl-C, `kill`, a closed
//! terminal).
//!
//! The handler only raises a flag. The export writer checks it between days (see
//! `export::simulate`) and before the final rename; the error it returns unwinds normally, so
//! the temporary folder inside `--out` is removed by its guard and the export in place (if any)
//! is untouched. `main` turns the error into exit code 130.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// The error returned once an interrupt was seen.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted; nothing was written (the temporary folder was removed)")
    }
}

impl std::error::Error for Interrupted {}

/// Exit code after an interrupt (128 + SIGINT, as shells report it).
pub const EXIT_CODE: u8 = 130;

/// Install the handler. Later calls, or a failure to install (another handler already set), are
/// harmless: the default action (terminate) then still applies and the temporary folder may
/// remain, hidden, inside `--out`.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            // A second signal while cleaning up: give up at once.
            std::process::exit(i32::from(EXIT_CODE));
        }
    });
}

/// `Err(Interrupted)` once a signal arrived.
pub fn check() -> Result<(), Interrupted> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err(Interrupted)
    } else {
        Ok(())
    }
}
