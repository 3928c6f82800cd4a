// The C signatures of every hook, as Deno callback definitions. Pointers
// and sizes cross as "usize" in both directions: C's arguments arrive as
// BigInts (split into exact 32-bit halves through scratch words, never
// Number()), and results go back as plain numbers — no pointer objects,
// which cost an op each to make or read (bench/ffi_bench.ts).

const USIZE = "usize";
// An argument the bridge ignores (zlib's opaque, Lua's ud): its low 32 bits
// as a number, so Deno makes no BigInt for it (~5 ns a call in
// bench/ffi_bench.ts's callback groups).
const IGNORED = "u32";

/**
 * The FFI definition of every hook of {@linkcode CAllocator}, by name: what
 * to give `Deno.UnsafeFnPointer` to call one from JavaScript as C would.
 * Pointers and sizes are `"usize"`; an argument the bridge ignores is
 * `"u32"` (C may pass any 64-bit value there).
 *
 * @example Calling `free` through its function pointer
 * ```ts
 * import { CAllocator, HOOK_DEFINITIONS } from "@sp/mem/ffi";
 * import { Heap } from "@sp/mem/heap";
 * import { OsPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = new OsPages({ reserve: 2 ** 24 });
 * using heap = new Heap({ pages });
 * using bridge = new CAllocator(heap);
 * const malloc = new Deno.UnsafeFnPointer(bridge.malloc, HOOK_DEFINITIONS.malloc);
 * const free = new Deno.UnsafeFnPointer(bridge.free, HOOK_DEFINITIONS.free);
 * free.call(malloc.call(24n));
 * assert.equal(heap.bytesUsed, 0);
 * ```
 */
export const HOOK_DEFINITIONS = {
  // void *malloc(size_t), calloc(size_t, size_t), realloc(void *, size_t);
  // void free(void *); size_t malloc_usable_size(void *)
  malloc: { parameters: [USIZE], result: USIZE },
  calloc: { parameters: [USIZE, USIZE], result: USIZE },
  realloc: { parameters: [USIZE, USIZE], result: USIZE },
  free: { parameters: [USIZE], result: "void" },
  usableSize: { parameters: [USIZE], result: USIZE },
  // zlib: voidpf zalloc(voidpf opaque, uInt items, uInt size);
  //       void zfree(voidpf opaque, voidpf address)
  zalloc: { parameters: [IGNORED, "u32", "u32"], result: USIZE },
  zfree: { parameters: [IGNORED, USIZE], result: "void" },
  // Lua: void *lua_Alloc(void *ud, void *ptr, size_t osize, size_t nsize)
  luaAlloc: { parameters: [IGNORED, USIZE, USIZE, USIZE], result: USIZE },
  // sqlite3_mem_methods, in the order of the struct
  xMalloc: { parameters: ["i32"], result: USIZE },
  xFree: { parameters: [USIZE], result: "void" },
  xRealloc: { parameters: [USIZE, "i32"], result: USIZE },
  xSize: { parameters: [USIZE], result: "i32" },
  xRoundup: { parameters: ["i32"], result: "i32" },
  xInit: { parameters: [IGNORED], result: "i32" },
  xShutdown: { parameters: [IGNORED], result: "void" },
} as const;

/**
 * The name of one hook: the C function (or `sqlite3_mem_methods` member) it
 * stands for.
 *
 * @example
 * ```ts
 * import type { HookName } from "@sp/mem/ffi";
 *
 * const hook: HookName = "luaAlloc";
 * ```
 */
export type HookName = keyof typeof HOOK_DEFINITIONS;

// One 64-bit scratch word and its two halves (little-endian, as on every
// platform Deno's FFI runs on here).
const scratch64 = new BigUint64Array(1);
const scratch32 = new Uint32Array(scratch64.buffer);

/**
 * `value` as a number: exact below 2^53, and above it a number at least
 * 2^53 (too large for anything), so a size from C is never made smaller.
 */
export function toNumber(value: bigint): number {
  scratch64[0] = value;
  return scratch32[1] * 2 ** 32 + scratch32[0];
}

/**
 * A size from C (a `size_t`, or a number where the hook's C type is
 * narrower) as a number; one of 2^53 or more, which no block can be, is a
 * `RangeError` that names it exactly (as a number it would read rounded).
 */
export function sizeFromC(value: bigint | number): number {
  if (typeof value === "number") return value;
  const size = toNumber(value);
  if (size <= Number.MAX_SAFE_INTEGER) return size;
  throw new RangeError(
    `Size ${value} from C is larger than any block can be: the library asked for an impossible size`,
  );
}
