/**
 * `deno bench bench/worker_heap_bench.ts`: what sharing costs a worker's
 * heap, in one thread — an alloc+free pair on a WorkerHeap against the same
 * pair on a Heap of its own, and a remote free (with the owner's collect,
 * per block) against a local free — and a page-run pair on SharedPages (its
 * lock) against BufferPages.
 *
 * @module
 */
import { Heap, WorkerHeap } from "../heap/mod.ts";
import { BufferPages, SharedPages } from "../os/mod.ts";

const SIZE = 64;
const BATCH = 1000;

const single = new Heap({ pages: new BufferPages(), decayMs: Infinity });
const shared = new SharedPages();
const a = new WorkerHeap({ pages: shared, decayMs: Infinity });
const b = new WorkerHeap({
  pages: SharedPages.attach(shared.handle),
  decayMs: Infinity,
});

Deno.bench("heap pair", { group: "pair", baseline: true }, () => {
  single.free(single.alloc(SIZE), SIZE);
});
Deno.bench("worker heap pair", { group: "pair" }, () => {
  a.free(a.alloc(SIZE), SIZE);
});

// Frees of BATCH blocks allocated untimed; per block.
const ptrs = new Float64Array(BATCH);
Deno.bench("local free ×1000", { group: "free", baseline: true }, (t) => {
  for (let i = 0; i < BATCH; i++) ptrs[i] = a.alloc(SIZE);
  t.start();
  for (let i = 0; i < BATCH; i++) a.free(ptrs[i], SIZE);
  t.end();
});
Deno.bench("remote free + collect ×1000", { group: "free" }, (t) => {
  for (let i = 0; i < BATCH; i++) ptrs[i] = a.alloc(SIZE);
  t.start();
  for (let i = 0; i < BATCH; i++) b.free(ptrs[i], SIZE);
  a.collect();
  t.end();
});

const buffer = new BufferPages({ decayMs: Infinity });
Deno.bench("BufferPages page pair", { group: "pages", baseline: true }, () => {
  buffer.free(buffer.allocDirty(4096), 4096);
});
Deno.bench("SharedPages page pair", { group: "pages" }, () => {
  shared.free(shared.allocDirty(4096), 4096);
});
