// FixedAllocator as data: each case makes a region at an offset into a dirty
// page, runs operations and checks exact offsets (from the region's start)
// and bytesUsed; error cases are also checked against a twin that never saw
// the bad call. Everything runs on both page sources, through the shared
// executor.
import assert from "node:assert/strict";
import { FixedAllocator } from "../arena/mod.ts";
import {
  DestroyedError,
  OutOfMemoryError,
  type PageSource,
  PointerError,
} from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";
import { type Case, type Env, type Kind, runCase } from "./_run_ops.ts";
import { DIRTY, fixedSubject } from "./_subjects.ts";

type Handles = { fixed: FixedAllocator; pages: PageSource };

/** The fixed allocator's own operation, besides the Allocator ones. */
const ops = { clear: ({ fixed }: Env<Handles>) => fixed.clear() };

/** Its own expectations; `used` is a counter of fixedSubject. */
interface State {
  /** Offsets from the region's start. */
  at?: Record<string, number>;
  used?: number;
}

interface FixedCase extends Case<Handles, typeof ops, State> {
  /** Offset of the region from the start of a page. */
  start: number;
  length: number;
  alignment?: number;
}

const fixedKind: Kind<Handles, typeof ops, State> = {
  ops,
  checks: {
    at: ({ fixed, ptr }, at) => {
      for (const [name, offset] of Object.entries(at)) {
        assert.equal(ptr[name] - fixed.ptr, offset, `offset of ${name}`);
      }
    },
  },
  finish: ({ fixed }) => {
    const u8 = fixed.memory.u8;
    assert.equal(fixed.capacity, fixed.length);
    assert.equal(u8[fixed.ptr + fixed.length], DIRTY, "nothing past the end");
    assert.equal(u8[fixed.ptr - 1], DIRTY, "nor before");
  },
};

const cases: FixedCase[] = [
  {
    name: "offsets from an aligned start",
    start: 0,
    length: 256,
    ops: [["alloc", "a", 1], ["alloc", "b", 1], ["alloc", "c", 20], [
      "alloc",
      "d",
      3,
    ]],
    expect: {
      at: { a: 0, b: 16, c: 32, d: 64 },
      used: 67,
    },
  },
  {
    name: "offsets from an unaligned start: the first is at the next 16",
    start: 3,
    length: 100,
    ops: [["alloc", "a", 1], ["alloc", "b", 1]],
    expect: {
      at: { a: 13, b: 29 },
      used: 30,
    },
  },
  {
    name: "alignment 1 from an unaligned start packs",
    start: 3,
    length: 100,
    alignment: 1,
    ops: [["alloc", "a", 3], ["alloc", "b", 5], ["alloc", "c", 7]],
    expect: {
      at: { a: 0, b: 3, c: 8 },
      used: 15,
    },
  },
  {
    name: "alignment 8 from start 4",
    start: 4,
    length: 100,
    alignment: 8,
    ops: [["alloc", "a", 1], ["alloc", "b", 8]],
    expect: {
      at: { a: 4, b: 12 },
      used: 20,
    },
  },
  {
    name: "alignment 4096 from an unaligned start is the next page",
    start: 5,
    length: 3 * 4096,
    alignment: 4096,
    ops: [["alloc", "a", 10], ["alloc", "b", 10]],
    expect: {
      at: { a: 4091, b: 4091 + 4096 },
      used: 4091 + 4096 + 10,
    },
  },
  {
    name: "the region's old contents do not matter: allocations are zero",
    start: 0,
    length: 64,
    ops: [["alloc", "a", 64], ["fill", "a", 0xee], ["clear"], [
      "alloc",
      "b",
      40,
    ]],
    expect: {
      at: { b: 0 },
      zero: [["b", 0, 40]],
      used: 40,
    },
  },
  {
    name: "free gives back only the top",
    start: 0,
    length: 128,
    ops: [
      ["alloc", "a", 10],
      ["alloc", "b", 10],
      ["free", "a"],
      ["free", "b"],
      ["alloc", "c", 4],
    ],
    expect: {
      at: { a: 0, b: 16, c: 16 },
      used: 20,
    },
  },
  {
    name:
      "resize: the top grows in place over a zero-size allocation, which can still be freed",
    start: 0,
    length: 128,
    ops: [
      ["alloc", "a", 16],
      ["alloc", "z", 0],
      ["resize", "a2", "a", 64],
      ["free", "z"],
    ],
    expect: { same: [["a", "a2"]], at: { a: 0, z: 16 }, used: 64 },
  },
  {
    name: "resize: the top grows in place with a zero tail, and shrinks",
    start: 0,
    length: 128,
    ops: [
      ["alloc", "a", 40],
      ["fill", "a", 0xaa],
      ["resize", "a", "a", 10],
      ["resize", "b", "a", 100],
    ],
    expect: {
      at: { a: 0, b: 0 },
      bytes: [["b", 0, 10, 0xaa]],
      zero: [["b", 10, 100]],
      used: 100,
    },
  },
  {
    name: "resize: a non-top allocation grows by moving and shrinks in place",
    start: 0,
    length: 128,
    ops: [
      ["alloc", "a", 10],
      ["fill", "a", 0xaa],
      ["alloc", "b", 10],
      ["resize", "a2", "a", 20],
      ["resize", "b2", "b", 4],
    ],
    expect: {
      at: { a: 0, b: 16, a2: 32, b2: 16 },
      bytes: [["a2", 0, 10, 0xaa]],
      zero: [["a2", 10, 20]],
      used: 52,
    },
  },
  {
    name: "a size-0 allocation left past the bump can still be freed",
    start: 0,
    length: 64,
    ops: [["alloc", "a", 16], ["alloc", "z", 0], ["free", "a"], ["free", "z"]],
    expect: {
      at: { a: 0, z: 16 },
      used: 0,
    },
  },
  {
    name: "the top grows to exactly the end",
    start: 0,
    length: 64,
    ops: [["alloc", "a", 16], ["alloc", "b", 1], ["resize", "b", "b", 48]],
    expect: {
      at: { b: 16 },
      used: 64,
    },
  },
];

