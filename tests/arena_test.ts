// Arenas as data: each case is a list of operations on a fresh arena and the
// exact state expected afterwards, run by the shared executor on both page
// sources and on a Heap. Addresses are [block index, offset from the block's
// first byte]; a block's data starts at offset 32, after its header.
import assert from "node:assert/strict";
import { Arena, type ArenaMark } from "../arena/mod.ts";
import { arenaRegions } from "../arena/_regions.ts";
import { BufferPages } from "../os/mod.ts";
import { type Parent, parents } from "./_arena_parents.ts";
import {
  type Case,
  type Env as RunEnv,
  type Kind,
  type Op as RunOp,
  runCase,
} from "./_run_ops.ts";
import { arenaSubject } from "./_subjects.ts";

type Handles = {
  arena: Arena;
  parent: Parent;
  marks: Record<string, ArenaMark>;
};
type Env = RunEnv<Handles>;

/** The arena's own operations, besides the Allocator ones. */
const ops = {
  mark: ({ arena, marks }: Env, name: string) =>
    void (marks[name] = arena.mark()),
  pop: ({ arena, marks }: Env, name: string) => arena.pop(marks[name]),
  clear: ({ arena }: Env) => arena.clear(),
};

type Op = RunOp<Handles, typeof ops>;

/** The arena's own expectations; every other name is a counter of arenaSubject. */
interface State {
  /** Where each named allocation is: [block index, offset in the block]. */
  at?: Record<string, [block: number, offset: number]>;
  used?: number;
  capacity?: number;
  blockSizes?: number[];
  current?: number;
}

interface ArenaCase extends Case<Handles, typeof ops, State> {
  blockSize?: number;
  alignment?: number;
  /** Offsets assume page-aligned blocks (alignment above 16): page sources only. */
  pageAligned?: boolean;
}

const arenaKind: Kind<Handles, typeof ops, State> = {
  ops,
  checks: {
    at: ({ arena, ptr, size }, at) => {
      const blocks = arena.blocks;
      for (const [name, [block, offset]] of Object.entries(at)) {
        const { ptr: start, size: length } = blocks[block];
        assert.equal(ptr[name] - start, offset, `offset of ${name}`);
        assert.ok(
          ptr[name] + size[name] <= start + length,
          `${name} is inside block ${block}`,
        );
      }
    },
    blockSizes: ({ arena }, sizes) => {
      assert.deepEqual(arena.blocks.map((b) => b.size), sizes);
    },
  },
  finish: ({ arena }) => {
    assert.equal(
      arena.capacity,
      arena.blocks.reduce((sum, b) => sum + b.size, 0),
      "capacity is the sum of the blocks",
    );
  },
};

const repeat = (n: number, f: (i: number) => Op[]): Op[] =>
  Array.from({ length: n }, (_, i) => f(i)).flat();

