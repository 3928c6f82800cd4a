// Scratch regions: which arena `scratch(conflict)` picks (as a table), that
// `using` pops, that ending regions out of order throws and changes nothing,
// that bad arguments are refused (as a table) and that a region whose start
// the arena lost, or a destroyed arena or page source, leaves nothing broken.
// Every test ends all the regions it can, as the scratch arenas are shared by
// the whole worker (the page source one replaces them, so it comes last).
import assert from "node:assert/strict";
import {
  Arena,
  scratch,
  ScratchOrderError,
  ScratchRegion,
} from "../arena/mod.ts";
import {
  type Allocator,
  BufferPages,
  DestroyedError,
  type PageSource,
} from "../os/mod.ts";
import { DebugAllocator } from "../debug/mod.ts";
import { hasPattern, isZero, writePattern } from "./_bytes.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";

// The two scratch arenas, in the order scratch() uses them.
const [A, B] = (() => {
  using a = scratch();
  using b = scratch(a);
  return [a.arena, b.arena];
})();

interface ConflictCase {
  name: string;
  /**
   * Regions begun in order: [name, conflict] (a region name, "A"/"B" for an
   * arena, "other", or none; "debug:x" and "arena:x" wrap x in a
   * DebugAllocator or an Arena on it).
   */
  begin: [name: string, conflict?: string][];
  /** Which arena each region is on. */
  expect: Record<string, "A" | "B">;
}

const conflictCases: ConflictCase[] = [
  {
    name: "no conflict: the first arena",
    begin: [["r"]],
    expect: { r: "A" },
  },
  {
    name: "a region on A as conflict gives B, and one on B gives A",
    begin: [["r1"], ["r2", "r1"], ["r3", "r2"]],
    expect: { r1: "A", r2: "B", r3: "A" },
  },
  {
    name: "an allocator whose parent is a region is that region's conflict",
    begin: [["r1"], ["r2", "debug:r1"], ["r3", "arena:r2"]],
    expect: { r1: "A", r2: "B", r3: "A" },
  },
  {
    name: "a parent chain is followed to the region",
    begin: [["r1"], ["r2", "debug:arena:debug:r1"]],
    expect: { r1: "A", r2: "B" },
  },
  {
    name: "an allocator whose parent is a scratch arena is its conflict",
    begin: [["r1", "debug:A"], ["r2", "arena:other"]],
    expect: { r1: "B", r2: "A" },
  },
  {
    name: "an arena as conflict gives the other",
    begin: [["r1", "A"], ["r2", "B"]],
    expect: { r1: "B", r2: "A" },
  },
  {
    name: "an unrelated allocator as conflict gives the first arena",
    begin: [["r", "other"]],
    expect: { r: "A" },
  },
  {
    name: "nested regions without conflict share the first arena",
    begin: [["r1"], ["r2"]],
    expect: { r1: "A", r2: "A" },
  },
];

Deno.test("scratch: conflict selection", async (t) => {
  for (const c of conflictCases) {
    await t.step(c.name, () => {
      using other = new BufferPages({ reserve: 2 ** 16 });
      const regions: Record<string, ScratchRegion> = {};
      const named = (n?: string): Allocator | undefined =>
        n === undefined
          ? undefined
          : n.startsWith("debug:")
          ? new DebugAllocator({ parent: named(n.slice(6))! })
          : n.startsWith("arena:")
          ? new Arena({ parent: named(n.slice(6)), blockSize: 256 })
          : n === "A"
          ? A
          : n === "B"
          ? B
          : n === "other"
          ? other
          : regions[n];
      const opened: ScratchRegion[] = [];
      try {
        for (const [name, conflict] of c.begin) {
          regions[name] = scratch(named(conflict));
          opened.push(regions[name]);
        }
        for (const [name, which] of Object.entries(c.expect)) {
          assert.equal(regions[name].arena, which === "A" ? A : B, name);
        }
      } finally {
        for (const r of opened.reverse()) r.end();
      }
    });
  }
});

