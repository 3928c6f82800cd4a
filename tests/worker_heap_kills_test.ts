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
