// The alignments a heap gives (docs/design.md#heap-alignment): its natural
// 16 bytes and anything smaller from its classes; anything larger, up to
// 65536, as a large block, whose real address is a multiple of it.
import { checkRequestAlignment } from "../internal/checks.ts";
import type { Memory } from "../os/memory.ts";

/** Every heap pointer is a multiple of this. */
export const NATURAL_ALIGNMENT = 16;

/**
 * Refuses an alignment that is no power of two from 1 to 65536 (a TypeError
 * or RangeError naming it); returns whether it is above the natural 16, so
 * that the request must be served as an aligned large block.
 */
export function overAligned(alignment: number): boolean {
  checkRequestAlignment(alignment);
  return alignment > NATURAL_ALIGNMENT;
}

/**
 * What a pointer adds to be its real address, modulo 65536 (the largest
 * alignment): 0 for memory with no native address, else the address's
 * remainder (a multiple of 4096, as mmap gives whole pages).
 */
export function realBias(memory: Memory): number {
  return memory.address === null ? 0 : Number(memory.address % 65536n);
}
