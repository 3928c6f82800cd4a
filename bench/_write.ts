// Writing 0x50 over a block by the fastest means a backend has. A block of a
// Memory goes through the library's own `fillBytes` (word stores, copies from
// a buffer of the byte, then `fill`, each up to its measured crossover:
// `internal/bytes.ts`, measured by `bench/bytes_bench.ts`); an array of its own is written byte by byte below
// its crossover, measured by `deno bench bench/fill_bench.ts`:
// Uint8Array.prototype.fill costs a call of ~30–60 ns whatever the length.
import { fillBytes } from "../internal/bytes.ts";
import type { Memory } from "../os/mod.ts";

/** The byte every benchmark writes over its blocks. */
export const BYTE = 0x50;

/**
 * Arrays of their own of at least this many bytes are written with `fill`,
 * shorter ones byte by byte (measured: byte stores win up to 24 bytes, tie at
 * 32, lose from 48).
 */
export const ARRAY_FILL_FROM = 40;

/**
 * Writes {@linkcode BYTE} over exactly `[p, p + n)` of a memory, as the
 * library fills its own ranges.
 */
export function writeBlock(memory: Memory, p: number, n: number): void {
  fillBytes(memory, p, p + n, BYTE);
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
