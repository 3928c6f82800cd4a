// Filling short byte ranges. TypedArray.prototype.fill costs ~30–50 ns of call
// overhead on this V8 whatever the length, more than storing up to ~128 bytes
// a 32-bit word at a time, so short ranges are filled with stores.

/** Ranges longer than this many bytes go to `Uint8Array.prototype.fill`. */
export const SHORT_FILL = 128;

/**
 * Sets bytes `[from, to)` to `value` (0..255). `u8` and `u32` are views of the
 * same buffer from offset 0.
 */
export function fillRange(
  u8: Uint8Array,
  u32: Uint32Array,
  from: number,
  to: number,
  value: number,
): void {
  if (to - from > SHORT_FILL) {
    u8.fill(value, from, to);
    return;
  }
  let at = from;
  for (; at < to && at % 4 !== 0; at++) u8[at] = value;
  const word = value * 0x01010101;
  for (; at + 4 <= to; at += 4) u32[at / 4] = word;
  for (; at < to; at++) u8[at] = value;
}
