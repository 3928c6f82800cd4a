// A heap whose blocks sit at or above 2 GiB and 4 GiB of its memory: the fast
// paths use 32-bit arithmetic only where it is exact (a medium run reused
// from the cache once came back as `page << 12`, negative past 2 GiB and
// another live block's pointer past 4 GiB). Each case allocates, writes,
// frees and allocates again on a heap whose first block fills the space
// below, and checks the pointer, the bytes and the counters exactly.
import assert from "node:assert/strict";
import { Heap } from "../heap/mod.ts";
import { OsPages } from "../os/mod.ts";

// [size, alignment, whether the next alloc gets the same block]: chunks of a
// class and of a twin (a free list's head), medium blocks through the cache
// (1, 2 and 16 pages, aligned or not), a large one past it (the page
// source's first fit), and an aligned run (any run at that alignment).
const CASES: [number, number | undefined, boolean][] = [
  [16, undefined, true],
  [2016, undefined, true],
  [48, 64, true],
  [3000, undefined, true],
  [3000, 4096, true],
  [8192, undefined, true],
  [65536, undefined, true],
  [70000, undefined, true],
  [8192, 16384, false],
];

for (const filler of [2 ** 31, 2 ** 32]) {
  Deno.test(`Heap: blocks past ${filler / 2 ** 30} GiB keep their pointers`, () => {
    using pages = new OsPages({ reserve: 2 ** 33 }); // reserved, not touched
    using heap = new Heap({ pages, decayMs: Infinity });
    const big = heap.alloc(filler);
    const u8 = heap.memory.u8;
    u8[big + 100] = 42;
    for (const [size, alignment, same] of CASES) {
      const what = `${size} at ${alignment ?? "default"}`;
      const p = heap.alloc(size, alignment);
      assert.ok(p >= big + filler, `${what}: ${p} is past the filler`);
      assert.equal(p % (alignment ?? 16), 0, `${what}: aligned`);
      u8.fill(7, p, p + size);
      heap.free(p, size);
      const q = heap.allocUnsafe(size, alignment);
      assert.equal(q % (alignment ?? 16), 0, `${what}: aligned again`);
      if (same) {
        assert.equal(q, p, `${what}: the same block again`);
        assert.equal(u8[q + size - 1], 7, `${what}: unsafe keeps its bytes`);
      }
      u8.fill(7, q, q + size);
      heap.free(q, size);
      const r = heap.alloc(size, alignment);
      if (same) assert.equal(r, p, `${what}: and again`);
      assert.equal(
        u8.subarray(r, r + size).some((b) => b !== 0),
        false,
        `${what}: zeroed`,
      );
      assert.equal(heap.usableSize(r) >= size, true, `${what}: usable`);
      heap.free(r);
      assert.equal(heap.bytesUsed, filler, `${what}: only the filler is live`);
      heap.validate();
    }
    assert.equal(u8[big + 100], 42, "the filler's bytes are its own");
    heap.free(big, filler);
    assert.equal(heap.bytesUsed, 0);
  });
}
