// Bugs found in the arena, pool and debug allocators, each pinned by the
// smallest setup that showed it: a shrinking resize that moves, a parent
// gone further down the chain, a wrong old size, a zero-size debug block,
// padding left by newest-first frees, a default slab's block count, and the
// size a refused debug allocation names.
import assert from "node:assert/strict";
import { Arena, FixedAllocator, scratch } from "../arena/mod.ts";
import { Pool } from "../pool/mod.ts";
import { Heap } from "../heap/mod.ts";
import { DebugAllocator } from "../debug/mod.ts";
import {
  BufferPages,
  DestroyedError,
  OutOfMemoryError,
  PointerError,
} from "../os/mod.ts";

const bytes = (u8: Uint8Array, from: number, n: number) => [
  ...u8.subarray(from, from + n),
];

Deno.test("a shrinking resize that must move copies only the new size", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  const u8 = pages.memory.u8;
  // A fixed region of 64 bytes, a neighbour's data right after it.
  const page = pages.alloc(4096);
  u8.fill(0x11, page + 64, page + 128);
  const fixed = new FixedAllocator({
    memory: pages.memory,
    ptr: page,
    length: 64,
    alignment: 1,
  });
  fixed.alloc(1);
  const a = fixed.alloc(40); // at offset 1: not 16-aligned
  u8.fill(0xaa, a, a + 40);
  fixed.alloc(1);
  const b = fixed.resize(a, 40, 8, 16);
  assert.equal(b - page, 48);
  assert.equal(fixed.bytesUsed, 56);
  assert.deepEqual(bytes(u8, b, 8), Array(8).fill(0xaa));
  assert.deepEqual(bytes(u8, page + 64, 64), Array(64).fill(0x11));

  // An arena: the bytes past the moved allocation stay zero.
  using arena = new Arena({ parent: pages, alignment: 1 });
  arena.alloc(1);
  const x = arena.alloc(300);
  u8.fill(0xbb, x, x + 300);
  arena.alloc(1);
  const y = arena.resize(x, 300, 4, 64);
  assert.deepEqual(bytes(u8, y, 8), [0xbb, 0xbb, 0xbb, 0xbb, 0, 0, 0, 0]);
  const z = arena.alloc(8);
  assert.deepEqual(bytes(u8, z, 8), Array(8).fill(0));
});

Deno.test("a shrinking move of an arena on a heap leaves other blocks alone", () => {
  using pages = new BufferPages({ reserve: 2 ** 26 });
  using heap = new Heap({ pages });
  using arena = new Arena({ parent: heap, blockSize: 64, alignment: 8 });
  const a = arena.alloc(30000, 8);
  arena.memory.u8.fill(0xee, a, a + 30000);
  const hole = heap.alloc(4136);
  const victim = heap.alloc(32768);
  heap.memory.u8.fill(0x5a, victim, victim + 32768);
  heap.free(hole, 4136);
  arena.resize(a, 30000, 8, 4096);
  assert.equal(
    heap.memory.u8.subarray(victim, victim + 32768).every((v) => v === 0x5a),
    true,
  );
  heap.validate();
});

Deno.test("a child refuses once anything under its parent is destroyed", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  const heap = new Heap({ pages });
  const debug = new DebugAllocator({ parent: heap });
  const arena = new Arena({ parent: debug });
  const under = new Arena({ parent: heap, blockSize: 1 << 17 });
  const pool = new Pool({ blockSize: 64, parent: under, slabSize: 4096 });
  const onDebug = new Pool({ blockSize: 64, parent: debug, slabSize: 4096 });
  const debugOnArena = new DebugAllocator({ parent: under });
  pool.alloc();
  onDebug.alloc();
  heap.destroy();
  using heap2 = new Heap({ pages }); // takes the pages back
  heap2.alloc(8192);
  for (const x of [debug, arena, under, pool, onDebug, debugOnArena]) {
    assert.equal(x.destroyed, true);
  }
  assert.throws(() => arena.alloc(64), {
    name: "DestroyedError",
    message:
      "Arena was used after an allocator under its parent (a Heap, 2 levels down) was destroyed: its blocks are gone; make a new arena on a live parent",
  });
  assert.throws(() => under.alloc(64), {
    name: "DestroyedError",
    message:
      "Arena was used after its parent allocator (a Heap) was destroyed: its blocks are gone; make a new arena on a live parent",
  });
  assert.throws(() => pool.alloc(), {
    name: "DestroyedError",
    message:
      "Pool was used after an allocator under its parent (a Heap, 2 levels down) was destroyed: its slabs are gone; make a new pool on a live parent",
  });
  assert.throws(() => onDebug.allocUnsafe(), DestroyedError);
  assert.throws(() => debugOnArena.alloc(8), {
    name: "DestroyedError",
    message:
      "Debug allocator was used after an allocator under its parent (a Heap, 2 levels down) was destroyed: its blocks are gone; make a new one on a live parent",
  });
  for (const x of [arena, under, pool, onDebug]) x.destroy();
  debugOnArena.destroy(); // no leaks: returns quietly
});

