// Zeroing, filling and copying byte ranges of a Memory (and writing one u64
// byte by byte): the one place that chooses between word stores and the
// TypedArray built-ins. fill() and copyWithin() run at memset/memcpy speed but
// cost tens of nanoseconds per call, so short ranges are done with word
// stores through the whole-range views. Each threshold is the measured
// crossover of its method (bench/bytes_bench.ts;
// docs/design.md#zeroing-and-copying).
import type { Memory } from "../os/memory.ts";

/**
 * Ranges up to this many bytes are zeroed or filled with 8-byte stores (the
 * crossover with a copy is 192–256 bytes in bench/bytes_bench.ts; the
 * stores inline into a caller, where the copy is a call).
 */
export const STORES_UP_TO = 256;
/**
 * Longer ranges up to this many bytes are zeroed or filled by copying from a
 * buffer of their byte (`set`, a memcpy with less call overhead than `fill`:
 * 15 against 24 ns for 512 bytes); `fill` beyond.
 */
export const COPY_UP_TO = 4096;
/**
 * A byte of 0xff makes an 8-byte pattern that is a NaN, whose bits a
 * Float64Array store may change: ranges up to this many bytes of it are
 * filled with 4-byte stores, longer ones copied.
 */
export const NAN_STORES_UP_TO = 64;
/** Copies up to this many bytes between 4-aligned ranges go by 4-byte loads and stores. */
export const COPY_BY_STORES = 96;

// The double whose eight bytes all equal its index (not for 0xff: a NaN).
const PATTERNS = Float64Array.from(
  { length: 256 },
  (_, b) => new Float64Array(new Uint8Array(8).fill(b).buffer)[0],
);

// The sources of copies: per byte value, made when first filled with, a
// COPY_UP_TO-byte buffer of it and its views by length (so that a copy
// allocates nothing): by 16 bytes for zero (a heap chunk's length: no tail),
// by 64 for the others (at most 64 views of each byte).
const BUFFERS: ArrayBuffer[] = [];
const VIEWS: Uint8Array[][] = [];

/** Sets bytes `[from, to)` of `memory` to zero. */
export function zeroBytes(memory: Memory, from: number, to: number): void {
  fillBytes(memory, from, to, 0);
}

// Sets the first bytes of the `n` at `at` (STORES_UP_TO < n ≤ COPY_UP_TO,
// or NAN_STORES_UP_TO < n for 0xff) to `value` by one copy, and returns how
// many: `n` rounded down to 16 for zero, to 64 for the others.
function copyFill(
  u8: Uint8Array,
  at: number,
  n: number,
  value: number,
): number {
  const shift = value === 0 ? 4 : 6, step = n >> shift;
  const views = VIEWS[value] ??= [];
  const view = views[step] ??= new Uint8Array(
    BUFFERS[value] ??= new Uint8Array(COPY_UP_TO).fill(value).buffer,
    0,
    step << shift,
  );
  u8.set(view, at);
  return step << shift;
}

/** Sets bytes `[from, to)` of `memory` to `value` (0..255). */
export function fillBytes(
  memory: Memory,
  from: number,
  to: number,
  value: number,
): void {
  // The common case first, small enough for V8 to inline into the caller:
  // a short range of whole 8-byte words below 4 GiB (an allocator's block),
  // by one store a word (a 64-byte write went from 12.9 to 10.8 ns, and the
  // heap's 64-byte pair with it from 29.1 to 27.1, in bench/alloc_bench.ts).
  // (n a non-negative integer here: a negative one's word count would wrap
  // to 2^29, a fractional one would be cut a byte short.)
  const n = to - from;
  if (
    ((from | n) & 7) === 0 && n >>> 0 === n && n <= STORES_UP_TO &&
    from >>> 0 === from && value !== 0xff
  ) {
    const f64 = memory.f64, word = PATTERNS[value];
    let w = from >>> 3;
    const end = w + (n >> 3);
    // Two stores a step: 12 ns for 256 bytes where one a step took 16.
    for (; w + 1 < end; w += 2) {
      f64[w] = word;
      f64[w + 1] = word;
    }
    if (w < end) f64[w] = word;
    return;
  }
  fillRange(memory, from, to, value);
}

// fillBytes of any range.
function fillRange(
  memory: Memory,
  from: number,
  to: number,
  value: number,
): void {
  // Empty, backwards or NaN: nothing (-Infinity to -Infinity looped forever).
  const n = to - from;
  if (!(n > 0)) return;
  const u8 = memory.u8;
  if (n > (value === 0xff ? NAN_STORES_UP_TO : STORES_UP_TO)) {
    if (n > COPY_UP_TO) return void u8.fill(value, from, to);
    const copied = copyFill(u8, from, n, value);
    if (copied !== n) fillRange(memory, from + copied, to, value);
    return;
  }
  if (value === 0xff) {
    let at = from;
    for (; at < to && at % 4 !== 0; at++) u8[at] = value;
    const u32 = memory.u32;
    for (; at + 4 <= to; at += 4) u32[at / 4] = 0xffffffff;
    for (; at < to; at++) u8[at] = value;
    return;
  }
  let at = from;
  for (; at < to && at % 8 !== 0; at++) u8[at] = value;
  // Two stores a step measured faster than one.
  const f64 = memory.f64, word = PATTERNS[value];
  for (; at + 16 <= to; at += 16) {
    f64[at / 8] = word;
    f64[at / 8 + 1] = word;
  }
  if (at + 8 <= to) {
    f64[at / 8] = word;
    at += 8;
  }
  for (; at < to; at++) u8[at] = value;
}

/**
 * Zeroes `n` bytes at `ptr`, both multiples of 16 (a heap chunk), through a
 * memory's whole-range views: the same as {@linkcode zeroBytes} without its
 * alignment steps, for the heap's hot path.
 */
export function zeroChunk(
  f64: Float64Array,
  u8: Uint8Array,
  ptr: number,
  n: number,
): void {
  if (n > STORES_UP_TO) {
    if (n <= COPY_UP_TO) copyFill(u8, ptr, n, 0);
    else u8.fill(0, ptr, ptr + n);
    return;
  }
  for (let w = ptr / 8, end = w + n / 8; w < end; w += 2) {
    f64[w] = 0;
    f64[w + 1] = 0;
  }
}

/**
 * Copies `n` bytes from `src` to `dst` of `memory`; the ranges must not
 * overlap (use `u8.copyWithin` when they may).
 */
export function copyBytes(
  memory: Memory,
  dst: number,
  src: number,
  n: number,
): void {
  if (n > COPY_BY_STORES || dst % 4 !== 0 || src % 4 !== 0) {
    memory.u8.copyWithin(dst, src, src + n);
    return;
  }
  const u32 = memory.u32;
  const d = dst / 4, s = src / 4, words = Math.floor(n / 4);
  for (let i = 0; i < words; i++) u32[d + i] = u32[s + i];
  const u8 = memory.u8;
  for (let i = words * 4; i < n; i++) u8[dst + i] = u8[src + i];
}

/**
 * Writes `value` (an integer below 2^53) as 8 little-endian bytes at `at`,
 * byte by byte, so `at` need not be 8-aligned.
 */
export function writeU64(u8: Uint8Array, at: number, value: number): void {
  const lo = value % 2 ** 32;
  const hi = Math.floor(value / 2 ** 32);
  for (let k = 0; k < 4; k++) {
    u8[at + k] = (lo >>> (8 * k)) & 255;
    u8[at + 4 + k] = (hi >>> (8 * k)) & 255;
  }
}
