//! Exact repeated line item detection in bounded memory (the
//! [`LineItemIds`](super::Aggregate::LineItemIds) aggregate).
//!
//! A line item row is named by `identity_line_item_id` *and* `identity_time_interval`: AWS
//! repeats one line item id for every hour (or day) the line item has usage, so the same id in
//! many intervals of one file is normal, and the same id in the same interval twice is a
//! duplicate. A file without `identity_time_interval` is keyed on the row's usage start and
//! end instead (see [`When`]).
//!
//! Finding repeated keys needs, in principle, memory per key. Instead of a set of every key
//! the scan keeps one fixed-size record per row — the 128-bit XXH3 digest of (id, interval),
//! its billing period, file, row and cost (40 bytes) — and sends it to one of `P` hash
//! partitions chosen by the digest's top bits. Each worker buffers up to [`BUFFER_RECORDS`]
//! records per partition in memory and, once it holds more than [`IN_MEMORY_RECORDS`] in all,
//! appends full buffers to the partition's temporary file (in `TMPDIR`, removed at the end).
//! Two occurrences of one key in one period always land in the same partition, so after the
//! scan each partition is read on its own — file plus what is still buffered — and sorted by
//! (digest, period, file, row): in each run of equal (digest, period) the first record is the
//! first occurrence, every other one a duplicate.
//! Memory is then bounded by the buffers plus one partition per thread, whatever the number of
//! rows: `P` grows with the export's row count (from the Parquet footers; CSV from the file
//! size) so a partition stays around 150,000 records (6 MB) up to 150M rows.
//!
//! Collisions: two different keys are taken for one when their 128-bit digests are equal. For
//! `n` keys (rows) the chance that any pair collides is about n²/2¹²⁹: 1.5 × 10⁻²⁴ for ten
//! million, 1.5 × 10⁻²¹ for a billion. XXH3 is not a cryptographic hash: a file crafted to collide
//! could hide or invent a duplicate, which matters only for a deliberately forged export.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::aggregates::Duplicate;
use crate::error::VerifyError;

/// Records a worker keeps per partition before writing them out (once spilling).
pub const BUFFER_RECORDS: usize = 512;
/// Records a worker keeps in memory in all before it starts spilling.
pub const IN_MEMORY_RECORDS: usize = 65_536;
/// Records per partition the partition count aims at.
const PARTITION_RECORDS: u64 = 150_000;
/// Bytes per record on disk.
const RECORD_BYTES: usize = 40;
/// Bit 31 of `period`: the cost is present.
const HAS_COST: u32 = 1 << 31;

/// One row's line item id, reduced to what duplicate detection needs.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Record {
    digest: u128,
    row: u64,
    cost: u64,
    file: u32,
    /// `YYYYMM`, with [`HAS_COST`].
    period: u32,
}

impl Record {
    fn to_bytes(self) -> [u8; RECORD_BYTES] {
        let mut b = [0u8; RECORD_BYTES];
        b[..16].copy_from_slice(&self.digest.to_le_bytes());
        b[16..24].copy_from_slice(&self.row.to_le_bytes());
        b[24..32].copy_from_slice(&self.cost.to_le_bytes());
        b[32..36].copy_from_slice(&self.file.to_le_bytes());
        b[36..40].copy_from_slice(&self.period.to_le_bytes());
        b
    }

    fn from_bytes(b: &[u8]) -> Record {
        let u = |r: std::ops::Range<usize>| -> [u8; 8] { b[r].try_into().unwrap_or([0; 8]) };
        let w = |r: std::ops::Range<usize>| -> [u8; 4] { b[r].try_into().unwrap_or([0; 4]) };
        Record {
            digest: u128::from_le_bytes(b[..16].try_into().unwrap_or([0; 16])),
            row: u64::from_le_bytes(u(16..24)),
            cost: u64::from_le_bytes(u(24..32)),
            file: u32::from_le_bytes(w(32..36)),
            period: u32::from_le_bytes(w(36..40)),
        }
    }
}

/// The time a line item row covers, the second half of its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When<'a> {
    /// The row's `identity_time_interval` text (`2026-04-20T10:00:00Z/2026-04-20T11:00:00Z`).
    Interval(&'a str),
    /// No interval (the file lacks the column, or the cell is blank): the usage start and end
    /// (UTC µs). Rows keyed this way never match rows keyed by an interval.
    Usage(Option<i64>, Option<i64>),
}

