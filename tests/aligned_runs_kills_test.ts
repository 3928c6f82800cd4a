// Aligned page runs, case by case with exact addresses, each row killing a
// mutant the broader tests let live: the second run of a size bin searched,
// a moved run's dirty pages zeroed past the bytes it keeps, an aligned run
// in real address resized in place on native memory that is not 64 KiB
// aligned, and the SharedPages owner table over an aligned run's skipped
// pages.
import assert from "node:assert/strict";
import { SharedPages } from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { alignedFrom, BiasedPages } from "./_page_checks.ts";

const P = 4096;

for (const source of sources) {
  Deno.test(`${source.name}: an aligned hole behind a misaligned one in its size bin is found`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    // Fill up to a 64 KiB boundary, then four one-page runs from it.
    const first = pages.alloc(P);
    const boundary = alignedFrom(pages, first + P, 65536);
    if (boundary > first + P) pages.alloc(boundary - first - P);
    const [a, x, b, c] = [0, 1, 2, 3].map(() => pages.alloc(P));
    assert.deepEqual([a, x, b, c], [0, 1, 2, 3].map((i) => boundary + i * P));
    // Two one-page holes, the misaligned one freed last (its bin's head).
    pages.free(a, P);
    pages.free(b, P);
    assert.equal(pages.freeRuns, 2);
    assert.equal(pages.allocDirty(P, 65536), a);
    assert.equal(pages.dirtyBytes, P);
    assert.equal(pages.retainedBytes, P, "b's page still kept");
    assert.equal(pages.touchedBytes, c + P, "the top did not move");
  });

  Deno.test(`${source.name}: an aligned run comes from a dirty run before a clean one`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    const first = pages.alloc(P);
    const boundary = alignedFrom(pages, first + P, 65536);
    if (boundary > first + P) pages.alloc(boundary - first - P);
    const d = pages.alloc(P); // aligned
    pages.alloc(P);
    const x = pages.alloc(P, 65536);
    assert.equal(x, boundary + 65536);
    pages.alloc(P, 65536); // a guard
    // x's page purged: clean, in one run with the pages skipped around it;
    // d's page dirty.
    pages.free(x, P);
    pages.purge();
    pages.free(d, P);
    assert.equal(pages.freeRuns, 2);
    assert.equal(pages.allocDirty(P, 65536), d, "the dirty one, reused warm");
    assert.equal(pages.dirtyBytes, P);
    assert.equal(pages.allocDirty(P, 65536), x, "then the clean one");
    assert.equal(pages.dirtyBytes, 0);
  });

  Deno.test(`${source.name}: an aligned move onto dirty pages zeroes them past the bytes kept`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    const x = pages.alloc(P);
    const big = pages.alloc(31 * P);
    pages.alloc(P); // a guard: big's pages stay a run of their own
    pages.memory.u8.fill(7, big, big + 31 * P);
    pages.free(big, 31 * P);
    pages.memory.u8.fill(5, x, x + P);
    const want = alignedFrom(pages, big, 65536);
    if (alignedFrom(pages, x, 65536) === x) return; // x would stay put
    const moved = pages.resize(x, P, 4 * P, 65536);
    assert.equal(moved, want);
    assert.equal(pages.memory.u8[moved + P - 1], 5, "kept");
    for (const at of [P, 2 * P, 4 * P - 1]) {
      assert.equal(pages.memory.u8[moved + at], 0, `old byte at +${at}`);
    }
    assert.equal(pages.liveBytes, 5 * P);
    assert.equal(pages.retainedBytes, 28 * P, "big's other pages and x's");
  });
}

Deno.test("page source 3 pages off 64 KiB: a run aligned in real address grows and shrinks in place", () => {
  using pages = new BiasedPages();
  const p = pages.alloc(P, 65536);
  assert.equal(p, 13 * P); // 13 + 3 = 16
  assert.equal(pages.resize(p, P, 3 * P, 65536), p, "grown in place");
  assert.equal(pages.resize(p, 3 * P, 2 * P, 65536), p, "shrunk in place");
  assert.equal(pages.liveBytes, 2 * P);
  const q = pages.alloc(P, 65536);
  assert.equal(q, 29 * P); // 29 + 3 = 32
  // p's freed tail page (15: 18), not aligned in real address, moves: past
  // 13 and 29, taken, to 45 (48).
  const r = pages.alloc(P);
  assert.equal(r, 15 * P);
  assert.equal(pages.resize(r, P, P, 65536), 45 * P);
});

Deno.test("SharedPages: an aligned run's pages are its allocator's, the skipped ones nobody's, a free by another clears them", () => {
  using one = new SharedPages({ reserve: 2 ** 22 });
  const two = SharedPages.attach(one.handle);
  const p = two.alloc(3 * P, 65536);
  assert.equal(p, 16 * P);
  for (const page of [1, 15, 19, 20]) assert.equal(one.ownerOf(page * P), 0);
  for (const page of [16, 17, 18]) assert.equal(one.ownerOf(page * P), two.id);
  // A guard at the next boundary: grown to 17 pages by `one`, it moves past
  // it, and the old pages are nobody's.
  assert.equal(two.alloc(P, 65536), 32 * P);
  const q = one.resize(p, 3 * P, 17 * P, 65536);
  assert.equal(q, 48 * P);
  assert.equal(one.ownerOf(p), 0);
  assert.equal(one.ownerOf(q + 16 * P), one.id);
  assert.equal(one.ownerOf(q + 17 * P), 0);
  two.free(q, 17 * P);
  assert.equal(one.ownerOf(q), 0);
  assert.equal(one.ownerOf(32 * P), two.id, "the guard");
  assert.equal(one.liveRuns, 1);
});
