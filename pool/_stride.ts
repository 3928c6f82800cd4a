// Division by a pool's stride without a division: a block offset `off` is
// a multiple of the stride d = odd · 2^shift exactly when its low `shift`
// bits are zero and (off >>> shift) · inverse mod 2^32, the quotient, is
// small — where `inverse` is the odd part's inverse modulo 2^32.
// Multiplying by it maps the multiples j · odd (j < 2^32 / odd) onto j and
// every other 32-bit value above them (it is a bijection of the 32-bit
// integers), so one `Math.imul` and a compare with the blocks per slab
// check "a block start of this slab" and give its index. An offset below
// block 0 (negative, so above 2^31 as an unsigned number) is far above.

/** The constants that divide by `stride` (see the top of this file). */
export interface StrideDivision {
  /** The number of trailing zero bits of the stride. */
  shift: number;
  /** 2^shift − 1: the bits an offset that is a multiple has clear. */
  low: number;
  /** The inverse of the stride's odd part modulo 2^32, as an int32. */
  inverse: number;
}

/** The constants for a stride from 1 to 2^30. */
export function strideDivision(stride: number): StrideDivision {
  const shift = 31 - Math.clz32(stride & -stride);
  const odd = stride >>> shift;
  // Newton's iteration doubles the correct low bits: odd · odd ≡ 1 mod 8
  // gives 3, then 6, 12, 24, 48.
  let inverse = odd;
  for (let k = 0; k < 4; k++) {
    inverse = Math.imul(inverse, 2 - Math.imul(odd, inverse));
  }
  return { shift, low: (1 << shift) - 1, inverse };
}

/**
 * The block index of offset `off` (an int32) with the constants of `d`, or
 * a number at least 2^32 / odd part when `off` is no multiple of the
 * stride: the free fast path inlines the same arithmetic.
 */
export function blockIndex(d: StrideDivision, off: number): number {
  if ((off & d.low) !== 0) return 2 ** 32;
  return Math.imul(off >>> d.shift, d.inverse) >>> 0;
}