/// Write the key of a line item row into `buf`: the id, a separator no id contains, then the
/// interval or the usage instants.
fn key_bytes(buf: &mut Vec<u8>, id: &str, when: When<'_>) {
    buf.clear();
    buf.extend_from_slice(id.as_bytes());
    buf.push(0x1f);
    match when {
        When::Interval(text) => {
            buf.push(b'I');
            buf.extend_from_slice(text.trim().as_bytes());
        }
        When::Usage(start, end) => {
            buf.push(b'U');
            for t in [start, end] {
                buf.extend_from_slice(&t.unwrap_or(i64::MIN).to_le_bytes());
            }
        }
    }
}

/// The 128-bit digest of a line item row's key, (id, interval) (XXH3, fixed seed: stable
/// across runs and threads), as [`IdSink::push`] computes it.
#[cfg(test)]
fn digest(id: &str, when: When<'_>) -> u128 {
    let mut buf = Vec::with_capacity(id.len() + 48);
    key_bytes(&mut buf, id, when);
    twox_hash::XxHash3_128::oneshot(&buf)
}

/// The partitions shared by all workers: their temporary files, created on first use.
#[derive(Debug)]
pub struct DupStore {
    bits: u32,
    dir: Mutex<Option<tempfile::TempDir>>,
    files: Vec<Mutex<Option<File>>>,
    spilled: AtomicUsize,
    error: Mutex<Option<String>>,
    /// The rules that asked for it (codes), named when it fails.
    asked_by: String,
}

impl DupStore {
    /// A store sized for about `rows` rows, for the rules `asked_by` (codes, named when the
    /// temporary files fail).
    pub fn new(rows: u64, asked_by: String) -> Arc<DupStore> {
        let want = (rows / PARTITION_RECORDS).clamp(16, 1024);
        let bits = want.next_power_of_two().trailing_zeros();
        Arc::new(DupStore {
            bits,
            dir: Mutex::new(None),
            files: (0..1usize << bits).map(|_| Mutex::new(None)).collect(),
            spilled: AtomicUsize::new(0),
            error: Mutex::new(None),
            asked_by,
        })
    }

    /// Number of partitions.
    pub fn partitions(&self) -> usize {
        self.files.len()
    }

    /// Records written to temporary files so far.
    #[cfg(test)]
    fn spilled(&self) -> usize {
        self.spilled.load(Ordering::Relaxed)
    }

    fn partition(&self, digest: u128) -> usize {
        (digest >> (128 - self.bits)) as usize
    }

    fn fail(&self, e: String) {
        let mut err = self.error.lock().unwrap_or_else(|p| p.into_inner());
        err.get_or_insert(e);
    }

