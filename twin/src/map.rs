//! The hash map the twin keeps (fast hashing of short keys).

/// The hash map the profile keeps (fast hashing of short keys).
pub type Map<K, V> = rustc_hash::FxHashMap<K, V>;
