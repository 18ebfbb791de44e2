//! Fresh-looking provider ids for emulated webhooks (`antirelou send`, the
//! simulator, tests): a bijection of `u128` spreads consecutive seeds, so
//! distinct seeds never collide and neighbours share no visible prefix.

/// Add, xorshift and multiply-by-odd rounds; each step is invertible
/// modulo 2^128, so the whole is a bijection.
pub(crate) fn mix(mut x: u128) -> u128 {
    const ODD_1: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835;
    const ODD_2: u128 = 0xbf58_476d_1ce4_e5b9_94d0_49bb_1331_11eb;
    x = x.wrapping_add(ODD_2);
    x ^= x >> 67;
    x = x.wrapping_mul(ODD_1);
    x ^= x >> 61;
    x = x.wrapping_mul(ODD_2);
    x ^= x >> 64;
    x
}
