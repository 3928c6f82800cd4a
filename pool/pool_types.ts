/**
 * The pool's options: {@linkcode PoolOptions} and the default slab size.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";

/**
 * The default {@linkcode PoolOptions.slabSize} on a page source: 64 KiB
 * (64 bytes less on any other parent, so that its header keeps the slab in
 * 16 pages), or more when that holds fewer than 8 blocks.
 *
 * @example
 * ```ts
 * import { DEFAULT_SLAB_SIZE, Pool } from "@sp/mem/pool";
 * import assert from "node:assert/strict";
 *
 * using pool = new Pool({ blockSize: 24 });
 * assert.equal(pool.slabSize, DEFAULT_SLAB_SIZE);
 * assert.equal(pool.blocksPerSlab, Math.floor(DEFAULT_SLAB_SIZE / 24));
 * ```
 */
export const DEFAULT_SLAB_SIZE = 65536;

/**
 * The largest slab, and so the largest block: 1 GiB.
 *
 * @example
 * ```ts
 * import { MAX_SLAB_SIZE, Pool } from "@sp/mem/pool";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Pool({ blockSize: MAX_SLAB_SIZE + 1 }), RangeError);
 * ```
 */
export const MAX_SLAB_SIZE = 2 ** 30;

/**
 * Options for {@linkcode Pool}.
 *
 * @example A pool of cache-line blocks on a heap
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import { Pool, type PoolOptions } from "@sp/mem/pool";
 * import assert from "node:assert/strict";
 *
 * using heap = new Heap();
 * const options: PoolOptions = { blockSize: 48, alignment: 64, parent: heap };
 * using pool = new Pool(options);
 * assert.equal(pool.stride, 64);
 * assert.equal(pool.alloc() % 64, 0);
 * assert.equal(heap.largeBlocks, 1); // the first slab
 * ```
 */
export interface PoolOptions {
  /** The size of every block in bytes: an integer from 1 to the slab's size. */
  blockSize: number;
  /**
   * The alignment of every block's (native) address: a power of two from 1
   * to 65536. Default: the block size's natural alignment, the largest power
   * of two dividing it, at most 16 (8 for 24-byte blocks, 4 for 36).
   */
  alignment?: number;
  /**
   * Where the slabs come from. Default: a page source of its own from
   * `defaultPages()`, which the pool destroys with itself. A parent passed
   * in is left alive.
   */
  parent?: Allocator;
  /**
   * The bytes of each slab taken from the parent; default
   * {@linkcode DEFAULT_SLAB_SIZE}. At most {@linkcode MAX_SLAB_SIZE}, and
   * room for one block at least; on a parent that is no page source, a page
   * (4096) at least, so that no two slabs start in one page.
   */
  slabSize?: number;
  /**
   * How long an empty slab is kept for reuse before it goes back to the
   * parent, in milliseconds; default: the parent's `decayMs` if it has one,
   * else 1000. 0 gives each back as it empties; `Infinity` keeps them until
   * `trim()` or `destroy()`. At most 2^31 − 1 (about 24.8 days) if finite.
   */
  decayMs?: number;
  /**
   * The clock that decay is measured by, in milliseconds; default
   * `performance.now`. Tests pass a fake one.
   */
  clock?: () => number;
}
