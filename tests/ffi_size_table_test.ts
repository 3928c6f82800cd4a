// The bridge's side table against a Map, on seeded random operations.
import assert from "node:assert/strict";
import fc from "fast-check";
import { SizeTable } from "../ffi/_size_table.ts";

// Pointers: heap-like multiples of 16, unaligned ones, and some above 2^32
// and 2^36 (whose hashes mix the high bits).
const pointer = fc.oneof(
  fc.integer({ min: 1, max: 4096 }).map((n) => n * 16),
  fc.integer({ min: 1, max: 2 ** 20 }),
  fc.integer({ min: 1, max: 64 }).map((n) => 2 ** 32 + n * 16),
  fc.integer({ min: 1, max: 64 }).map((n) => n * 2 ** 36 + 32),
);
const op = fc.oneof(
  fc.tuple(fc.constant("set" as const), pointer, fc.nat(2 ** 31)),
  fc.tuple(fc.constant("delete" as const), pointer),
  fc.tuple(fc.constant("get" as const), pointer),
);

Deno.test("size table: behaves as a Map of pointers to sizes", () => {
  fc.assert(
    fc.property(fc.array(op, { minLength: 500, maxLength: 3000 }), (ops) => {
      const table = new SizeTable(16);
      const model = new Map<number, number>();
      for (const [kind, ptr, size] of ops) {
        if (kind === "set") {
          if (model.has(ptr)) continue; // the bridge never sets a live pointer
          table.set(ptr, size!);
          model.set(ptr, size!);
        } else if (kind === "delete") {
          assert.equal(table.delete(ptr), model.get(ptr) ?? -1);
          model.delete(ptr);
        } else {
          assert.equal(table.get(ptr), model.get(ptr) ?? -1);
        }
        assert.equal(table.size, model.size);
      }
      for (const [ptr, size] of model) assert.equal(table.get(ptr), size);
    }),
    { seed: 20, numRuns: 200 },
  );
});

Deno.test("size table: churn at a steady size reuses deleted slots", () => {
  const table = new SizeTable(16);
  for (let round = 0; round < 10_000; round++) {
    const ptr = 16 * (round + 1);
    table.set(ptr, round);
    if (round >= 5) assert.equal(table.delete(ptr - 5 * 16), round - 5);
  }
  assert.equal(table.size, 5);
  for (let k = 0; k < 5; k++) {
    assert.equal(table.get(16 * (10_000 - k)), 9_999 - k);
  }
  assert.equal(table.get(16), -1);
});

Deno.test("size table: a pointer set twice throws, past deleted slots too, and keeps its one entry", () => {
  const table = new SizeTable(16);
  // Seven pointers in a 16-slot table share runs; deleting every other one
  // leaves deleted slots ahead of the live ones in their probes.
  const ptrs = Array.from({ length: 7 }, (_, i) => 16 * (i + 1));
  ptrs.forEach((ptr, i) => table.set(ptr, 100 + i));
  for (let i = 0; i < 7; i += 2) assert.equal(table.delete(ptrs[i]), 100 + i);
  for (let i = 1; i < 7; i += 2) {
    assert.throws(() => table.set(ptrs[i], 1), {
      name: "RangeError",
      message: new RegExp(
        `^Pointer 0x${ptrs[i].toString(16)} is in the size table already`,
      ),
    });
  }
  assert.equal(table.size, 3);
  for (let i = 1; i < 7; i += 2) {
    assert.equal(table.get(ptrs[i]), 100 + i);
    assert.equal(table.delete(ptrs[i]), 100 + i);
    assert.equal(table.get(ptrs[i]), -1, "no second entry behind it");
  }
  assert.equal(table.size, 0);
  table.set(ptrs[0], 5); // a deleted pointer may come back
  assert.equal(table.get(ptrs[0]), 5);
});
