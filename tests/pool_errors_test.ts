// Bad input to pools as data. Options: each case must throw the error class
// and message it names, and nothing is taken from the parent. Calls: each
// case sets up a pool with two live blocks and one freed, makes one bad
// call, and the shared check proves the error and that nothing changed,
// also against a twin pool that never saw the call.
import assert from "node:assert/strict";
import { Heap } from "../heap/mod.ts";
import {
  BufferPages,
  PointerError,
  type PointerErrorReason,
} from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";
import { assertRefusedUnchanged, type ErrorClass } from "./_assert_refused.ts";

const OPTION_CASES: [string, unknown, ErrorClass, RegExp][] = [
  [
    "no options",
    undefined,
    TypeError,
    /^Pool options must be an object, such as \{ blockSize: 24 \}, got undefined$/,
  ],
  [
    "null options",
    null,
    TypeError,
    /^Pool options must be an object, such as \{ blockSize: 24 \}, got null$/,
  ],
  ["no blockSize", {}, TypeError, /^Pool options need a blockSize/],
  [
    "blockSize 0",
    { blockSize: 0 },
    RangeError,
    /^Block size must be at least 1 byte, got 0$/,
  ],
  [
    "blockSize -1",
    { blockSize: -1 },
    RangeError,
    /^Block size must be a non-negative integer, got -1$/,
  ],
  [
    "blockSize 1.5",
    { blockSize: 1.5 },
    RangeError,
    /^Block size must be a non-negative integer, got 1.5$/,
  ],
  [
    "blockSize NaN",
    { blockSize: NaN },
    RangeError,
    /^Block size must be a non-negative integer, got NaN$/,
  ],
  [
    "blockSize Infinity",
    { blockSize: Infinity },
    RangeError,
    /^Block size must be a non-negative integer, got Infinity$/,
  ],
  [
    'blockSize "8"',
    { blockSize: "8" },
    TypeError,
    /^Block size must be a number, got string$/,
  ],
  [
    "blockSize above the largest slab",
    { blockSize: 2 ** 30 + 1 },
    RangeError,
    /^Block size 1073741825 exceeds the largest slab of 1073741824 bytes$/,
  ],
  [
    "blockSize above the slab",
    { blockSize: 5000, slabSize: 4096 },
    RangeError,
    /^Block size 5000 is more than a slab of 4096 bytes can hold \(5000 bytes a block at alignment 8[^)]*\): use a larger slabSize/,
  ],
  [
    "blockSize whose alignment leaves no room",
    { blockSize: 4096, alignment: 4096, slabSize: 4095 },
    RangeError,
    /^Block size 4096 is more than a slab of 4095 bytes can hold/,
  ],
  [
    "alignment 0",
    { blockSize: 8, alignment: 0 },
    RangeError,
    /^Alignment must be a power of two from 1 to 65536, got 0$/,
  ],
  [
    "alignment 3",
    { blockSize: 8, alignment: 3 },
    RangeError,
    /^Alignment must be a power of two from 1 to 65536, got 3$/,
  ],
  [
    "alignment 2^17",
    { blockSize: 8, alignment: 2 ** 17 },
    RangeError,
    /^Alignment must be a power of two from 1 to 65536, got 131072$/,
  ],
  [
    "alignment 1.5",
    { blockSize: 8, alignment: 1.5 },
    RangeError,
    /^Alignment must be a power of two from 1 to 65536, got 1.5$/,
  ],
  [
    'alignment "8"',
    { blockSize: 8, alignment: "8" },
    TypeError,
    /^Alignment must be a number, got string$/,
  ],
  [
    "slabSize -1",
    { blockSize: 8, slabSize: -1 },
    RangeError,
    /^Slab size must be a non-negative integer, got -1$/,
  ],
  [
    "slabSize 2^31",
    { blockSize: 8, slabSize: 2 ** 31 },
    RangeError,
    /^Slab size 2147483648 exceeds the largest slab/,
  ],
  [
    "decayMs -1",
    { blockSize: 8, decayMs: -1 },
    RangeError,
    /^Decay time must be a non-negative number of milliseconds/,
  ],
  [
    "decayMs null",
    { blockSize: 8, decayMs: null },
    TypeError,
    /^Decay time must be a number, got null$/,
  ],
  [
    'decayMs "1"',
    { blockSize: 8, decayMs: "1" },
    TypeError,
    /^Decay time must be a number, got string$/,
  ],
  [
    "clock 5",
    { blockSize: 8, clock: 5 },
    TypeError,
    /^Clock must be a function returning milliseconds$/,
  ],
  [
    "parent {}",
    { blockSize: 8, parent: {} },
    TypeError,
    /^Parent must be an Allocator/,
  ],
];

