// Exact-value tables for Pool: the geometry each option gives, the
// addresses a sequence of calls returns, the counters, zeroing, decay, trim
// and destroy, on each page source and on a heap.
import assert from "node:assert/strict";
import { Heap } from "../heap/mod.ts";
import { BufferPages, OsPages } from "../os/mod.ts";
import { Pool, type PoolOptions } from "../pool/mod.ts";
import { sources } from "./_sources.ts";

const P = 4096;

interface GeometryCase {
  options: Omit<PoolOptions, "parent">;
  onHeap?: boolean;
  alignment: number;
  stride: number;
  slabSize: number;
  blocksPerSlab: number;
}

const GEOMETRY: GeometryCase[] = [
  {
    options: { blockSize: 1 },
    alignment: 1,
    stride: 1,
    slabSize: 65536,
    blocksPerSlab: 65534,
  },
  {
    options: { blockSize: 24 },
    alignment: 8,
    stride: 24,
    slabSize: 65536,
    blocksPerSlab: 2730,
  },
  {
    options: { blockSize: 36 },
    alignment: 4,
    stride: 36,
    slabSize: 65536,
    blocksPerSlab: 1820,
  },
  {
    options: { blockSize: 48 },
    alignment: 16,
    stride: 48,
    slabSize: 65536,
    blocksPerSlab: 1365,
  },
  {
    options: { blockSize: 20, alignment: 8 },
    alignment: 8,
    stride: 24,
    slabSize: 65536,
    blocksPerSlab: 2730,
  },
  {
    options: { blockSize: 48, alignment: 64 },
    alignment: 64,
    stride: 64,
    slabSize: 65536,
    blocksPerSlab: 1024,
  },
  {
    options: { blockSize: 1024 },
    alignment: 16,
    stride: 1024,
    slabSize: 65536,
    blocksPerSlab: 64,
  },
  {
    options: { blockSize: 10000 },
    alignment: 16,
    stride: 10000,
    slabSize: 81920,
    blocksPerSlab: 8,
  },
  {
    options: { blockSize: 100, slabSize: 4096 },
    alignment: 4,
    stride: 100,
    slabSize: 4096,
    blocksPerSlab: 40,
  },
  {
    options: { blockSize: 4096, alignment: 8192 },
    alignment: 8192,
    stride: 8192,
    slabSize: 65536 + 4096,
    blocksPerSlab: 8,
  },
  {
    options: { blockSize: 36 },
    onHeap: true,
    alignment: 4,
    stride: 36,
    slabSize: 65472,
    blocksPerSlab: 1818,
  },
  {
    options: { blockSize: 64, alignment: 64 },
    onHeap: true,
    alignment: 64,
    stride: 64,
    slabSize: 65472,
    blocksPerSlab: 1022,
  },
];

Deno.test("Pool geometry: alignment, stride, slab size and blocks per slab", async (t) => {
  for (const c of GEOMETRY) {
    await t.step(
      `${JSON.stringify(c.options)}${c.onHeap ? " on a heap" : ""}`,
      () => {
        using pages = new BufferPages({ reserve: 2 ** 24 });
        using heap = new Heap({ pages });
        using pool = new Pool({
          ...c.options,
          parent: c.onHeap ? heap : pages,
        });
        assert.deepEqual(
          {
            alignment: pool.alignment,
            stride: pool.stride,
            slabSize: pool.slabSize,
            blocksPerSlab: pool.blocksPerSlab,
          },
          {
            alignment: c.alignment,
            stride: c.stride,
            slabSize: c.slabSize,
            blocksPerSlab: c.blocksPerSlab,
          },
        );
        assert.equal(pool.slabs, 0); // nothing taken before the first alloc
        const p = pool.alloc();
        assert.equal(p % c.alignment, 0);
        assert.equal(pool.bytesReserved, c.slabSize);
      },
    );
  }
});

// One op per row: what it does and the exact state after it.
type Op =
  | { alloc: number; size?: number }
  | { free: string }
  | { trim: number };

interface SequenceCase {
  name: string;
  options: Omit<PoolOptions, "parent">;
  // Each op names its pointer; `at` is the expected address.
  ops: Array<
    | { alloc: string; at: number }
    | { free: string }
    | { trim: number }
    | { trimmable: number }
    | { reset: true }
  >;
  after: {
    blocks: number;
    bytesUsed: number;
    bytesReserved: number;
    peakReserved: number;
    slabs: number;
  };
}

