// The layout of page-run bookkeeping (os/_page_runs.ts): its size bins, the
// header words (counters, bin heads and masks) and the per-page tables, and
// how long private tables are for the pages in use.

export const EXACT_BINS = 32;
const SUB_BINS = 4;
export const BIN_COUNT = EXACT_BINS + (31 - 5) * SUB_BINS;
export const MASK_WORDS = Math.ceil(BIN_COUNT / 32);

// The size bin of a free run of `pages` pages: exact up to EXACT_BINS, then
// four per doubling.
export function binOf(pages: number): number {
  if (pages <= EXACT_BINS) return pages - 1;
  const log = 31 - Math.clz32(pages);
  return EXACT_BINS + (log - 5) * SUB_BINS + ((pages >>> (log - 2)) & 3);
}

// The words of the header: the counters, then the bin heads and masks.
export const TOP = 0;
export const HIGH_WATER = 1;
export const LIVE_PAGES = 2;
export const LIVE_RUNS = 3;
export const DIRTY_PAGES = 4;
export const FREE_RUNS = 5;
export const TAKEN_DIRTY = 6;
export const OLDEST = 7;
export const NEWEST = 8;
export const FIRST = 9;
export const LIMIT = 10;
// 1 once a page source on these runs has a finite decay time (shared runs:
// then every instance stamps its frees with the clock, for that one's decay).
export const DECAYING = 11;
export const HEADS = 16;
export const MASKS = HEADS + 2 * BIN_COUNT;
export const HEADER_WORDS = MASKS + 2 * MASK_WORDS + 1 & ~1; // even: f64s follow

// The per-page tables, in this order in shared storage: freedAt (f64) first
// for alignment, then the Int32 tables, then `dirty` (bytes).
export const INT_TABLES = 6;
// Bytes of the per-page tables for one page.
export const TABLE_BYTES_PER_PAGE = 8 + 4 * INT_TABLES + 1;
// Private tables grow and shrink in steps of this many pages (4 MiB of range,
// 33 KiB of tables).
export const TABLE_STEP = 1024;

// The private table length for `pages` pages in use: a quarter more, in whole
// steps, within the range.
export function tableLength(pages: number, limit: number): number {
  const want = pages + (pages >>> 2);
  return Math.min(limit, Math.ceil(want / TABLE_STEP) * TABLE_STEP);
}

// Bytes of the header and of per-page tables for `pages` pages.
export function storageBytes(pages: number): number {
  return HEADER_WORDS * 4 + pages * TABLE_BYTES_PER_PAGE;
}

// Writes the header of empty bookkeeping of `limit` pages from `first` on.
export function initStorage<B extends ArrayBufferLike>(
  buffer: B,
  limit: number,
  first: number,
): B {
  const h = new Int32Array(buffer, 0, HEADER_WORDS);
  h[FIRST] = h[TOP] = h[HIGH_WATER] = first;
  h[LIMIT] = limit;
  return buffer;
}
