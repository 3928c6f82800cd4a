// The reference's size classes and span geometry (SPEC §2), as lookup tables
// so that the hot path never divides or searches.

/** Bytes per span (one page) and per segment (16 pages, the first a header). */
export const SPAN_SIZE = 4096;
export const SEGMENT_SIZE = 65536;
export const SPANS_PER_SEGMENT = 15;
/** Bytes of header at the start of every span and large block. */
export const HEADER = 48;
/** The largest small request; anything above is a large block. */
export const MAX_SMALL = 2016;

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
export const CLASS_COUNT = CLASS_SIZE.length;

/** Chunks per span for each class: floor(4048 / size). */
export const CHUNKS: Uint16Array = CLASS_SIZE.map((size) =>
  Math.floor((SPAN_SIZE - HEADER) / size)
);

/**
 * The class of a small size `n` is `CLASS_OF[(n + 15) >> 4]`: every class size
 * is a multiple of 16, so rounding up to 16 first loses nothing.
 */
export const CLASS_OF: Uint8Array = (() => {
  const table = new Uint8Array((MAX_SMALL >> 4) + 1);
  for (let i = 0, c = 0; i < table.length; i++) {
    while (CLASS_SIZE[c] < i * 16) c++;
    table[i] = c;
  }
  return table;
})();

/** The class index for a small size (0..2016). */
export function classOf(size: number): number {
  return CLASS_OF[(size + 15) >> 4];
}