Deno.test("a child of a scratch region refuses once the region ends", () => {
  const r = scratch();
  const arena = new Arena({ parent: r, blockSize: 1024 });
  const pool = new Pool({ blockSize: 64, parent: r });
  pool.alloc();
  const debug = new DebugAllocator({ parent: r });
  const deep = new Arena({ parent: arena });
  assert.equal(r.destroyed, false);
  r.end();
  using r2 = scratch();
  r2.alloc(1000);
  assert.equal(r.destroyed, true);
  assert.throws(() => arena.alloc(64), {
    name: "DestroyedError",
    message:
      "Arena was used after its parent allocator (a ScratchRegion) ended: its blocks are gone; make a new arena on a live parent",
  });
  assert.throws(() => deep.alloc(8), {
    name: "DestroyedError",
    message:
      "Arena was used after an allocator under its parent (a ScratchRegion, 2 levels down) ended: its blocks are gone; make a new arena on a live parent",
  });
  assert.throws(() => pool.alloc(), {
    name: "DestroyedError",
    message:
      "Pool was used after its parent allocator (a ScratchRegion) ended: its slabs are gone; make a new pool on a live parent",
  });
  assert.throws(() => debug.alloc(8), {
    name: "DestroyedError",
    message:
      "Debug allocator was used after its parent allocator (a ScratchRegion) ended: its blocks are gone; make a new one on a live parent",
  });
});

Deno.test("a non-top resize whose old size reaches a later allocation is refused", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  using arena = new Arena({ parent: pages });
  const a = arena.alloc(16), b = arena.alloc(16);
  arena.alloc(16);
  arena.memory.u8.fill(0xbb, b, b + 16);
  const used = arena.bytesUsed;
  const message = `Size 48 does not match the allocation at 0x${
    a.toString(16)
  } (${a}): it would reach the allocation at 0x${
    b.toString(16)
  } (${b}), made after it; pass the size it was allocated or last resized with`;
  assert.throws(() => arena.resize(a, 48, 8), {
    name: "PointerError",
    reason: "size-mismatch",
    message,
  });
  assert.throws(() => arena.free(a, 48), PointerError);
  assert.deepEqual(bytes(arena.memory.u8, b, 16), Array(16).fill(0xbb));
  assert.equal(arena.bytesUsed, used);
  assert.equal(arena.resize(b, 16, 8), b); // the right size still works

  const page = pages.alloc(4096);
  const fixed = new FixedAllocator({
    memory: pages.memory,
    ptr: page,
    length: 4096,
  });
  const fa = fixed.alloc(16), fb = fixed.alloc(16);
  fixed.alloc(16);
  assert.throws(() => fixed.resize(fa, 40, 8), {
    name: "PointerError",
    reason: "size-mismatch",
    message: `Size 40 does not match the allocation at 0x${
      fa.toString(16)
    } (${fa}): it would reach the allocation at 0x${
      fb.toString(16)
    } (${fb}), made after it; pass the size it was allocated or last resized with`,
  });
});

Deno.test("zero-size debug blocks with no red zone get pointers of their own", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  using arena = new Arena({ parent: pages });
  const debug = new DebugAllocator({ parent: arena, redZone: 0 });
  const a = debug.alloc(0), b = debug.alloc(0), c = debug.alloc(8);
  assert.equal(new Set([a, b, c]).size, 3);
  assert.equal(debug.leaks().length, 3);
  debug.free(c, 8);
  debug.free(b, 0);
  debug.free(a, 0);
  assert.equal(debug.leaks().length, 0);
  debug.destroy();
});

