// Page sources take any alignment up to 65536: up to the page size every run
// has it; above, a run is carved out of a free one (or the top) holding an
// aligned stretch, whose head and tail stay free, at exact addresses
// (multiples of the alignment in real address).
// A bad alignment is refused by class, nothing changed. allocUnsafe is
// allocDirty under Node's name: reused pages keep old bytes.
import assert from "node:assert/strict";
import { BufferPages, OutOfMemoryError } from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { alignedFrom, BiasedPages, counters } from "./_page_checks.ts";

const good = [1, 2, 16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536];
const bad: [unknown, typeof RangeError | typeof TypeError][] = [
  [0, RangeError],
  [3, RangeError],
  [1.5, RangeError],
  [NaN, RangeError],
  [-4096, RangeError],
  [6144, RangeError],
  [2 ** 17, RangeError],
  ["64", TypeError],
];

for (const source of sources) {
  Deno.test(`${source.name}: aligned runs, every alignment up to 64 KiB`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    const base = pages.memory.address ?? 0n;
    for (const alignment of good) {
      for (const size of [0, 1, 4097]) {
        const p = pages.alloc(size, alignment);
        assert.equal(Number((base + BigInt(p)) % BigInt(alignment)), 0);
        const q = pages.resize(p, size, 3 * 4096 + 1, alignment);
        assert.equal(Number((base + BigInt(q)) % BigInt(alignment)), 0);
        pages.free(q, 3 * 4096 + 1);
      }
    }
    assert.equal(pages.liveRuns, 0);
  });

  Deno.test(`${source.name}: a bad alignment is refused, nothing changed`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    const p = pages.alloc(100);
    for (const [alignment, kind] of bad) {
      const a = alignment as number;
      assert.throws(() => pages.alloc(8, a), kind, String(alignment));
      assert.throws(() => pages.allocUnsafe(8, a), kind);
      assert.throws(() => pages.resize(p, 100, 9000, a), kind);
      assert.equal(pages.liveRuns, 1);
    }
    assert.equal(pages.alloc(8), p + 4096, "the next run where it would be");
  });

  Deno.test(`${source.name}: allocUnsafe keeps a reused run's bytes`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    const a = pages.alloc(8192);
    pages.memory.u8.fill(7, a, a + 8192);
    pages.free(a, 8192);
    const b = pages.allocUnsafe(8192, 4096);
    assert.equal(b, a);
    assert.equal(pages.dirtyBytes, 8192);
    assert.equal(pages.memory.u8[b + 8191], 7);
    pages.free(b, 8192);
    assert.equal(pages.memory.u8[pages.alloc(8192) + 8191], 0, "alloc zeroes");
  });

  Deno.test(`${source.name}: allocUnsafe keeps old bytes only in the size asked; a resize that grows reads zero`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    const a = pages.alloc(8192);
    pages.memory.u8.fill(0x5a, a, a + 8192);
    pages.free(a, 8192);
    const b = pages.allocUnsafe(100);
    assert.equal(b, a);
    assert.equal(pages.dirtyBytes, 100);
    assert.equal(pages.memory.u8[b + 99], 0x5a); // asked for: old bytes
    assert.equal(pages.memory.u8[b + 100], 0); // past the size: zero
    assert.equal(pages.resize(b, 100, 4000), b); // in place
    assert.ok(
      pages.memory.u8.subarray(b + 100, b + 4096).every((x) => x === 0),
    );
  });
}

const P = 4096;

