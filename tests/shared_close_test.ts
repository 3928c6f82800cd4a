// SharedPages.close(): an instance leaves a shared source without destroying
// it, and its id goes back, so that a program can attach (and leave) more
// than the 1,023 ids over a handle's life; what it refuses, and what a
// closed instance refuses.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import { DestroyedError, SharedPages } from "../os/mod.ts";

Deno.test("SharedPages.close: 3,000 workers' instances, one after another, each with a heap, on one handle", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  const ids = new Set<number>();
  for (let i = 0; i < 3000; i++) {
    const mine = SharedPages.attach(pages.handle);
    const heap = new WorkerHeap({ pages: mine });
    const p = heap.alloc(64), big = heap.alloc(10000);
    heap.memory.u8.fill(i & 255, p, p + 64);
    pages.memory.u8[p] = 1; // (the same memory, seen from the first instance)
    heap.free(p, 64);
    heap.free(big, 10000);
    heap.destroy();
    mine.close();
    ids.add(mine.id);
  }
  assert.deepEqual([...ids], [2]); // the lowest free id, every time
  assert.equal(pages.liveBytes, 0);
});

Deno.test("SharedPages.close: refused while the instance has a heap or owns a run, nothing changed", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  const mine = SharedPages.attach(pages.handle);
  const heap = new WorkerHeap({ pages: mine });
  const p = heap.alloc(64);
  assert.throws(() => mine.close(), {
    name: "RangeError",
    message:
      `SharedPages instance ${mine.id} has a WorkerHeap: destroy it before close()`,
  });
  heap.free(p, 64); // the heap still works
  heap.destroy();
  const run = mine.alloc(8192);
  assert.throws(() => mine.close(), {
    name: "RangeError",
    message:
      `SharedPages instance ${mine.id} still owns 8192 bytes of runs: free them before close() (no one could free them after)`,
  });
  // A new heap may take the instance its destroyed heap had.
  const again = new WorkerHeap({ pages: mine });
  again.free(again.alloc(16), 16);
  again.destroy();
  pages.free(run, 8192); // another instance may free the run
  mine.close();
  assert.equal(mine.destroyed, true);
  assert.equal(pages.destroyed, false);
});

Deno.test("SharedPages.close: a closed instance refuses every call; the others go on", () => {
  using pages = new SharedPages({ reserve: 2 ** 22 });
  const mine = SharedPages.attach(pages.handle);
  mine.close();
  mine.close(); // a second time: nothing
  assert.throws(() => mine.alloc(4096), {
    name: "DestroyedError",
    message:
      `SharedPages instance ${mine.id} was used after close(): attach again (SharedPages.attach(handle))`,
  });
  assert.equal(mine.memory.destroyed, true); // its helpers refuse
  mine.destroy(); // closed: it destroys nothing for the others
  const p = pages.alloc(4096);
  assert.equal(pages.ownerOf(p), pages.id);
  pages.free(p, 4096);
  // Closed after a destroy elsewhere: nothing to give back.
  const late = SharedPages.attach(pages.handle);
  pages.destroy();
  late.close();
  assert.throws(() => late.alloc(4096), DestroyedError);
});
