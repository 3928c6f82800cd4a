/**
 * `deno bench --allow-ffi --allow-env=NODE_ENV bench/`: one alloc, write and
 * free of one size, per size and pattern, with the heap as the baseline:
 *
 * - `heap`, `heap-buffer`: Heap on OsPages / BufferPages, written by
 *   `writeBlock` (the library's `fillBytes`: word stores, then copies from a
 *   buffer of the byte, then `fill`, at their measured crossovers);
 * - `heap-unsafe`: Heap on OsPages through `allocUnsafe` (no zeroing of
 *   the bytes written right after), the same write;
 * - `heap-aligned64`: Heap on OsPages, `alloc(size, 64)` (a 64-byte
 *   alignment), the same write;
 * - `malloc`: libc `malloc` + `memset` + `free` through FFI;
 * - `calloc`: libc `calloc` + `memset` + `free` (zeroed first, as the heap's
 *   blocks are);
 * - `floor`, `floor+write` (16 and 64 bytes): the JavaScript floor, a bare
 *   Int32Array free list popped and pushed in the alloc()/free() methods of
 *   a class (bench/_floor.ts), without and with the same write: how far
 *   the heap is from the least a pair can cost in JavaScript;
 * - `write`, `zero+write` (4096 bytes and up): the memory floor of the
 *   medium pairs, no allocator at all: the same write over one block, and
 *   the heap's zeroing (internal/bytes.ts) before it, as `heap-unsafe` and
 *   `heap` do (malloc's rows write with libc `memset` instead).
 *
 * Patterns: `alone` (nothing else is live, so every pair empties a heap span
 * or gives a large block's pages back) and `neighbour` (one other allocation
 * of the same size stays live, keeping its span, or malloc's chunks around
 * it, in use).
 *
 * @module
 */
import { Heap } from "../heap/mod.ts";
import { BufferPages, OsPages, type PageSource } from "../os/mod.ts";
import { CallocBackend, libc, MallocBackend } from "./backends/malloc.ts";
import { type Pair, PATTERNS, withNeighbour } from "./_pairs.ts";
import { FloorList } from "./_floor.ts";
import { writeBlock } from "./_write.ts";
import { zeroBytes } from "../internal/bytes.ts";

const SIZES = [16, 64, 512, 4096, 8192, 65536];
const MAX = Math.max(...SIZES);

// The heap rows call the heap itself, as a program would (through
// HeapBackend's methods the pair spent V8's inlining budget on them).
const heapPair = (pages: () => PageSource): Pair => (size, neighbour) => {
  const heap = new Heap({ pages: pages(), decayMs: Infinity });
  if (neighbour) heap.alloc(size);
  const memory = heap.memory;
  return () => {
    const p = heap.alloc(size);
    writeBlock(memory, p, size);
    heap.free(p, size);
  };
};
const BACKENDS: [string, Pair][] = [
  ["heap", heapPair(() => new OsPages())],
  ["heap-buffer", heapPair(() => new BufferPages({ reserve: 2 ** 22 }))],
  ["heap-unsafe", (size, neighbour) => {
    const heap = new Heap({ pages: new OsPages(), decayMs: Infinity });
    if (neighbour) heap.allocUnsafe(size);
    const memory = heap.memory;
    return () => {
      const p = heap.allocUnsafe(size);
      writeBlock(memory, p, size);
      heap.free(p, size);
    };
  }],
  ["heap-aligned64", (size, neighbour) => {
    const heap = new Heap({ pages: new OsPages(), decayMs: Infinity });
    if (neighbour) heap.alloc(size, 64);
    const memory = heap.memory;
    return () => {
      const p = heap.alloc(size, 64);
      writeBlock(memory, p, size);
      heap.free(p, size);
    };
  }],
  ["malloc", (size, neighbour) => {
    const b = withNeighbour(new MallocBackend(MAX, libc()), size, neighbour);
    return () => b.free(b.alloc(size), size);
  }],
  ["calloc", (size, neighbour) => {
    const b = withNeighbour(new CallocBackend(MAX, libc()), size, neighbour);
    return () => b.free(b.alloc(size), size);
  }],
];
// The floor rows, in the groups of the sizes a small class serves.
const FLOOR: [string, Pair][] = [
  ["floor", (size, neighbour) => {
    const b = withNeighbour(new FloorList(), size, neighbour);
    return () => b.free(b.alloc(size), size);
  }],
  ["floor+write", (size, neighbour) => {
    const b = withNeighbour(new FloorList(), size, neighbour);
    const memory = b.memory;
    return () => {
      const p = b.alloc(size);
      writeBlock(memory, p, size);
      b.free(p, size);
    };
  }],
];
const FLOOR_SIZES = [16, 64];
// The memory floor rows, in the groups of the medium sizes.
const MEMORY_FLOOR: [string, Pair][] = [
  ["write", (size) => {
    const pages = new OsPages();
    const p = pages.alloc(size), memory = pages.memory;
    return () => writeBlock(memory, p, size);
  }],
  ["zero+write", (size) => {
    const pages = new OsPages();
    const p = pages.alloc(size), memory = pages.memory;
    return () => {
      zeroBytes(memory, p, p + size);
      writeBlock(memory, p, size);
    };
  }],
];
const MEMORY_FLOOR_SIZES = [4096, 8192, 65536];

for (const size of SIZES) {
  for (const [pattern, neighbour] of PATTERNS) {
    const rows = FLOOR_SIZES.includes(size)
      ? [...BACKENDS, ...FLOOR]
      : MEMORY_FLOOR_SIZES.includes(size)
      ? [...BACKENDS, ...MEMORY_FLOOR]
      : BACKENDS;
    for (const [name, pair] of rows) {
      Deno.bench(`${name} ${size} ${pattern}`, {
        group: `alloc+write+free ${size} bytes, ${pattern}`,
        baseline: name === "heap",
      }, pair(size, neighbour));
    }
  }
}
