// The alignments a heap gives (docs/design.md#heap-alignment): its natural
// 16 bytes and anything smaller from its classes, 32 to 256 from the
// classes' aligned twins (_geometry.ts), anything else up to 65536 as a
// large block, whose real address is a multiple of it.
import { addressBias } from "../internal/address_bias.ts";
import {
  checkRequestAlignment,
  MAX_REQUEST_ALIGNMENT,
} from "../internal/checks.ts";
import type { Memory } from "../os/memory.ts";

/** Every heap pointer is a multiple of this. */
export const NATURAL_ALIGNMENT = 16;

/**
 * Refuses an alignment that is no power of two from 1 to 65536 (a TypeError
 * or RangeError naming it); returns whether it is above the natural 16, so
 * that the request goes to an aligned twin or a large block.
 */
export function overAligned(alignment: number): boolean {
  checkRequestAlignment(alignment);
  return alignment > NATURAL_ALIGNMENT;
}

/**
 * What a pointer adds to be its real address, modulo the largest alignment
 * (65536), so one figure serves every alignment the heap gives.
 */
export function realBias(memory: Memory): number {
  return addressBias(memory, MAX_REQUEST_ALIGNMENT);
}
