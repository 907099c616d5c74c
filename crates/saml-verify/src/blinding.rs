//! Randomness for RSA blinding during key transport decryption (RSA-OAEP, RFC 8017 §7.1.2).
//!
//! The `rsa` crate's private-key operation is not constant time; blinding (Kocher 1996; RFC
//! 8017 §5.1.2 note) multiplies the ciphertext by r^e for a fresh random r first, so the time
//! an SP takes no longer depends on the ciphertext an attacker chose. The core does no I/O, so
//! the caller supplies 32 fresh random bytes per verification ([`BlindingSeed`]), expanded here
//! by SHA-256 in counter mode: block i = SHA-256(seed ‖ i as a 64-bit little-endian integer).

use std::fmt;

use rsa::rand_core::{CryptoRng, Error as RandError, RngCore};
use sha2::{Digest, Sha256};

/// 32 secret random bytes from the caller's CSPRNG, used once. Debug never prints them.
#[derive(Clone)]
pub struct BlindingSeed([u8; 32]);

impl BlindingSeed {
    /// Wrap fresh random bytes (in the worker: `crypto.getRandomValues`).
    pub fn new(bytes: [u8; 32]) -> Self {
        BlindingSeed(bytes)
    }
}

impl fmt::Debug for BlindingSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlindingSeed([redacted])")
    }
}

/// The seed's byte stream.
pub(crate) struct SeedRng {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeedRng {
    pub(crate) fn new(seed: &BlindingSeed) -> Self {
        SeedRng {
            seed: seed.0,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }
}

impl RngCore for SeedRng {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            if self.used == self.block.len() {
                let mut h = Sha256::new();
                h.update(self.seed);
                h.update(self.counter.to_le_bytes());
                self.block = h.finalize().into();
                self.counter = self.counter.wrapping_add(1);
                self.used = 0;
            }
            *byte = self.block[self.used];
            self.used += 1;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), RandError> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for SeedRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_sha256_in_counter_mode() {
        let seed = BlindingSeed::new([7; 32]);
        let mut rng = SeedRng::new(&seed);
        let mut out = [0u8; 70];
        rng.fill_bytes(&mut out[..5]);
        rng.fill_bytes(&mut out[5..]);
        for (i, chunk) in out.chunks(32).enumerate() {
            let mut h = Sha256::new();
            h.update([7u8; 32]);
            h.update((i as u64).to_le_bytes());
            let block: [u8; 32] = h.finalize().into();
            assert_eq!(chunk, &block[..chunk.len()]);
        }
        assert_eq!(format!("{seed:?}"), "BlindingSeed([redacted])");
    }
}
