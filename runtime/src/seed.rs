//! Reproducible per-actor random streams.
//!
//! Every actor gets `derive_seed(graph_seed, actor_name)`: FNV-1a over the
//! name, mixed with the graph's seed by SplitMix64. The same graph and seed
//! give every actor the same stream on every run and every machine, whatever
//! the thread scheduling, and renaming one actor does not disturb another's.

/// SplitMix64 finaliser.
pub fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a's 64-bit offset basis: the hash of nothing.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a (64 bits) of `bytes`, continuing from `h` ([`FNV_OFFSET`] to start).
pub fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// The seed of actor `name` in a graph seeded with `seed`.
pub fn derive_seed(seed: u64, name: &str) -> u64 {
    splitmix64(seed ^ splitmix64(fnv1a(name.as_bytes(), FNV_OFFSET)))
}

/// A fresh run token: the process id and 64 random bits (the operating
/// system seeds the generator), unguessable, so that the shared-memory
/// files and ipc sockets named by it cannot be predicted by another user.
pub fn run_token() -> String {
    format!("{:x}-{:016x}", std::process::id(), rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn stable_and_distinct() {
        assert_eq!(derive_seed(42, "brain"), derive_seed(42, "brain"));
        assert_ne!(derive_seed(42, "brain"), derive_seed(42, "brain2"));
        assert_ne!(derive_seed(42, "brain"), derive_seed(43, "brain"));
    }
}