Deno.test("frees newest first give the padding back too", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  using arena = new Arena({ parent: pages });
  const a = arena.alloc(60), b = arena.alloc(16);
  arena.free(b, 16);
  arena.free(a, 60);
  assert.equal(arena.bytesUsed, 0);
  assert.equal(arena.alloc(8), a);
  const fixed = new FixedAllocator({
    memory: pages.memory,
    ptr: pages.alloc(4096),
    length: 4096,
  });
  const fa = fixed.alloc(60), fb = fixed.alloc(16);
  fixed.free(fb, 16);
  fixed.free(fa, 60);
  assert.equal(fixed.bytesUsed, 0);
});

Deno.test("a default slab holds 8 blocks at large alignments on a heap", () => {
  using heap = new Heap();
  // 8 blocks after up to alignment - 1 bytes of padding, with 64 bytes for
  // the heap's header in whole pages.
  for (
    const [al, slabSize] of [[8192, 77760], [16384, 151488], [65536, 593856]]
  ) {
    using pool = new Pool({ blockSize: al, alignment: al, parent: heap });
    assert.deepEqual([pool.slabSize, pool.blocksPerSlab], [slabSize, 8]);
  }
});

Deno.test("a debug allocation its parent refuses names the size asked", () => {
  using heap = new Heap();
  using debug = new DebugAllocator({ parent: heap });
  assert.throws(() => debug.alloc(2 ** 50), {
    name: "RangeError",
    message:
      "Size 1125899906842624 exceeds what the debug allocator's parent can hold: with its red zones that is 1125899906842656 bytes, which its parent refused (Size 1125899906842656 exceeds the largest allocation this page source can hold of 4294959104 bytes)",
  });
  using pool = new Pool({ blockSize: 64, parent: heap });
  const onPool = new DebugAllocator({ parent: pool });
  assert.throws(() => onPool.alloc(40, 4096), {
    name: "RangeError",
    message:
      "Size 40 exceeds what the debug allocator's parent can hold: with its red zones that is 4152 bytes, which its parent refused (Size 4152 exceeds the pool's block size of 64 bytes)",
  });
  assert.equal(onPool.leaks().length, 0);
  void OutOfMemoryError;
});

Deno.test("a debug allocation its parent refuses for another reason keeps the parent's error", () => {
  using heap = new Heap();
  using pool = new Pool({ blockSize: 128, parent: heap });
  const onPool = new DebugAllocator({ parent: pool });
  assert.throws(() => onPool.alloc(8, 64), {
    name: "RangeError",
    message: /^Alignment 64 /,
  });
  // With no red zones the span is 1 byte, and "16" in the pool's message
  // holds a "1": still the pool's error.
  using small = new Pool({ blockSize: 64, parent: heap });
  const bare = new DebugAllocator({ parent: small, redZone: 0 });
  assert.throws(() => bare.alloc(0, 64), {
    name: "RangeError",
    message: /^Alignment 64 is more than this pool's blocks have \(16\)/,
  });
});

Deno.test("a child over a heap whose page source was destroyed blames the memory", () => {
  const pages = new BufferPages({ reserve: 2 ** 22 });
  const heap = new Heap({ pages });
  const arena = new Arena({ parent: heap });
  const pool = new Pool({ blockSize: 32, parent: arena });
  const debug = new DebugAllocator({ parent: arena });
  pages.destroy();
  assert.throws(() => pool.alloc(), {
    name: "DestroyedError",
    message:
      "Pool was used after its memory was destroyed with its page source: its slabs are gone; make a new pool on a live parent",
  });
  assert.throws(() => debug.alloc(8), {
    name: "DestroyedError",
    message:
      "Debug allocator was used after its memory was destroyed with its page source: its blocks are gone; make a new one on a live parent",
  });
});

