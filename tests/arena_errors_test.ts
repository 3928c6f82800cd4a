// Bad input to arenas as data: each case sets up a fresh arena and makes one
// bad call that must throw the error it names. The shared executor then
// proves that nothing changed, also against a twin arena (on a twin parent)
// that never saw the bad call: same bytesUsed, capacity and blocks, and the
// same pointer from the next allocation.
import assert from "node:assert/strict";
import { Arena, type ArenaMark } from "../arena/mod.ts";
import {
  BufferPages,
  DestroyedError,
  OutOfMemoryError,
  PointerError,
} from "../os/mod.ts";
import { type Parent, parents } from "./_arena_parents.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";
import { type Case, type Env as RunEnv, runCase } from "./_run_ops.ts";
import { arenaSubject } from "./_subjects.ts";

type Handles = {
  arena: Arena;
  parent: Parent;
  marks: Record<string, ArenaMark>;
};
type Env = RunEnv<Handles>;

interface ArenaCase extends Case<Handles> {
  blockSize?: number;
}

const MiB = 2 ** 20;
// The whole message for a mark that is not live.
const STALE =
  /^Mark \d+ is not a live mark of this arena: it comes from another arena, or a pop\(\) to an earlier mark or a clear\(\) discarded it; take a new mark\(\)$/;

const sizeCases: ArenaCase[] = ([
  [-1, /non-negative integer, got -1/],
  [1.5, /non-negative integer, got 1.5/],
  [NaN, /non-negative integer, got NaN/],
  [Infinity, /non-negative integer, got Infinity/],
  [2 ** 40, /Size 1099511627776 exceeds the size of the memory/],
] as const).flatMap(([size, message]): ArenaCase[] => [
  {
    name: `alloc(${size})`,
    ops: [[
      "throws",
      ({ arena }) => arena.alloc(size),
      RangeError,
      null,
      message,
    ]],
  },
  {
    name: `resize to ${size}`,
    ops: [["alloc", "a", 16], [
      "throws",
      ({ arena, ptr }) => arena.resize(ptr.a, 16, size),
      RangeError,
      null,
      new RegExp("^New size.*" + message.source.replace(/^Size \d+ /, "")),
    ]],
  },
  {
    name: `free with size ${size}`,
    ops: [["alloc", "a", 16], [
      "throws",
      ({ arena, ptr }) => arena.free(ptr.a, size),
      RangeError,
      null,
      message,
    ]],
  },
]);

/** Takes a pointer from the arena's parent: memory of another allocator. */
const foreign = ({ arena, ptr, parent }: Env) => {
  arena.alloc(10);
  ptr.foreign = parent.parent.alloc(64);
};

