/**
 * The workloads' size generator: xorshift64* (shifts 12, 25, 27; multiplier
 * 0x2545F4914F6CDD1D), kept in 32-bit halves so the timed loops never touch
 * BigInt — a BigInt operation allocates, and that would be timed as if the
 * allocator under test had spent it.
 *
 * @module
 */

/** The state every workload starts from, on every backend. */
export const SEED = 0x5EED5EED5EED5EEDn;

// The multiplier 0x2545F4914F6CDD1D: its high word, and the 16-bit halves of
// its low word (the low-word product needs all 64 bits of its result).
const MUL_HI = 0x2545F491;
const MUL_LO = 0x4F6CDD1D;
const MUL_LO_0 = MUL_LO & 0xffff;
const MUL_LO_1 = MUL_LO >>> 16;
const TWO_32 = 4294967296;

/**
 * A modulus prepared for {@linkcode Xorshift64Star.below}: a power of two
 * reduces with a mask, anything else with two multiplications by `1 / n`
 * (exact, corrected by one step) instead of the slow floating-point `%`.
 */
export class Modulus {
  /** The modulus. */
  readonly n: number;
  /** `n - 1` when `n` is a power of two (up to 2^31), else -1. */
  readonly mask: number;
  /** `1 / n`. */
  readonly inverse: number;
  /** `2^32 % n`. */
  readonly wrap: number;

  /**
   * Prepares `n`.
   *
   * @param n An integer from 1 to 2^26 (so every intermediate stays exact).
   */
  constructor(n: number) {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 26) {
      throw new RangeError(`Modulus must be an integer 1..2^26, got ${n}`);
    }
    this.n = n;
    this.mask = n <= 2 ** 31 && (n & (n - 1)) === 0 ? n - 1 : -1;
    this.inverse = 1 / n;
    this.wrap = TWO_32 % n;
  }
}

/**
 * A xorshift64* generator whose outputs equal the 64-bit C one's bit for bit
 * (`uint64_t` arithmetic, wrapping). Each
 * {@linkcode Xorshift64Star.below} call is one draw `r`, reduced as C's
 * `r % n` on a `uint64_t`.
 *
 * @example
 * ```ts
 * import { Modulus, Xorshift64Star } from "./_xorshift.ts";
 * const rng = new Xorshift64Star();
 * const sizes = new Modulus(1024);
 * const size = 1 + rng.below(sizes); // uniform 1..1024
 * ```
 */
export class Xorshift64Star {
  // [state hi, state lo, output hi, output lo]: an Int32Array, because a
  // 32-bit value above 2^30 in an object field would be boxed on every store.
  readonly #words = new Int32Array(4);

  /**
   * Seeds the state.
   *
   * @param seed A non-zero 64-bit state; default {@linkcode SEED}.
   */
  constructor(seed: bigint = SEED) {
    this.#words[0] = Number((seed >> 32n) & 0xffffffffn) | 0;
    this.#words[1] = Number(seed & 0xffffffffn) | 0;
  }

  // Advances the state and leaves the output in words 2 (hi) and 3 (lo).
  #step(): void {
    const w = this.#words;
    let hi = w[0], lo = w[1];
    lo ^= (lo >>> 12) | (hi << 20); // x ^= x >> 12
    hi ^= hi >>> 12;
    hi ^= (hi << 25) | (lo >>> 7); // x ^= x << 25
    lo ^= lo << 25;
    lo ^= (lo >>> 27) | (hi << 5); // x ^= x >> 27
    hi ^= hi >>> 27;
    w[0] = hi;
    w[1] = lo;
    // x * MUL mod 2^64: the full 64-bit product lo * MUL_LO from 16-bit
    // partial products (each below 2^32), plus the low words of the cross
    // products lo * MUL_HI and hi * MUL_LO.
    const l0 = lo & 0xffff, l1 = lo >>> 16;
    const p00 = l0 * MUL_LO_0, p01 = l0 * MUL_LO_1, p10 = l1 * MUL_LO_0;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    w[3] = (mid << 16) | (p00 & 0xffff);
    w[2] = Math.imul(l1, MUL_LO_1) + (p01 >>> 16) + (p10 >>> 16) +
      (mid >>> 16) + Math.imul(lo, MUL_HI) + Math.imul(hi, MUL_LO);
  }

  /**
   * One draw `r`, returned as `r % m.n` over all 64 bits.
   *
   * @param m The modulus.
   * @returns A number in `[0, m.n)`.
   */
  below(m: Modulus): number {
    this.#step();
    const w = this.#words;
    if (m.mask >= 0) return w[3] & m.mask;
    const n = m.n, inverse = m.inverse;
    const hi = w[2] >>> 0, lo = w[3] >>> 0;
    // (hi * 2^32 + lo) % n = ((hi % n) * (2^32 % n) + lo) % n; each `x % n`
    // as x - floor(x / n) * n, off by at most one n, which is corrected.
    let a = hi - Math.floor(hi * inverse) * n;
    if (a < 0) a += n;
    else if (a >= n) a -= n;
    const x = a * m.wrap + lo;
    let r = x - Math.floor(x * inverse) * n;
    if (r < 0) r += n;
    else if (r >= n) r -= n;
    return r;
  }

  /**
   * One draw as a BigInt, for tests (never in a timed loop).
   *
   * @returns The 64-bit output.
   */
  nextBigInt(): bigint {
    this.#step();
    const w = this.#words;
    return (BigInt(w[2] >>> 0) << 32n) | BigInt(w[3] >>> 0);
  }
}
