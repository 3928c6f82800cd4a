// The heap's cache of freed medium runs (docs/design.md#medium-blocks): a
// large block of up to 16 pages goes here when it is freed instead of back
// to the page source, and the next large block of the same page count is
// taken from here, so that an alloc+free pair of a medium size is a push
// and a pop, with no page-source call in between.

import { PAGE_SIZE } from "../internal/pages.ts";

/** The largest run the cache keeps, in pages: 64 KiB. */
export const CACHE_PAGES = 16;
/** Runs kept per page count. */
export const CACHE_DEPTH = 8;
/** Bytes the cache keeps at most, over every page count. */
export const CACHE_BYTES = 1 << 20;
/**
 * Medium frees in a row, with no medium alloc between, that the cache
 * takes: past them the program is draining, and what is kept goes back.
 */
export const DRAIN_FREES = 16;
/** Where {@linkcode RunCache.counts} holds the bytes of every run kept. */
export const KEPT_BYTES = CACHE_PAGES;
/** Where {@linkcode RunCache.counts} holds the pushes since the last pop. */
export const STREAK = CACHE_PAGES + 1;
/**
 * Where {@linkcode RunCache.counts} holds what the heap's medium fast paths
 * added to the large blocks' bytesUsed since it was last folded in (a 32-bit
 * integer: those paths fall back to the slow ones before it could reach
 * 2^30).
 */
export const USED_DELTA = CACHE_PAGES + 2;
/** The largest magnitude {@linkcode USED_DELTA} may reach. */
export const MAX_USED_DELTA = 2 ** 30;

/**
 * Freed runs of 1..16 pages, by page count, each a last-in first-out stack
 * of CACHE_DEPTH page numbers in one Int32Array. Every run is still live in
 * the page source (the heap holds it), so its bytes count in the heap's
 * `bytesReserved`, and `trim()`, the decay timer and `destroy()` give them
 * back.
 *
 * ```
 *  runs:   [ 1 page: p p p . . . . . | 2 pages: p . . . | … | 16 pages … ]
 *  counts: [ 3, 1, 0, …, 0 ]          (the top of each stack)
 * ```
 */
export class RunCache {
  /** Page numbers: the stack of runs of `n` pages at `(n - 1) × depth`. */
  readonly runs: Int32Array = new Int32Array(CACHE_PAGES * CACHE_DEPTH);
  /**
   * How many runs each stack holds, at `n - 1`; then the bytes of every run
   * kept (at KEPT_BYTES), the pushes since the last pop (at STREAK) and the
   * fast paths' bytesUsed delta (at USED_DELTA). One array, so that the
   * heap's medium fast paths reach all of it in one load.
   */
  readonly counts: Int32Array = new Int32Array(CACHE_PAGES + 3);

  /** The bytes of every run kept. */
  get bytes(): number {
    return this.counts[KEPT_BYTES];
  }

  /** The runs kept, over every page count. */
  get runCount(): number {
    let n = 0;
    for (let i = 0; i < CACHE_PAGES; i++) n += this.counts[i];
    return n;
  }

  /**
   * Takes the most recently kept run of `pages` pages (1 to 16); returns
   * its first page, or 0 if there is none.
   */
  pop(pages: number): number {
    const c = this.counts;
    c[STREAK] = 0;
    const n = c[pages - 1];
    if (n === 0) return 0;
    c[pages - 1] = n - 1;
    c[KEPT_BYTES] -= pages * PAGE_SIZE;
    return this.runs[(pages - 1) * CACHE_DEPTH + n - 1];
  }

  /**
   * Keeps the run of `pages` pages (1 to 16) at `page`, if its stack and
   * the byte cap have room and the program is not draining (see
   * {@linkcode RunCache.draining}); returns whether it did.
   */
  push(page: number, pages: number): boolean {
    const c = this.counts;
    const n = c[pages - 1];
    const bytes = c[KEPT_BYTES] + pages * PAGE_SIZE;
    if (
      ++c[STREAK] > DRAIN_FREES || n === CACHE_DEPTH || bytes > CACHE_BYTES
    ) return false;
    this.runs[(pages - 1) * CACHE_DEPTH + n] = page;
    c[pages - 1] = n + 1;
    c[KEPT_BYTES] = bytes;
    return true;
  }

  /**
   * Whether more than DRAIN_FREES medium frees came in a row: a program
   * freeing what it holds, not reusing it (its kept runs should go back).
   */
  get draining(): boolean {
    return this.counts[STREAK] > DRAIN_FREES;
  }

  /** Calls `each(page, pages)` for every run kept, oldest of each stack first. */
  forEach(each: (page: number, pages: number) => void): void {
    for (let pages = 1; pages <= CACHE_PAGES; pages++) {
      const base = (pages - 1) * CACHE_DEPTH;
      for (let i = 0; i < this.counts[pages - 1]; i++) {
        each(this.runs[base + i], pages);
      }
    }
  }

  /** Forgets every run (their pages are the caller's to give back). */
  clear(): void {
    this.counts.fill(0, 0, STREAK);
  }

  /** The bytes of the cache's own arrays. */
  get tableBytes(): number {
    return this.runs.byteLength + this.counts.byteLength;
  }
}
