// The page geometry every layer shares: the page size, the largest range and
// how many pages a run of some size takes.

/**
 * The page size of every page source: 4 KiB. Runs are whole pages, and every
 * run starts at a multiple of it.
 *
 * @example
 * ```ts
 * import { BufferPages, PAGE_SIZE } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 16 * PAGE_SIZE });
 * const p = pages.alloc(1); // one whole page
 * assert.equal(p % PAGE_SIZE, 0);
 * assert.equal(pages.runSize(p), PAGE_SIZE);
 * ```
 */
export const PAGE_SIZE = 4096;

/** The most pages a range can have (2^31 − 1: page counts fit an Int32Array). */
export const MAX_PAGES = 2 ** 31 - 1;

/** Pages of a run of `size` bytes: at least one. */
export function pagesFor(size: number): number {
  return size <= PAGE_SIZE ? 1 : Math.ceil(size / PAGE_SIZE);
}

/**
 * The most a page source can reserve: 2^31 − 1 pages (just under 8 TiB).
 *
 * @example
 * ```ts
 * import { BufferPages, MAX_RESERVE } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new BufferPages({ reserve: MAX_RESERVE + 4096 }), RangeError);
 * ```
 */
export const MAX_RESERVE = MAX_PAGES * PAGE_SIZE;