for (const source of sources) {
  // The first page at or after `from` whose real address is a multiple of
  // `alignment`.

  Deno.test(`${source.name}: a 64 KiB-aligned run skips the pages before it, which stay free`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    const first = pages.alloc(P); // the first page of the range
    pages.free(first, P);
    const want = alignedFrom(pages, first, 65536);
    const p = pages.alloc(5000, 65536);
    assert.equal(p, want);
    assert.equal(pages.liveBytes, 2 * P);
    assert.equal(pages.liveRuns, 1);
    // The skipped pages stay free: the first, dirty (kept), the rest clean.
    const skipped = (want - first) / P;
    assert.equal(pages.retainedBytes, skipped === 0 ? 0 : P);
    assert.equal(pages.freeRuns, Math.min(skipped, 2));
    if (skipped > 0) assert.equal(pages.alloc(P), first);
    pages.free(p, 5000);
    assert.equal(pages.liveBytes, skipped > 0 ? P : 0);
  });

  Deno.test(`${source.name}: aligned runs at exact addresses, each alignment after a one-page run`, () => {
    using pages = source.make({ reserve: 2 ** 24 });
    for (const alignment of [8192, 16384, 32768, 65536]) {
      const one = pages.alloc(P); // knocks the top off alignment
      const want = alignedFrom(pages, one + P, alignment);
      const p = pages.alloc(3 * P, alignment);
      assert.equal(p, want, `aligned to ${alignment}`);
      assert.equal(pages.runSize(p), 3 * P);
      pages.memory.u8.fill(9, p, p + 3 * P);
      // The dirty run, taken again aligned: the same pages, zeroed.
      pages.free(p, 3 * P);
      assert.equal(pages.alloc(3 * P, alignment), p);
      assert.equal(pages.memory.u8[p], 0);
      assert.equal(pages.memory.u8[p + 3 * P - 1], 0);
      pages.free(p, 3 * P);
      pages.free(one, P);
    }
    assert.equal(pages.liveBytes, 0);
  });

  Deno.test(`${source.name}: an aligned dirty run keeps its head and tail dirty, the counters exact`, () => {
    using pages = source.make({ reserve: 2 ** 24 });
    // 40 dirty pages, freed: the aligned run comes out of them.
    const big = pages.alloc(40 * P);
    pages.memory.u8.fill(5, big, big + 40 * P);
    pages.free(big, 40 * P);
    assert.equal(pages.retainedBytes, 40 * P);
    const want = alignedFrom(pages, big, 65536);
    const p = pages.allocUnsafe(4 * P, 65536);
    assert.equal(p, want);
    assert.equal(pages.dirtyBytes, 4 * P, "its pages were dirty");
    assert.equal(pages.memory.u8[p], 5, "unsafe: old bytes");
    assert.equal(pages.liveBytes, 4 * P);
    assert.equal(pages.retainedBytes, 36 * P, "head and tail still kept");
    const head = (want - big) / P;
    assert.equal(pages.freeRuns, head === 0 ? 1 : 2);
    // The head and tail are handed out as they are: dirty, then zeroed.
    if (head > 0) {
      assert.equal(pages.alloc(head * P), big);
      assert.equal(pages.memory.u8[big], 0);
    }
    assert.equal(pages.alloc((36 - head) * P), p + 4 * P);
    assert.equal(pages.retainedBytes, 0);
    assert.equal(pages.freeRuns, 0);
  });

  Deno.test(`${source.name}: resize keeps an alignment above the page, moving when it must`, () => {
    using pages = source.make({ reserve: 2 ** 24 });
    const a = pages.alloc(2 * P, 65536);
    pages.memory.u8.fill(3, a, a + 2 * P);
    // In place: the pages after it are free.
    assert.equal(pages.resize(a, 2 * P, 5 * P, 65536), a);
    // An unaligned run asked for 64 KiB moves to an aligned one, bytes kept.
    const u = pages.alloc(P);
    const wantU = alignedFrom(pages, u, 65536) === u ? u : -1;
    pages.memory.u8.fill(4, u, u + P);
    const moved = pages.resize(u, P, 2 * P, 65536);
    if (wantU === -1) assert.notEqual(moved, u);
    assert.equal((Number(pages.memory.address ?? 0n) + moved) % 65536, 0);
    assert.equal(pages.memory.u8[moved + P - 1], 4);
    assert.equal(pages.memory.u8[moved + P], 0, "the grown tail reads zero");
    assert.equal(pages.liveBytes, 7 * P);
    // A shrink of an unaligned run moves too, keeping the first bytes.
    const v = pages.alloc(3 * P);
    pages.memory.u8.fill(6, v, v + 3 * P);
    if (alignedFrom(pages, v, 65536) !== v) {
      const w = pages.resize(v, 3 * P, P + 10, 65536);
      assert.notEqual(w, v);
      assert.equal(pages.memory.u8[w + P + 9], 6);
      assert.equal(pages.memory.u8[w + P + 10], 0, "past the size reads zero");
      assert.equal(pages.runSize(w), 2 * P);
    }
  });

  Deno.test(`${source.name}: no room for an aligned run is an OutOfMemoryError, nothing changed`, () => {
    using pages = source.make({ reserve: 20 * P + P });
    pages.alloc(12 * P); // pages 1–12: no 9 pages from an aligned one fit
    const before = [pages.liveBytes, pages.freeRuns, pages.touchedBytes];
    assert.throws(
      () => pages.alloc(9 * P, 65536),
      (e: Error) =>
        e instanceof OutOfMemoryError && /aligned to 65536/.test(e.message),
    );
    assert.deepEqual(
      [pages.liveBytes, pages.freeRuns, pages.touchedBytes],
      before,
    );
  });
}