    fn write(&self, p: usize, recs: &[Record]) {
        if self
            .error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
        {
            return;
        }
        let mut bytes = Vec::with_capacity(recs.len() * RECORD_BYTES);
        for r in recs {
            bytes.extend_from_slice(&r.to_bytes());
        }
        let mut slot = self.files[p].lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            match self.open(p) {
                Ok(f) => *slot = Some(f),
                Err(e) => return self.fail(e),
            }
        }
        if let Some(f) = slot.as_mut() {
            if let Err(e) = f.write_all(&bytes) {
                return self.fail(format!("cannot write {}: {e}", self.path(p).display()));
            }
            self.spilled.fetch_add(recs.len(), Ordering::Relaxed);
        }
    }

    fn path(&self, p: usize) -> PathBuf {
        let dir = self.dir.lock().unwrap_or_else(|p| p.into_inner());
        dir.as_ref()
            .map(|d| d.path().join(format!("ids-{p:04}")))
            .unwrap_or_default()
    }

    fn open(&self, p: usize) -> Result<File, String> {
        {
            let mut dir = self.dir.lock().unwrap_or_else(|p| p.into_inner());
            if dir.is_none() {
                let d = tempfile::Builder::new()
                    .prefix("curlab-verify-ids-")
                    .tempdir()
                    .map_err(|e| {
                        format!(
                            "cannot create a temporary folder in {}: {e}",
                            std::env::temp_dir().display()
                        )
                    })?;
                *dir = Some(d);
            }
        }
        let path = self.path(p);
        File::options()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))
    }

    /// Find every repeated (period, id, interval) after the scan, given the workers' sinks. Each
    /// duplicate is the later occurrence (by file, then row); the first one is not counted.
    pub fn finish(
        self: &Arc<Self>,
        sinks: Vec<IdSink>,
        threads: usize,
    ) -> Result<Vec<Duplicate>, VerifyError> {
        if let Some(e) = self.error.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(spill_error(e, &self.asked_by));
        }
        let mut leftovers: Vec<Vec<Record>> = vec![Vec::new(); self.partitions()];
        for s in sinks {
            for (p, buf) in s.bufs.into_iter().enumerate() {
                if leftovers[p].is_empty() {
                    leftovers[p] = buf;
                } else {
                    leftovers[p].extend(buf);
                }
            }
        }
        let leftovers: Vec<Mutex<Vec<Record>>> = leftovers.into_iter().map(Mutex::new).collect();
        let next = AtomicUsize::new(0);
        let results: Vec<Result<Vec<Duplicate>, String>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads.clamp(1, self.partitions()))
                .map(|_| {
                    s.spawn(|| {
                        let mut out = Vec::new();
                        loop {
                            let p = next.fetch_add(1, Ordering::Relaxed);
                            if p >= self.partitions() {
                                return Ok(out);
                            }
                            let mem = std::mem::take(
                                &mut *leftovers[p].lock().unwrap_or_else(|p| p.into_inner()),
                            );
                            self.scan_partition(p, mem, &mut out)?;
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err("a duplicate-id worker panicked".into()))
                })
                .collect()
        });
        let mut all = Vec::new();
        for r in results {
            all.extend(r.map_err(|e| spill_error(e, &self.asked_by))?);
        }
        Ok(all)
    }

    fn scan_partition(
        &self,
        p: usize,
        mem: Vec<Record>,
        out: &mut Vec<Duplicate>,
    ) -> Result<(), String> {
        let file = self.files[p]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        let mut recs = mem;
        if let Some(mut f) = file {
            let path = self.path(p);
            let read_err = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
            let len = f.seek(SeekFrom::End(0)).map_err(read_err)?;
            f.seek(SeekFrom::Start(0)).map_err(read_err)?;
            recs.reserve(len as usize / RECORD_BYTES);
            let mut reader = BufReader::with_capacity(1 << 16, f);
            let mut rec = [0u8; RECORD_BYTES];
            loop {
                match reader.read_exact(&mut rec) {
                    Ok(()) => recs.push(Record::from_bytes(&rec)),
                    Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
                    Err(e) => return Err(read_err(e)),
                }
            }
        }
        // Equal (digest, period) end up next to each other; within a group the first
        // occurrence is the smallest (file, row), every other one is a duplicate.
        recs.sort_unstable_by_key(|r| (r.digest, r.period & !HAS_COST, r.file, r.row));
        for group in recs
            .chunk_by(|a, b| a.digest == b.digest && a.period & !HAS_COST == b.period & !HAS_COST)
        {
            for r in &group[1..] {
                let period = r.period & !HAS_COST;
                out.push(Duplicate {
                    pos: (r.file as usize, r.row),
                    cost: (r.period & HAS_COST != 0).then(|| f64::from_bits(r.cost)),
                    id: None,
                    interval: None,
                    period: format!("{:04}-{:02}", period / 100, period % 100),
                });
            }
        }
        Ok(())
    }
}

fn spill_error(problem: String, asked_by: &str) -> VerifyError {
    VerifyError::read(
        std::env::temp_dir(),
        format!("duplicate line item detection ({asked_by}) could not use its temporary files: {problem}"),
        format!("free disk space in the temporary folder or point TMPDIR at one with room (it needs about 40 bytes per row); or skip the rule with --ignore {asked_by}"),
    )
}

/// A worker's side of the store: per-partition buffers.
#[derive(Debug)]
pub struct IdSink {
    store: Arc<DupStore>,
    bufs: Vec<Vec<Record>>,
    buffered: usize,
    spilling: bool,
    /// Scratch for the key bytes of one row.
    key: Vec<u8>,
}

impl IdSink {
    /// A sink writing into `store`.
    pub fn new(store: Arc<DupStore>) -> Self {
        IdSink {
            bufs: vec![Vec::new(); store.partitions()],
            store,
            buffered: 0,
            spilling: false,
            key: Vec::with_capacity(128),
        }
    }

    /// Record one row's line item key: its id and the time it covers.
    #[inline]
    pub fn push(
        &mut self,
        period: u32,
        id: &str,
        when: When<'_>,
        file: usize,
        row: u64,
        cost: Option<f64>,
    ) {
        key_bytes(&mut self.key, id, when);
        let digest = twox_hash::XxHash3_128::oneshot(&self.key);
        let p = self.store.partition(digest);
        self.bufs[p].push(Record {
            digest,
            row,
            cost: cost.map_or(0, f64::to_bits),
            file: file as u32,
            period: period | if cost.is_some() { HAS_COST } else { 0 },
        });
        self.buffered += 1;
        if self.spilling {
            if self.bufs[p].len() >= BUFFER_RECORDS {
                self.flush(p);
            }
        } else if self.buffered > IN_MEMORY_RECORDS {
            self.spilling = true;
            for p in 0..self.bufs.len() {
                self.flush(p);
            }
        }
    }

