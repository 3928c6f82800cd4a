/**
 * {@linkcode DebugAllocator}: wrap any allocator to catch writes past the end
 * of a block (red zones), writes after free (junk and a quarantine), double
 * frees and bad pointers (with the stacks where the block was allocated and
 * freed), and leaks.
 *
 * @example
 * ```ts
 * import { DebugAllocator, LeakError } from "@sp/mem/debug";
 * import { BufferPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new BufferPages({ reserve: 2 ** 20 });
 * const debug = new DebugAllocator({ parent: pages });
 * const p = debug.alloc(32);
 * debug.free(p, 32);
 * assert.throws(() => debug.free(p, 32), /double free/);
 * debug.alloc(8); // never freed
 * assert.throws(() => debug.destroy(), LeakError);
 * ```
 *
 * @module
 */
export * from "./debug_allocator.ts";
export * from "./errors.ts";
