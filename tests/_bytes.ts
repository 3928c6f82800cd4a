// Byte-level checks shared by the tests of every layer.
import type { Memory } from "../os/mod.ts";

/** Whether `length` bytes at `ptr` are all zero. */
export function isZero(memory: Memory, ptr: number, length: number): boolean {
  const u8 = memory.u8;
  for (let i = ptr; i < ptr + length; i++) if (u8[i] !== 0) return false;
  return true;
}

/** Fills `length` bytes at `ptr` with a pattern derived from `seed`. */
export function writePattern(
  memory: Memory,
  ptr: number,
  length: number,
  seed: number,
): void {
  const u8 = memory.u8;
  for (let i = 0; i < length; i++) u8[ptr + i] = (seed + i * 31) & 255;
}

/** Whether `length` bytes at `ptr` hold the pattern of {@linkcode writePattern}. */
export function hasPattern(
  memory: Memory,
  ptr: number,
  length: number,
  seed: number,
): boolean {
  const u8 = memory.u8;
  for (let i = 0; i < length; i++) {
    if (u8[ptr + i] !== ((seed + i * 31) & 255)) return false;
  }
  return true;
}
