// The alignment padding before a bump allocator's allocation is given back
// with it: a free of the top allocation puts the bump back where it was
// before that allocation (the end of the one below, or the floor), so frees
// newest first give every byte back, the padding before the oldest one too.
// (The bump stayed at the freed pointer: a 10-byte allocation at a per-call
// alignment of 2048, freed, left a fixed region 2032 bytes used, and
// alloc(3000) in the empty 4096-byte region threw an OutOfMemoryError.)
//
// One table, one executor, on a FixedAllocator and on an Arena on a page
// source and on a heap. Every subject has the same geometry: a data area of
// LENGTH bytes starting 32 bytes past a page boundary (the arena's block
// header), so the offsets from it below hold for every alignment up to 2048.
// Each step lists the offset it allocates at and bytesUsed after it; the
// next allocation must take the rest of the block or region at `next`.
import assert from "node:assert/strict";
import {
  Arena,
  type ArenaMark,
  FixedAllocator,
  scratch,
} from "../arena/mod.ts";
import { TOP_STACK_LIMIT } from "../arena/_top_stack.ts";
import { Heap } from "../heap/mod.ts";
import { BufferPages, OutOfMemoryError } from "../os/mod.ts";

const BLOCK = 8192;
/** The data bytes of the first block (or the fixed region's length). */
const LENGTH = BLOCK - 32;

type Step =
  /** `name = alloc(size, align)` at `at` from the data start of `block`. */
  | {
    alloc: string;
    size: number;
    align?: number;
    at: number;
    block?: number;
    used: number;
  }
  /** `free(name, its size)`. */
  | { free: string; used: number }
  /** `as = resize(name, its size, size, align)`, at `at` in `block`. */
  | {
    resize: string;
    size: number;
    align?: number;
    as: string;
    at: number;
    block?: number;
    used: number;
  }
  | { mark: true; used: number }
  /** Pops to the newest mark. */
  | { pop: true; used: number }
  | { clear: true; used: number };

interface Case {
  name: string;
  /** The allocator's alignment option. */
  alignment: number;
  steps: Step[];
  /** The next allocation's offset in the current block. */
  next: number;
  /** Bytes used in the blocks before the current one (default 0). */
  before?: number;
}

