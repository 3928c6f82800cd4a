// DebugAllocator passes an alignment to its parent: the block is aligned,
// the red zones around it stay checked, and the parent gets back exactly
// what it gave.
import assert from "node:assert/strict";
import { Arena, FixedAllocator } from "../arena/mod.ts";
import { DebugAllocator, MemoryCorruptionError } from "../debug/mod.ts";
import { Heap } from "../heap/mod.ts";
import { type Allocator, BufferPages, OsPages } from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";

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

// Without an alignment a block keeps the parent's natural one: the red zone
// before it grows to a multiple of the parent's `alignment` (16 for those
// without one). `front` is the bytes from the parent's block to the pointer.
const natural: {
  parent: string;
  make(pages: BufferPages): Allocator & { bytesUsed: number };
  /** Whether freeing every block gives all bytes back (no bump allocator). */
  gives?: boolean;
  redZone: number;
  align: number;
  front: number;
}[] = [
  {
    parent: "Heap",
    make: (pages) => new Heap({ pages }),
    gives: true,
    redZone: 16,
    align: 16,
    front: 16,
  },
  {
    parent: "Arena",
    make: (parent) => new Arena({ parent }),
    redZone: 16,
    align: 16,
    front: 16,
  },
  {
    parent: "Arena @ 64",
    make: (parent) => new Arena({ parent, alignment: 64 }),
    redZone: 16,
    align: 64,
    front: 64,
  },
  {
    parent: "Arena @ 64, red zone 80",
    make: (parent) => new Arena({ parent, alignment: 64 }),
    redZone: 80,
    align: 64,
    front: 128,
  },
  {
    parent: "Arena @ 64, red zone 0",
    make: (parent) => new Arena({ parent, alignment: 64 }),
    redZone: 0,
    align: 64,
    front: 0,
  },
  {
    parent: "Arena @ 8",
    make: (parent) => new Arena({ parent, alignment: 8 }),
    redZone: 16,
    align: 8,
    front: 16,
  },
  {
    parent: "Pool @ 128",
    make: (parent) => new Pool({ blockSize: 512, alignment: 128, parent }),
    gives: true,
    redZone: 16,
    align: 128,
    front: 128,
  },
  {
    parent: "Pool @ 32",
    make: (parent) => new Pool({ blockSize: 512, alignment: 32, parent }),
    gives: true,
    redZone: 48,
    align: 32,
    front: 64,
  },
  {
    parent: "FixedAllocator @ 256",
    make: (pages) =>
      new FixedAllocator({
        memory: pages.memory,
        ptr: pages.alloc(16384),
        length: 16384,
        alignment: 256,
      }),
    redZone: 16,
    align: 256,
    front: 256,
  },
];

Deno.test("DebugAllocator: no alignment asked, the parent's natural one", async (t) => {
  for (const { parent: name, make, gives, redZone, align, front } of natural) {
    await t.step(name, () => {
      using pages = new BufferPages({ reserve: 2 ** 22 });
      const parent = make(pages);
      const debug = new DebugAllocator({ parent, redZone, quarantine: 0 });
      const used = parent.bytesUsed;
      const u8 = debug.memory.u8;
      const ps = [10, 1, 33].map((size) => {
        const p = debug.alloc(size);
        assert.equal(p % align, 0, `${size} B at ${p}`);
        // The whole front, padding and red zone, and the back red zone.
        assert.deepEqual(
          [...new Set(u8.subarray(p - front, p))],
          front > 0 ? [RED] : [],
        );
        assert.deepEqual(
          [...new Set(u8.subarray(p + size, p + size + redZone))],
          redZone > 0 ? [RED] : [],
        );
        return [p, size];
      });
      const [[p, size]] = ps;
      const q = debug.resize(p, size, 40);
      assert.equal(q % align, 0, `resized to ${q}`);
      if (front > 0) {
        u8[q - front] = 1; // the first byte of the parent's block
        assert.throws(() => debug.free(q, 40), {
          name: "MemoryCorruptionError",
          message: /before the 40-byte allocation/,
        });
      } else debug.free(q, 40);
      for (const [r, n] of ps.slice(1)) debug.free(r, n);
      // A bump allocator gives back the last block alone.
      if (gives) assert.equal(parent.bytesUsed, used, "every block back");
      assert.deepEqual(debug.leaks(), []);
    });
  }
});