Deno.test("fixed: tables of operations", async (t) => {
  for (const source of sources) {
    await t.step(source.name, async (t) => {
      for (const c of cases) {
        await t.step(c.name, () => {
          runCase(() => fixedSubject(source, c), c, fixedKind);
        });
      }
    });
  }
});

interface ErrorCase extends Case<Handles> {
  length?: number;
}

const errorCases: ErrorCase[] = [
  ...([-1, 1.5, NaN, Infinity] as const).map((size): ErrorCase => ({
    name: `alloc(${size})`,
    ops: [[
      "throws",
      ({ fixed }) => fixed.alloc(size),
      RangeError,
      null,
      new RegExp(`non-negative integer, got ${size}`),
    ]],
  })),
  {
    name: "alloc of more than the region",
    ops: [[
      "throws",
      ({ fixed }) => fixed.alloc(65),
      RangeError,
      null,
      /Size 65 exceeds the fixed region's length of 64 bytes/,
    ]],
  },
  {
    name: "overflow: alloc when full",
    ops: [["alloc", "a", 20], ["alloc", "b", 20], [
      "throws",
      ({ fixed }) => fixed.alloc(20),
      OutOfMemoryError,
      null,
      /Fixed region is full: 20 bytes do not fit at offset 64, where 0 of its 64 bytes are left; use a larger region, or free or clear\(\) first/,
    ]],
  },
  {
    name: "overflow: an alignment that puts the block past the end",
    ops: [["alloc", "a", 8], [
      "throws",
      ({ fixed }) => fixed.alloc(1, 4096),
      OutOfMemoryError,
      null,
      /^Fixed region is full: 1 bytes do not fit at offset 4096 \(aligned to 4096, 4080 bytes past the first free one\), where 48 of its 64 bytes are left; /,
    ]],
  },
  {
    name: "overflow: the top cannot grow past the end",
    ops: [["alloc", "a", 20], [
      "throws",
      ({ fixed, ptr }) => fixed.resize(ptr.a, 20, 65 - 1 + 1),
      RangeError,
      null,
      /New size 65 exceeds the fixed region's length/,
    ]],
  },
  {
    name: "resize of the top when full",
    ops: [["alloc", "a", 20], ["alloc", "b", 20], [
      "throws",
      ({ fixed, ptr }) => fixed.resize(ptr.b, 20, 40),
      OutOfMemoryError,
      null,
      /Fixed region is full: 40 bytes do not fit at offset 32/,
    ]],
  },
  {
    name: "resize of a non-top allocation when full",
    ops: [["alloc", "a", 20], ["alloc", "b", 20], [
      "throws",
      ({ fixed, ptr }) => fixed.resize(ptr.a, 20, 24),
      OutOfMemoryError,
      null,
      /Fixed region is full: 24 bytes/,
    ]],
  },
  {
    name: "free of a pointer outside the region",
    ops: [["alloc", "a", 8], [
      "throws",
      ({ fixed, ptr }) => fixed.free(ptr.a + 4096, 8),
      PointerError,
      "foreign",
      /is outside this fixed region \(0x[0-9a-f]+ \(\d+\)\+64\): free or resize it with the allocator that made it/,
    ]],
  },
  {
    name: "resize of a pointer past the bump",
    ops: [["alloc", "a", 8], [
      "throws",
      ({ fixed, ptr }) => fixed.resize(ptr.a + 16, 8, 16),
      PointerError,
      "double-free",
      /is not live in this fixed region/,
    ]],
  },
  {
    name: "free exactly at the bump, past the last allocation",
    ops: [["alloc", "a", 16], [
      "throws",
      ({ fixed, ptr }) => fixed.free(ptr.a + 16, 16),
      PointerError,
      "double-free",
      /^Pointer 0x[0-9a-f]+ \(\d+\) with size 16 is not live in this fixed region: it was freed or cleared already/,
    ]],
  },
];

