// FixedAllocator as data: each case makes a region at an offset into a page,
// runs operations and checks exact offsets (from the region's start) and
// bytesUsed; error cases are checked against a twin that never saw the bad
// call. Everything runs on both page sources.
import assert from "node:assert/strict";
import { FixedAllocator } from "../arena/mod.ts";
import { DestroyedError, OutOfMemoryError, PointerError } from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { isZero } from "./_bytes.ts";

type Op =
  | ["alloc", name: string, size: number]
  | ["free", name: string]
  | ["resize", name: string, newSize: number, as: string]
  | ["write", name: string, byte: number]
  | ["clear"];

interface Case {
  name: string;
  /** Offset of the region from the start of a page. */
  start: number;
  length: number;
  alignment?: number;
  ops: Op[];
  /** Offsets from the region's start. */
  at?: Record<string, number>;
  used: number;
  zero?: [name: string, from: number, to: number][];
  filled?: [name: string, from: number, to: number, byte: number][];
}

const cases: Case[] = [
  {
    name: "offsets from an aligned start",
    start: 0,
    length: 256,
    ops: [["alloc", "a", 1], ["alloc", "b", 1], ["alloc", "c", 20], [
      "alloc",
      "d",
      3,
    ]],
    at: { a: 0, b: 16, c: 32, d: 64 },
    used: 67,
  },
  {
    name: "offsets from an unaligned start: the first is at the next 16",
    start: 3,
    length: 100,
    ops: [["alloc", "a", 1], ["alloc", "b", 1]],
    at: { a: 13, b: 29 },
    used: 30,
  },
  {
    name: "alignment 1 from an unaligned start packs",
    start: 3,
    length: 100,
    alignment: 1,
    ops: [["alloc", "a", 3], ["alloc", "b", 5], ["alloc", "c", 7]],
    at: { a: 0, b: 3, c: 8 },
    used: 15,
  },
  {
    name: "alignment 8 from start 4",
    start: 4,
    length: 100,
    alignment: 8,
    ops: [["alloc", "a", 1], ["alloc", "b", 8]],
    at: { a: 4, b: 12 },
    used: 20,
  },
  {
    name: "alignment 4096 from an unaligned start is the next page",
    start: 5,
    length: 3 * 4096,
    alignment: 4096,
    ops: [["alloc", "a", 10], ["alloc", "b", 10]],
    at: { a: 4091, b: 4091 + 4096 },
    used: 4091 + 4096 + 10,
  },
  {
    name: "the region's old contents do not matter: allocations are zero",
    start: 0,
    length: 64,
    ops: [["alloc", "a", 64], ["write", "a", 0xee], ["clear"], [
      "alloc",
      "b",
      40,
    ]],
    at: { b: 0 },
    zero: [["b", 0, 40]],
    used: 40,
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
    at: { a: 0, b: 16, c: 16 },
    used: 20,
  },
  {
    name: "resize: the top grows in place with a zero tail, and shrinks",
    start: 0,
    length: 128,
    ops: [
      ["alloc", "a", 40],
      ["write", "a", 0xaa],
      ["resize", "a", 10, "a"],
      ["resize", "a", 100, "b"],
    ],
    at: { a: 0, b: 0 },
    filled: [["b", 0, 10, 0xaa]],
    zero: [["b", 10, 100]],
    used: 100,
  },
  {
    name: "resize: a non-top allocation grows by moving and shrinks in place",
    start: 0,
    length: 128,
    ops: [
      ["alloc", "a", 10],
      ["write", "a", 0xaa],
      ["alloc", "b", 10],
      ["resize", "a", 20, "a2"],
      ["resize", "b", 4, "b2"],
    ],
    at: { a: 0, b: 16, a2: 32, b2: 16 },
    filled: [["a2", 0, 10, 0xaa]],
    zero: [["a2", 10, 20]],
    used: 52,
  },
  {
    name: "a size-0 allocation left past the bump can still be freed",
    start: 0,
    length: 64,
    ops: [["alloc", "a", 16], ["alloc", "z", 0], ["free", "a"], ["free", "z"]],
    at: { a: 0, z: 16 },
    used: 0,
  },
  {
    name: "the top grows to exactly the end",
    start: 0,
    length: 64,
    ops: [["alloc", "a", 16], ["alloc", "b", 1], ["resize", "b", 48, "b"]],
    at: { b: 16 },
    used: 64,
  },
];

