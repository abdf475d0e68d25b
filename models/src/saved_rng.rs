//! Random generators whose state can be saved (checkpoints) and that draw
//! exactly the numbers of the ones they replace: [`Xoshiro256pp`] is
//! `rand::rngs::SmallRng` of rand 0.8 on 64-bit targets (xoshiro256++,
//! seeded as `SeedableRng::seed_from_u64` seeds it), whose state rand does
//! not expose.

use rand::{RngCore, SeedableRng};

/// xoshiro256++ (Blackman and Vigna), number for number rand 0.8's
/// `SmallRng` on 64-bit targets, with its four words readable and settable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xoshiro256pp {
    s: [u64; 4],
}

impl Xoshiro256pp {
    /// The generator's state.
    pub fn state(&self) -> [u64; 4] {
        self.s
    }

    /// A generator in `state` (one [`state`](Self::state) returned).
    pub fn from_state(s: [u64; 4]) -> Self {
        Self { s }
    }

    /// SplitMix64 expansion of a u64, as rand's xoshiro seeds an all-zero
    /// seed.
    fn splitmix(mut state: u64) -> Self {
        const PHI: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut s = [0u64; 4];
        for w in &mut s {
            state = state.wrapping_add(PHI);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            *w = z ^ (z >> 31);
        }
        Self { s }
    }
}

impl SeedableRng for Xoshiro256pp {
    type Seed = [u8; 32];

    fn from_seed(seed: [u8; 32]) -> Self {
        if seed.iter().all(|&x| x == 0) {
            return Self::splitmix(0);
        }
        let mut s = [0u64; 4];
        for (w, c) in s.iter_mut().zip(seed.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            *w = u64::from_le_bytes(b);
        }
        Self { s }
    }
}

impl RngCore for Xoshiro256pp {
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// As rand_core's `fill_bytes_via_next`: 8 bytes per u64, a tail of
    /// more than 4 bytes from one more u64, of 1 to 4 from a u32.
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let mut chunks = dest.chunks_exact_mut(8);
        for c in &mut chunks {
            c.copy_from_slice(&self.next_u64().to_le_bytes());
        }
        let rest = chunks.into_remainder();
        let n = rest.len();
        if n > 4 {
            rest.copy_from_slice(&self.next_u64().to_le_bytes()[..n]);
        } else if n > 0 {
            rest.copy_from_slice(&self.next_u32().to_le_bytes()[..n]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// The same numbers as rand's SmallRng, for every way of drawing,
    /// and the same after a save and restore.
    #[test]
    fn draws_small_rng_s_numbers() {
        for seed in [0u64, 1, 42, 0xdead_beef, u64::MAX] {
            let mut a = rand::rngs::SmallRng::seed_from_u64(seed);
            let mut b = Xoshiro256pp::seed_from_u64(seed);
            for k in 0..2000 {
                match k % 5 {
                    0 => assert_eq!(a.next_u64(), b.next_u64()),
                    1 => assert_eq!(a.next_u32(), b.next_u32()),
                    2 => assert_eq!(a.gen::<f64>().to_bits(), b.gen::<f64>().to_bits()),
                    3 => assert_eq!(a.gen_range(0..977u32), b.gen_range(0..977u32)),
                    _ => {
                        let (mut x, mut y) = ([0u8; 13], [0u8; 13]);
                        let (mut p, mut q) = ([0u8; 3], [0u8; 3]);
                        a.fill_bytes(&mut p);
                        b.fill_bytes(&mut q);
                        assert_eq!(p, q);
                        a.fill_bytes(&mut x);
                        b.fill_bytes(&mut y);
                        assert_eq!(x, y);
                    }
                }
            }
            let mut c = Xoshiro256pp::from_state(b.state());
            assert_eq!(c.next_u64(), a.next_u64());
        }
        // an all-zero seed, as rand maps it
        let mut a = rand::rngs::SmallRng::from_seed([0; 32]);
        let mut b = Xoshiro256pp::from_seed([0; 32]);
        assert_eq!(a.next_u64(), b.next_u64());
    }
}
