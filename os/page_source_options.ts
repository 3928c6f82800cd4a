/**
 * {@linkcode PageSourceOptions}: what every page source is made with.
 *
 * @module
 */

/**
 * Options shared by the page sources: how much to reserve, and how long freed
 * pages stay ready for reuse before they are given back
 * (docs/design.md#decay).
 *
 * @example A fake clock, to see decay without waiting
 * ```ts
 * import { OsPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * using pages = new OsPages({ reserve: 2 ** 20, decayMs: 1000, clock: () => now });
 * pages.free(pages.alloc(8192), 8192);
 * assert.equal(pages.retainedBytes, 8192); // kept, ready for reuse
 * now += 1000;
 * assert.equal(pages.decay(), 8192); // idle a second: given back
 * assert.equal(pages.purgedBytes, 8192);
 * ```
 */
export interface PageSourceOptions {
  /**
   * Bytes of address space to reserve, rounded up to whole pages. Every
   * allocation comes from this one range; when it is used up, `alloc` throws
   * an {@linkcode OutOfMemoryError}.
   */
  reserve?: number;
  /**
   * How long freed pages stay ready for reuse, in milliseconds: pages idle
   * longer are given back ({@linkcode PageSource.decay}). 0 gives every
   * freed page back at once; `Infinity` keeps them until
   * {@linkcode PageSource.purge}. At most 2^31 − 1 (a timer's longest
   * delay, about 24.8 days) if finite.
   */
  decayMs?: number;
  /**
   * At most this many bytes of freed pages are kept, however recently they
   * were freed (the oldest go first); default `Infinity`.
   */
  retain?: number;
  /**
   * The clock that decay is measured by, in milliseconds; default
   * `performance.now`. Tests pass a fake one to move time without sleeping.
   */
  clock?: () => number;
}

/** The keys of {@linkcode PageSourceOptions}, which constructors check. */
export const PAGE_SOURCE_OPTIONS: readonly string[] = [
  "reserve",
  "decayMs",
  "retain",
  "clock",
];
