// WorkerHeap cases that kill single-line mutants the other tests left alive
// (the mutation run of issue 21): instances in one thread stand for workers.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import { PointerError, SharedPages } from "../os/mod.ts";

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
  // A run its instance takes itself, beside that instance's heap: a remote
  // free into it is marked for the heap, which finds nothing there.
  const plain = SharedPages.attach(pages.handle);
  const a = new WorkerHeap({ pages: plain });
  const b = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  const r = plain.alloc(64 * 4096);
  assert.equal(r, 12288); // after a's own page
  b.free(20528, 64);
  assert.deepEqual(b.remoteErrors, []);
  assert.equal(a.waitingFrees, 1);
  // The run goes back before a collects: its pending mark goes with it, and
  // a's collect refuses that free (it named no block of a's heap).
  plain.free(r, 64 * 4096);
  assert.equal(a.waitingFrees, 0);
  assert.throws(
    () => a.collect(),
    (e: unknown) =>
      e instanceof PointerError && e.ptr === 20528 && e.reason === "foreign",
  );
  assert.deepEqual(a.remoteErrors.map((e) => [e.ptr, e.reason]), [
    [20528, "foreign"],
  ]);
  const c = new WorkerHeap({ pages: SharedPages.attach(pages.handle) });
  const q = c.alloc(64);
  assert.equal(q, 20528); // the marked chunk's address, in a new owner's span
  b.free(q, 64);
  assert.deepEqual(b.remoteErrors, []);
  assert.equal(c.waitingFrees, 1);
  assert.equal(c.collect(), 1);
  assert.equal(c.bytesUsed, 0);
  c.validate();
  a.destroy();
  b.destroy();
  c.destroy();
});

Deno.test("WorkerHeap: a remote free into a run of an instance with no heap is foreign at once", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  const plain = SharedPages.attach(pages.handle);
  using b = new WorkerHeap({ pages });
  const r = plain.alloc(4096);
  const live = pages.liveBytes;
  for (const [ptr, size] of [[r, 4096], [r + 48, 16], [r + 16, 16]]) {
    assert.throws(() => b.free(ptr, size), (e: unknown) => {
      assert.ok(e instanceof PointerError);
      assert.equal(e.reason, "foreign");
      assert.equal(e.ptr, ptr);
      assert.match(
        e.message,
        new RegExp(
          `is in a run of SharedPages instance ${plain.id}, which has no worker heap: free it with that instance$`,
        ),
      );
      return true;
    });
  }
  assert.equal(b.waitingFrees, 0);
  assert.equal(pages.liveBytes, live);
  // Once a heap is made on that instance, its runs may hold heap blocks.
  using a = new WorkerHeap({ pages: plain });
  const p = a.alloc(64);
  b.free(p, 64);
  assert.equal(a.collect(), 1);
  a.destroy();
  // And once that heap is destroyed, not any more.
  assert.throws(() => b.free(r, 4096), PointerError);
  plain.free(r, 4096);
});
