// The page geometry every layer shares: the page size, the largest range and
// how many pages a run of some size takes; and the buffer a range lives in.
import { OutOfMemoryError } from "../os/errors.ts";

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

/**
 * Runs `make`, which allocates the buffers of a reservation of `bytes`, and
 * turns the engine's bare "Array buffer allocation failed" RangeError into an
 * {@linkcode OutOfMemoryError} that says to reserve less. `what` names the
 * buffer type, with its article ("an ArrayBuffer").
 */
export function allocateRange<T>(
  bytes: number,
  what: string,
  make: () => T,
): T {
  try {
    return make();
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new OutOfMemoryError(
      `Could not allocate ${what} of ${bytes} bytes for the reservation: reserve less`,
      bytes,
    );
  }
}