Deno.test("scratch: the arenas have the default options", () => {
  assert.notEqual(A, B);
  for (const arena of [A, B]) {
    assert.deepEqual([arena.alignment, arena.blockSize], [16, 4096]);
    assert.equal(arena.bytesUsed, 0);
  }
  assert.equal(A.memory, B.memory, "one shared page source");
});

Deno.test("scratch: `using` pops back, and the memory is reused zeroed", () => {
  const before = A.bytesUsed;
  let first = 0;
  {
    using s = scratch();
    first = s.alloc(100);
    writePattern(s.memory, first, 100, 7);
    {
      using inner = scratch();
      const p = inner.alloc(5000); // into a new block
      inner.memory.fill(p, 5000, 0xff);
      assert.ok(A.bytesUsed > before + 5000);
    }
    assert.equal(A.bytesUsed, before + 100, "the inner region popped");
    assert.ok(hasPattern(s.memory, first, 100, 7), "the outer is intact");
  }
  assert.equal(A.bytesUsed, before);
  using again = scratch();
  const p = again.alloc(100);
  assert.equal(p, first);
  assert.ok(isZero(again.memory, p, 100));
});

Deno.test("scratch: a function given a scratch region can use scratch too", () => {
  const fill = (out: ScratchRegion, n: number) => {
    using tmp = scratch(out);
    const t = tmp.alloc(n);
    tmp.memory.fill(t, n, 9);
    const r = out.alloc(n);
    out.memory.copy(r, t, n);
    return r;
  };
  using out = scratch();
  const r = fill(out, 64);
  const s = fill(out, 64);
  assert.equal(out.memory.u8[r + 63], 9);
  assert.equal(out.memory.u8[s], 9);
  assert.equal(B.bytesUsed, 0, "the helper's region ended");
});

Deno.test("scratch: an outer region cannot allocate while an inner one is open", () => {
  const outer = scratch();
  const p = outer.alloc(16);
  outer.memory.u8.fill(42, p, p + 16);
  const inner = scratch();
  const q = inner.alloc(32);
  assert.equal(q, p + 16);
  const regions = {
    state: () => [A.bytesUsed, [...outer.memory.u8.slice(p, p + 48)]],
  };
  const before = regions.state();
  assert.deepEqual(before, [48, [...Array(16).fill(42), ...Array(32).fill(0)]]);
  const outOfOrder = (what: string) => ({
    error: ScratchOrderError,
    message: new RegExp(
      `^Scratch region 1 of scratch arena 0 ${what} while region 2 \\(begun inside it\\) is still open: the inner region's end would take the memory; allocate from the inner region, or end it first$`,
    ),
  });
  for (
    const [what, call] of [
      ["allocated", () => outer.alloc(16)],
      ["allocated", () => outer.allocUnsafe(16, 64)],
      ["resized", () => outer.resize(p, 16, 64)],
      ["resized", () => outer.resize(p, 16, 8)],
      ["resized", () => outer.resize(0, 0, 8)],
    ] as const
  ) {
    assertRefusedUnchanged(regions, call, outOfOrder(what));
  }
  outer.free(p, 16); // below the inner region's start: a no-op
  assert.deepEqual(regions.state(), before);
  // A region on the other arena is not held up by A's.
  const other = scratch(inner);
  assert.equal(other.arena, B);
  assert.equal(other.alloc(8) - B.blocks[0].ptr, 32);
  other.end();
  inner.end();
  assert.equal(A.bytesUsed, 16);
  assert.equal(outer.alloc(16), p + 16, "allocates again once innermost");
  assert.deepEqual(
    [...outer.memory.u8.slice(p, p + 16)],
    Array(16).fill(42),
    "the outer region's bytes survived the inner region's end",
  );
  outer.end();
  assert.equal(A.bytesUsed, 0);
});