Deno.test("page source on native memory 3 pages off 64 KiB: runs aligned in real address", () => {
  using pages = new BiasedPages();
  // Real page number: pointer page + 3 (mod 16).
  assert.equal(pages.alloc(P, 65536), 13 * P); // 13 + 3 = 16
  assert.equal(pages.alloc(P, 32768), 5 * P); // 5 + 3 = 8
  assert.equal(pages.alloc(P, 8192), P); // 1 + 3 = 4
  assert.equal(pages.alloc(P, 16384), 9 * P); // 9 + 3 = 12
  assert.equal(pages.liveBytes, 4 * P);
  assert.equal(pages.freeRuns, 3, "pages 2–4, 6–8 and 10–12 stay free");
  const p = pages.alloc(P);
  assert.equal(pages.resize(p, P, 2 * P, 65536), 29 * P, "moved: 29 + 3 = 32");
});

// An aligned run needs only a free stretch of its own size at an aligned
// page, not one `alignment - 4096` bytes longer: a hole an aligned run left
// is taken again aligned, and a range filled up to its very end still fits
// one at the top.
for (const source of sources) {
  Deno.test(`${source.name}: a freed aligned run in the middle is reused aligned`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    const a = pages.alloc(P, 65536);
    const b = pages.alloc(P, 65536);
    assert.equal(b, a + 65536);
    pages.memory.u8[a] = 1;
    pages.free(a, P);
    const touched = pages.touchedBytes;
    assert.equal(pages.allocDirty(P, 65536), a, "its own hole, aligned");
    assert.equal(pages.dirtyBytes, P);
    assert.equal(pages.touchedBytes, touched, "nothing new touched");
    assert.equal(pages.retainedBytes, 0);
    assert.equal(pages.liveBytes, 2 * P);
  });

  Deno.test(`${source.name}: an aligned run fits up to the very end of the range`, () => {
    using pages = source.make({ reserve: 2 ** 20 });
    const one = pages.alloc(P);
    const want = alignedFrom(pages, one + P, 65536);
    const size = pages.reservedBytes - want;
    assert.equal(pages.alloc(size, 65536), want);
    assert.equal(pages.liveBytes, P + size);
    assert.equal(pages.touchedBytes, pages.reservedBytes);
    assert.equal(pages.freeRuns, want === one + P ? 0 : 1, "the skipped head");
    assert.equal(pages.retainedBytes, 0, "the head was never used: clean");
  });
}

Deno.test("BufferPages: an aligned run in the dirty run at the top, deeper in its bin than searched, keeps the top", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  // Ten 40-page runs at odd pages (no 64 KiB-aligned 40 pages in any) with
  // 2-page guards, a filler to page 432, and a 47-page run there (the same
  // size bin, 40–47 pages) that ends at the top.
  const decoys: number[] = [];
  for (let i = 0; i < 10; i++) {
    decoys.push(pages.alloc(40 * P));
    pages.alloc(2 * P);
  }
  assert.equal(pages.alloc(11 * P), 421 * P);
  const t = pages.alloc(47 * P);
  assert.equal(t, 432 * P);
  // Freed oldest first: the 47-page run is last in its bin's list.
  pages.free(t, 47 * P);
  for (const d of decoys) pages.free(d, 40 * P);
  assert.equal(pages.alloc(40 * P, 65536), t);
  assert.equal(pages.dirtyBytes, 40 * P);
  assert.equal(pages.touchedBytes, 479 * P, "the top stays at 479");
  assert.equal(pages.retainedBytes, 407 * P, "the decoys and a 7-page tail");
  assert.equal(pages.alloc(7 * P), t + 40 * P, "the tail, still free");
  assert.equal(pages.freeRuns, 10, "the decoys");
  assert.equal(pages.touchedBytes, 479 * P);
});

for (const source of sources) {
  Deno.test(`${source.name}: no room to move a run for its alignment is an OutOfMemoryError, nothing changed`, () => {
    using pages = source.make({ reserve: 20 * P + P });
    pages.alloc(12 * P); // pages 1–12
    const b = pages.alloc(2 * P); // 13–14: 9 pages fit nowhere aligned
    pages.memory.u8.fill(6, b, b + 2 * P);
    const before = counters(pages);
    assert.throws(
      () => pages.resize(b, 2 * P, 9 * P, 65536),
      (e: Error) =>
        e instanceof OutOfMemoryError && /aligned to 65536/.test(e.message),
    );
    assert.deepEqual(counters(pages), before);
    assert.equal(pages.runSize(b), 2 * P);
    assert.equal(pages.memory.u8[b + 2 * P - 1], 6);
    assert.equal(pages.resize(b, 2 * P, 6 * P), b, "grows in place after");
  });
}
