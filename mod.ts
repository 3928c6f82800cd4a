/**
 * @sp/mem — memory allocators for Deno (and any JavaScript runtime) over real
 * bytes: native pages from `mmap` that C can use through FFI, or a plain
 * `ArrayBuffer`. Pointers are plain numbers; every allocator implements
 * {@linkcode Allocator}, so they stack and swap.
 *
 * | layer | module |
 * | --- | --- |
 * | interface, memory, page sources | `@sp/mem/os` |
 *
 * @example
 * ```ts
 * import { defaultPages } from "@sp/mem";
 * import assert from "node:assert/strict";
 *
 * using pages = defaultPages({ reserve: 2 ** 24 });
 * const p = pages.alloc(100);
 * pages.memory.bytes(p, 3).set([1, 2, 3]);
 * assert.deepEqual([...pages.memory.bytes(p, 4)], [1, 2, 3, 0]);
 * pages.free(p, 100);
 * ```
 *
 * @module
 */
export * from "./os/mod.ts";