    fn flush(&mut self, p: usize) {
        if self.bufs[p].is_empty() {
            return;
        }
        self.store.write(p, &self.bufs[p]);
        self.buffered -= self.bufs[p].len();
        self.bufs[p].clear();
        if self.bufs[p].capacity() > BUFFER_RECORDS * 2 {
            self.bufs[p].shrink_to(BUFFER_RECORDS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(store: &Arc<DupStore>, sinks: Vec<IdSink>) -> Vec<((usize, u64), Option<f64>)> {
        let mut d: Vec<_> = store
            .finish(sinks, 2)
            .unwrap()
            .into_iter()
            .map(|d| (d.pos, d.cost))
            .collect();
        d.sort_by_key(|x| x.0);
        d
    }

    #[test]
    fn records_round_trip() {
        let r = Record {
            digest: digest("abc", When::Interval("x")),
            row: 7,
            cost: 1.5f64.to_bits(),
            file: 3,
            period: 202604 | HAS_COST,
        };
        assert_eq!(Record::from_bytes(&r.to_bytes()), r);
    }

    #[test]
    fn finds_later_occurrences_in_memory_and_spilled() {
        for rows in [10u64, 5_000_000] {
            let store = DupStore::new(rows, "a test".into());
            let mut a = IdSink::new(store.clone());
            let mut b = IdSink::new(store.clone());
            // 600k distinct ids over two sinks: both spill.
            let n = if rows > 10 { 600_000 } else { 1_000 };
            let h = When::Interval("2026-04-20T10:00:00Z/2026-04-20T11:00:00Z");
            for i in 0..n {
                let s = if i % 2 == 0 { &mut a } else { &mut b };
                s.push(202604, &format!("id-{i}"), h, 0, i + 1, Some(1.0));
            }
            // id-5 again later in file 1 (counted), id-9 again in another period (not counted),
            // id-11 again in file 0 before its first sighting in row 12 (the later one counts),
            // id-7 again in another hour (the same line item's next hour: not counted).
            b.push(202604, "id-5", h, 1, 1, Some(2.5));
            a.push(202605, "id-9", h, 1, 2, Some(1.0));
            a.push(202604, "id-11", h, 0, n + 5, None);
            let next = When::Interval("2026-04-20T11:00:00Z/2026-04-20T12:00:00Z");
            a.push(202604, "id-7", next, 1, 3, Some(1.0));
            let spilled = store.spilled();
            let d = find(&store, vec![a, b]);
            assert_eq!(d, vec![((0, n + 5), None), ((1, 1), Some(2.5))]);
            assert_eq!(
                spilled > 0,
                rows > 10,
                "spills only beyond the in-memory budget"
            );
        }
    }

    #[test]
    fn the_key_is_id_and_interval() {
        let hour = |h: u32| format!("2026-04-20T{h:02}:00:00Z/2026-04-20T{:02}:00:00Z", h + 1);
        let (h10, h11) = (hour(10), hour(11));
        let a = digest("id-1", When::Interval(&h10));
        assert_eq!(a, digest("id-1", When::Interval(&format!(" {h10} "))));
        assert_ne!(a, digest("id-1", When::Interval(&h11)));
        assert_ne!(a, digest("id-2", When::Interval(&h10)));
        let (s, e) = (Some(1_776_679_200_000_000), Some(1_776_682_800_000_000));
        let u = digest("id-1", When::Usage(s, e));
        assert_eq!(u, digest("id-1", When::Usage(s, e)));
        assert_ne!(u, digest("id-1", When::Usage(s, None)));
        assert_ne!(u, a, "usage-keyed rows never match interval-keyed rows");
        // The separator keeps `ab` + `c…` apart from `a` + `bc…`.
        assert_ne!(
            digest("ab", When::Interval("c")),
            digest("a", When::Interval("bc"))
        );

        // One id over 24 hours is one line item, not 23 duplicates; the same hour twice is one.
        let store = DupStore::new(100, "a test".into());
        let mut sink = IdSink::new(store.clone());
        for h in 0..24u32 {
            let t = format!(
                "2026-04-20T{h:02}:00:00Z/2026-04-{}T{:02}:00:00Z",
                if h == 23 { 21 } else { 20 },
                (h + 1) % 24
            );
            sink.push(
                202604,
                "id-1",
                When::Interval(&t),
                0,
                u64::from(h) + 1,
                Some(0.1),
            );
        }
        sink.push(202604, "id-1", When::Interval(&h10), 0, 25, Some(0.1));
        assert_eq!(find(&store, vec![sink]), vec![((0, 25), Some(0.1))]);
    }
}
