// A program that uses the installed npm package as a Node or Bun project
// would: `deno task test:npm` copies it into a fresh project outside the
// repository, installs the packed tarball there, runs it with Node 22 and
// Bun, and type-checks it with tsc against the package's `.d.ts` (no Deno
// types in that project). It prints one line per check and exits 1 on the
// first wrong value.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import process from "node:process";
import {
  type Allocator,
  Arena,
  BufferPages,
  defaultPages,
  FfiUnavailableError,
  Heap,
  OsPages,
  Pool,
  type WasmMemoryLike,
  WasmPages,
} from "@sp/mem";

const runtime = process.versions.bun
  ? `bun ${process.versions.bun}`
  : `node ${process.versions.node}`;
const PAGE = 4096;

// Every entry point the package.json exports loads, has exports, and hands
// out the same objects as the root module (one copy of each class).
const manifest = JSON.parse(
  readFileSync(
    new URL("./node_modules/@sp/mem/package.json", import.meta.url),
    "utf8",
  ),
) as {
  exports: Record<string, unknown>;
  main: string;
  types: string;
  sideEffects: boolean;
  engines: { node: string };
};
// The root's files for resolvers older than `exports`, and what a bundler
// and npm read.
for (const file of [manifest.main, manifest.types]) {
  const url = new URL(`./node_modules/@sp/mem/${file}`, import.meta.url);
  assert.ok(readFileSync(url, "utf8").length > 0, file);
}
assert.deepEqual([manifest.sideEffects, manifest.engines], [false, {
  node: ">=20",
}]);
const root = await import("@sp/mem") as Record<string, unknown>;
for (const subpath of Object.keys(manifest.exports)) {
  const specifier = `@sp/mem${subpath.slice(1)}`;
  const module = await import(specifier) as Record<string, unknown>;
  const names = Object.keys(module);
  assert.ok(names.length > 0, `${specifier} exports nothing`);
  for (const name of names) {
    if (name in root) assert.equal(module[name], root[name], name);
  }
  console.log(`${runtime}: import ${specifier}: ${names.length} exports`);
}

// A heap on BufferPages: its own page (page 1), then a 64 KiB segment from
// page 2 whose first span starts one page in, chunks 48 bytes into the span;
// 24 bytes take a 32-byte chunk.
const heap = new Heap({ pages: new BufferPages({ reserve: 2 ** 20 }) });
const a = heap.alloc(24), b = heap.alloc(24);
assert.deepEqual([a, b, heap.bytesUsed, heap.bytesReserved], [
  3 * PAGE + 48,
  3 * PAGE + 80,
  64,
  PAGE + 64 * 1024,
]);
heap.memory.f64[a / 8] = 1.5;
heap.free(a, 24);
assert.equal(heap.bytesUsed, 32);
assert.equal(heap.alloc(24), a, "the last block freed comes back first");
assert.equal(heap.memory.f64[a / 8], 0, "zero-filled again");
heap.destroy();
console.log(`${runtime}: Heap alloc/free, bytesUsed exact`);

// An arena on a page source: bump, mark, pop back to the mark. Data starts
// after the first block's 32-byte header; bytesUsed counts padding between
// allocations (10 rounds up to 16 under the next one).
const pages = new BufferPages({ reserve: 256 * 1024 });
const arena = new Arena({ parent: pages });
const first = arena.alloc(10);
const mark = arena.mark();
arena.alloc(100);
assert.equal(arena.bytesUsed, 16 + 100);
arena.pop(mark);
assert.deepEqual([first, arena.bytesUsed, arena.alloc(1)], [
  PAGE + 32,
  10,
  PAGE + 48,
]);
arena.destroy();
pages.destroy();
console.log(`${runtime}: Arena mark/pop`);

// A pool of 24-byte blocks on any allocator.
const parent: Allocator = new BufferPages({ reserve: 2 ** 20 });
const pool = new Pool({ blockSize: 24, parent });
const blocks = Array.from({ length: 1000 }, () => pool.alloc());
assert.deepEqual([blocks[0], blocks[1], new Set(blocks).size], [
  PAGE,
  PAGE + 24,
  1000,
]);
assert.equal(pool.bytesUsed, 24 * 1000);
for (const p of blocks) pool.free(p);
assert.equal(pool.blocks, 0);
pool.destroy();
console.log(`${runtime}: Pool of 1000 blocks`);

// Pages in a WebAssembly memory, with no WebAssembly types in the project
// (tsc checks this file without the DOM lib too): the memory's type is then
// the package's WasmMemoryLike, and WebAssembly.Memory with the DOM lib. Once
// the first page source is destroyed, a second one takes its memory (the
// memory is left as it was).
const wasm = new WasmPages({ reserve: 2 ** 20 });
const memory = wasm.wasmMemory;
const shape: WasmMemoryLike = memory;
assert.deepEqual([wasm.alloc(100), shape.buffer.byteLength], [PAGE, 2 ** 20]);
wasm.destroy();
const again = new WasmPages({ memory, base: 2 * PAGE, reserve: 2 ** 20 });
assert.deepEqual([again.base, again.alloc(1), memory.buffer.byteLength], [
  2 * PAGE,
  2 * PAGE,
  2 ** 20,
]);
again.destroy();
console.log(`${runtime}: WasmPages in its own memory, then in a given one`);

// Outside Deno there is no FFI: the default is an ArrayBuffer, and OsPages
// says why it cannot be made.
const fallback = defaultPages();
assert.equal(fallback.kind, "buffer");
fallback.destroy();
assert.throws(() => new OsPages(), (e: unknown) => {
  assert.ok(e instanceof FfiUnavailableError);
  assert.match(e.message, /BufferPages/);
  return true;
});
console.log(`${runtime}: OsPages refused with FfiUnavailableError`);
