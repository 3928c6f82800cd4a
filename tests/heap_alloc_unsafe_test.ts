// allocUnsafe on Heap and WorkerHeap: the old bytes of a reused chunk or
// block stay (but for a free chunk's link word), everything past the size
// reads as zero, fresh memory reads as zero, the accounting is alloc's, and
// bad calls are refused as alloc refuses them.
import assert from "node:assert/strict";
import { Heap, WorkerHeap } from "../heap/mod.ts";
import { BufferPages, DestroyedError, SharedPages } from "../os/mod.ts";
import { isZero } from "./_bytes.ts";

/** Whether every byte of [from, to) at memory `u8` is `value`. */
const allAre = (u8: Uint8Array, from: number, to: number, value: number) =>
  u8.subarray(from, to).every((b) => b === value);

Deno.test("Heap: allocUnsafe of a reused chunk keeps its old bytes, zero past the size", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  const u8 = heap.memory.u8;
  // A fresh chunk reads as zero.
  const fresh = heap.allocUnsafe(48);
  assert.ok(isZero(heap.memory, fresh, 48));
  u8.fill(7, fresh, fresh + 48);
  heap.free(fresh);
  // Reused at 40 bytes: [4, 32) old (the first word held the free-list
  // link), [32, 48) zero: the size's 16-byte step down and what follows.
  const p = heap.allocUnsafe(40);
  assert.equal(p, fresh);
  assert.equal(new DataView(u8.buffer).getUint32(p, true), 0); // the link
  assert.ok(allAre(u8, p + 4, p + 32, 7));
  assert.ok(isZero(heap.memory, p + 32, 16));
  assert.equal(heap.bytesUsed, 48);
  heap.validate();
  // A resize within the class shows no old bytes past the old size.
  assert.equal(heap.resize(p, 40, 48), p);
  assert.ok(isZero(heap.memory, p + 40, 8));
  heap.free(p, 48);
  assert.equal(heap.bytesUsed, 0);
  heap.validate();
});

Deno.test("Heap: allocUnsafe of a large block keeps the old bytes of its size only", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  const u8 = heap.memory.u8;
  const a = heap.alloc(8000);
  u8.fill(9, a, a + 8000);
  heap.free(a);
  const b = heap.allocUnsafe(5000);
  assert.equal(b, a); // the same run, from the page source
  assert.ok(allAre(u8, b, b + 5000, 9));
  // Past the size: old bytes, which validate() knows of, and alloc's rule
  // for a grown block zeroes them.
  heap.validate();
  assert.equal(heap.resize(b, 5000, 6000), b);
  assert.ok(isZero(heap.memory, b + 5000, 1000));
  assert.equal(heap.bytesUsed, 6000);
  heap.free(b, 6000);
  heap.validate();
});

Deno.test("Heap: allocUnsafe refuses what alloc refuses", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  const heap = new Heap({ pages });
  for (const bad of [-1, 1.5, NaN, 2 ** 60]) {
    assert.throws(() => heap.allocUnsafe(bad), RangeError, `${bad}`);
  }
  assert.equal(heap.bytesUsed, 0);
  heap.destroy();
  assert.throws(() => heap.allocUnsafe(16), DestroyedError);
  assert.throws(() => heap.allocUnsafe(5000), DestroyedError);
});

Deno.test("WorkerHeap: allocUnsafe collects first, as alloc does", () => {
  using pages = new SharedPages({ reserve: 2 ** 24 });
  using heap = new WorkerHeap({ pages });
  const p = heap.allocUnsafe(100);
  assert.equal(heap.bytesUsed, 128);
  heap.free(p, 100);
  assert.equal(heap.allocUnsafe(100), p);
  heap.free(p, 100);
  assert.equal(heap.bytesUsed, 0);
});
