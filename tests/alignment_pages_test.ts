// Page sources take an alignment up to the page size (every run is
// page-aligned); a larger or bad one is refused by class, nothing changed.
// allocUnsafe is allocDirty under Node's name: reused pages keep old bytes.
import assert from "node:assert/strict";
import { sources } from "./_sources.ts";

const good = [1, 2, 16, 64, 256, 1024, 4096];
const bad: [unknown, typeof RangeError | typeof TypeError][] = [
  [0, RangeError],
  [3, RangeError],
  [1.5, RangeError],
  [NaN, RangeError],
  [-4096, RangeError],
  [8192, RangeError],
  [2 ** 17, RangeError],
  ["64", TypeError],
];

for (const source of sources) {
  Deno.test(`${source.name}: aligned runs up to the page size`, () => {
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
}
