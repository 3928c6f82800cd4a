// Alignment helpers shared by Arena and FixedAllocator. Alignment is of the
// real address: for native memory that is `memory.address + ptr`, so the
// pointer is aligned relative to a bias (the address modulo the alignment).
import type { Memory } from "../os/memory.ts";

/** The largest alignment of an arena or fixed allocator: 2^30 (so that `alignment - 1` is an int32 mask). */
export const MAX_ALIGNMENT = 2 ** 30;

/** Throws unless `alignment` is a power of two from 1 to 2^30. */
export function checkAlignment(alignment: number): void {
  if (
    Number.isInteger(alignment) && alignment >= 1 &&
    alignment <= MAX_ALIGNMENT && (alignment & (alignment - 1)) === 0
  ) return;
  if (typeof alignment !== "number") {
    throw new TypeError(
      `Alignment must be a number, got ${typeof alignment}`,
    );
  }
  throw new RangeError(
    `Alignment must be a power of two from 1 to 2^30 (1 means packed), got ${alignment}`,
  );
}

/**
 * What to add to a pointer to get its real address modulo `alignment`: 0 for
 * ArrayBuffer memory, `address % alignment` for native memory (0 for any
 * alignment up to 4096, as mmap returns page-aligned ranges).
 */
export function addressBias(memory: Memory, alignment: number): number {
  return memory.address === null
    ? 0
    : Number(memory.address % BigInt(alignment));
}
