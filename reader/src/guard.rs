//! Limits that keep hostile input from taking the process down: a CSV line longer than
//! [`MAX_LINE_BYTES`] is an error instead of an ever-growing buffer, and a panic inside a
//! third-party decoder becomes an error naming the file instead of a crash.

use std::io::{self, Read};

/// Longest CSV line accepted (bytes, after decompression). A CUR 2.0 row is a few KiB; tag maps
/// of 50 tags at their maximum sizes stay far below this.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// A reader that fails once more than [`MAX_LINE_BYTES`] pass without a line feed, so a file of
/// zeros or a line-less blob cannot grow the CSV record buffer without bound.
#[derive(Debug)]
pub struct LineLimit<R> {
    inner: R,
    run: usize,
    offset: u64,
}

impl<R> LineLimit<R> {
    /// Wrap a reader.
    pub fn new(inner: R) -> Self {
        LineLimit {
            inner,
            run: 0,
            offset: 0,
        }
    }
}

impl<R: Read> Read for LineLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            if *b == b'\n' {
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > MAX_LINE_BYTES {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!(
                            "a line is longer than {} MiB (no line feed up to byte offset {} of the decompressed text)",
                            MAX_LINE_BYTES >> 20,
                            self.offset + i as u64
                        ),
                    ));
                }
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

thread_local! {
    /// Set while this thread runs inside [`catch`]: its panics are reported as errors, so the
    /// panic hook stays silent for them.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Put a panic hook in front of the current one that says nothing for panics [`catch`] turns
/// into errors (a user reading a corrupt file should see one error naming it, not a "thread
/// panicked at parquet/…" line first) and passes every other panic on unchanged.
fn quiet_inside_catch() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) {
                previous(info);
            }
        }));
    });
}

/// Run `f`; a panic becomes `Err` with its message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    quiet_inside_catch();
    let was = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(was));
    result.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a decoder panicked".into())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_refused() {
        let ok = vec![b'a'; 1000];
        let mut s = Vec::new();
        LineLimit::new(ok.as_slice()).read_to_end(&mut s).unwrap();
        assert_eq!(s.len(), 1000);
        let zeros = io::repeat(0).take(MAX_LINE_BYTES as u64 + 10);
        let e = LineLimit::new(zeros)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(e.to_string().contains("longer than 64 MiB"), "{e}");
    }

    #[test]
    fn panics_become_errors() {
        assert_eq!(catch(|| 1), Ok(1));
        let r: Result<(), String> = catch(|| panic!("boom"));
        assert_eq!(r, Err("boom".to_string()));
    }
}