const cases: Case[] = [
  // An older allocation shrunk in place: the bytes it gave up are padding
  // before the one above it, so that free puts the bump at its new end and
  // the older one's free with its new size is the top's. (A free of A with
  // size 2 was a size-mismatch: the bump stopped at A's old end.)
  {
    name: "an older allocation shrunk in place, then frees newest first",
    alignment: 16,
    steps: [
      { alloc: "A", size: 15, at: 0, used: 15 },
      { alloc: "B", size: 7, at: 16, used: 23 },
      { alloc: "C", size: 82, at: 32, used: 114 },
      { free: "C", used: 23 },
      { resize: "A", size: 2, as: "A", at: 0, used: 23 },
      { resize: "B", size: 14, as: "B", at: 16, used: 30 },
      { free: "B", used: 2 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  // Packed: no padding anywhere (the same before and after the fix).
  {
    name: "one",
    alignment: 1,
    steps: [{ alloc: "A", size: 10, at: 0, used: 10 }, { free: "A", used: 0 }],
    next: 0,
  },
  {
    name: "two",
    alignment: 1,
    steps: [
      { alloc: "A", size: 10, at: 0, used: 10 },
      { alloc: "B", size: 20, at: 10, used: 30 },
      { free: "B", used: 10 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  {
    name: "three",
    alignment: 1,
    steps: [
      { alloc: "A", size: 10, at: 0, used: 10 },
      { alloc: "B", size: 20, at: 10, used: 30 },
      { alloc: "C", size: 30, at: 30, used: 60 },
      { free: "C", used: 30 },
      { free: "B", used: 10 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  {
    name: "mark, one",
    alignment: 1,
    steps: [
      { mark: true, used: 0 },
      { alloc: "A", size: 10, at: 0, used: 10 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  {
    name: "one, mark, two",
    alignment: 1,
    steps: [
      { alloc: "A", size: 10, at: 0, used: 10 },
      { mark: true, used: 10 },
      { alloc: "B", size: 20, at: 10, used: 30 },
      { alloc: "C", size: 30, at: 30, used: 60 },
      { free: "C", used: 30 },
      { free: "B", used: 10 },
      { free: "A", used: 10 }, // before the mark: frozen
    ],
    next: 10,
  },
  // 16: the data start is aligned; the padding is after unaligned ends.
  {
    name: "one",
    alignment: 16,
    steps: [{ alloc: "A", size: 10, at: 0, used: 10 }, { free: "A", used: 0 }],
    next: 0,
  },
  {
    name: "two",
    alignment: 16,
    steps: [
      { alloc: "A", size: 10, at: 0, used: 10 },
      { alloc: "B", size: 20, at: 16, used: 36 },
      { free: "B", used: 10 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  {
    name: "three",
    alignment: 16,
    steps: [
      { alloc: "A", size: 10, at: 0, used: 10 },
      { alloc: "B", size: 20, at: 16, used: 36 },
      { alloc: "C", size: 30, at: 48, used: 78 },
      { free: "C", used: 36 },
      { free: "B", used: 10 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  {
    name: "mark, one",
    alignment: 16,
    steps: [
      { mark: true, used: 0 },
      { alloc: "A", size: 10, at: 0, used: 10 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  {
    name: "one, mark, two",
    alignment: 16,
    steps: [
      { alloc: "A", size: 10, at: 0, used: 10 },
      { mark: true, used: 10 },
      { alloc: "B", size: 20, at: 16, used: 36 },
      { alloc: "C", size: 30, at: 48, used: 78 },
      { free: "C", used: 36 },
      { free: "B", used: 10 }, // the padding after the mark too
      { free: "A", used: 10 },
    ],
    next: 16,
  },
  {
    name: "one at a per-call 2048",
    alignment: 16,
    steps: [
      { alloc: "A", size: 10, align: 2048, at: 2016, used: 2026 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  {
    name: "one at a per-call 2048, one after it",
    alignment: 16,
    steps: [
      { alloc: "A", size: 10, align: 2048, at: 2016, used: 2026 },
      { alloc: "B", size: 20, at: 2032, used: 2052 },
      { free: "B", used: 2026 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  {
    // Z is the top (it was pushed, past padding): A's free is a no-op until
    // Z's gives back the padding before it.
    name: "a zero-size allocation past padding",
    alignment: 16,
    steps: [
      { alloc: "A", size: 8, at: 0, used: 8 },
      { alloc: "Z", size: 0, at: 16, used: 16 },
      { free: "A", used: 16 },
      { free: "Z", used: 8 },
      { free: "A", used: 0 },
    ],
    next: 0,
  },
  // 64: 32 bytes of padding before the first allocation.
  {
    name: "one",
    alignment: 64,
    steps: [{ alloc: "A", size: 10, at: 32, used: 42 }, { free: "A", used: 0 }],
    next: 32,
  },
  {
    name: "two",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { alloc: "B", size: 20, at: 96, used: 116 },
      { free: "B", used: 42 },
      { free: "A", used: 0 },
    ],
    next: 32,
  },
  {
    name: "three",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { alloc: "B", size: 20, at: 96, used: 116 },
      { alloc: "C", size: 30, at: 160, used: 190 },
      { free: "C", used: 116 },
      { free: "B", used: 42 },
      { free: "A", used: 0 },
    ],
    next: 32,
  },
  {
    name: "mark, one",
    alignment: 64,
    steps: [
      { mark: true, used: 0 },
      { alloc: "A", size: 10, at: 32, used: 42 },
      { free: "A", used: 0 },
    ],
    next: 32,
  },
  {
    name: "one, mark, two",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { mark: true, used: 42 },
      { alloc: "B", size: 20, at: 96, used: 116 },
      { alloc: "C", size: 30, at: 160, used: 190 },
      { free: "C", used: 116 },
      { free: "B", used: 42 },
      { free: "A", used: 42 },
    ],
    next: 96,
  },
  {
    name: "the top grows in place, then is freed",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { alloc: "B", size: 10, at: 96, used: 106 },
      { resize: "B", size: 50, as: "B", at: 96, used: 146 },
      { free: "B", used: 42 },
      { free: "A", used: 0 },
    ],
    next: 32,
  },
  {
    name: "the top shrinks in place, then is freed",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { alloc: "B", size: 10, at: 96, used: 106 },
      { resize: "B", size: 4, as: "B", at: 96, used: 100 },
      { free: "B", used: 42 },
      { free: "A", used: 0 },
    ],
    next: 32,
  },
  {
    // The moved copy is the top; once it is freed, the old B is.
    name: "the top moves for an alignment it lacks",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { alloc: "B", size: 10, at: 96, used: 106 },
      { resize: "B", size: 10, align: 256, as: "B2", at: 224, used: 234 },
      { free: "B2", used: 106 },
      { free: "B", used: 42 },
      { free: "A", used: 0 },
    ],
    next: 32,
  },
  {
    // Block 1 (16384 bytes, the doubled growth) starts 32 past a page too;
    // its free gives back the padding before it, down to the block's data
    // start; the first block's allocations were forgotten on moving.
    name: "the top moves to a new block, whose free empties it",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { alloc: "B", size: 10, at: 96, used: 106 },
      { resize: "B", size: 9000, as: "B2", at: 32, block: 1, used: 9138 },
      { free: "B2", used: 106 },
      { alloc: "C", size: 10, at: 32, block: 1, used: 148 },
      { free: "C", used: 106 },
      { free: "B", used: 106 },
    ],
    next: 32,
    before: 106,
  },
  {
    name: "after a pop, an allocation past padding is freed",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { mark: true, used: 42 },
      { alloc: "B", size: 20, at: 96, used: 116 },
      { pop: true, used: 42 },
      { alloc: "C", size: 10, at: 96, used: 106 },
      { free: "C", used: 42 },
      { free: "A", used: 42 },
    ],
    next: 96,
  },
  {
    name: "after a clear, the only allocation is freed",
    alignment: 64,
    steps: [
      { alloc: "A", size: 10, at: 32, used: 42 },
      { alloc: "B", size: 20, at: 96, used: 116 },
      { clear: true, used: 0 },
      { alloc: "C", size: 10, at: 32, used: 42 },
      { free: "C", used: 0 },
    ],
    next: 32,
  },
  // 2048: 2016 bytes of padding before the first allocation.
  {
    name: "one",
    alignment: 2048,
    steps: [
      { alloc: "A", size: 10, at: 2016, used: 2026 },
      { free: "A", used: 0 },
    ],
    next: 2016,
  },
  {
    name: "two",
    alignment: 2048,
    steps: [
      { alloc: "A", size: 10, at: 2016, used: 2026 },
      { alloc: "B", size: 20, at: 4064, used: 4084 },
      { free: "B", used: 2026 },
      { free: "A", used: 0 },
    ],
    next: 2016,
  },
  {
    name: "three",
    alignment: 2048,
    steps: [
      { alloc: "A", size: 10, at: 2016, used: 2026 },
      { alloc: "B", size: 20, at: 4064, used: 4084 },
      { alloc: "C", size: 30, at: 6112, used: 6142 },
      { free: "C", used: 4084 },
      { free: "B", used: 2026 },
      { free: "A", used: 0 },
    ],
    next: 2016,
  },
  {
    name: "mark, one",
    alignment: 2048,
    steps: [
      { mark: true, used: 0 },
      { alloc: "A", size: 10, at: 2016, used: 2026 },
      { free: "A", used: 0 },
    ],
    next: 2016,
  },
  {
    name: "one, mark, two",
    alignment: 2048,
    steps: [
      { alloc: "A", size: 10, at: 2016, used: 2026 },
      { mark: true, used: 2026 },
      { alloc: "B", size: 20, at: 4064, used: 4084 },
      { alloc: "C", size: 30, at: 6112, used: 6142 },
      { free: "C", used: 4084 },
      { free: "B", used: 2026 },
      { free: "A", used: 2026 },
    ],
    next: 4064,
  },
];

interface Subject {
  a: FixedAllocator | Arena;
  /** The data start and length of block `i` (the region for a fixed one). */
  area(i: number): { start: number; length: number };
  current(): number;
  [Symbol.dispose](): void;
}

const arenaSubject = (arena: Arena, dispose: () => void): Subject => ({
  a: arena,
  area: (i) => {
    const b = arena.blocks[i];
    return { start: b.ptr + 32, length: b.size - 32 };
  },
  current: () => arena.currentBlock,
  [Symbol.dispose]: dispose,
});

const subjects: { name: string; make(alignment: number): Subject }[] = [
  {
    name: "FixedAllocator",
    make(alignment) {
      const pages = new BufferPages({ reserve: 2 ** 22 });
      const ptr = pages.alloc(BLOCK) + 32;
      const a = new FixedAllocator({
        memory: pages.memory,
        ptr,
        length: LENGTH,
        alignment,
      });
      return {
        a,
        area: () => ({ start: ptr, length: LENGTH }),
        current: () => 0,
        [Symbol.dispose]: () => pages.destroy(),
      };
    },
  },
  {
    name: "Arena on BufferPages",
    make(alignment) {
      const pages = new BufferPages({ reserve: 2 ** 22 });
      const arena = new Arena({ parent: pages, blockSize: BLOCK, alignment });
      return arenaSubject(arena, () => (arena.destroy(), pages.destroy()));
    },
  },
  {
    name: "Arena on a Heap",
    make(alignment) {
      const pages = new BufferPages({ reserve: 2 ** 22 });
      const heap = new Heap({ pages });
      const arena = new Arena({ parent: heap, blockSize: BLOCK, alignment });
      return arenaSubject(arena, () => {
        arena.destroy();
        heap.destroy();
        pages.destroy();
      });
    },
  },
];

const arenaOnly = (c: Case) =>
  c.steps.some((s) => "mark" in s || "pop" in s || ("block" in s && s.block));

function run(s: Subject, c: Case): void {
  const { a } = s;
  const u8 = a.memory.u8;
  const live = new Map<string, { ptr: number; size: number; fill: number }>();
  let fills = 0;
  // Each mark, and how many allocations were placed before it.
  const marks: [ArenaMark, number][] = [];
  const place = (
    name: string,
    ptr: number,
    size: number,
    at: number,
    b = 0,
  ) => {
    const { start } = s.area(b);
    // The offsets in the table hold for a data start 32 past 2048.
    assert.equal(start % 2048, 32, `block ${b} starts 32 past 2048`);
    assert.deepEqual([s.current(), ptr - start], [b, at], `${name} at`);
    const fill = ++fills;
    u8.fill(fill, ptr, ptr + size);
    live.set(name, { ptr, size, fill });
  };
  for (const step of c.steps) {
    const what = JSON.stringify(step);
    if ("alloc" in step) {
      const ptr = a.alloc(step.size, step.align);
      place(step.alloc, ptr, step.size, step.at, step.block);
    } else if ("free" in step) {
      const { ptr, size } = live.get(step.free)!;
      a.free(ptr, size);
    } else if ("resize" in step) {
      const old = live.get(step.resize)!;
      const ptr = a.resize(old.ptr, old.size, step.size, step.align);
      if (step.as === step.resize) live.delete(step.resize);
      place(step.as, ptr, step.size, step.at, step.block);
    } else if ("mark" in step) marks.push([(a as Arena).mark(), fills]);
    else if ("pop" in step) {
      const [mark, placed] = marks.at(-1)!;
      (a as Arena).pop(mark);
      for (const [name, { fill }] of live) {
        if (fill > placed) live.delete(name);
      }
    } else {
      a.clear();
      live.clear();
    }
    assert.equal(a.bytesUsed, step.used, `bytesUsed after ${what}`);
  }
  const freed = new Set(c.steps.flatMap((x) => "free" in x ? [x.free] : []));
  // The rest of the block (or region) fits at `next`, and reads as zero.
  const cur = s.current(), { start, length } = s.area(cur);
  const room = length - c.next;
  let ptr = -1;
  try {
    ptr = a.alloc(room);
  } catch (e) {
    assert.fail(`alloc(${room}) at ${c.next} threw ${e}`);
  }
  assert.deepEqual(
    [s.current(), ptr - start, a.bytesUsed],
    [cur, c.next, (c.before ?? 0) + length],
    "the next allocation takes the rest",
  );
  assert.ok(u8.subarray(ptr, ptr + room).every((b) => b === 0), "zeroed");
  for (const [name, { ptr, size, fill }] of live) {
    if (freed.has(name) || ptr < start || ptr >= start + length) continue;
    assert.ok(ptr + size <= start + c.next, `${name} is below the next one`);
    assert.ok(u8.subarray(ptr, ptr + size).every((b) => b === fill), name);
  }
  if (a instanceof FixedAllocator) {
    assert.throws(
      () => a.alloc(1),
      new OutOfMemoryError(
        `Fixed region is full: 1 bytes do not fit at offset ${LENGTH}, where 0 of its ${LENGTH} bytes are left; use a larger region, or free or clear() first`,
        1,
      ),
    );
  }
}

for (const { name, make } of subjects) {
  Deno.test(`${name}: a top free gives back the padding before it`, async (t) => {
    for (const c of cases) {
      if (name === "FixedAllocator" && arenaOnly(c)) continue;
      await t.step(`alignment ${c.alignment}: ${c.name}`, () => {
        using s = make(c.alignment);
        run(s, c);
      });
    }
  });
}

// The region that the hunt reproduced the bug with: a 4096-byte region 16
// bytes past a page.
Deno.test("FixedAllocator: the room of an emptied region comes back", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  const region = pages.alloc(8192) + 16;
  const fixed = new FixedAllocator({
    memory: pages.memory,
    ptr: region,
    length: 4096,
  });
  const p = fixed.alloc(10, 2048);
  assert.equal(p - region, 2032);
  fixed.free(p, 10);
  assert.equal(fixed.bytesUsed, 0);
  assert.equal(fixed.alloc(3000), region);
  assert.equal(fixed.bytesUsed, 3000);
});

// Past TOP_STACK_LIMIT starts the older half is let go; the kept ones still
// know the bump before their padding, so the lowest kept one's free puts
// the bump at the end of the newest one let go (whose free is a no-op).
Deno.test("a bump allocator at the starts' limit keeps the padding right", () => {
  const n = TOP_STACK_LIMIT + 1, kept = TOP_STACK_LIMIT / 2 + 1;
  const size = 2 ** 17;
  using pages = new BufferPages({ reserve: 2 ** 22 });
  const region = pages.alloc(size) + 32;
  const made: [string, FixedAllocator | Arena][] = [
    ["Arena", new Arena({ parent: pages, blockSize: size, alignment: 64 })],
    [
      "FixedAllocator",
      new FixedAllocator({
        memory: pages.memory,
        ptr: region,
        length: size - 32,
        alignment: 64,
      }),
    ],
  ];
  for (const [name, a] of made) {
    // Allocation i is at 32 + 64 i from the data start, 10 bytes long.
    const ptrs = Array.from({ length: n }, () => a.alloc(10));
    const start = ptrs[0] - 32;
    assert.deepEqual(
      ptrs.map((p) => p - start),
      ptrs.map((_, i) => 32 + 64 * i),
    );
    const used: number[] = [];
    for (let i = n - 1; i >= 0; i--) {
      a.free(ptrs[i], 10);
      used.push(a.bytesUsed);
    }
    // Freeing i (kept) puts the bump at the end of i - 1: 42 + 64 (i - 1).
    const firstKept = n - kept;
    assert.deepEqual(
      used,
      [...ptrs.keys()].reverse().map((i) =>
        42 + 64 * (Math.max(i, firstKept) - 1)
      ),
      name,
    );
    assert.equal(a.alloc(10), ptrs[firstKept], `${name}: the next allocation`);
  }
});

Deno.test("a scratch region's frees newest first give the padding back", () => {
  using region = scratch();
  const arena = region.arena, begin = arena.bytesUsed;
  const a = region.alloc(1);
  assert.equal(a - (arena.blocks[0].ptr + 32), begin, "no padding before a");
  const b = region.alloc(10, 64);
  const c = region.alloc(3, 256);
  const used = [arena.bytesUsed - begin];
  for (const [p, n] of [[c, 3], [b, 10], [a, 1]]) {
    region.free(p, n);
    used.push(arena.bytesUsed - begin);
  }
  assert.deepEqual(used, [c + 3 - a, b + 10 - a, 1, 0]);
  assert.equal(region.alloc(1), a);
});
