// Old copies of the per-page tables are freed when they are replaced, not
// left to the garbage collector, and OsPages.purge() asks libc for the free
// memory of its heap: what a peak leaves behind in the process.
import assert from "node:assert/strict";
import { grow, refit, release } from "../internal/grow.ts";
import { SpanTable } from "../heap/_span_table.ts";
import { openLibc } from "../os/_libc.ts";
import { OsPages } from "../os/mod.ts";

const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown })
  .transfer === "function";

Deno.test("release() detaches a table that is the whole of its buffer, and nothing else", () => {
  const table = Int32Array.of(1, 2, 3);
  const part = new Int32Array(new ArrayBuffer(16), 4, 2);
  const shared = new Int32Array(new SharedArrayBuffer(8));
  release(table);
  release(part);
  release(shared);
  assert.equal(table.buffer.byteLength, canTransfer ? 0 : 12);
  assert.equal(part.buffer.byteLength, 16);
  assert.equal(shared.buffer.byteLength, 8);
  // grow and refit copy only; the caller releases.
  const from = Int32Array.of(7, 8);
  assert.deepEqual([...grow(from, new Int32Array(3))], [7, 8, 0]);
  assert.deepEqual([...refit(from, new Int32Array(1))], [7]);
  assert.equal(from.buffer.byteLength, 8);
});

Deno.test("SpanTable frees its old arrays when it grows and when it shrinks", () => {
  const t = new SpanTable();
  t.ensurePages(64);
  t.meta[63 * 16] = 5;
  t.largeSize[63] = 9000;
  const steps: [string, () => void, number, number][] = [
    ["grown", () => t.ensurePages(1000), 64, 1000],
    ["shrunk", () => t.shrinkTo(100), 1000, 100],
  ];
  for (const [name, step, before, after] of steps) {
    const old = [t.meta, t.largeSize, t.largeCapacity];
    step();
    assert.deepEqual(
      [t.meta.length, t.meta[63 * 16], t.largeSize[63]],
      [after * 16, 5, 9000],
      name,
    );
    assert.deepEqual(
      old.map((a) => a.buffer.byteLength),
      canTransfer ? [0, 0, 0] : [before * 64, before * 8, before * 8],
      name,
    );
  }
});

Deno.test("OsPages.purge() asks libc to trim its heap, once per purge", () => {
  const libc = openLibc();
  const trim = libc.malloc_trim;
  assert.equal(typeof trim, "function", "glibc has malloc_trim");
  const pads: bigint[] = [];
  libc.malloc_trim = (pad) => (pads.push(pad), 1);
  try {
    using pages = new OsPages({ reserve: 2 ** 22 });
    const p = pages.alloc(8192);
    pages.free(p, 8192);
    assert.deepEqual(pads, []); // a free alone leaves libc alone
    pages.purge();
    assert.deepEqual(pads, [0n]);
    assert.equal(pages.retainedBytes, 0);
  } finally {
    libc.malloc_trim = trim;
  }
  assert.equal(typeof trim!(0n), "number");
});

Deno.test("release() and a heap's first growth need no SharedArrayBuffer (a page that is not cross-origin isolated has none)", async () => {
  const { Heap } = await import("../heap/mod.ts");
  const { BufferPages } = await import("../os/mod.ts");
  const saved = globalThis.SharedArrayBuffer;
  // deno-lint-ignore no-explicit-any
  delete (globalThis as any).SharedArrayBuffer;
  try {
    const table = Int32Array.of(1, 2);
    release(table);
    assert.equal(table.buffer.byteLength, canTransfer ? 0 : 8);
    using pages = new BufferPages({ reserve: 2 ** 22 });
    using heap = new Heap({ pages });
    const p = heap.alloc(64);
    assert.equal(heap.bytesUsed, 64);
    heap.free(p, 64);
    heap.validate();
  } finally {
    globalThis.SharedArrayBuffer = saved;
  }
});