Deno.test("scratch: squares() with a DebugAllocator over a region as `out`", () => {
  // The scratch() example, with `out` wrapping the region: tmp must be on
  // the other arena, or ending it pops the result (or, as out is then not
  // the innermost region on its arena, out.alloc throws).
  function squares(out: Allocator, n: number): number {
    using tmp = scratch(out);
    assert.equal(tmp.arena, B);
    const t = tmp.alloc(8 * n);
    for (let i = 0; i < n; i++) tmp.memory.f64[t / 8 + i] = i;
    const result = out.alloc(8 * n);
    for (let i = 0; i < n; i++) {
      out.memory.f64[result / 8 + i] = tmp.memory.f64[t / 8 + i] ** 2;
    }
    return result;
  }
  using s = scratch();
  const debug = new DebugAllocator({ parent: s, redZone: 16, quarantine: 0 });
  const r = squares(debug, 4);
  assert.deepEqual([...s.memory.view(Float64Array, r, 4)], [0, 1, 4, 9]);
  assert.equal(B.bytesUsed, 0, "tmp ended");
  debug.free(r, 32);
});

Deno.test("scratch: ending regions out of order throws and changes nothing", () => {
  const outer = scratch();
  const inner = scratch();
  const p = inner.alloc(64);
  writePattern(inner.memory, p, 64, 3);
  const regions = {
    state: () => [A.bytesUsed, outer.ended, inner.ended],
    validate: () =>
      assert.ok(
        hasPattern(inner.memory, p, 64, 3),
        "the inner region is intact",
      ),
  };
  const outOfOrder = {
    error: ScratchOrderError,
    message:
      /^Scratch region 1 of scratch arena 0 ended while region 2 \(begun inside it\) is still open: end the inner region first/,
  };
  assertRefusedUnchanged(regions, () => outer.end(), outOfOrder);
  assertRefusedUnchanged(regions, () => outer[Symbol.dispose](), outOfOrder);
  assert.ok(!outer.ended);
  inner.end();
  outer.end();
  outer.end(); // again: nothing
  assert.equal(A.bytesUsed, 0);
  // Out of order on B does not involve A.
  const a = scratch();
  const b1 = scratch(a);
  const b2 = scratch(a);
  assert.throws(() => b1.end(), ScratchOrderError);
  a.end(); // A's only region: fine
  b2.end();
  b1.end();
});

Deno.test("scratch: a region cannot be used after it ends", () => {
  const s = scratch();
  const p = s.alloc(8);
  s.end();
  assert.ok(s.ended);
  for (
    const call of [
      () => s.alloc(8),
      () => s.free(p, 8),
      () => s.resize(p, 8, 16),
    ]
  ) {
    assert.throws(call, DestroyedError);
    assert.throws(call, /Scratch region was used after it ended/);
  }
});

Deno.test("scratch: a region whose start was popped by the arena itself", () => {
  const s = scratch();
  s.alloc(10);
  s.arena.clear();
  assert.throws(() => s.end(), /not a live mark of this arena/);
  assert.ok(s.ended, "it counts as ended");
  using t = scratch();
  assert.equal(t.arena, A);
});

// Where the first allocation of a region on an empty scratch arena goes: past
// the first block's 32-byte header.
const firstPtr = (arena: Arena) => arena.blocks[0].ptr + 32;

// The mark in the RangeError is a number the arena hands out; the rest is exact.
const markGone =
  /^Mark \d+ is not a live mark of this arena: it comes from another arena, or a pop\(\) to an earlier mark or a clear\(\) discarded it; take a new mark\(\)$/;

interface BadArgumentCase {
  name: string;
  call: () => unknown;
  error: TypeError | RangeError;
}

const slotType = (kind: string) =>
  new TypeError(
    `ScratchRegion slot must be a number, 0 or 1 (one of the two scratch arenas), got ${kind}; begin regions with scratch(), which picks the slot`,
  );
const slotRange = (value: string) =>
  new RangeError(
    `ScratchRegion slot must be 0 or 1 (one of the two scratch arenas), got ${value}; begin regions with scratch(), which picks the slot`,
  );
const conflictType = (kind: string) =>
  new TypeError(
    `Scratch conflict must be an Allocator (such as a scratch region, or an allocator on one) or undefined, got ${kind}`,
  );