Deno.test("fixed: bad calls throw and change nothing", async (t) => {
  for (const source of sources) {
    await t.step(source.name, async (t) => {
      for (const c of errorCases) {
        await t.step(c.name, () => {
          runCase(
            () => fixedSubject(source, { length: c.length ?? 64 }),
            c,
            {},
            { twin: true },
          );
        });
      }
    });
  }
});

Deno.test("fixed: bad options, and a destroyed memory", () => {
  for (const source of sources) {
    const pages = source.make();
    const memory = pages.memory;
    const page = pages.alloc(4096);
    const bad: [unknown, new (...a: never[]) => Error, RegExp][] = [
      [
        undefined,
        TypeError,
        /^FixedAllocator options must be an object, such as \{ memory, ptr, length \}, got undefined$/,
      ],
      [null, TypeError, /^FixedAllocator options must be an .*, got null$/],
      [5, TypeError, /^FixedAllocator options must be an .*, got number$/],
      [{ memory, ptr: 0, length: 64 }, RangeError, /Pointer is null/],
      [{ memory, ptr: page, length: -1 }, RangeError, /non-negative integer/],
      [{ memory, ptr: 2 ** 40, length: 1 }, RangeError, /outside the memory/],
      [{ memory, ptr: page, length: 64, alignment: 12 }, RangeError, /got 12/],
      [{ memory: {}, ptr: page, length: 64 }, TypeError, /must be a Memory/],
    ];
    for (const [options, error, message] of bad) {
      assert.throws(
        () => new FixedAllocator(options as never),
        (e: Error) => e instanceof error && message.test(e.message),
        String(message),
      );
    }
    const fixed = new FixedAllocator({ memory, ptr: page, length: 64 });
    const a = fixed.alloc(8);
    pages.destroy();
    const calls = [
      () => fixed.alloc(8),
      () => fixed.free(a + 16, 8),
      () => fixed.resize(a, 8, 16),
      () => fixed.clear(),
    ];
    for (const call of calls) {
      assertRefusedUnchanged({ state: () => fixed.bytesUsed }, call, {
        error: DestroyedError,
        message:
          /^Fixed region's memory was used after its page source was destroyed: make a new page source$/,
      });
    }
  }
});
