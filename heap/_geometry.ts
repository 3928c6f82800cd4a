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

/** The 16 classes' sizes in bytes. */
const CLASSES = [
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
];
/** The number of size classes. */
export const CLASS_COUNT = CLASSES.length;

/**
 * The smallest alignment an aligned span class serves: 32, the first above
 * the natural 16 (docs/design.md#heap-alignment).
 */
export const MIN_CHUNK_ALIGNMENT = 32;
/**
 * The classes with an aligned twin: those whose size is a multiple of 32.
 * Their twin's spans put the tail before the first chunk, so every chunk
 * ends where the next starts and the last ends at the page's end: a chunk's
 * offset is then a multiple of every power of two that divides the size.
 */
const ALIGNED = CLASSES.filter((size) => size % MIN_CHUNK_ALIGNMENT === 0);

/**
 * The span classes: the 16 size classes (0..15), then the aligned twins
 * of those whose size is a multiple of 32 (16..27, smallest first). A
 * span holds chunks of one span class; its KIND is the span class + 1.
 */
export const SPAN_CLASSES = CLASS_COUNT + ALIGNED.length;

/** The chunk size of each span class in bytes. */
export const CLASS_SIZE: Uint16Array = Uint16Array.from([
  ...CLASSES,
  ...ALIGNED,
]);

/** The size class (0..15) of each span class: itself, or its twin's. */
export const BASE_CLASS: Uint8Array = Uint8Array.from(
  CLASS_SIZE,
  (size) => CLASSES.indexOf(size),
);

/** Chunks per span for each span class: floor(4048 / size), twins too. */
export const CHUNKS: Uint16Array = CLASS_SIZE.map((size) =>
  Math.floor((SPAN_SIZE - SPAN_HEADER) / size)
);

/**
 * The offset of each span class's first chunk: 48 for the 16 classes (the
 * tail after the last chunk), 48 plus the tail for a twin (the last chunk
 * ends at the page's end).
 */
export const FIRST_CHUNK: Uint16Array = CLASS_SIZE.map((size, cls) =>
  cls < CLASS_COUNT ? SPAN_HEADER : SPAN_SIZE - CHUNKS[cls] * size
);

/** The largest alignment a chunk can have: the largest power of two dividing a class size. */
export const MAX_CHUNK_ALIGNMENT = Math.max(...ALIGNED.map((s) => s & -s));

/** The steps of 16 bytes of a row of {@linkcode ALIGNED_CLASS_OF}. */
export const ALIGNED_STEPS = (MAX_SMALL >> CHUNK_SHIFT) + 1;
/**
 * The span class of a request of `n` bytes (at most 2016) with an
 * alignment `a` from 32 to 256 is `ALIGNED_CLASS_OF[row × 127 + ((n + 15)
 * >> 4)]`, where `row = 26 - Math.clz32(a)` (0 for 32 … 3 for 256;
 * {@linkcode ALIGNED_ROW_OF}`[a]` is `row × 127`): the smallest twin at
 * least `n` whose size `a` divides, or -1 when there is none (the request
 * is then a large block).
 */
export const ALIGNED_CLASS_OF: Int8Array = (() => {
  const steps = ALIGNED_STEPS;
  const rows = Math.log2(MAX_CHUNK_ALIGNMENT / MIN_CHUNK_ALIGNMENT) + 1;
  const table = new Int8Array(rows * steps).fill(-1);
  for (let row = 0; row < rows; row++) {
    const alignment = MIN_CHUNK_ALIGNMENT << row;
    for (let i = 0; i < steps; i++) {
      const cls = ALIGNED.findIndex((size) =>
        size >= i * 16 && size % alignment === 0
      );
      if (cls >= 0) table[row * steps + i] = CLASS_COUNT + cls;
    }
  }
  return table;
})();

/**
 * The start of alignment `a`'s row of {@linkcode ALIGNED_CLASS_OF}, at index
 * `a` (32, 64, 128 or 256); -1 at every other index up to 256, and reading
 * past the end (or at a fractional or negative index) gives undefined: one
 * load tells a twin's alignment from anything else.
 */
export const ALIGNED_ROW_OF: Int16Array = (() => {
  const table = new Int16Array(MAX_CHUNK_ALIGNMENT + 1).fill(-1);
  for (let a = MIN_CHUNK_ALIGNMENT, row = 0; a <= MAX_CHUNK_ALIGNMENT; a *= 2) {
    table[a] = row++ * ALIGNED_STEPS;
  }
  return table;
})();

/**
 * The span class of an aligned twin for `size` bytes (an integer) at
 * `alignment` (a power of two above 16), or -1 when no twin serves it: the
 * request is a large block then.
 */
export function alignedClass(size: number, alignment: number): number {
  return size <= MAX_SMALL && alignment <= MAX_CHUNK_ALIGNMENT
    ? ALIGNED_CLASS_OF[
      (26 - Math.clz32(alignment)) * ALIGNED_STEPS +
      ((size + 15) >> CHUNK_SHIFT)
    ]
    : -1;
}

/**
 * The class of each small size `n` (0 to MAX_SMALL): `CLASS_OF[n]`, the first
 * class at least `n` (0 takes 16). Indexed by the size itself, so that an
 * index that is no small size — negative, fractional, NaN, above MAX_SMALL
 * — reads undefined: alloc's one test of a size.
 */
export const CLASS_OF: Uint8Array = (() => {
  const table = new Uint8Array(MAX_SMALL + 1);
  for (let n = 0, c = 0; n < table.length; n++) {
    while (CLASS_SIZE[c] < n) c++;
    table[n] = c;
  }
  return table;
})();

/**
 * The sizes a chunk of each span class may have been asked with, as
 * `[smallest, largest]` pairs at `2 × cls`: the sizes that `CLASS_OF` or
 * `ALIGNED_CLASS_OF` (for some alignment) sends there. Free and resize
 * accept any of them. A twin serves more than its class: `alloc(40, 128)`
 * takes a 128-byte chunk.
 */
export const SIZE_RANGE: Uint16Array = (() => {
  const range = new Uint16Array(2 * SPAN_CLASSES).fill(MAX_SMALL);
  for (let cls = 0; cls < SPAN_CLASSES; cls++) range[2 * cls + 1] = 0;
  const note = (cls: number, n: number) => {
    range[2 * cls] = Math.min(range[2 * cls], n);
    range[2 * cls + 1] = Math.max(range[2 * cls + 1], n);
  };
  const steps = ALIGNED_STEPS;
  for (let n = 0; n <= MAX_SMALL; n++) {
    const i = (n + 15) >> CHUNK_SHIFT;
    note(CLASS_OF[n], n);
    for (let k = i; k < ALIGNED_CLASS_OF.length; k += steps) {
      if (ALIGNED_CLASS_OF[k] >= 0) note(ALIGNED_CLASS_OF[k], n);
    }
  }
  return range;
})();

/**
 * Where chunks start, per span class: bit `(rel >> 4) & 31` of word
 * `cls × 8 + (rel >> 9)` is set when a chunk of span class `cls` starts at
 * offset `rel` of its span. It checks a free-list link in two loads.
 */
export const CHUNK_STARTS: Int32Array = (() => {
  const table = new Int32Array(SPAN_CLASSES * BITMAP_WORDS);
  for (let cls = 0; cls < SPAN_CLASSES; cls++) {
    for (let k = 0; k < CHUNKS[cls]; k++) {
      const rel = FIRST_CHUNK[cls] + k * CLASS_SIZE[cls];
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