const cases: ArenaCase[] = [
  {
    name: "a 1-byte allocation is followed by padding up to the alignment",
    ops: [["alloc", "a", 1], ["alloc", "b", 1]],
    expect: { at: { a: [0, 32], b: [0, 48] }, used: 17, capacity: 4096 },
  },
  {
    name: "mixed sizes 3, 13, 8 each start at a multiple of 16",
    ops: [["alloc", "a", 3], ["alloc", "b", 13], ["alloc", "c", 8]],
    expect: { at: { a: [0, 32], b: [0, 48], c: [0, 64] }, used: 40 },
  },
  {
    name: "alignment 1 packs: 3, 5, 7 use 15 bytes",
    alignment: 1,
    ops: [["alloc", "a", 3], ["alloc", "b", 5], ["alloc", "c", 7]],
    expect: { at: { a: [0, 32], b: [0, 35], c: [0, 40] }, used: 15 },
  },
  {
    name: "alignment 4 within a block",
    alignment: 4,
    ops: [["alloc", "a", 1], ["alloc", "b", 2], ["alloc", "c", 5]],
    expect: { at: { a: [0, 32], b: [0, 36], c: [0, 40] }, used: 13 },
  },
  {
    name: "alignment 8 within a block",
    alignment: 8,
    ops: [["alloc", "a", 1], ["alloc", "b", 9], ["alloc", "c", 8]],
    expect: { at: { a: [0, 32], b: [0, 40], c: [0, 56] }, used: 32 },
  },
  {
    name: "alignment 64 within a block (the padding after the header counts)",
    alignment: 64,
    pageAligned: true,
    ops: [["alloc", "a", 1], ["alloc", "b", 1]],
    expect: { at: { a: [0, 64], b: [0, 128] }, used: 97 },
  },
  {
    name: "alignment 4 across blocks",
    alignment: 4,
    blockSize: 64,
    ops: [["alloc", "a", 30], ["alloc", "b", 3]],
    expect: {
      at: { a: [0, 32], b: [1, 32] },
      used: 33,
      blockSizes: [64, 128],
    },
  },
  {
    name: "alignment 8 across blocks",
    alignment: 8,
    blockSize: 64,
    ops: [["alloc", "a", 20], ["alloc", "b", 12]],
    expect: { at: { a: [0, 32], b: [1, 32] }, used: 32, blockSizes: [64, 128] },
  },
  {
    name: "alignment 64 across blocks",
    alignment: 64,
    blockSize: 128,
    pageAligned: true,
    ops: [["alloc", "a", 32], ["alloc", "b", 64]],
    expect: {
      at: { a: [0, 64], b: [1, 64] },
      used: 64 + 96,
      blockSizes: [128, 256],
      capacity: 384,
    },
  },
  {
    name: "blocks chain, doubling, and a big request gets a block its size",
    blockSize: 64,
    ops: [["alloc", "a", 32], ["alloc", "b", 32], ["alloc", "c", 100], [
      "alloc",
      "d",
      1000,
    ]],
    expect: {
      at: { a: [0, 32], b: [1, 32], c: [2, 32], d: [3, 32] },
      blockSizes: [64, 128, 256, 32 + 16 + 1000],
      capacity: 64 + 128 + 256 + 1048,
      used: 32 + 32 + 100 + 1000,
      current: 3,
    },
  },
  {
    name: "geometric growth: 64 × 32 bytes in 64-byte blocks",
    blockSize: 64,
    ops: repeat(64, (i) => [["alloc", `a${i}`, 32]]),
    expect: {
      blockSizes: [64, 128, 256, 512, 1024, 2048],
      capacity: 4032,
      used: 2048,
      at: { a0: [0, 32], a1: [1, 32], a4: [2, 32], a63: [5, 32 + 6 * 32] },
    },
  },
  {
    name: "growth stops doubling at 1 MiB",
    blockSize: 2 ** 19,
    ops: [
      ...repeat(4, (i) => [["alloc", `a${i}`, 2 ** 19]] as Op[]),
      ["alloc", "big", 2 ** 21],
    ],
    expect: {
      blockSizes: [2 ** 19, 2 ** 20, 2 ** 20, 2 ** 20, 2 ** 20, 2 ** 21 + 48],
    },
  },
  {
    name: "pop across blocks goes back and keeps later blocks for reuse",
    blockSize: 64,
    ops: [
      ["alloc", "a", 32],
      ["mark", "m"],
      ["alloc", "b", 32],
      ["alloc", "c", 100],
      ["fill", "b", 0xbb],
      ["fill", "c", 0xcc],
      ["pop", "m"],
    ],
    expect: {
      used: 32,
      current: 0,
      blockSizes: [64, 128, 256],
      capacity: 448,
    },
  },
  {
    name: "after pop, the same allocations reuse the blocks, zeroed",
    blockSize: 64,
    ops: [
      ["alloc", "a", 32],
      ["mark", "m"],
      ["alloc", "b", 32],
      ["alloc", "c", 100],
      ["fill", "b", 0xbb],
      ["fill", "c", 0xcc],
      ["pop", "m"],
      ["alloc", "b2", 32],
      ["alloc", "c2", 100],
    ],
    expect: {
      same: [["b", "b2"], ["c", "c2"]],
      zero: [["b2", 0, 32], ["c2", 0, 100]],
      capacity: 448,
      used: 164,
    },
  },
  {
    name: "a pop keeps its mark, so it can be popped to again",
    ops: [
      ["mark", "m"],
      ["alloc", "a", 10],
      ["pop", "m"],
      ["alloc", "b", 20],
      ["pop", "m"],
      ["alloc", "c", 30],
    ],
    expect: { same: [["a", "b"], ["b", "c"]], used: 30 },
  },
  {
    name: "a request that does not fit the next kept block chains a new one",
    blockSize: 64,
    ops: [
      ["alloc", "a", 32],
      ["mark", "m"],
      ["alloc", "b", 32],
      ["pop", "m"],
      ["alloc", "c", 200],
      ["alloc", "d", 32],
    ],
    expect: {
      // c's block (256) went in right after the current one, before b's.
      blockSizes: [64, 256, 128],
      at: { c: [1, 32], d: [2, 32] },
      current: 2,
      used: 32 + 200 + 32,
    },
  },
  {
    name:
      "a request that exactly fills the next kept block takes it, chaining nothing",
    blockSize: 64,
    ops: [
      ["alloc", "a", 32], // block 0's data, exactly
      ["alloc", "b", 80], // block 1: 128 bytes, 96 of data
      ["clear"],
      ["alloc", "c", 32],
      ["alloc", "d", 96], // block 1's data, exactly
    ],
    expect: {
      blockSizes: [64, 128],
      capacity: 192,
      at: { c: [0, 32], d: [1, 32] },
      same: [["b", "d"]],
      current: 1,
      used: 32 + 96,
    },
  },
  {
    name: "after clear, the same allocations do not grow capacity",
    blockSize: 64,
    ops: [
      ...repeat(5, (i) => [["alloc", `a${i}`, 40], ["fill", `a${i}`, i + 1]]),
      ["clear"],
      ...repeat(5, (i) => [["alloc", `b${i}`, 40]] as Op[]),
    ],
    expect: {
      same: [["a0", "b0"], ["a2", "b2"], ["a4", "b4"]],
      zero: [["b0", 0, 40], ["b1", 0, 40], ["b4", 0, 40]],
      blockSizes: [64, 128, 256],
      capacity: 448,
      used: 5 * 40 + 3 * 8,
    },
  },
  {
    name: "resize: the top grows in place, and its new bytes are zero",
    ops: [
      ["alloc", "a", 40],
      ["fill", "a", 0xaa],
      ["resize", "a", "a", 10],
      ["resize", "b", "a", 100],
    ],
    expect: {
      same: [["a", "b"]],
      bytes: [["b", 0, 10, 0xaa]],
      zero: [["b", 10, 100]],
      used: 100,
    },
  },
  {
    name:
      "resize: the top grows in place over a zero-size allocation, which can still be freed",
    ops: [
      ["alloc", "a", 16],
      ["alloc", "z", 0],
      ["resize", "a2", "a", 64],
      ["free", "z"],
    ],
    expect: { same: [["a", "a2"]], at: { a: [0, 32], z: [0, 48] }, used: 64 },
  },
  {
    name: "resize: a non-top allocation grows by moving, with its bytes",
    ops: [
      ["alloc", "a", 10],
      ["fill", "a", 0xaa],
      ["alloc", "b", 10],
      ["resize", "a2", "a", 30],
    ],
    expect: {
      at: { a: [0, 32], b: [0, 48], a2: [0, 64] },
      bytes: [["a2", 0, 10, 0xaa]],
      zero: [["a2", 10, 30]],
      used: 32 + 30,
    },
  },
  {
    name: "resize: shrinking keeps the pointer, top or not",
    ops: [
      ["alloc", "a", 40],
      ["fill", "a", 0xaa],
      ["alloc", "b", 40],
      ["resize", "a2", "a", 8],
      ["resize", "b2", "b", 8],
    ],
    expect: {
      same: [["a", "a2"], ["b", "b2"]],
      bytes: [["a2", 0, 8, 0xaa]],
      used: 48 + 8,
    },
  },
  {
    name: "resize: the top moves to a new block when its block is too small",
    blockSize: 64,
    ops: [["alloc", "a", 16], ["fill", "a", 7], ["resize", "b", "a", 100]],
    expect: {
      at: { a: [0, 32], b: [1, 32] },
      bytes: [["b", 0, 16, 7]],
      zero: [["b", 16, 100]],
      used: 16 + 100,
    },
  },
  {
    name: "resize: an allocation made before the newest mark is not the top",
    ops: [["alloc", "a", 16], ["mark", "m"], ["resize", "b", "a", 32]],
    expect: { at: { a: [0, 32], b: [0, 48] }, used: 48 },
  },
  {
    name: "free reclaims only the top allocation",
    ops: [
      ["alloc", "a", 10],
      ["alloc", "b", 10],
      ["free", "a"],
      ["fill", "b", 0xbb],
      ["free", "b"],
      ["alloc", "c", 10],
    ],
    expect: {
      at: { a: [0, 32], b: [0, 48], c: [0, 48] },
      zero: [["c", 0, 10]],
      used: 26,
    },
  },
  {
    name: "free of the top made before the newest mark does nothing",
    ops: [["alloc", "a", 16], ["mark", "m"], ["free", "a"]],
    expect: { used: 16 },
  },
  {
    name: "size 0 gives an aligned pointer and uses only padding",
    ops: [["alloc", "a", 1], ["alloc", "b", 0], ["alloc", "c", 0]],
    expect: { at: { a: [0, 32], b: [0, 48], c: [0, 48] }, used: 16 },
  },
  {
    name: "a size-0 allocation left past the bump can still be freed",
    ops: [["alloc", "a", 16], ["alloc", "z", 0], ["free", "a"], ["free", "z"], [
      "alloc",
      "b",
      4,
    ]],
    expect: { at: { a: [0, 32], z: [0, 48], b: [0, 32] }, used: 4 },
  },
];

