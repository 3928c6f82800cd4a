// The alignments a heap gives (docs/design.md#heap-alignment): its natural
// 16 bytes and anything smaller, for now; a larger one is refused rather
// than ignored, so that no caller gets a block less aligned than it asked.
import { checkRequestAlignment } from "../internal/checks.ts";

/** Every heap pointer is a multiple of this. */
export const NATURAL_ALIGNMENT = 16;

/**
 * Refuses an alignment that is no power of two from 1 to 65536 (a TypeError
 * or RangeError naming it), or one the heap cannot give yet: above 16 (no
 * class has all its chunk offsets on a larger multiple).
 */
export function checkHeapAlignment(alignment: number): void {
  checkRequestAlignment(alignment);
  if (alignment > NATURAL_ALIGNMENT) {
    throw new RangeError(
      `Alignment ${alignment} is more than a heap gives: ${NATURAL_ALIGNMENT} (its natural alignment); take page-aligned runs from its page source, or an Arena with that alignment`,
    );
  }
}
