//! Allocator settings for a flat peak RSS.
//!
//! glibc's malloc serves a large block (a Parquet page buffer, a record batch's column, a
//! row group's encoded chunks) with `mmap` only while it is above a threshold that starts at
//! 128 KiB and *rises* to the size of every such block freed (up to 32 MiB). After the first
//! row group is freed, the next ones come from the per-thread heaps instead, and freed heap
//! memory is kept, fragmented, by each thread's arena: at 9M rows that was 100 MiB of resident
//! memory above the live heap (heaptrack: 169 MiB live, 271 MiB RSS). Fixing the threshold at
//! 128 KiB keeps large blocks on `mmap`, returned to the system when freed; for `generate`
//! it costs no measurable time (BENCHMARKS.md, issue #15). `verify` reads with a higher
//! threshold ([`tune_for_reading`]): there the page faults were a third of its time.

/// Large blocks stay on `mmap` (glibc only; other allocators are left as they are).
pub(crate) fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Large blocks of up to 4 MiB come from the heaps, for `curlab verify` (called before its
/// worker threads start). Reading Parquet allocates and frees a buffer per page and per column
/// of each record batch, most of them between 128 KiB and a few MiB: on `mmap` each is new
/// memory the kernel must fault in and zero (1.2M page faults, a third of verify's CPU time at
/// scale 25), while from the heaps they are reused. The heaps keep ~20 MiB more resident
/// (BENCHMARKS.md, issue #15); blocks above 4 MiB (a whole column chunk's dictionary) stay
/// on `mmap`.
pub(crate) fn tune_for_reading() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is called before the worker threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

/// Give the system back the free pages inside the heaps (glibc's `malloc_trim`, which also
/// releases whole free pages between live blocks, not only the top of each heap). Called once
/// the plan is resolved (resolving a large population frees as much as it keeps: the end
/// users, the selectors' names) and after each simulated day; each call takes well under a
/// millisecond.
pub(crate) fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system; any thread may call it.
    unsafe {
        libc::malloc_trim(0);
    }
}
