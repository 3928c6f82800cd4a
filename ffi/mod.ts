/**
 * C libraries on the heap: {@linkcode CAllocator} hands any allocator on
 * native memory to C as the allocation functions a library takes — the
 * malloc family, zlib's `zalloc`/`zfree`, Lua's `lua_Alloc`, sqlite's
 * `sqlite3_mem_methods` — so that the library's memory is counted, capped
 * and checked like any other. Deno only (`--allow-ffi`).
 *
 * @example
 * ```ts
 * import { CAllocator, HOOK_DEFINITIONS } from "@sp/mem/ffi";
 * import { Heap } from "@sp/mem/heap";
 * import { OsPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new OsPages({ reserve: 2 ** 24 });
 * using heap = new Heap({ pages });
 * using bridge = new CAllocator(heap);
 * // Called here as Lua calls it: lua_Alloc(ud, ptr, osize, nsize).
 * const luaAlloc = new Deno.UnsafeFnPointer(
 *   bridge.luaAlloc,
 *   HOOK_DEFINITIONS.luaAlloc,
 * );
 * const block = luaAlloc.call(0, 0n, 4n, 40n); // Lua makes a 40-byte string
 * assert.equal(bridge.bytesUsed, 40);
 * assert.equal(luaAlloc.call(0, block, 40n, 0n), 0n); // and frees it
 * assert.equal(heap.bytesUsed, 0);
 * ```
 *
 * @module
 */
export * from "./c_allocator.ts";
