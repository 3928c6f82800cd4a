/**
 * The bottom layer of @sp/mem: the {@linkcode Allocator} interface, the
 * {@linkcode Memory} that pointers address, and the page sources that hand out
 * runs of 4 KiB pages — {@linkcode OsPages} (native, libc `mmap` through Deno
 * FFI), {@linkcode BufferPages} (a plain `ArrayBuffer`, any runtime) and
 * {@linkcode WasmPages} (a `WebAssembly.Memory`, so pointers are a module's
 * addresses) and {@linkcode SharedPages} (a `SharedArrayBuffer` that every
 * worker allocates from).
 *
 * @example
 * ```ts
 * import { defaultPages } from "@sp/mem/os";
 * import assert from "node:assert/strict";
 *
 * using pages = defaultPages({ reserve: 2 ** 24 });
 * const p = pages.alloc(4096);
 * pages.memory.view(Float64Array, p, 512).fill(1.5);
 * assert.equal(pages.memory.f64[p / 8 + 511], 1.5);
 * pages.free(p, 4096);
 * ```
 *
 * @module
 */
export * from "./allocator.ts";
export * from "./buffer_pages.ts";
export * from "./default_pages.ts";
export * from "./errors.ts";
export * from "./memory.ts";
export * from "./os_pages.ts";
export * from "./page_source.ts";
export * from "./shared_pages.ts";
export * from "./wasm_pages.ts";