const cases: ArenaCase[] = [
  ...sizeCases,
  {
    name: "alloc of a string",
    ops: [[
      "throws",
      ({ arena }) => arena.alloc("16" as unknown as number),
      TypeError,
      null,
      /Size must be a number, got string/,
    ]],
  },
  {
    name: "alloc larger than the parent can give (huge but inside memory)",
    // (Half the reservation is taken: the other half is too little.)
    ops: [["alloc", "a", 100], ["alloc", "half", 32 * MiB], [
      "throws",
      ({ arena }) => arena.alloc(32 * MiB),
      OutOfMemoryError,
      null,
      /Out of memory/,
    ]],
  },
  {
    name:
      "alloc whose alignment needs a block larger than the parent's reservation",
    ops: [[
      "throws",
      ({ parent }) =>
        new Arena({ parent: parent.parent, alignment: 2 ** 30 }).alloc(1),
      OutOfMemoryError,
      null,
      /^Arena cannot hold 1 bytes at alignment 1073741824: it needs a block of \d+ bytes, more than its parent can give \(Size \d+ exceeds /,
    ]],
  },
  {
    name: "pop of another arena's mark",
    ops: [["call", (env) => {
      using other = new Arena({ parent: env.parent.parent });
      env.marks.m = other.mark();
    }], [
      "throws",
      ({ arena, marks }) => arena.pop(marks.m),
      RangeError,
      null,
      /not a live mark of this arena: it comes from another arena/,
    ]],
  },
  {
    name: "pop of a mark discarded by a pop to an earlier mark",
    ops: [["call", ({ arena, marks, ptr }) => {
      marks.m1 = arena.mark();
      arena.alloc(100);
      marks.m2 = arena.mark();
      arena.alloc(100);
      arena.pop(marks.m1);
      ptr.a = arena.alloc(300);
    }], [
      "throws",
      ({ arena, marks }) => arena.pop(marks.m2),
      RangeError,
      null,
      /Mark \d+ is not a live mark.*take a new mark\(\)/,
    ]],
  },
  {
    name: "pop of a mark taken at the same place after the mark popped to",
    ops: [["call", ({ arena, marks }) => {
      arena.alloc(100);
      marks.m1 = arena.mark();
      marks.m2 = arena.mark(); // nothing allocated between
      arena.alloc(100);
      arena.pop(marks.m1);
      arena.alloc(50);
    }], [
      "throws",
      ({ arena, marks }) => arena.pop(marks.m2),
      RangeError,
      null,
      STALE,
    ]],
  },
  {
    name: "pop of a mark dropped between two live marks at one place",
    ops: [["call", ({ arena, marks }) => {
      marks.m1 = arena.mark();
      marks.m2 = arena.mark();
      arena.pop(marks.m1); // m2 goes
      marks.m3 = arena.mark(); // at the same place again
      marks.m4 = arena.mark();
      arena.pop(marks.m3); // m4 goes
      marks.m5 = arena.mark();
      arena.alloc(70);
    }], [
      "throws",
      ({ arena, marks }) => arena.pop(marks.m2),
      RangeError,
      null,
      STALE,
    ], [
      "throws",
      ({ arena, marks }) => arena.pop(marks.m4),
      RangeError,
      null,
      STALE,
    ], ["call", ({ arena, marks }) => {
      // The live ones still pop, newest first.
      for (const m of [marks.m5, marks.m3, marks.m1]) {
        arena.alloc(8);
        arena.pop(m);
        assert.equal(arena.bytesUsed, 0);
      }
      arena.alloc(70);
    }]],
  },
  {
    name: "pop of another arena's mark taken between two marks at one place",
    ops: [["call", (env) => {
      using other = new Arena({ parent: env.parent.parent });
      env.marks.m1 = env.arena.mark();
      env.marks.theirs = other.mark();
      env.marks.m2 = env.arena.mark();
      env.marks.m3 = env.arena.mark();
      env.arena.alloc(40);
    }], [
      "throws",
      ({ arena, marks }) => arena.pop(marks.theirs),
      RangeError,
      null,
      STALE,
    ]],
  },
  {
    name: "pop of a mark discarded by clear",
    ops: [["call", ({ arena, marks }) => {
      marks.m = arena.mark();
      arena.clear();
      arena.alloc(10);
    }], [
      "throws",
      ({ arena, marks }) => arena.pop(marks.m),
      RangeError,
      null,
      /not a live mark/,
    ]],
  },
  {
    name: "pop of a made-up mark",
    ops: [[
      "throws",
      ({ arena }) => arena.pop(12345678 as ArenaMark),
      RangeError,
      null,
      /Mark 12345678 is not a live mark/,
    ]],
  },
  {
    name: "free of a pointer outside every block",
    ops: [["call", foreign], [
      "throws",
      ({ arena, ptr }) => arena.free(ptr.foreign, 64),
      PointerError,
      "foreign",
      /is not inside any block of this arena: free or resize it with the allocator that made it/,
    ]],
  },
  {
    name:
      "free of a block's first byte (its header), below the first allocation",
    ops: [["alloc", "a", 16], ["alloc", "b", 16], [
      "throws",
      ({ arena, ptr }) => arena.free(ptr.a - 32, 16),
      PointerError,
      "double-free",
      /with size 16 is not live in this arena/,
    ]],
  },
  {
    name: "resize of a pointer outside every block",
    ops: [["call", foreign], [
      "throws",
      ({ arena, ptr }) => arena.resize(ptr.foreign, 64, 128),
      PointerError,
      "foreign",
      /not inside any block of this arena/,
    ]],
  },
  {
    name: "free of a pointer popped already",
    ops: [["call", ({ arena, marks, ptr }) => {
      marks.m = arena.mark();
      ptr.a = arena.alloc(100);
      arena.pop(marks.m);
    }], [
      "throws",
      ({ arena, ptr }) => arena.free(ptr.a, 100),
      PointerError,
      "double-free",
      /is not live in this arena: it was freed, popped or cleared/,
    ]],
  },
  {
    name: "resize of a pointer in a block kept after clear",
    blockSize: 64,
    ops: [["call", ({ arena, ptr }) => {
      arena.alloc(32);
      ptr.a = arena.alloc(100);
      arena.clear();
      arena.alloc(8);
    }], [
      "throws",
      ({ arena, ptr }) => arena.resize(ptr.a, 100, 200),
      PointerError,
      "double-free",
      /not live in this arena/,
    ]],
  },
  {
    name: "free of the last allocation with another size",
    ops: [["alloc", "a", 16], [
      "throws",
      ({ arena, ptr }) => arena.free(ptr.a, 17),
      PointerError,
      "size-mismatch",
      /^Size 17 does not match the allocation at 0x[0-9a-f]+ \(\d+\), the last one, of 16 bytes: pass the size/,
    ]],
  },
  {
    name: "free of an older allocation with a size that runs past the bump",
    ops: [["alloc", "a", 16], ["alloc", "b", 16], [
      "throws",
      ({ arena, ptr }) => arena.free(ptr.a, 33),
      PointerError,
      "double-free",
      /or the size is not the one it was allocated with/,
    ]],
  },
  {
    name: "free exactly at the bump, past the last allocation",
    ops: [["alloc", "a", 16], [
      "throws",
      ({ arena, ptr }) => arena.free(ptr.a + 16, 16),
      PointerError,
      "double-free",
      /^Pointer 0x[0-9a-f]+ \(\d+\) with size 16 is not live in this arena: it was freed, popped or cleared already/,
    ]],
  },
  {
    name: "resize exactly at the bump, past the last allocation",
    ops: [["alloc", "a", 16], [
      "throws",
      ({ arena, ptr }) => arena.resize(ptr.a + 16, 16, 32),
      PointerError,
      "double-free",
      /with size 16 is not live in this arena/,
    ]],
  },
  {
    name: "free of a negative pointer",
    ops: [[
      "throws",
      ({ arena }) => arena.free(-16, 16),
      PointerError,
      "out-of-range",
      /Pointer -16 is not a non-negative integer/,
    ]],
  },
];

Deno.test("arena: bad calls throw and change nothing", async (t) => {
  for (const maker of parents) {
    await t.step(maker.name, async (t) => {
      for (const c of cases) {
        await t.step(c.name, () => {
          runCase(() => arenaSubject(maker, c), c, {}, { twin: true });
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
  const calls = [
    () => arena.alloc(16),
    () => arena.alloc(0),
    () => arena.resize(p, 16, 32),
    () => arena.resize(p, 16, 0),
    () => arena.free(p, 16),
    () => arena.mark(),
    () => arena.pop(m),
    () => arena.clear(),
  ];
  const state = () => [arena.bytesUsed, arena.capacity, arena.blockCount];
  for (const call of calls) {
    assertRefusedUnchanged({ state }, call, {
      error: DestroyedError,
      message: /^Arena was used after destroy\(\): make a new one/,
    });
  }
  arena.free(0, 16); // a null free does nothing, even now
  assert.ok(arena.destroyed);
});

Deno.test("arena: bad options throw", () => {
  const bad: [unknown, new (...a: never[]) => Error, RegExp][] = [
    [
      null,
      TypeError,
      /^TypeError: Arena options must be an object, such as \{ parent, blockSize \}, got null$/,
    ],
    [
      5,
      TypeError,
      /^TypeError: Arena options must be an object, .*, got number$/,
    ],
    [
      "big",
      TypeError,
      /^TypeError: Arena options must be an object, .*, got string$/,
    ],
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
    assert.throws(() => new Arena(options as never), error);
    assert.throws(() => new Arena(options as never), message);
  }
  for (const maker of parents) {
    using env = maker.make();
    // A first block the parent cannot give: the constructor throws.
    assertRefusedUnchanged(
      { state: () => env.pages.liveBytes },
      () => new Arena({ parent: env.parent, blockSize: 2 ** 27 }),
      { error: RangeError, message: /^Size 134217728 exceeds/ },
    );
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

Deno.test("arena: a grown block that does not fit gives way to the least block that does", () => {
  // 384 pages: blocks of 4 KiB doubling to 512 KiB fill ~1 MiB; the next,
  // 1 MiB, does not fit, but 3000 bytes' block does, until nothing does.
  using pages = new BufferPages({ reserve: 1.5 * MiB });
  using arena = new Arena({ parent: pages });
  let count = 0;
  for (;;) {
    try {
      arena.alloc(3000);
      count++;
    } catch (e) {
      assert.ok(e instanceof OutOfMemoryError);
      assert.equal(e.requested, 3000);
      assert.match(
        e.message,
        /^Arena cannot hold 3000 bytes at alignment 16: it needs a block of 4096 bytes, and its parent has no room for it \(Out of memory: /,
      );
      break;
    }
  }
  // Every page but page 0 went to a block: the doubling blocks (4 KiB to
  // 512 KiB: 1 + 2 + 5 + 10 + 21 + 43 + 87 + 174 allocations), then blocks
  // of the arena's block size (4096, holding one each) in the last 512 KiB.
  assert.equal(pages.liveBytes, pages.reservedBytes - 4096);
  assert.equal(arena.blocks.length, 8 + 128);
  assert.equal(count, 343 + 128);
  // And it still serves what fits in its current block: nothing lost.
  assert.equal(arena.alloc(0) > 0, true);
});
