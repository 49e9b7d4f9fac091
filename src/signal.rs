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
pub(crate) struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted; nothing was written (the temporary folder was removed)")
    }
}

impl std::error::Error for Interrupted {}

/// Exit code after an interrupt (128 + SIGINT, as shells report it).
pub(crate) const EXIT_CODE: u8 = 130;

/// Install the handler for SIGINT, SIGTERM and SIGHUP. If installing fails, the default
/// action (terminate) still applies and the temporary folder may remain, hidden, in `--out`.
pub(crate) fn install() {
    #[cfg(unix)]
    {
        extern "C" fn on_signal(_: libc::c_int) {
            // Only async-signal-safe work here: an atomic swap, and `_exit` on a second signal.
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                // SAFETY: `_exit` is async-signal-safe and takes no pointers.
                unsafe { libc::_exit(libc::c_int::from(EXIT_CODE)) };
            }
        }
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            // SAFETY: `sigaction` is given a zeroed, then filled, struct that lives for the call;
            // the handler only touches an atomic (see above).
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(sig, &action, std::ptr::null_mut());
            }
        }
    }
}

/// `Err(Interrupted)` once a signal arrived.
pub(crate) fn check() -> Result<(), Interrupted> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err(Interrupted)
    } else {
        Ok(())
    }
}
