// Bad input to arenas as data: each case sets up a fresh arena, makes one bad
// call and names the error it must throw. The executor then proves that
// nothing changed, by comparing with a twin arena (on a twin parent) that
// never saw the bad call: same bytesUsed, capacity and blocks, and the same
// pointer from the next allocation.
import assert from "node:assert/strict";
import { Arena, type ArenaMark } from "../arena/mod.ts";
import { DestroyedError, OutOfMemoryError, PointerError } from "../os/mod.ts";
import { type Parent, parents } from "./_arena_parents.ts";

interface Env {
  arena: Arena;
  ptrs: Record<string, number>;
  marks: Record<string, ArenaMark>;
  parent: Parent;
}

interface Case {
  name: string;
  blockSize?: number;
  /** Set-up, run on both arenas. */
  setup?: (env: Env) => void;
  call: (env: Env) => unknown;
  error: new (...args: never[]) => Error;
  reason?: string;
  message: RegExp;
}

const MiB = 2 ** 20;

const sizeCases: Case[] = ([
  [-1, /non-negative integer, got -1/],
  [1.5, /non-negative integer, got 1.5/],
  [NaN, /non-negative integer, got NaN/],
  [Infinity, /non-negative integer, got Infinity/],
  [2 ** 40, /Size 1099511627776 exceeds the size of the memory/],
] as const).flatMap(([size, message]) => [
  {
    name: `alloc(${size})`,
    call: ({ arena }: Env) => arena.alloc(size),
    error: RangeError,
    message,
  },
  {
    name: `resize to ${size}`,
    setup: ({ arena, ptrs }: Env) => void (ptrs.a = arena.alloc(16)),
    call: ({ arena, ptrs }: Env) => arena.resize(ptrs.a, 16, size),
    error: RangeError,
    message: new RegExp(
      "^New size.*" + message.source.replace(/^Size \d+ /, ""),
    ),
  },
  {
    name: `free with size ${size}`,
    setup: ({ arena, ptrs }: Env) => void (ptrs.a = arena.alloc(16)),
    call: ({ arena, ptrs }: Env) => arena.free(ptrs.a, size),
    error: RangeError,
    message,
  },
]);

const cases: Case[] = [
  ...sizeCases,
  {
    name: "alloc of a string",
    call: ({ arena }) => arena.alloc("16" as unknown as number),
    error: TypeError,
    message: /Size must be a number, got string/,
  },
  {
    name: "alloc larger than the parent can give (huge but inside memory)",
    setup: ({ arena, ptrs }) => void (ptrs.a = arena.alloc(100)),
    call: ({ arena }) => arena.alloc(64 * MiB - 2 * 4096 + 1),
    error: OutOfMemoryError,
    message: /Out of memory/,
  },
  {
    name: "pop of another arena's mark",
    setup: (env) => {
      using other = new Arena({ parent: env.parent.parent });
      env.marks.m = other.mark();
    },
    call: ({ arena, marks }) => arena.pop(marks.m),
    error: RangeError,
    message: /not a live mark of this arena: it comes from another arena/,
  },
  {
    name: "pop of a mark discarded by a pop to an earlier mark",
    setup: ({ arena, marks, ptrs }) => {
      marks.m1 = arena.mark();
      arena.alloc(100);
      marks.m2 = arena.mark();
      arena.alloc(100);
      arena.pop(marks.m1);
      ptrs.a = arena.alloc(300);
    },
    call: ({ arena, marks }) => arena.pop(marks.m2),
    error: RangeError,
    message: /Mark \d+ is not a live mark.*take a new mark\(\)/,
  },
  {
    name: "pop of a mark discarded by clear",
    setup: ({ arena, marks }) => {
      marks.m = arena.mark();
      arena.clear();
      arena.alloc(10);
    },
    call: ({ arena, marks }) => arena.pop(marks.m),
    error: RangeError,
    message: /not a live mark/,
  },
  {
    name: "pop of a made-up mark",
    call: ({ arena }) => arena.pop(12345678 as ArenaMark),
    error: RangeError,
    message: /Mark 12345678 is not a live mark/,
  },
  {
    name: "free of a pointer outside every block",
    setup: ({ arena, ptrs, parent }) => {
      arena.alloc(10);
      ptrs.foreign = parent.parent.alloc(64);
    },
    call: ({ arena, ptrs }) => arena.free(ptrs.foreign, 64),
    error: PointerError,
    reason: "foreign",
    message:
      /is not inside any block of this arena: free or resize it with the allocator that made it/,
  },
  {
    name: "resize of a pointer outside every block",
    setup: ({ arena, ptrs, parent }) => {
      arena.alloc(10);
      ptrs.foreign = parent.parent.alloc(64);
    },
    call: ({ arena, ptrs }) => arena.resize(ptrs.foreign, 64, 128),
    error: PointerError,
    reason: "foreign",
    message: /not inside any block of this arena/,
  },
  {
    name: "free of a pointer popped already",
    setup: ({ arena, marks, ptrs }) => {
      marks.m = arena.mark();
      ptrs.a = arena.alloc(100);
      arena.pop(marks.m);
    },
    call: ({ arena, ptrs }) => arena.free(ptrs.a, 100),
    error: PointerError,
    reason: "double-free",
    message: /is not live in this arena: it was freed, popped or cleared/,
  },
  {
    name: "resize of a pointer in a block kept after clear",
    blockSize: 64,
    setup: ({ arena, ptrs }) => {
      arena.alloc(32);
      ptrs.a = arena.alloc(100);
      arena.clear();
      arena.alloc(8);
    },
    call: ({ arena, ptrs }) => arena.resize(ptrs.a, 100, 200),
    error: PointerError,
    reason: "double-free",
    message: /not live in this arena/,
  },
  {
    name: "free with a size that runs past the bump",
    setup: ({ arena, ptrs }) => void (ptrs.a = arena.alloc(16)),
    call: ({ arena, ptrs }) => arena.free(ptrs.a, 17),
    error: PointerError,
    reason: "double-free",
    message: /or the size is not the one it was allocated with/,
  },
  {
    name: "free of a negative pointer",
    call: ({ arena }) => arena.free(-16, 16),
    error: RangeError,
    message: /Pointer must be a non-negative integer, got -16/,
  },
];