Deno.test("arena: tables of operations", async (t) => {
  for (const maker of parents) {
    await t.step(maker.name, async (t) => {
      for (const c of cases) {
        if (c.pageAligned && !maker.pageAligned) continue;
        await t.step(
          c.name,
          () => runCase(() => arenaSubject(maker, c), c, arenaKind),
        );
      }
    });
  }
});

Deno.test("arena: the chain is mirrored in the block headers", () => {
  for (const maker of parents) {
    using env = maker.make();
    using arena = new Arena({ parent: env.parent, blockSize: 64 });
    arena.alloc(32);
    arena.alloc(100);
    const u8 = arena.memory.u8;
    const u64 = (at: number) => {
      let v = 0;
      for (let k = 7; k >= 0; k--) v = v * 256 + u8[at + k];
      return v;
    };
    const [b0, b1] = arena.blocks;
    assert.deepEqual(
      [u64(b0.ptr), u64(b0.ptr + 8), u64(b1.ptr), u64(b1.ptr + 8)],
      [b1.ptr, 64, 0, 32 + 16 + 100],
      maker.name,
    );
  }
});

Deno.test("arena: alignment is of the native address", async (t) => {
  for (const maker of parents) {
    await t.step(maker.name, () => {
      for (const alignment of [8, 16, 64, 256, 4096]) {
        using env = maker.make();
        using arena = new Arena({ parent: env.parent, alignment });
        for (const size of [1, 24, 100, 5000, 3]) {
          const p = arena.alloc(size);
          const real = (arena.memory.address ?? 0n) + BigInt(p);
          assert.equal(real % BigInt(alignment), 0n, `${alignment}, ${size}`);
          // An 8-byte view never throws.
          arena.memory.view(Float64Array, p, Math.floor(size / 8)).fill(1);
        }
      }
    });
  }
});

