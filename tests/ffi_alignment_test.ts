// C's malloc gives blocks aligned for max_align_t (16 bytes on x86-64 and
// AArch64): the bridge refuses an allocator whose alignment is less, and
// asks one that tells none for 16 on each call.
import assert from "node:assert/strict";
import { Arena } from "../arena/mod.ts";
import { CAllocator, HOOK_DEFINITIONS } from "../ffi/mod.ts";
import { DebugAllocator } from "../debug/mod.ts";
import { Heap } from "../heap/mod.ts";
import { type Allocator, OsPages } from "../os/mod.ts";
import { Pool } from "../pool/mod.ts";

const refused = (alignment: number) =>
  new RangeError(
    `CAllocator needs an allocator whose blocks are aligned to 16 bytes, as C's malloc gives (alignof(max_align_t)); this one's alignment is ${alignment}: make it with alignment: 16`,
  );

function hooks(bridge: CAllocator) {
  const malloc = new Deno.UnsafeFnPointer(
    bridge.malloc,
    HOOK_DEFINITIONS.malloc,
  );
  const realloc = new Deno.UnsafeFnPointer(
    bridge.realloc,
    HOOK_DEFINITIONS.realloc,
  );
  const luaAlloc = new Deno.UnsafeFnPointer(
    bridge.luaAlloc,
    HOOK_DEFINITIONS.luaAlloc,
  );
  const free = new Deno.UnsafeFnPointer(bridge.free, HOOK_DEFINITIONS.free);
  return {
    malloc: (n: bigint) => malloc.call(n),
    realloc: (p: bigint, n: bigint) => realloc.call(p, n),
    lua: (p: bigint, o: bigint, n: bigint) => luaAlloc.call(0, p, o, n),
    free: (p: bigint) => free.call(p),
  };
}

// Every address malloc, realloc and luaAlloc give for sizes that an
// 8-aligned allocator would place 8 apart.
function addresses(bridge: CAllocator): bigint[] {
  const c = hooks(bridge);
  const out: bigint[] = [];
  for (const n of [1n, 3n, 8n, 17n, 24n]) {
    const p = c.malloc(n);
    const q = c.realloc(p, n + 5n);
    const l = c.lua(0n, 0n, n);
    out.push(p, q, l);
    c.free(q);
    c.lua(l, n, 0n);
  }
  return out;
}

Deno.test("ffi alignment: a pool or arena aligned to 8 is refused at construction", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  using pool = new Pool({ blockSize: 24, alignment: 8, parent: heap });
  assert.throws(() => new CAllocator(pool), refused(8));
  using arena = new Arena({ parent: heap, alignment: 8 });
  assert.throws(() => new CAllocator(arena), refused(8));
  using packed = new Arena({ parent: heap, alignment: 1 });
  assert.throws(() => new CAllocator(packed), refused(1));
  // Nothing was allocated for the refused bridges.
  assert.deepEqual([pool.bytesUsed, arena.bytesUsed], [0, 0]);
});

Deno.test("ffi alignment: a pool of 24-byte blocks aligned to 16 gives 16-aligned blocks", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  using pool = new Pool({ blockSize: 24, alignment: 16, parent: heap });
  assert.equal(pool.stride, 32);
  using bridge = new CAllocator(pool);
  const c = hooks(bridge);
  const blocks = [c.malloc(24n), c.malloc(1n), c.malloc(17n)];
  assert.deepEqual(blocks.map((p) => p % 16n), [0n, 0n, 0n]);
  assert.deepEqual(blocks.slice(1).map((p, i) => p - blocks[i]), [32n, 32n]);
  assert.equal(bridge.bytesUsed, 24 + 1 + 17);
  for (const p of blocks) c.free(p);
  assert.deepEqual([bridge.bytesUsed, bridge.refusedCalls], [0, 0]);
});

Deno.test("ffi alignment: an allocator that tells no alignment is asked for 16", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  using arena = new Arena({ parent: heap, alignment: 8 });
  // A wrapper with no `alignment` of its own, over the 8-aligned arena.
  const asked: (number | undefined)[] = [];
  const wrapper: Allocator = {
    memory: arena.memory,
    alloc: (
      size,
      alignment,
    ) => (asked.push(alignment), arena.alloc(size, alignment)),
    resize: (ptr, oldSize, newSize, alignment) => (
      asked.push(alignment), arena.resize(ptr, oldSize, newSize, alignment)
    ),
    free: (ptr, size) => arena.free(ptr, size),
  };
  using bridge = new CAllocator(wrapper);
  const all = addresses(bridge);
  assert.equal(all.length, 15);
  assert.deepEqual(all.filter((p) => p % 16n !== 0n), []);
  assert.deepEqual(new Set(asked), new Set([16]));
  assert.deepEqual([bridge.bytesUsed, bridge.refusedCalls], [0, 0]);
});

Deno.test("ffi alignment: a heap's and a debug allocator's blocks are 16-aligned, sizes as before", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  {
    using bridge = new CAllocator(heap);
    assert.deepEqual(addresses(bridge).filter((p) => p % 16n !== 0n), []);
    const c = hooks(bridge);
    const p = c.malloc(100n);
    assert.deepEqual([heap.bytesUsed, bridge.bytesUsed], [128, 128]);
    c.free(p);
    assert.deepEqual([heap.bytesUsed, bridge.bytesUsed], [0, 0]);
  }
  using debug = new DebugAllocator({ parent: heap, quarantine: 0 });
  using bridge = new CAllocator(debug);
  assert.deepEqual(addresses(bridge).filter((p) => p % 16n !== 0n), []);
  assert.deepEqual([debug.leaks().length, bridge.refusedCalls], [0, 0]);
});

Deno.test("ffi alignment: a debug allocator over an 8-aligned pool refuses C's calls", () => {
  using pages = new OsPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  using pool = new Pool({ blockSize: 64, alignment: 8, parent: heap });
  // The debug allocator tells no alignment: the bridge takes it, and
  // asks for 16, which the pool cannot give.
  using debug = new DebugAllocator({ parent: pool, quarantine: 0 });
  using bridge = new CAllocator(debug);
  const c = hooks(bridge);
  assert.equal(c.malloc(8n), 0n);
  assert.deepEqual(
    bridge.errors.map((e) => [e.hook, e.error.name, e.error.message]),
    [[
      "malloc",
      "RangeError",
      "Alignment 16 is more than this pool's blocks have (8): make the pool with alignment: 16",
    ]],
  );
  assert.deepEqual([bridge.bytesUsed, pool.bytesUsed], [0, 0]);
});
