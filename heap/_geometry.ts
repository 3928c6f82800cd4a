// The heap's geometry (docs/design.md#heap-geometry) as constants and lookup
// tables, so that the hot paths never divide or search.
import { PAGE_SIZE } from "../internal/pages.ts";

/** Bytes per span: one page. */
export const SPAN_SIZE = PAGE_SIZE;
/** Bytes per segment: 16 pages, the first of them the segment's header. */
export const SEGMENT_SIZE = 65536;
/** Usable spans per segment (all but the header page). */
export const SPANS_PER_SEGMENT = 15;
/** Bytes at the start of every span before its first chunk (kept zero). */
export const SPAN_HEADER = 48;

/** The largest small request; anything above is a large block. */
export const MAX_SMALL = 2016;

/** Chunks are multiples of 16 bytes at 16-byte offsets: offset >> 4 numbers them. */
export const CHUNK_SHIFT = 4;
/**
 * `rel & ALIGNED_OFFSET` equals `rel` only for an integer, 16-aligned offset
 * inside a span (0xff0): one test rejects fractional, unaligned and
 * out-of-span offsets.
 */
export const ALIGNED_OFFSET = SPAN_SIZE - (1 << CHUNK_SHIFT);
/**
 * The allocated-chunk bitmap has one bit per 16 bytes of a span: 256 bits, so
 * 8 words per span. Bit `(rel >> 4) & 31` of word `rel >> 9`.
 */
export const BITMAP_WORDS = SPAN_SIZE >> CHUNK_SHIFT >> 5;
/** The shift from a span offset to its bitmap word (32 chunks of 16 bytes). */
export const BITMAP_WORD_SHIFT = CHUNK_SHIFT + 5;

/** The 16 class sizes in bytes. */
export const CLASS_SIZE: Uint16Array = Uint16Array.of(
  16,
  32,
  48,
  64,
  96,
  128,
  192,
  256,
  336,
  448,
  576,
  672,
  800,
  1008,
  1344,
  2016,
);
/** The number of size classes. */
export const CLASS_COUNT = CLASS_SIZE.length;

/** Chunks per span for each class: floor(4048 / size). */
export const CHUNKS: Uint16Array = CLASS_SIZE.map((size) =>
  Math.floor((SPAN_SIZE - SPAN_HEADER) / size)
);

/**
 * The class of a small size `n` is `CLASS_OF[(n + 15) >> 4]`: every class size
 * is a multiple of 16, so rounding up to 16 first loses nothing.
 */
export const CLASS_OF: Uint8Array = (() => {
  const table = new Uint8Array((MAX_SMALL >> CHUNK_SHIFT) + 1);
  for (let i = 0, c = 0; i < table.length; i++) {
    while (CLASS_SIZE[c] < i * 16) c++;
    table[i] = c;
  }
  return table;
})();

/**
 * Where chunks start, per class: bit `(rel >> 4) & 31` of word
 * `cls × 8 + (rel >> 9)` is set when a chunk of class `cls` starts at offset
 * `rel` of its span. It checks a free-list link in two loads.
 */
export const CHUNK_STARTS: Int32Array = (() => {
  const table = new Int32Array(CLASS_COUNT * BITMAP_WORDS);
  for (let cls = 0; cls < CLASS_COUNT; cls++) {
    for (let k = 0; k < CHUNKS[cls]; k++) {
      const rel = SPAN_HEADER + k * CLASS_SIZE[cls];
      table[cls * BITMAP_WORDS + (rel >> BITMAP_WORD_SHIFT)] |= 1 <<
        ((rel >> CHUNK_SHIFT) & 31);
    }
  }
  return table;
})();

/**
 * The page-run size of a large block of `size` bytes: roundUp(size, 4096)
 * (a block starts on its run's first byte). Integer arithmetic below 2^31.
 */
export function largeCapacity(size: number): number {
  return size <= 2 ** 31 - SPAN_SIZE
    ? (size + SPAN_SIZE - 1) & -SPAN_SIZE
    : Math.ceil(size / SPAN_SIZE) * SPAN_SIZE;
}