Deno.test("arena: defaults, and destroy gives every block back", () => {
  for (const maker of parents) {
    using env = maker.make();
    const before = env.pages.liveBytes;
    const arena = new Arena({ parent: env.parent, blockSize: 64 });
    assert.deepEqual([arena.alignment, arena.blockCount], [16, 1]);
    for (let i = 0; i < 40; i++) arena.alloc(100);
    assert.ok(arena.blockCount > 1);
    assert.notEqual(arena.currentBlock, 0);
    arena.destroy();
    arena.destroy(); // again: nothing
    assert.deepEqual([
      arena.capacity,
      arena.bytesUsed,
      arena.blockCount,
      arena.currentBlock,
    ], [0, 0, 0, 0]);
    if (maker.pageAligned) assert.equal(env.pages.liveBytes, before);
  }
  {
    using arena = new Arena();
    assert.equal(arena.blockSize, 4096);
    assert.equal(arena.capacity, 4096);
    assert.equal(
      (arena.parent as { kind?: string }).kind,
      arena.memory.native ? "os" : "buffer",
    );
  }
});

// A mark taken again and again at one place (the mark, alloc, pop of a
// function called in a loop) joins the run of marks there: the storage stays
// one run per place, and every mark keeps its meaning (all live until a pop
// to an earlier one or a clear, the dropped ones refused).
Deno.test("arena: marks taken again and again at one place keep a constant storage", async (t) => {
  const slots = (arena: Arena) => arenaRegions.markSlots(arena);
  const N = 100_000;
  const loops: [string, (arena: Arena, other: Arena) => void, number][] = [
    ["mark, alloc, pop", (arena) => {
      const m = arena.mark();
      arena.alloc(64);
      arena.pop(m);
    }, 1],
    ["with another arena's mark taken in between", (arena, other) => {
      const m = arena.mark();
      const theirs = other.mark();
      arena.alloc(64);
      other.pop(theirs);
      arena.pop(m);
    }, 1],
    ["nested, at another place", (arena) => {
      const m = arena.mark();
      arena.alloc(64);
      const inner = arena.mark();
      arena.alloc(32);
      arena.pop(inner);
      arena.pop(m);
    }, 2],
    ["nested, at the same place", (arena) => {
      const m = arena.mark();
      const inner = arena.mark();
      arena.alloc(32);
      arena.pop(inner);
      arena.pop(m);
    }, 2],
  ];
  for (const [name, loop, runs] of loops) {
    await t.step(name, () => {
      using pages = new BufferPages({ reserve: 2 ** 22 });
      using arena = new Arena({ parent: pages });
      using other = new Arena({ parent: pages });
      const dropped = arena.mark();
      arena.clear();
      const first = arena.mark();
      for (let i = 0; i < N; i++) loop(arena, other);
      assert.equal(slots(arena), runs);
      for (let i = 0; i < N; i++) loop(arena, other);
      assert.equal(slots(arena), runs);
      assert.equal(arena.bytesUsed, 0);
      assert.throws(() => arena.pop(dropped), {
        name: "RangeError",
        message:
          `Mark ${dropped} is not a live mark of this arena: it comes from another arena, or a pop() to an earlier mark or a clear() discarded it; take a new mark()`,
      });
      arena.alloc(16);
      arena.pop(first);
      assert.equal(arena.bytesUsed, 0);
      assert.equal(slots(arena), runs); // kept for reuse
    });
  }
  await t.step(
    "clear() and pop give back storage left from many places",
    () => {
      using pages = new BufferPages({ reserve: 2 ** 22 });
      using arena = new Arena({ parent: pages });
      const first = arena.mark();
      for (let i = 0; i < 1000; i++) (arena.alloc(1), arena.mark());
      assert.equal(slots(arena), 1001);
      arena.pop(first);
      assert.deepEqual([slots(arena), arena.bytesUsed], [1, 0]);
      for (let i = 0; i < 1000; i++) (arena.alloc(1), arena.mark());
      assert.equal(slots(arena), 1001);
      arena.clear();
      assert.deepEqual([slots(arena), arena.bytesUsed], [0, 0]);
      // Up to 64 runs stay for reuse.
      for (let i = 0; i < 64; i++) (arena.alloc(1), arena.mark());
      arena.clear();
      assert.equal(slots(arena), 64);
    },
  );
});