Deno.test("fixed: tables of operations", async (t) => {
  for (const source of sources) {
    await t.step(source.name, async (t) => {
      for (const c of cases) {
        await t.step(c.name, () => {
          using pages = source.make();
          const mem = pages.memory;
          const page = pages.alloc(4 * 4096);
          mem.fill(page, 4 * 4096, 0x5a); // a dirty region
          const base = page + c.start;
          const fixed = new FixedAllocator({
            memory: mem,
            ptr: base,
            length: c.length,
            alignment: c.alignment,
          });
          const ptrs: Record<string, number> = {};
          const sizes: Record<string, number> = {};
          for (const op of c.ops) {
            if (op[0] === "alloc") {
              ptrs[op[1]] = fixed.alloc(op[2]);
              sizes[op[1]] = op[2];
              assert.ok(isZero(mem, ptrs[op[1]], op[2]), `${op[1]} is zero`);
            } else if (op[0] === "free") fixed.free(ptrs[op[1]], sizes[op[1]]);
            else if (op[0] === "resize") {
              ptrs[op[3]] = fixed.resize(ptrs[op[1]], sizes[op[1]], op[2]);
              sizes[op[3]] = op[2];
            } else if (op[0] === "write") {
              mem.fill(ptrs[op[1]], sizes[op[1]], op[2]);
            } else fixed.clear();
          }
          for (const [name, offset] of Object.entries(c.at ?? {})) {
            assert.equal(ptrs[name] - base, offset, `offset of ${name}`);
          }
          for (const [name, ptr] of Object.entries(ptrs)) {
            const real = (mem.address ?? 0n) + BigInt(ptr);
            assert.equal(real % BigInt(fixed.alignment), 0n, `${name} aligned`);
          }
          assert.equal(fixed.bytesUsed, c.used, "bytesUsed");
          assert.equal(fixed.capacity, c.length);
          for (const [name, from, to] of c.zero ?? []) {
            assert.ok(isZero(mem, ptrs[name] + from, to - from), `${name} 0`);
          }
          for (const [name, from, to, byte] of c.filled ?? []) {
            for (let i = from; i < to; i++) {
              assert.equal(mem.u8[ptrs[name] + i], byte, `${name}[${i}]`);
            }
          }
          assert.equal(mem.u8[base + c.length], 0x5a, "nothing past the end");
          if (c.start > 0) assert.equal(mem.u8[base - 1], 0x5a, "nor before");
        });
      }
    });
  }
});

interface ErrorCase {
  name: string;
  length?: number;
  setup?: (f: FixedAllocator, ptrs: Record<string, number>) => void;
  call: (f: FixedAllocator, ptrs: Record<string, number>) => unknown;
  error: new (...args: never[]) => Error;
  reason?: string;
  message: RegExp;
}

const errorCases: ErrorCase[] = [
  ...([-1, 1.5, NaN, Infinity] as const).map((size) => ({
    name: `alloc(${size})`,
    call: (f: FixedAllocator) => f.alloc(size),
    error: RangeError,
    message: new RegExp(`non-negative integer, got ${size}`),
  })),
  {
    name: "alloc of more than the region",
    call: (f) => f.alloc(65),
    error: RangeError,
    message: /Size 65 exceeds the fixed region's length of 64 bytes/,
  },
  {
    name: "overflow: alloc when full",
    setup: (f, p) => {
      p.a = f.alloc(20);
      p.b = f.alloc(20);
    },
    call: (f) => f.alloc(20),
    error: OutOfMemoryError,
    message:
      /Fixed region is full: 20 bytes do not fit at offset 64, where 0 of its 64 bytes are left; use a larger region, or free or clear\(\) first/,
  },
  {
    name: "overflow: the top cannot grow past the end",
    setup: (f, p) => void (p.a = f.alloc(20)),
    call: (f, p) => f.resize(p.a, 20, 65 - 1 + 1),
    error: RangeError,
    message: /New size 65 exceeds the fixed region's length/,
  },
  {
    name: "resize of the top when full",
    setup: (f, p) => {
      f.alloc(20);
      p.b = f.alloc(20);
    },
    call: (f, p) => f.resize(p.b, 20, 40),
    error: OutOfMemoryError,
    message: /Fixed region is full: 40 bytes do not fit at offset 32/,
  },
  {
    name: "resize of a non-top allocation when full",
    setup: (f, p) => {
      p.a = f.alloc(20);
      f.alloc(20);
    },
    call: (f, p) => f.resize(p.a, 20, 24),
    error: OutOfMemoryError,
    message: /Fixed region is full: 24 bytes/,
  },
  {
    name: "free of a pointer outside the region",
    setup: (f, p) => void (p.a = f.alloc(8)),
    call: (f, p) => f.free(p.a + 4096, 8),
    error: PointerError,
    reason: "foreign",
    message:
      /is outside this fixed region \(0x[0-9a-f]+\+64\): free or resize it with the allocator that made it/,
  },
  {
    name: "resize of a pointer past the bump",
    setup: (f, p) => void (p.a = f.alloc(8)),
    call: (f, p) => f.resize(p.a + 16, 8, 16),
    error: PointerError,
    reason: "double-free",
    message: /is not live in this fixed region/,
  },
];

Deno.test("fixed: bad calls throw and change nothing", async (t) => {
  for (const source of sources) {
    await t.step(source.name, async (t) => {
      for (const c of errorCases) {
        await t.step(c.name, () => {
          using pages = source.make();
          const page = pages.alloc(8192);
          const make = () =>
            new FixedAllocator({
              memory: pages.memory,
              ptr: page,
              length: c.length ?? 64,
            });
          const [bad, twin] = [make(), make()];
          const [p1, p2] = [{}, {}];
          c.setup?.(bad, p1);
          c.setup?.(twin, p2);
          assert.throws(() => c.call(bad, p1), (e: Error) => {
            assert.ok(e instanceof c.error, `${e.name}: ${e.message}`);
            assert.match(e.message, c.message);
            if (c.reason) assert.equal((e as PointerError).reason, c.reason);
            return true;
          });
          assert.equal(bad.bytesUsed, twin.bytesUsed);
          assert.equal(bad.alloc(0), twin.alloc(0));
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
    const bad: [object, new (...a: never[]) => Error, RegExp][] = [
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
    assert.throws(() => fixed.alloc(8), DestroyedError);
    assert.throws(() => fixed.free(a + 16, 8), DestroyedError);
    assert.throws(() => fixed.resize(a, 8, 16), DestroyedError);
  }
});
