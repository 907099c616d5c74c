//! RSASSA-PKCS1-v1_5 signature verification (RFC 8017 §8.2.2) for public exponent 65537, the
//! exponent every IdP certificate uses.
//!
//! Verification handles only public values, so variable-time arithmetic is safe here. The
//! exponentiation is one Montgomery multiplication into the Montgomery form (by R² mod n), 16
//! squarings (SOS, with each cross product computed once) and one multiplication by the
//! signature itself, which leaves the form (fused CIOS), Koç, Acar and Kaliski 1996, on machine
//! words: generic over
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
    /// [`Self::reduce`]. Input below n; output below n. `p` has 2·n.len() limbs.
    fn sqr(&self, a: &[L], p: &mut [L], out: &mut [L]) {
        let s = self.n.len();
        let (a, p) = (&a[..s], &mut p[..2 * s]);
        p.iter_mut().for_each(|x| *x = L::ZERO);
        // Rows of cross products two at a time while both have some (see `cross_pair`).
        let mut i = 0;
        while i + 3 <= s {
            Self::cross_pair(a, p, i);
            i += 2;
        }
        for (i, &ai) in a.iter().enumerate().skip(i) {
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
        self.reduce(p, out);
    }

    /// Rows i and i + 1 of the cross products of [`Self::sqr`] (row i adds a[i]·a[j] for
    /// j > i at limb i + j and leaves its carry at limb i + s; needs i + 3 ≤ s, so that row
    /// i + 1 is not empty). Row i's term reaches each limb before row i + 1's, as when the rows
    /// run one after the other; the two carry chains overlap in time.
    fn cross_pair(a: &[L], p: &mut [L], i: usize) {
        let s = a.len();
        let (a0, a1) = (a[i], a[i + 1]);
        let (v, c0) = L::mac(p[2 * i + 1], a0, a1, L::ZERO);
        p[2 * i + 1] = v;
        let (v, mut c0) = L::mac(p[2 * i + 2], a0, a[i + 2], c0);
        p[2 * i + 2] = v;
        let mut c1 = L::ZERO;
        let row = &mut p[2 * i + 3..i + s];
        for ((pk, &x0), &x1) in row.iter_mut().zip(&a[i + 3..]).zip(&a[i + 2..s - 1]) {
            (*pk, c0) = L::mac(*pk, a0, x0, c0);
            (*pk, c1) = L::mac(*pk, a1, x1, c1);
        }
        (p[i + s], c1) = L::mac(c0, a1, a[s - 1], c1);
        p[i + s + 1] = c1;
    }

    /// Montgomery reduction (REDC, Koç et al. 1996 §3): p·R⁻¹ mod n for p < n·R, adding
    /// m·n·2^(BITS·i) so that limb i cancels, for each i; p / R is then below 2n, and one
    /// subtraction brings it below n. `p` has 2·n.len() limbs and is overwritten.
    ///
    /// Rows are done two at a time ([`Self::reduce_pair`]): each row is a serial carry chain,
    /// and two interleaved chains keep the multiplier busy while the other's carry settles.
    fn reduce(&self, p: &mut [L], out: &mut [L]) {
        let s = self.n.len();
        let (n, p) = (&self.n[..s], &mut p[..2 * s]);
        let mut top = L::ZERO;
        let mut i = 0;
        while i + 1 < s {
            top = self.reduce_pair(&mut p[i..], top);
            i += 2;
        }
        if i < s {
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

    /// Rows i and i + 1 of [`Self::reduce`] on `p` = the product from limb i on (at least
    /// s + 2 limbs), `top` the carry into limb s of row i; returns the carry out of row i + 1.
    /// Every limb receives row i's term before row i + 1's, as when the rows run one after
    /// the other, so the result is the same; only the two carry chains overlap in time.
    fn reduce_pair(&self, p: &mut [L], top: L) -> L {
        let s = self.n.len();
        let (n, p) = (&self.n[..s], &mut p[..s + 2]);
        let m0 = L::mul_low(p[0], self.n0inv);
        let (_, mut c0) = L::mac(p[0], m0, n[0], L::ZERO);
        (p[1], c0) = L::mac(p[1], m0, n[1], c0);
        let m1 = L::mul_low(p[1], self.n0inv);
        let (_, mut c1) = L::mac(p[1], m1, n[0], L::ZERO);
        for j in 2..s {
            (p[j], c0) = L::mac(p[j], m0, n[j], c0);
            (p[j], c1) = L::mac(p[j], m1, n[j - 1], c1);
        }
        let (v, t0) = L::add3(p[s], c0, top);
        (p[s], c1) = L::mac(v, m1, n[s - 1], c1);
        let (v, t1) = L::add3(p[s + 1], c1, t0);
        p[s + 1] = v;
        t1
    }

    /// sig^65537 mod n as k big-endian bytes, or None when sig is not a valid representative
    /// (RFC 8017 §5.2.2 RSAVP1: the length is k and the integer is below n).
    fn public_op(&self, sig: &[u8]) -> Option<Vec<u8>> {
        if sig.len() != self.k {
            return None;
        }
        let s = self.n.len();
        // OS2IP (RFC 8017 §4.2): big-endian bytes into little-endian limbs.
        let mut x = vec![L::ZERO; s];
        for (i, b) in sig.iter().rev().enumerate() {
            let l = x.get_mut(i / L::BYTES)?;
            *l = l.or_byte(i % L::BYTES, *b);
        }
        if !less_than(&x, &self.n) {
            return None;
        }
        // One allocation for the working values: the double-width product and three numbers.
        let mut scratch = vec![L::ZERO; 5 * s];
        let (t, rest) = scratch.split_at_mut(2 * s);
        let (xr, rest) = rest.split_at_mut(s);
        let (mut acc, mut tmp) = rest.split_at_mut(s);
        self.mul(&x, &self.r2, t, xr); // x·R
        acc.copy_from_slice(xr);
        for _ in 0..16 {
            self.sqr(acc, t, tmp);
            std::mem::swap(&mut acc, &mut tmp);
        }
        // (x^65536·R)·x·R⁻¹ = x^65537: multiplying by x itself, not x·R, leaves the
        // Montgomery form, so no separate reduction is needed.
        self.mul(acc, &x, t, tmp);
        let acc = tmp;
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
