/**
 * Bump allocators: {@linkcode Arena} (chained blocks on any
 * {@linkcode Allocator}, given back all at once or to a mark),
 * {@linkcode FixedAllocator} (inside a region you give it) and
 * {@linkcode scratch} (temporary memory from two per-worker arenas, given back
 * by `using`). Allocation is an alignment round-up and a pointer bump; every
 * allocation reads as zero, and its real (native) address is aligned.
 *
 * @example An arena per frame, and scratch memory inside it
 * ```ts
 * import { Arena, scratch } from "@sp/mem/arena";
 * import assert from "node:assert/strict";
 *
 * using frame = new Arena({ alignment: 8 });
 * const start = frame.mark();
 * for (let i = 0; i < 3; i++) {
 *   const points = frame.alloc(3 * 8);
 *   frame.memory.view(Float64Array, points, 3).set([i, i + 1, i + 2]);
 *   {
 *     using tmp = scratch();
 *     const sum = tmp.alloc(8);
 *     for (let k = 0; k < 3; k++) {
 *       tmp.memory.f64[sum / 8] += frame.memory.f64[points / 8 + k];
 *     }
 *     assert.equal(tmp.memory.f64[sum / 8], 3 * i + 3);
 *   } // the scratch region ends here
 *   frame.pop(start); // and the frame's memory is reused next time round
 * }
 * assert.equal(frame.bytesUsed, 0);
 * ```
 *
 * @module
 */
export { Arena } from "./arena.ts";
// ARENA_HEADER_SIZE, DEFAULT_ALIGNMENT, DEFAULT_BLOCK_SIZE, MAX_BLOCK_GROWTH,
// MIN_BLOCK_SIZE and the ArenaBlock, ArenaMark and ArenaOptions types.
export * from "./arena_types.ts";
export { MAX_ALIGNMENT } from "./_align.ts";
export {
  FixedAllocator,
  type FixedAllocatorOptions,
} from "./fixed_allocator.ts";
export { scratch, ScratchOrderError, ScratchRegion } from "./scratch.ts";
