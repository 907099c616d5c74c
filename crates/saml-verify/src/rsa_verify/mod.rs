//! RSASSA-PKCS1-v1_5 signature verification (RFC 8017 §8.2.2) for public exponent 65537, the
//! exponent every IdP certificate uses.
//!
//! Verification handles only public values, so variable-time arithmetic is safe here. The
//! exponentiation is 16 Montgomery squarings (SOS, with each cross product computed once) and
//! one multiplication (fused CIOS), Koç, Acar and Kaliski 1996, on
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

    /// a·b·R⁻¹ mod n: coarsely integrated operand scanning with the multiplication and the
    /// reduction fused into one pass per limb of `b` (Koç et al. 1996, §5). Inputs below n;
    /// output below n. `t` has n.len() + 1 limbs.
    fn mul(&self, a: &[Limb], b: &[Limb], t: &mut [Limb], out: &mut [Limb]) {
        let s = self.n.len();
        let (n, a, t) = (&self.n[..s], &a[..s], &mut t[..=s]);
        t.iter_mut().for_each(|x| *x = 0);
        for &bi in &b[..s] {
            // t = (t + a·bi + m·n) / 2^BITS, with m chosen so the low limb cancels.
            let v = Wide::from(t[0]) + Wide::from(a[0]) * Wide::from(bi);
            let m = (v as Limb).wrapping_mul(self.n0inv);
            let mut c1 = v >> BITS;
            let mut c2 = (Wide::from(v as Limb) + Wide::from(m) * Wide::from(n[0])) >> BITS;
            for j in 1..s {
                let v = Wide::from(t[j]) + Wide::from(a[j]) * Wide::from(bi) + c1;
                c1 = v >> BITS;
                let w = Wide::from(v as Limb) + Wide::from(m) * Wide::from(n[j]) + c2;
                c2 = w >> BITS;
                t[j - 1] = w as Limb;
            }
            // t < 2n throughout, so the top is at most one bit.
            let v = Wide::from(t[s]) + c1 + c2;
            t[s - 1] = v as Limb;
            t[s] = (v >> BITS) as Limb;
        }
        out.copy_from_slice(&t[..s]);
        if t[s] != 0 || !less_than(out, n) {
            sub_in_place(out, n);
        }
    }

    /// a²·R⁻¹ mod n: the square by separated operand scanning, each cross product a[i]·a[j]
    /// computed once and doubled (about half the multiplications of a general product), then
    /// Montgomery reduction (REDC). Input below n; output below n. `p` has 2·n.len() limbs.
    fn sqr(&self, a: &[Limb], p: &mut [Limb], out: &mut [Limb]) {
        let s = self.n.len();
        let (n, a, p) = (&self.n[..s], &a[..s], &mut p[..2 * s]);
        p.iter_mut().for_each(|x| *x = 0);
        for (i, &ai) in a.iter().enumerate() {
            let mut c: Wide = 0;
            let (row, last) = p[2 * i + 1..=i + s].split_at_mut(s - i - 1);
            for (pj, &aj) in row.iter_mut().zip(&a[i + 1..]) {
                let v = Wide::from(*pj) + Wide::from(ai) * Wide::from(aj) + c;
                *pj = v as Limb;
                c = v >> BITS;
            }
            last[0] = c as Limb;
        }
        // Double the cross products (they sum to less than a²/2, so nothing is lost) and add
        // the squares on the diagonal.
        let mut top = 0;
        for x in p.iter_mut() {
            let next = *x >> (BITS - 1);
            *x = (*x << 1) | top;
            top = next;
        }
        let mut c: Wide = 0;
        for (pair, &ai) in p.chunks_exact_mut(2).zip(a) {
            let d = Wide::from(ai) * Wide::from(ai);
            let v = Wide::from(pair[0]) + (d as Limb as Wide) + c;
            pair[0] = v as Limb;
            let w = Wide::from(pair[1]) + (d >> BITS) + (v >> BITS);
            pair[1] = w as Limb;
            c = w >> BITS;
        }
        // REDC: add m·n·2^(BITS·i) so limb i cancels, for each i; the result is p / R < 2n.
        let mut top: Wide = 0;
        for i in 0..s {
            let (row, rest) = p[i..].split_at_mut(s);
            let m = row[0].wrapping_mul(self.n0inv);
            let mut c: Wide = 0;
            for (pj, &nj) in row.iter_mut().zip(n) {
                let v = Wide::from(*pj) + Wide::from(m) * Wide::from(nj) + c;
                *pj = v as Limb;
                c = v >> BITS;
            }
            let v = Wide::from(rest[0]) + c + top;
            rest[0] = v as Limb;
            top = v >> BITS;
        }
        out.copy_from_slice(&p[s..]);
        if top != 0 || !less_than(out, n) {
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
        let mut t = vec![0 as Limb; 2 * s];
        let mut xr = vec![0 as Limb; s];
        self.mul(&x, &self.r2, &mut t, &mut xr); // x·R
        let mut acc = xr.clone();
        let mut tmp = vec![0 as Limb; s];
        for _ in 0..16 {
            self.sqr(&acc, &mut t, &mut tmp);
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

    /// The squaring and the fused multiplication agree with `BigUint::modpow` on pseudo-random
    /// values spread over [0, n), including the extremes that stress every carry.
    #[test]
    fn public_op_matches_modpow() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keys/");
        let e = BigUint::from(65_537u32);
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for name in ["idp.crt", "idp4096.crt"] {
            let key = TrustedKey::from_certificate(&std::fs::read(format!("{dir}{name}")).unwrap())
                .unwrap();
            let mont = MontKey::new(&key.key).unwrap();
            let n = key.key.n();
            let k = mont.k;
            let mut xs = vec![n - 1u8, n - 2u8, BigUint::from(1u8), BigUint::from(0u8)];
            xs.push(n >> 1);
            for _ in 0..60 {
                let bytes: Vec<u8> = (0..k).map(|_| next() as u8).collect();
                xs.push(BigUint::from_bytes_be(&bytes) % n);
            }
            for x in xs {
                let mut sig = x.to_bytes_be();
                if sig.len() < k {
                    sig.splice(0..0, std::iter::repeat_n(0, k - sig.len()));
                }
                let got = BigUint::from_bytes_be(&mont.public_op(&sig).unwrap());
                assert_eq!(got, x.modpow(&e, n), "{name}: {x:x}");
            }
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
