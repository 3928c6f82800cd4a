// SharedPages.destroy() in one instance destroys the source for every
// instance on its handle: the other instances — in a real worker, and a
// second one in this thread — and the WorkerHeaps on them refuse their next
// call with a DestroyedError that says another instance destroyed it, and
// their memory is revoked from then on — whether the heap or the instance
// makes the first call — while the destroying instance and its heap say it
// was destroyed, not by another. The worker is driven by messages (allocate;
// destroyed now, call), so nothing depends on timing.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import { SharedPages } from "../os/mod.ts";
import {
  CALLS,
  EXPECTED,
  ORDERS,
  type Outcome,
  outcome,
  type Ready,
} from "./_shared_destroy.ts";

// A worker that has not answered by then is stuck: fail, do not hang.
const TIMEOUT_MS = 60_000;

function ask<T>(worker: Worker, message: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("the worker timed out")),
      TIMEOUT_MS,
    );
    worker.onmessage = (e: MessageEvent<T>) => {
      clearTimeout(timer);
      resolve(e.data);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      clearTimeout(timer);
      reject(new Error(e.message));
    };
    worker.postMessage(message);
  });
}

Deno.test("SharedPages destroyed in the main thread: a worker's instance and heap refuse their next call", async (t) => {
  for (const [name, order] of Object.entries(ORDERS)) {
    await t.step(name, () => destroyedInMain(order));
  }
});

async function destroyedInMain(order: number[]): Promise<void> {
  const pages = new SharedPages({ reserve: 2 ** 24 });
  const worker = new Worker(
    new URL("./_shared_destroy_worker.ts", import.meta.url),
    { type: "module" },
  );
  try {
    const ready = await ask<Ready>(worker, { handle: pages.handle });
    assert.deepEqual(ready, { id: 2, ptr: { block: 0x3030, run: 0x12000 } });
    assert.equal(pages.liveBytes, 18 * 4096); // its heap's segment, its run
    pages.destroy();
    const after = await ask<{ outcomes: Outcome[]; destroyed: boolean[] }>(
      worker,
      { order },
    );
    assert.deepEqual(
      Object.fromEntries(CALLS.map(([name], i) => [name, after.outcomes[i]])),
      Object.fromEntries(CALLS.map(([name], i) => [name, EXPECTED[i]])),
    );
    // pages.destroyed, pages.memory.destroyed, heap.destroyed.
    assert.deepEqual(after.destroyed, [true, true, true]);
  } finally {
    worker.terminate();
  }
}

Deno.test("SharedPages destroyed by one instance: another in the same thread refuses its next call", async (t) => {
  for (const [name, order] of Object.entries(ORDERS)) {
    await t.step(name, () => destroyedInThread(order));
  }
});

function destroyedInThread(order: number[]): void {
  const pages = new SharedPages({ reserve: 2 ** 24 });
  const other = SharedPages.attach(pages.handle);
  const heap = new WorkerHeap({ pages: other });
  const ptr = { block: heap.alloc(24), run: other.alloc(4096) };
  assert.deepEqual(ptr, { block: 0x3030, run: 0x12000 });
  pages.destroy();
  assert.equal(other.memory.destroyed, false, "not yet: no call has seen it");
  const outcomes: Outcome[] = [];
  for (const i of order) {
    outcomes[i] = outcome(() => CALLS[i][1](other, heap, ptr));
  }
  assert.deepEqual(
    CALLS.map(([name], i) => [name, outcomes[i]]),
    CALLS.map(([name], i) => [name, EXPECTED[i]]),
  );
  assert.deepEqual(
    [other.destroyed, other.memory.destroyed, heap.destroyed],
    [true, true, true],
  );
}

Deno.test("SharedPages destroyed by one instance: the first call the other makes is its own page source's", () => {
  const pages = new SharedPages({ reserve: 2 ** 24 });
  const other = SharedPages.attach(pages.handle);
  pages.destroy();
  assert.deepEqual(outcome(() => other.allocDirty(4096)), EXPECTED[4]);
  assert.equal(other.memory.destroyed, true);
  // The destroying instance says it was destroyed, not by another.
  assert.deepEqual(outcome(() => pages.alloc(4096)), {
    error: "DestroyedError",
    message: "Shared page source was used after destroy(): make a new one",
  });
});

Deno.test("SharedPages destroyed by one instance: its own heap says so, not another instance", () => {
  const pages = new SharedPages({ reserve: 2 ** 24 });
  const heap = new WorkerHeap({ pages });
  const other = SharedPages.attach(pages.handle);
  const theirs = new WorkerHeap({ pages: other });
  assert.deepEqual([heap.alloc(24), theirs.alloc(24)], [0x4030, 0x14030]);
  pages.destroy();
  const own = {
    error: "DestroyedError",
    message:
      "Worker heap was used after destroy() of its shared page source: make a new one",
  };
  // The other instance, destroyed in its turn by its heap's call, does not
  // become the destroyer.
  assert.deepEqual(outcome(() => theirs.alloc(24)), EXPECTED[0]);
  assert.deepEqual(
    [
      outcome(() => heap.alloc(24)),
      outcome(() => heap.allocUnsafe(24)),
      outcome(() => heap.collect()),
      outcome(() => pages.alloc(4096)),
      outcome(() => other.alloc(4096)),
    ],
    [own, own, own, {
      error: "DestroyedError",
      message: "Shared page source was used after destroy(): make a new one",
    }, EXPECTED[4]],
  );
});