Deno.test("Pool refuses bad options and takes nothing", async (t) => {
  for (const [name, options, error, message] of OPTION_CASES) {
    await t.step(name, () => {
      using pages = new BufferPages({ reserve: 2 ** 22 });
      using heap = new Heap({ pages });
      const used = heap.bytesReserved;
      for (const parent of [pages, heap, undefined]) {
        const withParent = typeof options === "object" && options !== null &&
            parent !== undefined &&
            !("parent" in options)
          ? { ...options, parent }
          : options;
        assert.throws(() => new Pool(withParent as never), (e: unknown) => {
          assert.ok(e instanceof error, `expected a ${error.name}, got ${e}`);
          assert.match((e as Error).message, message);
          return true;
        });
      }
      assert.equal(pages.liveBytes, used);
      assert.equal(heap.bytesReserved, used);
      assert.equal(heap.largeBlocks, 0);
    });
  }
});

Deno.test("Pool refuses a slab of less than a page on a parent that is no page source", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  using heap = new Heap({ pages });
  const used = heap.bytesReserved;
  // Six 64-byte slabs of a heap would share one page.
  assert.throws(
    () => new Pool({ blockSize: 8, slabSize: 64, parent: heap }),
    RangeError,
    "Slab size 64 is less than a page (4096 bytes): on a parent that is no page source, two such slabs could start in one page, which the pool's page map cannot tell apart; use 4096 or more",
  );
  assert.equal(heap.bytesReserved, used);
  // On a page source every slab is whole pages.
  using pool = new Pool({ blockSize: 8, slabSize: 64, parent: pages });
  const blocks = Array.from({ length: 40 }, () => pool.alloc());
  for (const p of blocks) pool.free(p);
  assert.equal(pool.blocks, 0);
  pool.validate();
});

// A pool of 32-byte blocks (alignment 16) on BufferPages: a at 0x1000, b at
// 0x1020 live, c at 0x1040 freed, 0x1060 never handed out.
function setUp() {
  const pages = new BufferPages({ reserve: 2 ** 22 });
  const pool = new Pool({ blockSize: 32, parent: pages });
  const a = pool.alloc(), b = pool.alloc(), c = pool.alloc();
  pool.free(c);
  pool.memory.fill(a, 32, 0x5a);
  const foreign = pages.alloc(4096);
  return {
    pages,
    pool,
    ptr: { a, b, c, foreign },
    watched: {
      state: () => ({
        blocks: pool.blocks,
        used: pool.bytesUsed,
        reserved: pool.bytesReserved,
        peak: pool.peakReserved,
        slabs: pool.slabs,
        live: pages.liveBytes,
        a: [...pool.memory.u8.subarray(a, a + 32)],
      }),
      validate: () => pool.validate(),
      next: () => {
        const p = pool.alloc();
        pool.free(p);
        return p;
      },
    },
    [Symbol.dispose]: () => {
      pool.destroy();
      pages.destroy();
    },
  };
}

type Ptrs = ReturnType<typeof setUp>["ptr"];

