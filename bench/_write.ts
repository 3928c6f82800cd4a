// Writing 0x50 over a block by the fastest means a backend has. Both
// thresholds are crossovers measured by
// `deno bench --allow-ffi bench/fill_bench.ts`: Uint8Array.prototype.fill
// costs a call of ~30–60 ns whatever the length (then memset speed), so short
// blocks are written with stores instead.

/** The byte every benchmark writes over its blocks. */
export const BYTE = 0x50;

/**
 * Blocks in a whole-range view of at least this many bytes are written with
 * `fill`, shorter ones with 8-byte stores, two a step (measured on native
 * pages: stores win up to 256 bytes, tie at 384, lose from 512).
 */
export const FILL_FROM = 385;

/**
 * Arrays of their own of at least this many bytes are written with `fill`,
 * shorter ones byte by byte (measured: byte stores win up to 24 bytes, tie at
 * 32, lose from 48).
 */
export const ARRAY_FILL_FROM = 40;

// Eight 0x50 bytes read as a double: a finite number (exponent 0x505), so
// storing it writes exactly those bits.
const WORD = new Float64Array(new Uint8Array(8).fill(BYTE).buffer)[0];

/**
 * Writes {@linkcode BYTE} over `[p, p + n)` with stores: bytes up to an
 * 8-byte boundary, 8-byte words, then the tail bytes. `u8` and `f64` view the
 * same buffer from offset 0.
 */
export function storeWords(
  u8: Uint8Array,
  f64: Float64Array,
  p: number,
  n: number,
): void {
  const end = p + n;
  let at = p;
  for (; at < end && at % 8 !== 0; at++) u8[at] = BYTE;
  for (; at + 16 <= end; at += 16) {
    f64[at / 8] = WORD;
    f64[at / 8 + 1] = WORD;
  }
  if (at + 8 <= end) {
    f64[at / 8] = WORD;
    at += 8;
  }
  for (; at < end; at++) u8[at] = BYTE;
}

/**
 * Writes {@linkcode BYTE} over exactly `[p, p + n)` of a whole-range view:
 * {@linkcode storeWords} below {@linkcode FILL_FROM} bytes, else `fill`.
 */
export function writeBlock(
  u8: Uint8Array,
  f64: Float64Array,
  p: number,
  n: number,
): void {
  if (n < FILL_FROM) storeWords(u8, f64, p, n);
  else u8.fill(BYTE, p, p + n);
}

/**
 * Writes {@linkcode BYTE} over every byte of an array: byte stores below
 * {@linkcode ARRAY_FILL_FROM} bytes, else `fill`.
 */
export function writeArray(a: Uint8Array): void {
  const n = a.length;
  if (n < ARRAY_FILL_FROM) { for (let i = 0; i < n; i++) a[i] = BYTE; }
  else a.fill(BYTE);
}