Deno.test("a child asks an allocator from elsewhere at every call, and sees every end under a chain of ours", () => {
  using pages = new BufferPages({ reserve: 2 ** 22 });
  using heap = new Heap({ pages });
  // An allocator of the user's: its `destroyed` flips with no call of ours.
  let gone = false;
  const theirs = {
    memory: heap.memory,
    get destroyed() {
      return gone;
    },
    alloc: (size: number) => heap.alloc(size),
    resize: (p: number, o: number, n: number) => heap.resize(p, o, n),
    free: (p: number, size: number) => heap.free(p, size),
  };
  const onTheirs = new Arena({ parent: theirs });
  const deep = new Arena({
    parent: new Arena({ parent: new Arena({ parent: heap }) }),
  });
  for (let i = 0; i < 3; i++) onTheirs.alloc(16), deep.alloc(16); // seen live
  gone = true;
  assert.throws(() => onTheirs.alloc(16), DestroyedError);
  assert.equal(onTheirs.destroyed, true);
  assert.equal(deep.destroyed, false);
  deep.alloc(16);
  // An end elsewhere (another heap) is counted too: the chain is asked
  // again, and is still live.
  new Heap({ pages }).destroy();
  deep.alloc(16);
  heap.destroy();
  assert.throws(
    () => deep.alloc(16),
    new DestroyedError(
      "Arena was used after an allocator under its parent (a Heap, 3 levels down) was destroyed: its blocks are gone; make a new arena on a live parent",
    ),
  );
});

// A child on a debug allocator whose red zone it overflowed: the debug
// parent refuses that block's free, and the child's destroy() still gives
// every other block back, then throws the parent's error.
Deno.test("destroy gives every block back when the parent refuses one", async (t) => {
  type Child = { destroy(): void; destroyed: boolean };
  const rows: {
    name: string;
    /** Makes the child, fills three of its parent's blocks, overflows the first. */
    make(parent: DebugAllocator): Child;
    message: string;
    counters(child: Child): unknown[];
    after: unknown[];
  }[] = [
    {
      name: "an arena",
      make(parent) {
        const arena = new Arena({ parent, blockSize: 256 });
        const p = arena.alloc(256 - 32); // fills block 0
        arena.alloc(300);
        arena.alloc(600);
        assert.deepEqual([arena.blockCount, arena.currentBlock], [3, 2]);
        arena.memory.u8[p + 224] = 1; // the byte past block 0
        return arena;
      },
      message:
        "Byte 0x1110 (4368) past the end of the 256-byte allocation at 0x1010 (4112) was written (a buffer overflow)",
      counters: (a) => {
        const arena = a as Arena;
        return [
          arena.bytesUsed,
          arena.capacity,
          arena.blockCount,
          arena.currentBlock,
        ];
      },
      after: [0, 0, 0, 0],
    },
    {
      name: "a pool",
      make(parent) {
        const pool = new Pool({ parent, blockSize: 64 });
        while (parent.leaks().length < 3) pool.alloc();
        const first = parent.leaks()[0];
        pool.memory.u8[first.ptr + first.size] = 1; // the byte past slab 0
        return pool;
      },
      message:
        "Byte 0x10fd0 (69584) past the end of the 65472-byte allocation at 0x1010 (4112) was written (a buffer overflow)",
      counters: (p) => {
        const pool = p as Pool;
        return [pool.blocks, pool.bytesUsed, pool.bytesReserved, pool.slabs];
      },
      after: [0, 0, 0, 0],
    },
    {
      name: "a debug allocator",
      make(parent) {
        const debug = new DebugAllocator({ parent, quarantine: 0 });
        // Spans of 100, 200, 300 bytes between 16-byte red zones.
        for (const size of [100, 200, 300]) debug.alloc(size);
        const first = parent.leaks()[0];
        debug.memory.u8[first.ptr + first.size] = 1; // past its first span
        return debug;
      },
      message:
        "Byte 0x1094 (4244) past the end of the 132-byte allocation at 0x1010 (4112) was written (a buffer overflow)",
      counters: (d) => [(d as DebugAllocator).quarantined],
      after: [0],
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      using pages = new BufferPages({ reserve: 2 ** 22 });
      const parent = new DebugAllocator({ parent: pages, quarantine: 0 });
      const child = row.make(parent);
      assert.equal(parent.leaks().length, 3);
      assert.throws(() => child.destroy(), {
        name: "MemoryCorruptionError",
        message: row.message,
      });
      assert.equal(child.destroyed, true);
      assert.deepEqual(row.counters(child), row.after);
      assert.deepEqual(parent.leaks(), []);
      child.destroy(); // again: nothing
      parent.destroy(); // no LeakError: it holds none of the child's blocks
      assert.equal(pages.liveBytes, 0);
    });
  }
});
