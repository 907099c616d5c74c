//! Machine words for the Montgomery arithmetic of [`super::MontKey`].
//!
//! Two widths, both compiled and tested on every target: `u32` with `u64` products (what the
//! worker runs: wasm32 has no 64×64→128-bit multiply) and `u64` with `u128` products (64-bit
//! targets). [`Native`] is the one production uses on the target being built.

/// A limb: an unsigned machine word with the few double-width operations the multi-precision
/// code needs (Koç, Acar and Kaliski 1996, §2: the (C, S) carry/sum pairs).
pub(crate) trait Limb: Copy + Ord + core::fmt::Debug + 'static {
    /// Width in bits (w in Koç et al.).
    const BITS: u32;
    /// Width in bytes.
    const BYTES: usize;
    const ZERO: Self;
    /// (low, high) limbs of a + b·c + d. At most (2^w − 1)² + 2·(2^w − 1) = 2^2w − 1: the
    /// double-width result never overflows.
    fn mac(a: Self, b: Self, c: Self, d: Self) -> (Self, Self);
    /// (low, high) limbs of a + b + c; high is at most 2.
    fn add3(a: Self, b: Self, c: Self) -> (Self, Self);
    /// a − b − borrow, and the borrow out.
    fn sbb(a: Self, b: Self, borrow: bool) -> (Self, bool);
    /// a·b mod 2^w.
    fn mul_low(a: Self, b: Self) -> Self;
    /// −a⁻¹ mod 2^w for odd `a` (n′₀ of Montgomery reduction), by Newton's iteration, which
    /// doubles the correct low bits each round: 3 → 6 → 12 → 24 → 48 → 96 ≥ 64.
    fn neg_inv(a: Self) -> Self;
    fn is_odd(self) -> bool;
    /// Byte `i` (0 = least significant).
    fn byte(self, i: usize) -> u8;
    /// `self` with byte `i` ORed with `b`.
    fn or_byte(self, i: usize, b: u8) -> Self;
}

macro_rules! limb {
    ($t:ty, $wide:ty) => {
        impl Limb for $t {
            const BITS: u32 = <$t>::BITS;
            const BYTES: usize = <$t>::BITS as usize / 8;
            const ZERO: Self = 0;
            #[inline(always)]
            fn mac(a: Self, b: Self, c: Self, d: Self) -> (Self, Self) {
                let v = <$wide>::from(a) + <$wide>::from(b) * <$wide>::from(c) + <$wide>::from(d);
                (v as $t, (v >> <$t>::BITS) as $t)
            }
            #[inline(always)]
            fn add3(a: Self, b: Self, c: Self) -> (Self, Self) {
                let v = <$wide>::from(a) + <$wide>::from(b) + <$wide>::from(c);
                (v as $t, (v >> <$t>::BITS) as $t)
            }
            #[inline(always)]
            fn sbb(a: Self, b: Self, borrow: bool) -> (Self, bool) {
                let (d1, b1) = a.overflowing_sub(b);
                let (d2, b2) = d1.overflowing_sub(<$t>::from(borrow));
                (d2, b1 || b2)
            }
            #[inline(always)]
            fn mul_low(a: Self, b: Self) -> Self {
                a.wrapping_mul(b)
            }
            fn neg_inv(a: Self) -> Self {
                let mut inv: $t = a;
                for _ in 0..6 {
                    inv = inv.wrapping_mul((2 as $t).wrapping_sub(a.wrapping_mul(inv)));
                }
                inv.wrapping_neg()
            }
            #[inline(always)]
            fn is_odd(self) -> bool {
                self & 1 == 1
            }
            #[inline(always)]
            fn byte(self, i: usize) -> u8 {
                (self >> (8 * i)) as u8
            }
            #[inline(always)]
            fn or_byte(self, i: usize, b: u8) -> Self {
                self | (<$t>::from(b) << (8 * i))
            }
        }
    };
}

limb!(u32, u64);
limb!(u64, u128);

/// The limb production uses: 64-bit on 64-bit targets, 32-bit elsewhere (wasm32).
#[cfg(target_pointer_width = "64")]
pub(crate) type Native = u64;
/// The limb production uses: 64-bit on 64-bit targets, 32-bit elsewhere (wasm32).
#[cfg(not(target_pointer_width = "64"))]
pub(crate) type Native = u32;

#[cfg(test)]
mod tests {
    use super::*;

    fn check<L: Limb>(odd: &[L]) {
        for &a in odd {
            assert!(a.is_odd());
            // a · (−a⁻¹) ≡ −1 (mod 2^w): adding m·n′ then cancels the low limb in REDC.
            let minus_one = L::sbb(L::ZERO, L::ZERO, true).0;
            assert_eq!(L::mul_low(a, L::neg_inv(a)), minus_one, "{a:?}");
        }
    }

    #[test]
    fn inverse_cancels_the_low_limb() {
        check::<u32>(&[1, 3, 0xffff_ffff, 0x8000_0001, 0x1234_5677]);
        check::<u64>(&[1, 3, u64::MAX, 0x8000_0000_0000_0001, 0x0123_4567_89ab_cdef]);
    }

    #[test]
    fn double_width_helpers_do_not_overflow() {
        assert_eq!(
            u32::mac(u32::MAX, u32::MAX, u32::MAX, u32::MAX),
            (u32::MAX, u32::MAX)
        );
        assert_eq!(
            u64::mac(u64::MAX, u64::MAX, u64::MAX, u64::MAX),
            (u64::MAX, u64::MAX)
        );
        assert_eq!(u32::add3(u32::MAX, u32::MAX, u32::MAX), (u32::MAX - 2, 2));
        assert_eq!(u64::sbb(0, 0, true), (u64::MAX, true));
        assert_eq!(0u32.or_byte(3, 0xab).byte(3), 0xab);
    }
}