const badArgumentCases: BadArgumentCase[] = [
  {
    name: "slot 2",
    call: () => new ScratchRegion(2 as 0),
    error: slotRange("2"),
  },
  {
    name: "slot -1",
    call: () => new ScratchRegion(-1 as 0),
    error: slotRange("-1"),
  },
  {
    name: "slot 0.5",
    call: () => new ScratchRegion(0.5 as 0),
    error: slotRange("0.5"),
  },
  {
    name: "slot NaN",
    call: () => new ScratchRegion(NaN as 0),
    error: slotRange("NaN"),
  },
  {
    name: 'slot "x"',
    call: () => new ScratchRegion("x" as never),
    error: slotType("string"),
  },
  {
    name: 'slot "0"',
    call: () => new ScratchRegion("0" as never),
    error: slotType("string"),
  },
  {
    name: "slot undefined",
    call: () => new (ScratchRegion as new () => unknown)(),
    error: slotType("undefined"),
  },
  {
    name: "slot null",
    call: () => new ScratchRegion(null as never),
    error: slotType("null"),
  },
  {
    name: "slot 1n",
    call: () => new ScratchRegion(1n as never),
    error: slotType("bigint"),
  },
  {
    name: "conflict 5",
    call: () => scratch(5 as never),
    error: conflictType("number"),
  },
  {
    name: 'conflict "str"',
    call: () => scratch("str" as never),
    error: conflictType("string"),
  },
  {
    name: "conflict true",
    call: () => scratch(true as never),
    error: conflictType("boolean"),
  },
  {
    name: "conflict null",
    call: () => scratch(null as never),
    error: conflictType("null"),
  },
  {
    name: "conflict {}",
    call: () => scratch({} as never),
    error: conflictType("object with no alloc method"),
  },
  {
    name: "conflict a function",
    call: () => scratch((() => 0) as never),
    error: conflictType("function"),
  },
];

Deno.test("scratch: arguments naming no arena are refused, and nothing is made", async (t) => {
  const pages = A.parent as PageSource;
  const state = () => [pages.liveBytes, A.bytesUsed, B.bytesUsed];
  const blockBytes = [...A.blocks, ...B.blocks].reduce((n, b) => n + b.size, 0);
  const before = state();
  assert.deepEqual(before, [blockBytes, 0, 0], "the two arenas' blocks alone");
  for (const c of badArgumentCases) {
    await t.step(c.name, () => {
      assert.throws(c.call, c.error);
      assert.deepEqual(state(), before, "nothing was made");
      // The slot counts are untouched: a region begins, allocates and ends.
      using r = scratch();
      assert.equal(r.arena, A);
      assert.equal(r.alloc(16), firstPtr(A));
    });
  }
  // What is allowed: slots 0 and 1, and a conflict that is omitted.
  {
    using zero = new ScratchRegion(0);
    using one = new ScratchRegion(1);
    using none = scratch(undefined);
    assert.deepEqual([zero.arena, one.arena, none.arena], [A, B, A]);
    assert.equal(one.alloc(16), firstPtr(B));
    assert.equal(none.alloc(16), firstPtr(A));
  }
  assert.deepEqual(state(), before);
});

Deno.test("scratch: a region whose start a clear() discarded clears the arena when it ends", () => {
  // The outermost region: nothing else is open on the arena, so its end
  // clears it, and the next region starts empty.
  const r = scratch();
  r.alloc(100);
  A.clear();
  assert.equal(r.alloc(200), firstPtr(A));
  assert.equal(A.bytesUsed, 200);
  assert.throws(() => r.end(), { name: "RangeError", message: markGone });
  assert.ok(r.ended, "it counts as ended");
  assert.equal(A.bytesUsed, 0, "the arena was cleared");
  r.end(); // again: nothing
  using next = scratch();
  assert.equal(next.arena, A);
  assert.equal(A.bytesUsed, 0);
  assert.equal(next.alloc(16), firstPtr(A));
});