// `count` allocations, named `${name}0` on, the i-th expected at `at(i)`.
const allocs = (name: string, count: number, at: (i: number) => number) =>
  Array.from(
    { length: count },
    (_, i) => ({ alloc: `${name}${i}`, at: at(i) }),
  );

// On a BufferPages of its own the first slab is at 4096 (page 0 is never
// handed out), the next at 4096 + slabSize.
const SEQUENCES: SequenceCase[] = [
  {
    name: "address order, then last freed first",
    options: { blockSize: 24 },
    ops: [
      { alloc: "a", at: P },
      { alloc: "b", at: P + 24 },
      { alloc: "c", at: P + 48 },
      { free: "b" },
      { free: "a" },
      { alloc: "d", at: P },
      { alloc: "e", at: P + 24 },
      { alloc: "f", at: P + 72 },
    ],
    after: {
      blocks: 4,
      bytesUsed: 96,
      bytesReserved: 65536,
      peakReserved: 65536,
      slabs: 1,
    },
  },
  {
    name:
      "a second slab when the first is full, the first again once a block is freed",
    options: { blockSize: 1024, decayMs: Infinity },
    ops: [
      ...allocs("a", 64, (i) => P + 1024 * i),
      { alloc: "b", at: P + 65536 },
      { free: "a10" },
      { alloc: "c", at: P + 65536 + 1024 }, // the current slab first
    ],
    after: {
      blocks: 65,
      bytesUsed: 65 * 1024,
      bytesReserved: 2 * 65536,
      peakReserved: 2 * 65536,
      slabs: 2,
    },
  },
  {
    name: "an emptied slab kept (decay Infinity) and trimmed",
    options: { blockSize: 1024, decayMs: Infinity },
    ops: [
      ...allocs("a", 65, (i) => P + 1024 * i),
      ...Array.from({ length: 64 }, (_, i) => ({ free: `a${i}` })),
      { trim: 65536 },
    ],
    after: {
      blocks: 1,
      bytesUsed: 1024,
      bytesReserved: 65536,
      peakReserved: 2 * 65536,
      slabs: 1,
    },
  },
  {
    // The free list takes blocks never used 64 at a time: a block freed
    // meanwhile still comes back first, and the rest follow in order.
    name: "blocks never used, 64 at a time, after the last freed",
    options: { blockSize: 24 },
    ops: [
      ...allocs("a", 65, (i) => P + 24 * i),
      { free: "a3" },
      { alloc: "b", at: P + 24 * 3 },
      { alloc: "c", at: P + 24 * 65 },
      { free: "a64" },
      { free: "c" },
      { alloc: "d", at: P + 24 * 65 },
      { alloc: "e", at: P + 24 * 64 },
      { alloc: "f", at: P + 24 * 66 },
    ],
    after: {
      blocks: 67,
      bytesUsed: 67 * 24,
      bytesReserved: 65536,
      peakReserved: 65536,
      slabs: 1,
    },
  },
  {
    // The current slab's free list and count are kept apart from its row:
    // every counter and list must see them across slab changes.
    name: "the current slab empties, an older one gets a free block, and back",
    options: { blockSize: 1024, decayMs: Infinity },
    ops: [
      ...allocs("a", 64, (i) => P + 1024 * i),
      { alloc: "b", at: P + 65536 },
      { free: "b" },
      { trimmable: 65536 }, // the current slab, empty
      { free: "a5" },
      { alloc: "c", at: P + 65536 }, // the current slab's last freed
      { alloc: "d", at: P + 65536 + 1024 }, // its next never used
      { free: "c" },
      { free: "d" },
      { trimmable: 65536 },
      { alloc: "e0", at: P + 65536 + 1024 }, // d, the last freed
      { alloc: "e1", at: P + 65536 }, // c
      ...allocs("g", 62, (i) => P + 65536 + 1024 * (i + 2)),
      { alloc: "h", at: P + 1024 * 5 }, // the second is full: the first
      { trimmable: 0 },
    ],
    after: {
      blocks: 128,
      bytesUsed: 128 * 1024,
      bytesReserved: 2 * 65536,
      peakReserved: 2 * 65536,
      slabs: 2,
    },
  },
  {
    name: "decay 0: a slab goes back as it empties (not the current one)",
    options: { blockSize: 1024, decayMs: 0 },
    ops: [
      ...allocs("a", 65, (i) => P + 1024 * i),
      ...Array.from({ length: 64 }, (_, i) => ({ free: `a${i}` })),
      { free: "a64" },
      { trim: 65536 },
    ],
    after: {
      blocks: 0,
      bytesUsed: 0,
      bytesReserved: 0,
      peakReserved: 2 * 65536,
      slabs: 0,
    },
  },
  {
    // 64 blocks a slab: a0–a63 in slab 1, a64–a127 in slab 2, a128–a129
    // in slab 3 (current); freeing a5 puts slab 1 on the partial list.
    name: "reset: the current slab first, then the others from the lowest",
    options: { blockSize: 1024, decayMs: Infinity },
    ops: [
      ...allocs("a", 130, (i) => P + (i >> 6) * 65536 + (i & 63) * 1024),
      { free: "a5" },
      { trimmable: 0 },
      { reset: true },
      { trimmable: 3 * 65536 },
      ...allocs("b", 64, (i) => P + 2 * 65536 + i * 1024),
      ...allocs("c", 65, (i) => P + (i >> 6) * 65536 + (i & 63) * 1024),
      { trimmable: 0 },
    ],
    after: {
      blocks: 129,
      bytesUsed: 129 * 1024,
      bytesReserved: 3 * 65536,
      peakReserved: 3 * 65536,
      slabs: 3,
    },
  },
  {
    // 100 blocks handed out, 128 on the free list or live (blocks never
    // used go on it 64 at a time): after reset all come back in address
    // order, then the rest of the slab.
    name: "reset of a part-used slab, then trim",
    options: { blockSize: 24, decayMs: Infinity },
    ops: [
      ...allocs("a", 100, (i) => P + i * 24),
      { free: "a50" },
      { reset: true },
      { reset: true }, // again: nothing to do
      ...allocs("b", 130, (i) => P + i * 24),
      { reset: true },
      { trimmable: 65536 },
      { trim: 65536 },
    ],
    after: {
      blocks: 0,
      bytesUsed: 0,
      bytesReserved: 0,
      peakReserved: 65536,
      slabs: 0,
    },
  },
  {
    name: "reset of an unused pool does nothing",
    options: { blockSize: 24, decayMs: Infinity },
    ops: [
      { reset: true },
      ...allocs("a", 2, (i) => P + i * 24),
    ],
    after: {
      blocks: 2,
      bytesUsed: 48,
      bytesReserved: 65536,
      peakReserved: 65536,
      slabs: 1,
    },
  },
];