Deno.test("arena: bad calls throw and change nothing", async (t) => {
  for (const maker of parents) {
    await t.step(maker.name, async (t) => {
      for (const c of cases) {
        await t.step(c.name, () => {
          using p1 = maker.make();
          using p2 = maker.make();
          const make = (parent: Parent): Env => ({
            arena: new Arena({ parent: parent.parent, blockSize: c.blockSize }),
            ptrs: {},
            marks: {},
            parent,
          });
          const [bad, twin] = [make(p1), make(p2)];
          using _a = bad.arena;
          using _b = twin.arena;
          c.setup?.(bad);
          c.setup?.(twin);
          assert.throws(() => c.call(bad), (e: Error) => {
            assert.ok(e instanceof c.error, `${e.name}: ${e.message}`);
            assert.match(e.message, c.message);
            assert.match(e.message, /^[A-Z]/, "sentence case");
            if (c.reason) assert.equal((e as PointerError).reason, c.reason);
            return true;
          });
          const state = (a: Arena) => [
            a.bytesUsed,
            a.capacity,
            a.currentBlock,
            a.blocks,
            a.alloc(24),
          ];
          assert.deepEqual(state(bad.arena), state(twin.arena));
        });
      }
    });
  }
});

Deno.test("arena: every call after destroy throws a DestroyedError", () => {
  const arena = new Arena();
  const p = arena.alloc(16);
  const m = arena.mark();
  arena.destroy();
  const calls: [string, () => unknown][] = [
    ["alloc", () => arena.alloc(16)],
    ["alloc 0", () => arena.alloc(0)],
    ["resize", () => arena.resize(p, 16, 32)],
    ["resize to 0", () => arena.resize(p, 16, 0)],
    ["free", () => arena.free(p, 16)],
    ["mark", () => arena.mark()],
    ["pop", () => arena.pop(m)],
    ["clear", () => arena.clear()],
  ];
  for (const [name, call] of calls) {
    assert.throws(call, DestroyedError, name);
    assert.throws(call, /Arena was used after destroy\(\): make a new one/);
  }
  arena.free(0, 16); // a null free does nothing, even now
  assert.ok(arena.destroyed);
});

Deno.test("arena: bad options throw", () => {
  const bad: [object, new (...a: never[]) => Error, RegExp][] = [
    [{ alignment: 3 }, RangeError, /power of two from 1 to 2\^30.*got 3/],
    [{ alignment: 0 }, RangeError, /power of two.*got 0/],
    [{ alignment: 2 ** 31 }, RangeError, /power of two.*got 2147483648/],
    [{ alignment: 1.5 }, RangeError, /power of two.*got 1.5/],
    [{ alignment: "8" }, TypeError, /Alignment must be a number/],
    [{ blockSize: 32 }, RangeError, /at least 64 .*got 32/],
    [{ blockSize: -1 }, RangeError, /Block size must be a non-negative/],
    [{ blockSize: NaN }, RangeError, /Block size must be a non-negative/],
    [{ parent: {} }, TypeError, /Parent must be an Allocator/],
  ];
  for (const [options, error, message] of bad) {
    assert.throws(() => new Arena(options), error);
    assert.throws(() => new Arena(options), message);
  }
  for (const maker of parents) {
    using env = maker.make();
    const live = env.pages.liveBytes;
    // A first block the parent cannot give: the constructor throws.
    assert.throws(
      () => new Arena({ parent: env.parent, blockSize: 2 ** 27 }),
      maker.pageAligned ? RangeError : Error,
    );
    assert.equal(env.pages.liveBytes, live);
  }
});

Deno.test("arena: destroy after its parent was destroyed forgets the blocks", () => {
  for (const maker of parents) {
    const env = maker.make();
    const arena = new Arena({ parent: env.parent });
    arena.alloc(10);
    env[Symbol.dispose]();
    arena.destroy();
    assert.ok(arena.destroyed);
  }
});
