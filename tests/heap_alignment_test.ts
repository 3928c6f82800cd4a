// The alignments Heap and WorkerHeap give: any power of two up to 16 (their
// natural alignment); a larger or a bad one is refused before anything
// changes (for WorkerHeap, before it collects the frees waiting for it).
import assert from "node:assert/strict";
import { Heap, WorkerHeap } from "../heap/mod.ts";
import { BufferPages, SharedPages } from "../os/mod.ts";

const GIVEN = [1, 2, 4, 8, 16];
/** [alignment, error class, message]. */
const REFUSED: [unknown, typeof RangeError | typeof TypeError, RegExp][] = [
  [
    32,
    RangeError,
    /^Alignment 32 is more than a heap gives: 16 \(its natural alignment\)/,
  ],
  [4096, RangeError, /^Alignment 4096 is more than a heap gives: 16/],
  [65536, RangeError, /^Alignment 65536 is more than a heap gives: 16/],
  [3, RangeError, /^Alignment must be a power of two from 1 to 65536, got 3;/],
  [0, RangeError, /got 0;/],
  [1.5, RangeError, /got 1\.5;/],
  [NaN, RangeError, /got NaN;/],
  [2 ** 17, RangeError, /got 131072;/],
  [-16, RangeError, /got -16;/],
  ["16", TypeError, /^Alignment must be a number .* got string$/],
];

Deno.test("Heap: alignments up to 16 are given, on every path", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  for (const al of GIVEN) {
    for (const size of [0, 24, 2016, 5000]) {
      const p = heap.alloc(size, al);
      assert.equal(p % al, 0);
      const q = heap.resize(p, size, size + 100, al);
      assert.equal(q % al, 0);
      heap.free(q, size + 100);
      const u = heap.allocUnsafe(size, al);
      assert.equal(u % al, 0);
      heap.free(u, size);
    }
  }
  assert.equal(heap.bytesUsed, 0);
  heap.validate();
});

Deno.test("Heap: a larger or bad alignment is refused, nothing changed", async (t) => {
  for (const [al, error, message] of REFUSED) {
    await t.step(String(al), () => {
      using pages = new BufferPages({ reserve: 2 ** 24 });
      using heap = new Heap({ pages });
      const p = heap.alloc(64);
      const calls = [
        () => heap.alloc(64, al as number),
        () => heap.allocUnsafe(5000, al as number),
        () => heap.resize(p, 64, 100, al as number),
      ];
      for (const call of calls) {
        assert.throws(call, (e) => {
          assert.ok(e instanceof error, `got ${e}`);
          assert.match((e as Error).message, message);
          return true;
        });
      }
      assert.equal(heap.bytesUsed, 64);
      assert.equal(heap.largeBlocks, 0);
      assert.equal(heap.usableSize(p), 64);
      heap.validate();
    });
  }
});

Deno.test("WorkerHeap: a refused alignment collects nothing", () => {
  using pages = new SharedPages({ reserve: 2 ** 24 });
  using other = SharedPages.attach(structuredClone(pages.handle));
  using a = new WorkerHeap({ pages });
  using b = new WorkerHeap({ pages: other });
  const p = a.alloc(64, 16);
  b.free(p, 64); // a remote free, waiting for a
  assert.equal(a.waitingFrees, 1);
  assert.throws(
    () => a.alloc(64, 32),
    /Alignment 32 is more than a heap gives/,
  );
  assert.throws(() => a.allocUnsafe(64, 3), /power of two/);
  assert.throws(() => a.resize(0, 0, 64, 64), /Alignment 64/);
  assert.equal(a.waitingFrees, 1);
  assert.equal(a.bytesUsed, 64);
  assert.equal(a.alloc(64, 8), p); // collected now, and reused
  a.free(p, 64);
  assert.equal(a.bytesUsed, 0);
});
