// Scratch regions: which arena `scratch(conflict)` picks (as a table), that
// `using` pops, and that ending regions out of order throws and changes
// nothing. Every test ends all the regions it begins, as the scratch arenas
// are shared by the whole worker.
import assert from "node:assert/strict";
import {
  Arena,
  scratch,
  ScratchOrderError,
  type ScratchRegion,
} from "../arena/mod.ts";
import { type Allocator, BufferPages, DestroyedError } from "../os/mod.ts";
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
