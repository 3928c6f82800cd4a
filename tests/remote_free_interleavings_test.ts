// The remote-free protocol at the two points where another worker's steps
// can fall inside a remote free (SharedState.markFreed), forced in one
// thread: the other "workers" (instances on one handle, each with its own
// WorkerHeap) act inside the freeing one's first Atomics.load of the
// array named. Real workers reach the same orders only by preemption, which
// no stress run here hit in minutes.
import assert from "node:assert/strict";
import { WorkerHeap } from "../heap/mod.ts";
import { PointerError, SharedPages } from "../os/mod.ts";
import { instanceState, type SharedState } from "../internal/shared_state.ts";

const realLoad = Atomics.load;

// Runs `step` inside `call`'s first Atomics.load of `array`, once.
function inside<T>(
  array: (state: SharedState) => Int32Array,
  state: SharedState,
  step: () => void,
  call: () => T,
): T {
  let fired = false;
  const target = array(state);
  // deno-lint-ignore no-explicit-any
  (Atomics as any).load = (a: Int32Array, i: number) => {
    if (!fired && a === target) {
      fired = true;
      step();
    }
    return realLoad(a, i);
  };
  try {
    return call();
  } finally {
    Atomics.load = realLoad;
  }
}

function workers(n: number) {
  const first = new SharedPages({ reserve: 2 ** 24 });
  const pages = [first];
  for (let i = 1; i < n; i++) pages.push(SharedPages.attach(first.handle));
  const heaps = pages.map((p) => new WorkerHeap({ pages: p }));
  return {
    first,
    pages,
    heaps,
    state: (i: number) => instanceState.get(pages[i])!,
  };
}

Deno.test("remote free: a free the owner collected (and gave the pages back) before its owner check is done, not a double free", () => {
  for (const viaResize of [false, true]) {
    const { first, heaps: [a, b, e], state } = workers(3);
    const x = a.alloc(100), y = a.alloc(100);
    e.free(y, 100); // marks the page: a's collect will look at it
    let took = -1;
    const moved = inside((s) => s.owners, state(1), () => {
      took = a.collect(); // takes x's bit with y's, frees both
      a.heap.trim(); // the empty segment goes back
    }, () => viaResize ? b.resize(x, 100, 200) : (b.free(x, 100), 0));
    assert.equal(took, 2);
    assert.equal(a.bytesUsed, 0);
    assert.deepEqual(a.remoteErrors, []);
    // The resize's new block is b's (a 256-byte chunk for 200 bytes).
    if (viaResize) assert.equal(b.bytesUsed, 256);
    assert.equal(typeof moved, "number");
    first.destroy();
  }
});

Deno.test("remote free: a mark that outlived its page's give-back does not hide the next owner's frees", () => {
  const { first, heaps: [a, b, c, d, e], state } = workers(5);
  const x = a.alloc(100), y = a.alloc(100);
  e.free(y, 100);
  // b passes its owner check; before it marks the page, a collects x and y
  // and gives the empty segment back, clearing the page's mark.
  inside((s) => s.marked, state(1), () => {
    assert.equal(a.collect(), 2);
    a.heap.trim();
  }, () => b.free(x, 100));
  const block = c.alloc(100); // c takes the pages
  assert.equal(Math.floor(block / 4096), Math.floor(x / 4096));
  d.free(block, 100); // a legitimate remote free there
  assert.equal(c.waitingFrees, 1);
  c.free(c.alloc(64), 64); // an alloc collects what is waiting
  assert.equal(c.bytesUsed, 0);
  first.destroy();
});

Deno.test("remote free: a free of a destroyed heap's block, while its id and page pass to a new heap, frees nothing of the new heap's", () => {
  // Two ways a new heap gets the id: the instance closed and another
  // attached (ids are reused), or a new heap on the same instance.
  for (const close of [true, false]) {
    const { first, pages: [, x], heaps: [w, hx], state } = workers(2);
    const p = hx.alloc(100);
    let hy: WorkerHeap | undefined, q = 0;
    assert.throws(
      () =>
        inside((s) => s.heaps, state(0), () => {
          hx.destroy();
          if (close) x.close();
          hy = new WorkerHeap({
            pages: close ? SharedPages.attach(first.handle) : x,
          });
          q = hy.alloc(100);
        }, () => w.free(p, 100)),
      (e) => e instanceof PointerError && e.reason === "foreign",
    );
    assert.equal(q, p); // the same address, the same id
    assert.equal(hy!.collect(), 0);
    assert.equal(hy!.bytesUsed, 128); // q is live
    first.destroy();
  }
});
