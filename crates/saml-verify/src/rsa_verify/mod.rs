//! RSASSA-PKCS1-v1_5 signature verification (RFC 8017 §8.2.2) for public exponent 65537, the
//! exponent every IdP certificate uses.
//!
//! Verification handles only public values, so variable-time arithmetic is safe here. The
//! exponentiation is 16 Montgomery squarings (SOS, with each cross product computed once) and
//! one multiplication (fused CIOS), Koç, Acar and Kaliski 1996, on machine words: generic over
//! the limb ([`limb::Limb`]), 64-bit natively and 32-bit on wasm32, which has no 64×64→128-bit
//! multiply; both widths are compiled and tested on every target. The result is compared with
//! the one valid encoding (EMSA-PKCS1-v1_5, RFC 8017 §9.2), built from the expected hash, whose
//! length must be the hash's: nothing in the signature is parsed. Other exponents fall back to
//! the `rsa` crate.

mod limb;
pub mod testing;
#[cfg(test)]
mod tests;

use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPublicKey};

use crate::alg::HashAlg;
pub(crate) use limb::{Limb, Native};

/// A public key prepared for Montgomery arithmetic on limbs of type `L`.
#[derive(Clone)]
pub(crate) struct MontKey<L: Limb = Native> {
    n: Vec<L>,
    /// -n⁻¹ mod 2^BITS.
    n0inv: L,
    /// R² mod n, R = 2^(BITS·limbs).
    r2: Vec<L>,
    /// Modulus length in bytes (k in RFC 8017).
    k: usize,
}

fn to_limbs<L: Limb>(x: &BigUint, len: usize) -> Vec<L> {
    let mut out = vec![L::ZERO; len];
    for (i, b) in x.to_bytes_le().iter().enumerate() {
        if let Some(l) = out.get_mut(i / L::BYTES) {
            *l = l.or_byte(i % L::BYTES, *b);
        }
    }
    out
}

/// RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) as a trusted key does it: the Montgomery
/// path when `mont` was prepared (e = 65537), else the `rsa` crate.
pub(crate) fn verify_with<L: Limb>(
    key: &RsaPublicKey,
    mont: Option<&MontKey<L>>,
    alg: HashAlg,
    hashed: &[u8],
    sig: &[u8],
) -> bool {
    match mont {
        Some(m) => m.verify(alg, hashed, sig),
        None => key.verify(alg.pkcs1v15(), hashed, sig).is_ok(),
    }
}

impl<L: Limb> MontKey<L> {
    /// Prepare `key`, or None when its exponent is not 65537 (the `rsa` crate then verifies).
    pub(crate) fn new(key: &RsaPublicKey) -> Option<Self> {
        if key.e() != &BigUint::from(65_537u32) {
            return None;
        }
        let n = key.n();
        let k = n.bits().div_ceil(8);
        let limbs = k.div_ceil(L::BYTES);
        let n_limbs: Vec<L> = to_limbs(n, limbs);
        let n0 = *n_limbs.first()?;
        if !n0.is_odd() {
            return None;
        }
        let r2 = (BigUint::from(1u8) << (2 * L::BITS as usize * limbs)) % n;
        Some(MontKey {
            n: n_limbs,
            n0inv: L::neg_inv(n0),
            r2: to_limbs(&r2, limbs),
            k,
        })
    }

    /// a·b·R⁻¹ mod n: coarsely integrated operand scanning with the multiplication and the
    /// reduction fused into one pass per limb of `b` (Koç et al. 1996, §5). Inputs below n;
    /// output below n. `t` has n.len() + 1 limbs.
    fn mul(&self, a: &[L], b: &[L], t: &mut [L], out: &mut [L]) {
        let s = self.n.len();
        let (n, a, t) = (&self.n[..s], &a[..s], &mut t[..=s]);
        t.iter_mut().for_each(|x| *x = L::ZERO);
        for &bi in &b[..s] {
            // t = (t + a·bi + m·n) / 2^BITS, with m chosen so the low limb cancels.
            let (v, mut c1) = L::mac(t[0], a[0], bi, L::ZERO);
            let m = L::mul_low(v, self.n0inv);
            let (_, mut c2) = L::mac(v, m, n[0], L::ZERO);
            for j in 1..s {
                let (v, hi) = L::mac(t[j], a[j], bi, c1);
                c1 = hi;
                let (w, hi) = L::mac(v, m, n[j], c2);
                c2 = hi;
                t[j - 1] = w;
            }
            // t < 2n throughout, so the top is at most one bit.
            let (lo, hi) = L::add3(t[s], c1, c2);
            t[s - 1] = lo;
            t[s] = hi;
        }
        out.copy_from_slice(&t[..s]);
        if t[s] != L::ZERO || !less_than(out, n) {
            sub_in_place(out, n);
        }
    }