Deno.test("Pool sequences: addresses and counters", async (t) => {
  for (const c of SEQUENCES) {
    await t.step(c.name, () => {
      using pages = new BufferPages({ reserve: 2 ** 24 });
      using pool = new Pool({ ...c.options, parent: pages });
      const named = new Map<string, number>();
      for (const op of c.ops) {
        if ("alloc" in op) {
          const p = pool.alloc();
          assert.equal(p, op.at, `alloc ${op.alloc}`);
          named.set(op.alloc, p);
        } else if ("free" in op) pool.free(named.get(op.free)!);
        else if ("trim" in op) assert.equal(pool.trim(), op.trim);
        else if ("reset" in op) pool.reset();
        else assert.equal(pool.trimmableBytes, op.trimmable, "trimmable");
      }
      assert.deepEqual(
        {
          blocks: pool.blocks,
          bytesUsed: pool.bytesUsed,
          bytesReserved: pool.bytesReserved,
          peakReserved: pool.peakReserved,
          slabs: pool.slabs,
        },
        c.after,
      );
      assert.equal(pages.liveBytes, c.after.bytesReserved);
      pool.validate();
    });
  }
});

Deno.test("Pool zeroes reused blocks; allocUnsafe leaves them", async (t) => {
  for (const blockSize of [1, 7, 24, 36, 100, 384, 1000]) {
    await t.step(`${blockSize} bytes`, () => {
      using pages = new BufferPages({ reserve: 2 ** 24 });
      using pool = new Pool({ blockSize, parent: pages });
      const { u8 } = pool.memory;
      const a = pool.alloc();
      u8.fill(0xab, a, a + blockSize);
      pool.free(a);
      assert.equal(pool.allocUnsafe(), a);
      assert.equal(u8[a + blockSize - 1], 0xab);
      pool.free(a);
      assert.equal(pool.alloc(), a);
      assert.deepEqual(
        [...u8.subarray(a, a + blockSize)],
        new Array(blockSize).fill(0),
      );
      pool.validate();
    });
  }
});