const CALL_CASES: [
  string,
  (pool: Pool, p: Ptrs) => unknown,
  ErrorClass,
  PointerErrorReason | null,
  RegExp,
][] = [
  [
    "alloc(33)",
    (pool) => pool.alloc(33),
    RangeError,
    null,
    /^Size 33 exceeds the pool's block size of 32 bytes$/,
  ],
  [
    "alloc(-1)",
    (pool) => pool.alloc(-1),
    RangeError,
    null,
    /^Size must be a non-negative integer, got -1$/,
  ],
  [
    "alloc(8, 32)",
    (pool) => pool.alloc(8, 32),
    RangeError,
    null,
    /^Alignment 32 is more than this pool's blocks have \(16\)/,
  ],
  [
    "alloc(8, 3)",
    (pool) => pool.alloc(8, 3),
    RangeError,
    null,
    /^Alignment must be a power of two/,
  ],
  [
    "allocUnsafe(33)",
    (pool) => pool.allocUnsafe(33),
    RangeError,
    null,
    /^Size 33 exceeds/,
  ],
  [
    "free of an interior pointer",
    (pool, p) => pool.free(p.a + 16),
    PointerError,
    "interior",
    /^Pointer 0x1010 \(4112\) is inside block 0x1000 \(4096\), not its start/,
  ],
  [
    "free of an unaligned pointer",
    (pool, p) => pool.free(p.a + 3),
    PointerError,
    "unaligned",
    /^Pointer 0x1003 \(4099\) is not aligned to 16 bytes/,
  ],
  [
    "free of a freed block",
    (pool, p) => pool.free(p.c),
    PointerError,
    "double-free",
    /^Pointer 0x1040 \(4160\) is a free block of this pool already/,
  ],
  [
    "free of a block never handed out",
    (pool) => pool.free(0x1060),
    PointerError,
    "double-free",
    /^Pointer 0x1060 \(4192\) is a free block/,
  ],
  [
    "free of another allocator's pointer",
    (pool, p) => pool.free(p.foreign),
    PointerError,
    "foreign",
    /is in no slab of this pool/,
  ],
  [
    "free past the memory",
    (pool) => pool.free(2 ** 40),
    PointerError,
    "out-of-range",
    /is past the end of the memory/,
  ],
  [
    "free of a negative pointer",
    (pool) => pool.free(-16),
    PointerError,
    "out-of-range",
    /is not a non-negative integer/,
  ],
  [
    "free(p, 33)",
    (pool, p) => pool.free(p.a, 33),
    PointerError,
    "size-mismatch",
    /^Size 33 does not match the block at 0x1000 \(4096\)/,
  ],
  [
    "resize(p, 32, 33)",
    (pool, p) => pool.resize(p.a, 32, 33),
    RangeError,
    null,
    /^New size 33 exceeds the pool's block size/,
  ],
  [
    "resize of a freed block",
    (pool, p) => pool.resize(p.c, 32, 16),
    PointerError,
    "double-free",
    /is a free block/,
  ],
  [
    "resize of an interior pointer",
    (pool, p) => pool.resize(p.b + 16, 8, 16),
    PointerError,
    "interior",
    /an interior pointer/,
  ],
];

Deno.test("Pool refuses bad calls and changes nothing", async (t) => {
  for (const [name, call, error, reason, message] of CALL_CASES) {
    await t.step(name, () => {
      using s = setUp();
      using twin = setUp();
      assert.deepEqual([s.ptr.a, s.ptr.b, s.ptr.c], [0x1000, 0x1020, 0x1040]);
      assertRefusedUnchanged(s.watched, () => call(s.pool, s.ptr), {
        error,
        reason,
        message,
      }, twin.watched);
    });
  }
});

// After a reset, a and b (live before it) are free blocks like c: each call
// is refused as a double free, on the fast path and the slow one alike.
const AFTER_RESET_CASES: [string, (pool: Pool, p: Ptrs) => unknown, RegExp][] =
  [
    [
      "free of a block live before the reset",
      (pool, p) => pool.free(p.a),
      /^Pointer 0x1000 \(4096\) is a free block of this pool already/,
    ],
    [
      "free(p, 32) of a block live before the reset",
      (pool, p) => pool.free(p.b, 32),
      /^Pointer 0x1020 \(4128\) is a free block/,
    ],
    [
      "free of a block freed before the reset",
      (pool, p) => pool.free(p.c),
      /^Pointer 0x1040 \(4160\) is a free block/,
    ],
    [
      "resize of a block live before the reset",
      (pool, p) => pool.resize(p.b, 32, 16),
      /^Pointer 0x1020 \(4128\) is a free block/,
    ],
  ];

Deno.test("Pool refuses pointers from before a reset and changes nothing", async (t) => {
  for (const [name, call, message] of AFTER_RESET_CASES) {
    await t.step(name, () => {
      using s = setUp();
      using twin = setUp();
      s.pool.reset();
      twin.pool.reset();
      assert.equal(s.pool.blocks, 0);
      assertRefusedUnchanged(s.watched, () => call(s.pool, s.ptr), {
        error: PointerError,
        reason: "double-free",
        message,
      }, twin.watched);
    });
  }
});