    /// a²·R⁻¹ mod n: the square by separated operand scanning, each cross product a[i]·a[j]
    /// computed once and doubled (about half the multiplications of a general product), then
    /// Montgomery reduction (REDC). Input below n; output below n. `p` has 2·n.len() limbs.
    fn sqr(&self, a: &[L], p: &mut [L], out: &mut [L]) {
        let s = self.n.len();
        let (n, a, p) = (&self.n[..s], &a[..s], &mut p[..2 * s]);
        p.iter_mut().for_each(|x| *x = L::ZERO);
        for (i, &ai) in a.iter().enumerate() {
            let mut c = L::ZERO;
            let (row, last) = p[2 * i + 1..=i + s].split_at_mut(s - i - 1);
            for (pj, &aj) in row.iter_mut().zip(&a[i + 1..]) {
                (*pj, c) = L::mac(*pj, ai, aj, c);
            }
            last[0] = c;
        }
        // Double the cross products (they sum to less than a²/2, so nothing is lost) and add
        // the squares on the diagonal.
        let mut top = L::ZERO;
        for x in p.iter_mut() {
            (*x, top) = L::add3(*x, *x, top);
        }
        let mut c = L::ZERO;
        for (pair, &ai) in p.chunks_exact_mut(2).zip(a) {
            let (d_lo, d_hi) = L::mac(L::ZERO, ai, ai, L::ZERO);
            let (lo, c0) = L::add3(pair[0], d_lo, c);
            pair[0] = lo;
            (pair[1], c) = L::add3(pair[1], d_hi, c0);
        }
        // REDC: add m·n·2^(BITS·i) so limb i cancels, for each i; the result is p / R < 2n.
        let mut top = L::ZERO;
        for i in 0..s {
            let (row, rest) = p[i..].split_at_mut(s);
            let m = L::mul_low(row[0], self.n0inv);
            let mut c = L::ZERO;
            for (pj, &nj) in row.iter_mut().zip(n) {
                (*pj, c) = L::mac(*pj, m, nj, c);
            }
            (rest[0], top) = L::add3(rest[0], c, top);
        }
        out.copy_from_slice(&p[s..]);
        if top != L::ZERO || !less_than(out, n) {
            sub_in_place(out, n);
        }
    }

    /// sig^65537 mod n as k big-endian bytes, or None when sig is not a valid representative
    /// (RFC 8017 §5.2.2 RSAVP1: the length is k and the integer is below n).
    fn public_op(&self, sig: &[u8]) -> Option<Vec<u8>> {
        if sig.len() != self.k {
            return None;
        }
        let s = self.n.len();
        let x: Vec<L> = to_limbs(&BigUint::from_bytes_be(sig), s);
        if !less_than(&x, &self.n) {
            return None;
        }
        let mut t = vec![L::ZERO; 2 * s];
        let mut xr = vec![L::ZERO; s];
        self.mul(&x, &self.r2, &mut t, &mut xr); // x·R
        let mut acc = xr.clone();
        let mut tmp = vec![L::ZERO; s];
        for _ in 0..16 {
            self.sqr(&acc, &mut t, &mut tmp);
            std::mem::swap(&mut acc, &mut tmp);
        }
        self.mul(&acc, &xr, &mut t, &mut tmp); // x^65537·R
        let mut one = vec![L::ZERO; s];
        one[0] = L::ONE;
        self.mul(&tmp, &one, &mut t, &mut acc); // x^65537
        let mut out = vec![0u8; self.k];
        for (i, byte) in out.iter_mut().rev().enumerate() {
            *byte = acc[i / L::BYTES].byte(i % L::BYTES);
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

fn less_than<L: Limb>(a: &[L], b: &[L]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

fn sub_in_place<L: Limb>(a: &mut [L], b: &[L]) {
    let mut borrow = false;
    for (x, y) in a.iter_mut().zip(b) {
        (*x, borrow) = L::sbb(*x, *y, borrow);
    }
}

/// EM = 0x00 ‖ 0x01 ‖ PS (0xFF…, at least 8) ‖ 0x00 ‖ DigestInfo (RFC 8017 §9.2, note 1).
fn emsa_pkcs1_v15(alg: HashAlg, hashed: &[u8], k: usize) -> Option<Vec<u8>> {
    let prefix = alg.digest_info_prefix();
    // The digest must be the hash's own length (RFC 8017 §9.2 step 1 computes it; here it is
    // given, so a digest of another length is refused rather than encoded).
    if hashed.len() != alg.digest_len() {
        return None;
    }
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
