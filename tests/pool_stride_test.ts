// The pool's division by its stride (pool/_stride.ts): exact quotients for
// block starts, and an index past every slab for anything else.
import assert from "node:assert/strict";
import { blockIndex, strideDivision } from "../pool/_stride.ts";
import { PAGE, PAGE_SHIFT } from "../pool/_page_map.ts";

Deno.test("the free fast path's page constants: 12 and 4095", () => {
  assert.equal(PAGE_SHIFT, 12);
  assert.equal(PAGE - 1, 4095);
});

Deno.test("strideDivision: the constants of a few strides", () => {
  assert.deepEqual(strideDivision(1), { shift: 0, low: 0, inverse: 1 });
  assert.deepEqual(strideDivision(24), {
    shift: 3,
    low: 7,
    inverse: -1431655765, // 0xaaaaaaab: 3 · 0xaaaaaaab ≡ 1 mod 2^32
  });
  assert.deepEqual(strideDivision(4096), { shift: 12, low: 4095, inverse: 1 });
  assert.deepEqual(strideDivision(2 ** 30), {
    shift: 30,
    low: 2 ** 30 - 1,
    inverse: 1,
  });
  for (const stride of [3, 5, 7, 36, 40, 100, 4000, 65535, 2 ** 30 - 1]) {
    const { inverse, shift } = strideDivision(stride);
    assert.equal(Math.imul(stride >>> shift, inverse), 1, `stride ${stride}`);
  }
});

Deno.test("blockIndex: every offset of a 64 KiB slab, and below it", () => {
  for (const stride of [1, 3, 8, 24, 36, 40, 48, 100, 1000, 4096, 5000]) {
    const d = strideDivision(stride);
    const n = Math.floor(65536 / stride);
    for (let off = -8192; off < 65536 + 8192; off++) {
      const i = blockIndex(d, off);
      const start = off >= 0 && off % stride === 0 && off / stride < n;
      if (start) assert.equal(i, off / stride, `stride ${stride}, ${off}`);
      else if (i < n) {
        assert.fail(`stride ${stride}: offset ${off} gave block ${i} of ${n}`);
      }
    }
  }
});
