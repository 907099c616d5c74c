//! RSASSA-PKCS1-v1_5 signature verification (RFC 8017 §8.2.2) for public exponent 65537, the
//! exponent every IdP certificate uses.
//!
//! Verification handles only public values, so variable-time arithmetic is safe here. The
//! exponentiation is 16 Montgomery squarings and one multiplication (CIOS, Koç et al. 1996) on
//! machine words: 64-bit limbs natively, 32-bit limbs on wasm32, which has no 64×64→128-bit
//! multiply. The result is compared with the one valid encoding (EMSA-PKCS1-v1_5, RFC 8017
//! §9.2), built from the expected hash: nothing in the signature is parsed. Other exponents
//! fall back to the `rsa` crate.

use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};

use crate::dsig::HashAlg;

#[cfg(target_pointer_width = "64")]
type Limb = u64;
#[cfg(target_pointer_width = "64")]
type Wide = u128;
#[cfg(not(target_pointer_width = "64"))]
type Limb = u32;
#[cfg(not(target_pointer_width = "64"))]
type Wide = u64;

const BITS: u32 = Limb::BITS;

/// A public key prepared for Montgomery arithmetic.
#[derive(Clone)]
pub(crate) struct MontKey {
    n: Vec<Limb>,
    /// -n⁻¹ mod 2^BITS.
    n0inv: Limb,
    /// R² mod n, R = 2^(BITS·limbs).
    r2: Vec<Limb>,
    /// Modulus length in bytes (k in RFC 8017).
    k: usize,
}

fn to_limbs(x: &BigUint, len: usize) -> Vec<Limb> {
    let bytes = x.to_bytes_le();
    let mut out = vec![0 as Limb; len];
    for (i, b) in bytes.iter().enumerate() {
        if let Some(l) = out.get_mut(i / (BITS as usize / 8)) {
            *l |= Limb::from(*b) << (8 * (i % (BITS as usize / 8)));
        }
    }
    out
}

impl MontKey {
    /// Prepare `key`, or None when its exponent is not 65537 (the `rsa` crate then verifies).
    pub(crate) fn new(key: &RsaPublicKey) -> Option<Self> {
        if key.e() != &BigUint::from(65_537u32) {
            return None;
        }
        let n = key.n();
        let k = n.bits().div_ceil(8);
        let limbs = k.div_ceil(BITS as usize / 8);
        let n_limbs = to_limbs(n, limbs);
        let n0 = *n_limbs.first()?;
        if n0 & 1 == 0 {
            return None;
        }
        // Newton's iteration doubles the correct low bits each round: 3 → 6 → … ≥ BITS.
        let mut inv: Limb = n0;
        for _ in 0..6 {
            inv = inv.wrapping_mul((2 as Limb).wrapping_sub(n0.wrapping_mul(inv)));
        }
        let r2 = (BigUint::from(1u8) << (2 * BITS as usize * limbs)) % n;
        Some(MontKey {
            n: n_limbs,
            n0inv: inv.wrapping_neg(),
            r2: to_limbs(&r2, limbs),
            k,
        })
    }

    /// a·b·R⁻¹ mod n (CIOS). Inputs below n; output below n. `t` has n.len() + 2 limbs.
    fn mul(&self, a: &[Limb], b: &[Limb], t: &mut [Limb], out: &mut [Limb]) {
        let s = self.n.len();
        let (n, a) = (&self.n[..s], &a[..s]);
        t.iter_mut().for_each(|x| *x = 0);
        let (lo, hi) = t.split_at_mut(s);
        for &bi in &b[..s] {
            // t += a·bi
            let mut c: Wide = 0;
            for (tj, &aj) in lo.iter_mut().zip(a) {
                let v = Wide::from(*tj) + Wide::from(aj) * Wide::from(bi) + c;
                *tj = v as Limb;
                c = v >> BITS;
            }
            let v = Wide::from(hi[0]) + c;
            hi[0] = v as Limb;
            hi[1] = (v >> BITS) as Limb;
            // t = (t + m·n) / 2^BITS, with m chosen so the low limb cancels
            let m = lo[0].wrapping_mul(self.n0inv);
            let mut c = (Wide::from(lo[0]) + Wide::from(m) * Wide::from(n[0])) >> BITS;
            for j in 1..s {
                let v = Wide::from(lo[j]) + Wide::from(m) * Wide::from(n[j]) + c;
                lo[j - 1] = v as Limb;
                c = v >> BITS;
            }
            let v = Wide::from(hi[0]) + c;
            lo[s - 1] = v as Limb;
            hi[0] = hi[1].wrapping_add((v >> BITS) as Limb);
        }
        out.copy_from_slice(lo);
        if hi[0] != 0 || !less_than(out, n) {
            sub_in_place(out, n);
        }
    }

