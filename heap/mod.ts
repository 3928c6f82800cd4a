/**
 * The general-purpose {@linkcode Heap} of @sp/mem: a malloc-like allocator of
 * 16 size classes in 4 KiB spans, with large blocks straight from the page
 * source, exact accounting (`bytesUsed`, `bytesReserved`, `peakReserved`),
 * pointer checks on every free and resize, and {@linkcode Heap.validate}.
 *
 * @example
 * ```ts
 * import { Heap } from "@sp/mem/heap";
 * import assert from "node:assert/strict";
 *
 * using heap = new Heap(); // on its own defaultPages()
 * const p = heap.alloc(64);
 * heap.memory.u32[p / 4] = 7;
 * assert.equal(heap.inspect(p)?.kind, "span");
 * heap.free(p);
 * assert.equal(heap.bytesUsed, 0);
 * ```
 *
 * @module
 */
export * from "./heap.ts";
export * from "./heap_types.ts";
export * from "./worker_heap.ts";
