// DebugAllocator passes an alignment to its parent: the block is aligned,
// the red zones around it stay checked, and the parent gets back exactly
// what it gave.
import assert from "node:assert/strict";
import { Arena, FixedAllocator } from "../arena/mod.ts";
import { DebugAllocator, MemoryCorruptionError } from "../debug/mod.ts";
import { BufferPages, OsPages } from "../os/mod.ts";

const RED = 0xfd;

const cases: { redZone: number; alignment: number; size: number }[] = [
  { redZone: 16, alignment: 64, size: 24 },
  { redZone: 16, alignment: 4096, size: 5000 },
  { redZone: 64, alignment: 32, size: 1 },
  { redZone: 0, alignment: 256, size: 10 },
  { redZone: 48, alignment: 1, size: 7 },
  { redZone: 16, alignment: 65536, size: 100 },
];

Deno.test("DebugAllocator: aligned blocks between red zones", async (t) => {
  for (const { redZone, alignment, size } of cases) {
    await t.step(`red zone ${redZone}, ${size} B @ ${alignment}`, () => {
      const parent = new Arena({ parent: new OsPages({ reserve: 2 ** 24 }) });
      const debug = new DebugAllocator({ parent, redZone, quarantine: 0 });
      const base = debug.memory.address ?? 0n;
      const p = debug.alloc(size, alignment);
      assert.equal(Number((base + BigInt(p)) % BigInt(alignment)), 0);
      const u8 = debug.memory.u8;
      for (let i = 1; i <= redZone; i++) assert.equal(u8[p - i], RED);
      for (let i = 0; i < redZone; i++) assert.equal(u8[p + size + i], RED);
      assert.equal(u8[p + size - 1], 0, "zeroed");
      u8[p] = 9;
      const q = debug.resize(p, size, size * 3, alignment);
      assert.equal(Number((base + BigInt(q)) % BigInt(alignment)), 0);
      assert.equal(u8[q], 9, "the byte moved");
      if (redZone > 0) {
        u8[q + size * 3] = 1; // one byte past the end
        assert.throws(
          () => debug.free(q, size * 3),
          MemoryCorruptionError,
        );
      } else {
        debug.free(q, size * 3);
      }
      assert.equal(debug.leaks().length, 0, "freed either way");
    });
  }
});

Deno.test("DebugAllocator: a bad alignment is refused before the parent", () => {
  const parent = new Arena({ parent: new OsPages({ reserve: 2 ** 24 }) });
  const debug = new DebugAllocator({ parent, quarantine: 0 });
  const p = debug.alloc(8);
  const used = parent.bytesUsed;
  for (const bad of [0, 3, 1.5, NaN, 2 ** 17, -8]) {
    assert.throws(() => debug.alloc(8, bad), RangeError, String(bad));
    assert.throws(() => debug.resize(p, 8, 64, bad), RangeError);
  }
  assert.throws(() => debug.alloc(8, "8" as unknown as number), TypeError);
  assert.equal(parent.bytesUsed, used);
  assert.equal(debug.leaks().length, 1);
});

Deno.test("allocUnsafe: Arena zeroed, FixedAllocator old bytes, DebugAllocator junk", () => {
  using pages = new BufferPages();
  const arena = new Arena({ parent: pages });
  const a = arena.alloc(16);
  arena.memory.u8.fill(7, a, a + 16);
  arena.free(a, 16);
  const a2 = arena.allocUnsafe(16, 16);
  assert.deepEqual([a2, arena.memory.u8[a2]], [a, 0]);

  const region = pages.alloc(4096);
  const fixed = new FixedAllocator({
    memory: pages.memory,
    ptr: region,
    length: 4096,
  });
  const f = fixed.alloc(32, 32);
  pages.memory.u8.fill(7, f, f + 32);
  fixed.free(f, 32);
  const f2 = fixed.allocUnsafe(32, 32);
  assert.deepEqual([f2, pages.memory.u8[f2 + 31]], [f, 7]);
  assert.equal(fixed.bytesUsed, 32);
  fixed.free(f2, 32);
  assert.equal(pages.memory.u8[fixed.alloc(32) + 31], 0, "alloc zeroes");

  const debug = new DebugAllocator({ parent: new Arena({ parent: pages }) });
  const d = debug.allocUnsafe(40, 64);
  assert.equal(d % 64, 0);
  assert.deepEqual(
    [...new Set(debug.memory.u8.subarray(d, d + 40))],
    [debug.junk],
  );
  debug.free(d, 40);
});