    /// sig^65537 mod n as k big-endian bytes, or None when sig is not a valid representative.
    fn public_op(&self, sig: &[u8]) -> Option<Vec<u8>> {
        if sig.len() != self.k {
            return None;
        }
        let s = self.n.len();
        let x = to_limbs(&BigUint::from_bytes_be(sig), s);
        if !less_than(&x, &self.n) {
            return None;
        }
        let mut t = vec![0 as Limb; s + 2];
        let mut xr = vec![0 as Limb; s];
        self.mul(&x, &self.r2, &mut t, &mut xr); // x·R
        let mut acc = xr.clone();
        let mut tmp = vec![0 as Limb; s];
        for _ in 0..16 {
            self.mul(&acc, &acc, &mut t, &mut tmp);
            std::mem::swap(&mut acc, &mut tmp);
        }
        self.mul(&acc, &xr, &mut t, &mut tmp); // x^65537·R
        let mut one = vec![0 as Limb; s];
        one[0] = 1;
        self.mul(&tmp, &one, &mut t, &mut acc); // x^65537
        let mut out = vec![0u8; self.k];
        for (i, byte) in out.iter_mut().rev().enumerate() {
            *byte = (acc[i / (BITS as usize / 8)] >> (8 * (i % (BITS as usize / 8)))) as u8;
        }
        Some(out)
    }

    /// RSASSA-PKCS1-v1_5 verification of `sig` over the digest `hashed`.
    pub(crate) fn verify(&self, alg: HashAlg, hashed: &[u8], sig: &[u8]) -> bool {
        match (self.public_op(sig), emsa_pkcs1_v15(alg, hashed, self.k)) {
            (Some(em), Some(expected)) => em == expected,
            _ => false,
        }
    }
}

fn less_than(a: &[Limb], b: &[Limb]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

fn sub_in_place(a: &mut [Limb], b: &[Limb]) {
    let mut borrow = false;
    for (x, y) in a.iter_mut().zip(b) {
        let (d1, b1) = x.overflowing_sub(*y);
        let (d2, b2) = d1.overflowing_sub(Limb::from(borrow));
        *x = d2;
        borrow = b1 || b2;
    }
}

/// EM = 0x00 ‖ 0x01 ‖ PS (0xFF…, at least 8) ‖ 0x00 ‖ DigestInfo (RFC 8017 §9.2, note 1).
fn emsa_pkcs1_v15(alg: HashAlg, hashed: &[u8], k: usize) -> Option<Vec<u8>> {
    let prefix: &[u8] = match alg {
        HashAlg::Sha1 => &[
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ],
        HashAlg::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        HashAlg::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        HashAlg::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
    };
    let t_len = prefix.len() + hashed.len();
    if k < t_len + 11 {
        return None;
    }
    let mut em = Vec::with_capacity(k);
    em.extend_from_slice(&[0x00, 0x01]);
    em.resize(k - t_len - 1, 0xff);
    em.push(0x00);
    em.extend_from_slice(prefix);
    em.extend_from_slice(hashed);
    Some(em)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TrustedKey;
    use sha2::{Digest, Sha256};

    /// The fast path agrees with the `rsa` crate on real IdP certificates, for valid and
    /// altered signatures (the corpus and vector tests cover valid signatures end to end).
    #[test]
    fn agrees_with_the_rsa_crate() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys/");
        for name in ["idp.crt", "idp2.crt", "idp4096.crt", "attacker.crt"] {
            let key = TrustedKey::from_certificate(&std::fs::read(format!("{dir}{name}")).unwrap())
                .unwrap();
            let mont = MontKey::new(&key.key).unwrap();
            let hashed = Sha256::digest(b"signed info");
            let k = mont.k;
            for sig in [
                vec![0u8; k],
                vec![1u8; k],
                vec![0xffu8; k],
                (0..k).map(|i| i as u8).collect::<Vec<u8>>(),
                vec![7u8; k - 1],
            ] {
                let theirs = key
                    .key
                    .verify(HashAlg::Sha256.pkcs1v15(), &hashed, &sig)
                    .is_ok();
                assert_eq!(
                    mont.verify(HashAlg::Sha256, &hashed, &sig),
                    theirs,
                    "{name}"
                );
            }
            // x^e mod n for a small x is x^65537 computed exactly: check one by BigUint.
            let mut sig = vec![0u8; k];
            sig[k - 1] = 3;
            let expect = BigUint::from(3u8).modpow(&BigUint::from(65_537u32), key.key.n());
            assert_eq!(
                BigUint::from_bytes_be(&mont.public_op(&sig).unwrap()),
                expect,
                "{name}"
            );
        }
    }

    #[test]
    fn encoding_matches_rfc8017() {
        let em = emsa_pkcs1_v15(HashAlg::Sha256, &[0xab; 32], 256).unwrap();
        assert_eq!(em.len(), 256);
        assert_eq!(&em[..2], &[0, 1]);
        assert_eq!(em[256 - 32 - 19 - 1], 0);
        assert!(em[2..256 - 32 - 19 - 1].iter().all(|&b| b == 0xff));
        assert!(emsa_pkcs1_v15(HashAlg::Sha512, &[0; 64], 64).is_none());
    }
}