Deno.test("scratch: with both regions' starts cleared, the outer end clears the arena", () => {
  const outer = scratch();
  outer.alloc(16);
  const inner = scratch();
  inner.alloc(32);
  A.clear();
  assert.equal(inner.alloc(200), firstPtr(A));
  // The outer region is still open: its end takes the bytes.
  assert.throws(() => inner.end(), { name: "RangeError", message: markGone });
  assert.ok(inner.ended);
  assert.equal(A.bytesUsed, 200);
  assert.equal(outer.alloc(8), firstPtr(A) + 208, "innermost again");
  assert.throws(() => outer.end(), { name: "RangeError", message: markGone });
  assert.ok(outer.ended);
  assert.equal(A.bytesUsed, 0, "the last region on the arena cleared it");
  using next = scratch();
  assert.equal(next.alloc(16), firstPtr(A));
});

Deno.test("scratch: an inner region whose start a pop() discarded leaves the outer region's bytes", () => {
  const outer = scratch();
  const p = outer.alloc(16);
  assert.equal(p, firstPtr(A));
  writePattern(outer.memory, p, 16, 5);
  const mark = A.mark(); // taken in the outer region
  const inner = scratch();
  inner.alloc(32);
  A.pop(mark); // discards the inner region's start
  assert.equal(inner.alloc(64), p + 16);
  assert.throws(() => inner.end(), { name: "RangeError", message: markGone });
  assert.ok(inner.ended);
  // Rewinding to the outer region's start would take its 16 live bytes; the
  // inner region's 64 stay until the outer region ends.
  assert.equal(A.bytesUsed, 80);
  assert.ok(hasPattern(outer.memory, p, 16, 5), "the outer region is intact");
  assert.equal(outer.alloc(8), p + 80);
  outer.end();
  assert.equal(A.bytesUsed, 0);
  using next = scratch();
  assert.equal(next.alloc(16), firstPtr(A));
});

Deno.test("scratch: a destroyed scratch arena is made again", () => {
  const s = scratch();
  assert.throws(() => {
    s.arena.destroy();
    s.end();
  }, DestroyedError);
  using t = scratch();
  assert.ok(t.arena instanceof Arena);
  assert.notEqual(t.arena, A);
  assert.equal(t.alloc(16) % 16, 0);
});

Deno.test("scratch: a destroyed page source is replaced on the next scratch()", () => {
  const [oldFirst, oldSecond] = (() => {
    using a = scratch();
    using b = scratch(a);
    return [a.arena, b.arena];
  })();
  const pages = oldFirst.parent as PageSource;
  assert.equal(oldSecond.parent, pages, "one shared page source");
  const open = scratch(); // left open on the old first arena
  pages.destroy();
  // Both arenas, and the page source under them, are made again.
  const s = scratch();
  const t = scratch(s);
  const fresh = s.arena.parent as PageSource;
  assert.notEqual(fresh, pages);
  assert.equal(fresh.destroyed, false);
  assert.equal(t.arena.parent, fresh, "one shared page source again");
  assert.notEqual(s.arena, oldFirst);
  assert.notEqual(t.arena, oldSecond);
  assert.notEqual(s.arena, t.arena);
  assert.deepEqual([s.arena.alignment, s.arena.blockSize], [16, 4096]);
  assert.equal(fresh.liveBytes, 8192);
  assert.equal(s.alloc(16), firstPtr(s.arena));
  assert.equal(t.alloc(24), firstPtr(t.arena));
  assert.deepEqual([s.arena.bytesUsed, t.arena.bytesUsed], [16, 24]);
  // The region left open on the old arena cannot end, and does not hold up
  // the new first arena's regions.
  assert.throws(
    () => open.end(),
    new DestroyedError(
      "Scratch region ended after its arena was destroyed: do not destroy scratch arenas",
    ),
  );
  t.end();
  s.end();
  assert.deepEqual([s.arena.bytesUsed, t.arena.bytesUsed], [0, 0]);
  using again = scratch(scratch(undefined)); // on the second arena
  assert.equal(again.arena, t.arena);
});
