/**
 * Memory allocators for Deno (and any JavaScript runtime) over real bytes:
 * native pages from `mmap` that C can use through FFI, a plain `ArrayBuffer`,
 * a WebAssembly module's memory, or a `SharedArrayBuffer` that every worker
 * allocates from. Pointers are plain numbers; every allocator implements
 * {@linkcode Allocator}, so they stack and swap.
 *
 * | layer | module |
 * | --- | --- |
 * | the interface, memory, page sources | `@sp/mem/os` |
 * | the size-class heap (like malloc), one per worker | `@sp/mem/heap` |
 * | arenas, fixed regions, scratch memory | `@sp/mem/arena` |
 * | a checking wrapper for any allocator | `@sp/mem/debug` |
 * | fixed-size block pools | `@sp/mem/pool` |
 * | C-layout records and cursors over memory | `@sp/mem/record` |
 *
 * @example A heap for records, an arena for a frame
 * ```ts
 * import { Arena, Heap } from "@sp/mem";
 * import assert from "node:assert/strict";
 *
 * using heap = new Heap();
 * const record = heap.alloc(24);
 * heap.memory.view(Float64Array, record, 3).set([1, 2, 3]);
 *
 * using frame = new Arena({ parent: heap });
 * const tmp = frame.alloc(100);
 * assert.equal(heap.memory.u8[tmp], 0);
 * frame.destroy(); // every block back to the heap
 * heap.free(record);
 * assert.equal(heap.bytesUsed, 0);
 * ```
 *
 * @module
 */
export * from "./os/mod.ts";
export * from "./heap/mod.ts";
export * from "./arena/mod.ts";
export * from "./debug/mod.ts";
export * from "./pool/mod.ts";
export * from "./record/mod.ts";
