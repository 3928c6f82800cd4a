// WorkerHeap cases that kill single-line mutants the other tests left alive
// (the mutation run of issue 21): instances in one thread stand for workers.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import { SharedPages } from "../os/mod.ts";

// free(0, size) does nothing, as for every allocator: page 0 has no owner,
// so it must not be taken for a remote free.
for (const size of [0, 16, 5000]) {
  Deno.test(`WorkerHeap: free(0, ${size}) changes nothing`, () => {
    using pages = new SharedPages({ reserve: 2 ** 22 });
    using heap = new WorkerHeap({ pages });
    const p = heap.alloc(64);
    heap.free(0, size);
    assert.equal(heap.bytesUsed, 64);
    assert.equal(heap.waitingFrees, 0);
    assert.deepEqual(heap.remoteErrors, []);
    assert.equal(heap.alloc(64), p + 64);
    heap.validate();
  });
}

Deno.test("WorkerHeap: pages given back forget their pending frees, so the next owner starts clean", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  const plain = SharedPages.attach(pages.handle); // pages only, no heap
  const b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  const r = plain.alloc(64 * 4096);
  assert.equal(r, 8192);
  // Marked pending for plain, which never collects; then the run goes back.
  b.free(16432, 64);
  assert.deepEqual(b.remoteErrors, []);
  plain.free(r, 64 * 4096);
  const c = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  const q = c.alloc(64);
  assert.equal(q, 16432); // the marked chunk's address, in a new owner's span
  b.free(q, 64);
  assert.deepEqual(b.remoteErrors, []);
  assert.equal(c.waitingFrees, 1);
  assert.equal(c.collect(), 1);
  assert.equal(c.bytesUsed, 0);
  c.validate();
  b.destroy();
  c.destroy();
});
