/**
 * {@linkcode Pool}: fixed-size blocks from slabs on any
 * {@linkcode Allocator}, one free-list pop to allocate and one push to free,
 * with pointer checks always on, exact counters, and empty slabs given back
 * to the parent by the page sources' decay rule.
 *
 * @example A pool of 24-byte tree nodes
 * ```ts
 * import { Pool } from "@sp/mem/pool";
 * import assert from "node:assert/strict";
 *
 * using pool = new Pool({ blockSize: 24 }); // on its own defaultPages()
 * const { u32 } = pool.memory;
 * const node = (left: number, right: number) => {
 *   const p = pool.alloc();
 *   u32[p / 4] = left;
 *   u32[p / 4 + 1] = right;
 *   return p;
 * };
 * const root = node(node(0, 0), node(0, 0));
 * assert.equal(pool.blocks, 3);
 * pool.free(u32[root / 4]);
 * pool.free(u32[root / 4 + 1]);
 * pool.free(root);
 * assert.equal(pool.bytesUsed, 0);
 * ```
 *
 * @module
 */
export * from "./pool.ts";
export * from "./pool_types.ts";