Deno.test("Pool resize stays in its block and zeroes what it adds", () => {
  using pool = new Pool({
    blockSize: 32,
    parent: new BufferPages({ reserve: 2 ** 22 }),
  });
  const { u8 } = pool.memory;
  const p = pool.alloc(8);
  u8.fill(1, p, p + 32);
  assert.equal(pool.resize(p, 8, 16), p);
  assert.deepEqual([...u8.subarray(p, p + 17)], [
    ...new Array(8).fill(1),
    ...new Array(8).fill(0),
    1,
  ]);
  assert.equal(pool.resize(p, 16, 4), p);
  assert.equal(pool.resize(p, 4, 0), 0);
  assert.equal(pool.blocks, 0);
  assert.equal(pool.resize(0, 0, 10), p);
  assert.equal(pool.blocks, 1);
  (pool.parent as BufferPages).destroy();
});

// A pool of 1024-byte blocks (64 a slab) on a BufferPages of its own, by a
// clock the test sets.
function clockedPool(decayMs: number) {
  const clock = { now: 0 };
  const pages = new BufferPages({ reserve: 2 ** 24 });
  const pool = new Pool({
    blockSize: 1024,
    parent: pages,
    decayMs,
    clock: () => clock.now,
  });
  return {
    clock,
    pages,
    pool,
    [Symbol.dispose]: () => {
      pool.destroy();
      pages.destroy();
    },
  };
}

Deno.test("Pool finds its blocks exactly in slabs past 2^31 and past 2^32", async (t) => {
  // Native memory reserved only (untouched pages cost nothing): a first
  // allocation puts the pool's slab past 2^31, or past 2^32.
  for (const before of [2 ** 31, 2 ** 32]) {
    await t.step(`slab after ${before} bytes`, () => {
      using pages = new OsPages({ reserve: 2 ** 33 });
      const other = pages.alloc(before); // at P
      using pool = new Pool({ blockSize: 24, parent: pages });
      const a = pool.alloc(), b = pool.alloc();
      assert.deepEqual([a, b], [P + before, P + before + 24]);
      // a − before is the other allocation's first byte: for 2^32, the
      // same as a modulo 2^32.
      assert.deepEqual(refusals(pool, [a + 8, a + 1, a - before]), [
        "interior",
        "unaligned",
        "foreign",
      ]);
      assert.equal(pool.blocks, 2);
      pool.free(a);
      assert.deepEqual(refusals(pool, [a]), ["double-free"]);
      // Written, freed and handed out again: zero, and nothing else zeroed
      // (word stores at ptr >>> 3 reached a − 2^32, the other allocation).
      const { f64, u8 } = pages.memory;
      u8[other] = 123;
      assert.equal(pool.alloc(), a);
      f64[a / 8] = 7.5;
      pool.free(a);
      assert.equal(pool.alloc(), a);
      assert.deepEqual([f64[a / 8], u8[other]], [0, 123]);
      pool.free(b);
      pool.free(a);
      assert.equal(pool.blocks, 0);
      pool.validate();
      pages.free(other, before);
    });
  }
});

// The PointerError reason each free gives (each must be refused).
function refusals(pool: Pool, ptrs: number[]): string[] {
  return ptrs.map((p) => {
    try {
      pool.free(p);
    } catch (e) {
      return (e as { reason?: string }).reason ?? String(e);
    }
    return "taken";
  });
}

Deno.test("Pool gives slabs back after decayMs by its clock", () => {
  using c = clockedPool(100);
  const { pages, pool } = c;
  const ps = Array.from({ length: 129 }, () => pool.alloc()); // 3 slabs
  assert.equal(pool.slabs, 3);
  for (const p of ps.slice(0, 64)) pool.free(p); // slab 1 empties at 0
  assert.equal(pool.slabs, 3);
  assert.equal(pool.trimmableBytes, 65536);
  c.clock.now = 150;
  for (const p of ps.slice(64, 128)) pool.free(p); // slab 2 empties at 150: slab 1 is due
  assert.deepEqual([pool.slabs, pool.bytesReserved, pages.liveBytes], [
    2,
    2 * 65536,
    2 * 65536,
  ]);
  assert.equal(pool.trim(), 65536);
  assert.deepEqual([pool.slabs, pool.peakReserved], [1, 3 * 65536]);
  pool.validate();
});

