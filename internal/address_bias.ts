// Alignment is of the real address: for native memory that is
// `memory.address + ptr`, so a pointer is aligned relative to a bias. Shared
// by the arenas and the heap.
import type { Memory } from "../os/memory.ts";

/**
 * What to add to a pointer to get its real address modulo `alignment` (a
 * power of two): 0 for ArrayBuffer memory, `address % alignment` for native
 * memory (0 for any alignment up to 4096, as mmap returns page-aligned
 * ranges).
 */
export function addressBias(memory: Memory, alignment: number): number {
  return memory.address === null
    ? 0
    : Number(memory.address % BigInt(alignment));
}
