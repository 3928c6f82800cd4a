/**
 * `deno bench --allow-ffi --allow-env=NODE_ENV bench/`: one alloc, write and
 * free of one size, per size and pattern, with the heap as the baseline:
 *
 * - `heap`, `heap-buffer`: Heap on OsPages / BufferPages, written by
 *   `writeBlock` (the library's `fillBytes`: word stores, `fill` past its
 *   crossover);
 * - `malloc`: libc `malloc` + `memset` + `free` through FFI;
 * - `calloc`: libc `calloc` + `memset` + `free` (zeroed first, as the heap's
 *   blocks are).
 *
 * Patterns: `alone` (nothing else is live, so every pair empties a heap span
 * or gives a large block's pages back) and `neighbour` (one other allocation
 * of the same size stays live, keeping its span, or malloc's chunks around
 * it, in use).
 *
 * @module
 */
import { HeapBackend } from "./backends/heap.ts";
import { CallocBackend, libc, MallocBackend } from "./backends/malloc.ts";
import { type Pair, PATTERNS, withNeighbour } from "./_pairs.ts";

const SIZES = [16, 64, 512, 4096, 8192, 65536];
const MAX = Math.max(...SIZES);

const heapPair = (name: "heap" | "heap-buffer"): Pair => (size, neighbour) => {
  const b = withNeighbour(HeapBackend.make(name), size, neighbour);
  return () => b.free(b.alloc(size), size);
};
const BACKENDS: [string, Pair][] = [
  ["heap", heapPair("heap")],
  ["heap-buffer", heapPair("heap-buffer")],
  ["malloc", (size, neighbour) => {
    const b = withNeighbour(new MallocBackend(MAX, libc()), size, neighbour);
    return () => b.free(b.alloc(size), size);
  }],
  ["calloc", (size, neighbour) => {
    const b = withNeighbour(new CallocBackend(MAX, libc()), size, neighbour);
    return () => b.free(b.alloc(size), size);
  }],
];

for (const size of SIZES) {
  for (const [pattern, neighbour] of PATTERNS) {
    for (const [name, pair] of BACKENDS) {
      Deno.bench(`${name} ${size} ${pattern}`, {
        group: `alloc+write+free ${size} bytes, ${pattern}`,
        baseline: name === "heap",
      }, pair(size, neighbour));
    }
  }
}
