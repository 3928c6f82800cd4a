// alloc(size, alignment) and resize(..., alignment) on Arena and
// FixedAllocator, as tables: the real address (native address + pointer) is
// a multiple of the alignment, a move keeps it, and every bad alignment is
// refused by class with nothing changed.
import assert from "node:assert/strict";
import { Arena, FixedAllocator } from "../arena/mod.ts";
import { type Allocator, BufferPages, OsPages } from "../os/mod.ts";

interface Made {
  a: Allocator;
  used: () => number;
}

const makers: { name: string; make: () => Made }[] = [
  {
    name: "Arena on OsPages",
    make: () => {
      const a = new Arena({ parent: new OsPages({ reserve: 2 ** 24 }) });
      return { a, used: () => a.bytesUsed };
    },
  },
  {
    name: "Arena on BufferPages, packed",
    make: () => {
      const a = new Arena({ parent: new BufferPages(), alignment: 1 });
      return { a, used: () => a.bytesUsed };
    },
  },
  {
    name: "FixedAllocator on OsPages",
    make: () => {
      const pages = new OsPages({ reserve: 2 ** 24 });
      const length = 2 ** 20;
      const ptr = pages.alloc(length);
      const a = new FixedAllocator({ memory: pages.memory, ptr, length });
      return { a, used: () => a.bytesUsed };
    },
  },
];

/** The real address modulo `alignment`. */
function misalign(a: Allocator, ptr: number, alignment: number): number {
  const base = a.memory.address ?? 0n;
  return Number((base + BigInt(ptr)) % BigInt(alignment));
}

const alignments = [1, 2, 4, 8, 16, 32, 64, 256, 4096, 8192, 65536];
const sizes = [0, 1, 3, 16, 100, 4097];

const bad: [string, unknown, typeof RangeError | typeof TypeError][] = [
  ["0", 0, RangeError],
  ["3", 3, RangeError],
  ["1.5", 1.5, RangeError],
  ["NaN", NaN, RangeError],
  ["2^17", 2 ** 17, RangeError],
  ["-16", -16, RangeError],
  ["Infinity", Infinity, RangeError],
  ['"16"', "16", TypeError],
  ["null", null, TypeError],
];

for (const { name, make } of makers) {
  Deno.test(`${name}: every block is aligned as asked`, () => {
    const { a } = make();
    for (const alignment of alignments) {
      for (const size of sizes) {
        a.alloc(1, 1); // knock the bump off any alignment
        const p = a.alloc(size, alignment);
        assert.equal(misalign(a, p, alignment), 0, `${size} @ ${alignment}`);
        assert.ok(p !== 0);
      }
    }
  });

  Deno.test(`${name}: a moving resize keeps the alignment and bytes`, () => {
    const { a } = make();
    for (const alignment of [64, 4096, 65536]) {
      const p = a.alloc(24, alignment);
      a.memory.u8.set([1, 2, 3], p);
      a.alloc(1, 1); // p is no longer the top: a growth moves it
      const q = a.resize(p, 24, 5000, alignment);
      assert.notEqual(q, p);
      assert.equal(misalign(a, q, alignment), 0, `moved @ ${alignment}`);
      assert.deepEqual([...a.memory.u8.subarray(q, q + 4)], [1, 2, 3, 0]);
      assert.equal(a.memory.u8[q + 4999], 0, "the grown tail reads zero");
    }
  });

  // In place only where the address has the alignment asked: the top block
  // grown or shrunk, or an older block shrunk, 16-aligned but not 256.
  Deno.test(`${name}: a resize to a larger alignment moves a block without it`, () => {
    const { a } = make();
    const rows: [string, older: boolean, newSize: number][] = [
      ["the top, grown", false, 20],
      ["the top, shrunk", false, 5],
      ["an older block, shrunk", true, 5],
    ];
    for (const [label, older, newSize] of rows) {
      let q = a.alloc(10, 16);
      while (misalign(a, q, 256) === 0) q = a.alloc(10, 16);
      a.memory.u8.set([7, 8, 9], q);
      if (older) a.alloc(8);
      const moved = a.resize(q, 10, newSize, 256);
      assert.notEqual(moved, q, label);
      assert.equal(misalign(a, moved, 256), 0, label);
      assert.deepEqual([...a.memory.u8.subarray(moved, moved + 3)], [7, 8, 9]);
      // Asked for an alignment it has, it stays (the top now, shrunk).
      assert.equal(a.resize(moved, newSize, 3, 256), moved, label);
    }
  });

  Deno.test(`${name}: a bad alignment is refused, nothing changed`, () => {
    for (const [label, alignment, kind] of bad) {
      const { a, used } = make();
      const p = a.alloc(10);
      const before = used();
      assert.throws(
        () => a.alloc(8, alignment as number),
        (e: unknown) =>
          e instanceof kind && e.message.includes("Alignment") &&
          (kind === TypeError || e.message.includes(String(alignment))),
        `alloc @ ${label}`,
      );
      assert.throws(
        () => a.resize(p, 10, 20000, alignment as number),
        kind,
        `resize @ ${label}`,
      );
      assert.throws(() => a.resize(0, 0, 8, alignment as number), kind);
      assert.equal(used(), before, `used @ ${label}`);
      // The next block lands where it would have without the bad calls.
      const twin = make().a;
      const t = twin.alloc(10);
      assert.equal(a.alloc(8) - p, twin.alloc(8) - t, `next @ ${label}`);
    }
  });
}
