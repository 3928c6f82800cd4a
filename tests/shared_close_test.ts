// SharedPages.close(): an instance leaves a shared source without destroying
// it, and its id goes back, so that a program can attach (and leave) more
// than the 1,023 ids over a handle's life; what it refuses, and what a
// closed instance refuses.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import { DestroyedError, SharedPages } from "../os/mod.ts";
import { isZero } from "./_bytes.ts";

const P = 4096;

/** A clock that stands still: nothing here is given back by time. */
const clock = () => 0;

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

Deno.test("SharedPages.close: an instance that decays purges the pages kept in the shared runs, as its timer would have", () => {
  using pages = new SharedPages({ reserve: 2 ** 24, decayMs: 100, clock });
  const mine = SharedPages.attach(pages.handle, { decayMs: 100, clock });
  const r = mine.alloc(256 * P);
  const guard = pages.alloc(P);
  const own = pages.alloc(4 * P); // the first instance's
  mine.memory.u8.fill(1, r, r + 256 * P);
  pages.memory.u8.fill(2, own, own + 4 * P);
  mine.free(r, 256 * P);
  pages.free(own, 4 * P);
  assert.deepEqual([pages.retainedBytes, pages.liveBytes], [260 * P, P]);
  mine.close();
  // Every kept page zeroed (given back): its own frees' and the others'.
  assert.deepEqual([pages.retainedBytes, pages.liveBytes], [0, P]);
  assert.equal(isZero(pages.memory, r, 256 * P), true);
  assert.equal(isZero(pages.memory, own, 4 * P), true);
  assert.equal(pages.decay(), 0); // nothing left to give back
  pages.free(guard, P);
});

Deno.test("SharedPages.close: a worker's heap that decays, destroyed, then its instance closed: nothing stays kept", () => {
  using pages = new SharedPages({ reserve: 2 ** 24, decayMs: 100, clock });
  const mine = SharedPages.attach(pages.handle, { decayMs: 100, clock });
  const heap = new WorkerHeap({ pages: mine, decayMs: 100 });
  const ps = Array.from({ length: 2000 }, (_, i) => heap.alloc(16 + i % 1000));
  const big = heap.alloc(1 << 20);
  for (const p of ps) heap.free(p);
  heap.free(big);
  heap.destroy(); // its segments back to the shared runs, kept
  assert.deepEqual([pages.retainedBytes, pages.liveBytes], [577 * P, 0]);
  mine.close();
  assert.deepEqual([pages.retainedBytes, pages.liveBytes], [0, 0]);
});

Deno.test("SharedPages.close: an instance with no decay leaves the kept pages kept; a refused close purges nothing", () => {
  using pages = new SharedPages({ reserve: 2 ** 24, decayMs: 100, clock });
  const none = SharedPages.attach(pages.handle, { clock });
  none.free(none.alloc(8 * P), 8 * P);
  none.close();
  assert.equal(pages.retainedBytes, 8 * P);
  const mine = SharedPages.attach(pages.handle, { decayMs: 100, clock });
  const run = mine.alloc(P); // one of the kept pages
  assert.equal(pages.retainedBytes, 7 * P);
  assert.throws(() => mine.close(), {
    name: "RangeError",
    message:
      `SharedPages instance ${mine.id} still owns 4096 bytes of runs: free them before close() (no one could free them after)`,
  });
  assert.equal(pages.retainedBytes, 7 * P); // unchanged
  mine.free(run, P);
  mine.close();
  assert.equal(pages.retainedBytes, 0);
});