// Resolves once `done()` holds, checking every few milliseconds (for a
// pool's decay timer, which runs on real time); fails after 2 s.
async function until(done: () => boolean): Promise<void> {
  for (const start = performance.now(); !done();) {
    if (performance.now() - start > 2000) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

Deno.test("Pool's timer gives back a current slab its frees left empty, every time", async () => {
  // The free that empties the current slab sets the timer; once the timer
  // has fired (and stopped), the next such free must set it again.
  using c = clockedPool(5);
  const { pages, pool } = c;
  for (let round = 1; round <= 2; round++) {
    const p = pool.alloc();
    pool.free(p); // the current slab is empty: it stays, the timer is set
    assert.deepEqual([pool.slabs, pool.blocks], [1, 0]);
    // The timer retires it, and gives it back once it has been empty for
    // longer than decayMs: the clock moves 10 ms at each look.
    await until(() => (c.clock.now += 10, pool.slabs === 0));
    assert.deepEqual([pool.bytesReserved, pages.liveBytes], [0, 0]);
    pool.validate();
  }
  // The timer set for another slab fires while the current one is in use,
  // and stops: the free that then empties the current slab sets it again.
  const ps = Array.from({ length: 65 }, () => pool.alloc()); // 2 slabs
  for (const p of ps.slice(0, 64)) pool.free(p); // slab 1 empties
  await until(() => (c.clock.now += 10, pool.slabs === 1));
  pool.free(ps[64]); // the current slab empties
  await until(() => (c.clock.now += 10, pool.slabs === 0));
  pool.validate();
});

Deno.test("Pool reset retires its slabs by the decay rule", async (t) => {
  await t.step("decayMs 100: what is due goes back at the reset", () => {
    using c = clockedPool(100);
    const { pages, pool } = c;
    const ps = Array.from({ length: 193 }, () => pool.alloc()); // 4 slabs
    for (const p of ps.slice(0, 64)) pool.free(p); // slab 1 empties at 0
    c.clock.now = 150;
    pool.reset(); // slabs 2 and 3 empty at 150, slab 1 is due; 4 is current
    assert.deepEqual([pool.slabs, pages.liveBytes, pool.trimmableBytes], [
      3,
      3 * 65536,
      3 * 65536,
    ]);
    c.clock.now = 300;
    const p = pool.alloc(); // the current slab (4)
    assert.equal(p, P + 3 * 65536);
    pool.free(p); // the current slab empties: no slab is retired
    assert.equal(pool.slabs, 3);
    for (const q of Array.from({ length: 129 }, () => pool.alloc())) {
      pool.free(q); // from slab 4, then 2 (the newest empty), then 3
    }
    // Slabs 4 and 2 emptied again at 300, 3 is current: nothing is due
    // before 400.
    assert.equal(pool.slabs, 3);
    assert.equal(pool.trim(), 3 * 65536);
    assert.equal(pool.peakReserved, 4 * 65536);
    pool.validate();
  });
  await t.step("decayMs 0: every slab but the current goes back", () => {
    using c = clockedPool(0);
    const { pages, pool } = c;
    for (let i = 0; i < 129; i++) pool.alloc(); // 3 slabs
    pool.reset();
    assert.deepEqual([pool.slabs, pool.bytesReserved, pages.liveBytes], [
      1,
      65536,
      65536,
    ]);
    assert.deepEqual([pool.blocks, pool.bytesUsed, pool.trimmableBytes], [
      0,
      0,
      65536,
    ]);
    assert.equal(pool.alloc(), P + 2 * 65536); // slab 3, block 0
    pool.validate();
  });
});

Deno.test("Pool reset: old pointers are dead, alloc zeroes, allocUnsafe keeps old bytes", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  using pool = new Pool({ blockSize: 40, parent: pages, decayMs: Infinity });
  const { u8 } = pool.memory;
  const old = Array.from({ length: 2000 }, () => pool.alloc()); // 2 slabs
  for (const p of old) u8.fill(0xcd, p, p + 40);
  pool.reset();
  pool.validate();
  for (const p of [old[0], old[1637], old[1638], old[1999]]) {
    assert.throws(() => pool.free(p), {
      name: "PointerError",
      reason: "double-free",
    });
  }
  assert.equal(pool.blocks, 0);
  const a = pool.alloc(); // slab 2's block 0, which was old[1638]
  assert.equal(a, old[1638]);
  assert.deepEqual([...u8.subarray(a, a + 40)], new Array(40).fill(0));
  const b = pool.allocUnsafe();
  assert.equal(b, old[1639]);
  assert.equal(u8[b], 0xcd);
  pool.free(a);
  pool.free(b);
  pool.validate();
});

Deno.test("Pool destroy gives every slab back, on each page source and a heap", async (t) => {
  for (const source of sources) {
    await t.step(source.name, () => {
      using pages = source.make({ reserve: 2 ** 24 });
      const pool = new Pool({ blockSize: 40, parent: pages });
      const ps = Array.from({ length: 5000 }, () => pool.alloc());
      assert.equal(pool.slabs, 4); // 1638 blocks a slab
      assert.equal(pages.liveBytes, 4 * 65536);
      pool.free(ps[0]);
      pool.destroy();
      assert.deepEqual([pool.blocks, pool.bytesReserved, pool.peakReserved], [
        0,
        0,
        4 * 65536,
      ]);
      assert.equal(pages.liveBytes, 0);
      assert.throws(() => pool.reset(), {
        name: "DestroyedError",
        message: /^Pool was used after destroy\(\)/,
      });
      pool.destroy(); // again: nothing
    });
  }
  await t.step("Heap", () => {
    using heap = new Heap({ pages: new BufferPages({ reserve: 2 ** 24 }) });
    {
      using pool = new Pool({ blockSize: 40, parent: heap });
      for (let i = 0; i < 2000; i++) pool.alloc();
      assert.equal(heap.largeBlocks, 2);
    }
    assert.equal(heap.largeBlocks, 0);
    assert.equal(heap.bytesUsed, 0);
  });
});

Deno.test("Pool refuses every call once its page source is destroyed, on each page source", async (t) => {
  // The fast paths see a detached memory (BufferPages, OsPages) or a
  // revoked one (WasmPages, SharedPages) by the length of a view.
  for (const source of sources) {
    await t.step(source.name, () => {
      const pages = source.make({ reserve: 2 ** 24 });
      using pool = new Pool({ blockSize: 24, parent: pages });
      const a = pool.alloc(), b = pool.alloc();
      pool.free(a); // a freed block, for the fast path to pop
      pages.destroy();
      for (
        const call of [
          () => pool.alloc(),
          () => pool.allocUnsafe(),
          () => pool.alloc(24),
          () => pool.free(b),
          () => pool.free(b, 24),
          () => pool.reset(),
        ]
      ) {
        assert.throws(call, {
          name: "DestroyedError",
          message:
            /parent allocator \(an? \w+\) was destroyed: its slabs are gone/,
        });
        assert.equal(pool.blocks, 1);
      }
    });
  }
});

Deno.test("Pool stays refused when its decay timer fires after its page source is destroyed", async (t) => {
  // The timer, set for an empty slab, fires after the memory is gone: it
  // must not open a fast path again (a revoked memory's views still work).
  for (const source of sources) {
    await t.step(source.name, async () => {
      const pages = source.make({ reserve: 2 ** 24 });
      using pool = new Pool({ blockSize: 1024, parent: pages, decayMs: 1 });
      const ps = Array.from({ length: 65 }, () => pool.alloc()); // 2 slabs
      for (const p of ps.slice(0, 64)) pool.free(p); // slab 1: timer set
      pages.destroy();
      await new Promise((resolve) => setTimeout(resolve, 30));
      for (const call of [() => pool.free(ps[64]), () => pool.alloc()]) {
        assert.throws(call, {
          name: "DestroyedError",
          message:
            /parent allocator \(an? \w+\) was destroyed: its slabs are gone/,
        });
      }
      assert.equal(pool.blocks, 1);
    });
  }
});

Deno.test("Pool refuses every call once its heap is destroyed", () => {
  const heap = new Heap({ pages: new BufferPages({ reserve: 2 ** 24 }) });
  using pool = new Pool({ blockSize: 24, parent: heap });
  const a = pool.alloc(), b = pool.alloc();
  pool.free(a);
  heap.destroy();
  for (
    const call of [
      () => pool.alloc(),
      () => pool.allocUnsafe(),
      () => pool.free(b),
      () => pool.reset(),
    ]
  ) {
    assert.throws(call, {
      name: "DestroyedError",
      message: /parent allocator \(an? \w+\) was destroyed: its slabs are gone/,
    });
    assert.equal(pool.blocks, 1);
  }
});
