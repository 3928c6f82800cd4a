/**
 * The constants, options, marks and block records of {@linkcode Arena}
 * (its twin of `heap_types.ts`), and the default alignment that the fixed
 * allocator shares.
 *
 * @module
 */
import type { Allocator } from "../os/allocator.ts";

/**
 * The size of the header at the start of every arena block: 32 bytes.
 *
 * @example A block's usable bytes
 * ```ts
 * import { Arena, ARENA_HEADER_SIZE } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * using arena = new Arena({ blockSize: 4096 });
 * arena.alloc(4096 - ARENA_HEADER_SIZE); // fills the first block exactly
 * assert.equal(arena.blocks.length, 1);
 * arena.alloc(1); // the next byte needs a second block
 * assert.equal(arena.blocks.length, 2);
 * ```
 */
export const ARENA_HEADER_SIZE = 32;

/**
 * The default {@linkcode ArenaOptions.blockSize}: 4096 bytes.
 *
 * @example
 * ```ts
 * import { Arena, DEFAULT_BLOCK_SIZE } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * using arena = new Arena();
 * arena.alloc(1);
 * assert.equal(arena.blocks[0].size, DEFAULT_BLOCK_SIZE);
 * ```
 */
export const DEFAULT_BLOCK_SIZE = 4096;

/**
 * The default {@linkcode ArenaOptions.alignment}: 16 bytes.
 *
 * @example
 * ```ts
 * import { Arena, DEFAULT_ALIGNMENT } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * using arena = new Arena();
 * const a = arena.alloc(1);
 * const b = arena.alloc(1);
 * assert.equal(b - a, DEFAULT_ALIGNMENT); // one byte, padded to 16
 * ```
 */
export const DEFAULT_ALIGNMENT = 16;

/**
 * Block sizes double as the arena grows, up to this: 1 MiB.
 *
 * @example
 * ```ts
 * import { Arena, MAX_BLOCK_GROWTH } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * using arena = new Arena({ blockSize: MAX_BLOCK_GROWTH / 2 });
 * for (let i = 0; i < 3; i++) arena.alloc(MAX_BLOCK_GROWTH / 2);
 * const sizes = arena.blocks.map((b) => b.size).sort((x, y) => x - y);
 * assert.equal(Math.max(...sizes), MAX_BLOCK_GROWTH); // doubled once, then capped
 * ```
 */
export const MAX_BLOCK_GROWTH = 2 ** 20;

/**
 * The smallest {@linkcode ArenaOptions.blockSize}: 64 bytes.
 *
 * @example
 * ```ts
 * import { Arena, MIN_BLOCK_SIZE } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * assert.throws(() => new Arena({ blockSize: MIN_BLOCK_SIZE - 1 }), RangeError);
 * using arena = new Arena({ blockSize: MIN_BLOCK_SIZE });
 * assert.ok(arena.alloc(8) > 0);
 * ```
 */
export const MIN_BLOCK_SIZE = 64;

/**
 * Options for {@linkcode Arena}.
 *
 * @example An arena inside a heap, packed
 * ```ts
 * import { Arena, type ArenaOptions } from "@sp/mem/arena";
 * import { Heap } from "@sp/mem/heap";
 * import assert from "node:assert/strict";
 *
 * using heap = new Heap();
 * const options: ArenaOptions = { parent: heap, blockSize: 1024, alignment: 1 };
 * using arena = new Arena(options);
 * const a = arena.alloc(3);
 * assert.equal(arena.alloc(3), a + 3); // packed: no padding
 * assert.equal(arena.blocks[0].size, 1024); // its first block, from the heap
 * assert.equal(heap.bytesUsed, 1344); // (the heap's size class for 1024 bytes)
 * ```
 */
export interface ArenaOptions {
  /**
   * Where the blocks come from. Default: a page source of its own from
   * `defaultPages()`, which the arena destroys with itself.
   */
  parent?: Allocator;
  /**
   * The size of the first block, header included; default 4096, at least 64.
   * Later blocks double in size up to 1 MiB (or stay at this size if it is
   * larger).
   */
  blockSize?: number;
  /**
   * The alignment of every allocation's real address: a power of two from 1
   * (packed) to 2^30; default 16.
   */
  alignment?: number;
}

/**
 * One block of an {@linkcode Arena}, as {@linkcode Arena.blocks} lists it.
 *
 * @example
 * ```ts
 * import { Arena, ARENA_HEADER_SIZE, type ArenaBlock } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * using arena = new Arena();
 * const p = arena.alloc(100);
 * const [block]: ArenaBlock[] = arena.blocks;
 * assert.equal(p, block.ptr + ARENA_HEADER_SIZE);
 * ```
 */
export interface ArenaBlock {
  /** The block's first byte (its header), as the parent returned it. */
  readonly ptr: number;
  /** The block's size in bytes, header included. */
  readonly size: number;
}

/**
 * A point in an arena to return to with {@linkcode Arena.pop}, made by
 * {@linkcode Arena.mark}. It is a number, but only meaningful to the arena
 * that made it.
 *
 * @example Marks nest, and pop in order
 * ```ts
 * import { Arena, type ArenaMark } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * using arena = new Arena();
 * const outer: ArenaMark = arena.mark();
 * arena.alloc(64);
 * const inner = arena.mark();
 * arena.alloc(64);
 * arena.pop(inner);
 * assert.equal(arena.bytesUsed, 64);
 * arena.pop(outer);
 * assert.equal(arena.bytesUsed, 0);
 * ```
 */
export type ArenaMark = number & { readonly __brand: "ArenaMark" };
