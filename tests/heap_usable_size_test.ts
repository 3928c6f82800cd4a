// usableSize(ptr) on Heap and WorkerHeap: the class size of a small
// allocation, a large block's capacity past its pointer, and the refusals
// free would give, each with the heap unchanged.
import assert from "node:assert/strict";
import { Heap, WorkerHeap } from "../heap/mod.ts";
import {
  BufferPages,
  DestroyedError,
  PointerError,
  SharedPages,
} from "../os/mod.ts";
import { CLASSES } from "./_heap_model.ts";
import { sources } from "./_sources.ts";

/** [requested size, usable size] for every class and some large blocks. */
const sizes: [number, number][] = [
  [0, 16],
  [1, 16],
  ...CLASSES.map((c): [number, number] => [c, c]),
  ...CLASSES.slice(0, -1).map((
    c,
    i,
  ): [number, number] => [c + 1, CLASSES[i + 1]]),
  [2017, 4096],
  [4048, 4096],
  [4049, 4096],
  [4097, 8192],
  [65536, 65536],
];

Deno.test("Heap: usableSize is the class size or the block's room", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  for (const [size, usable] of sizes) {
    const p = heap.alloc(size);
    assert.equal(heap.usableSize(p), usable, `alloc(${size})`);
    // A resize to the usable size never moves.
    if (size > 0) assert.equal(heap.resize(p, size, usable), p);
    heap.free(p, usable);
  }
  assert.equal(heap.bytesUsed, 0);
  heap.validate();
});

/** Calls that must be refused: [what, call, reason, message]. */
const refusals: [
  string,
  (heap: Heap, p: { small: number; big: number; freed: number }) => unknown,
  string,
  RegExp,
][] = [
  [
    "inside a chunk",
    (h, p) => h.usableSize(p.small + 16),
    "interior",
    /not at the start of a chunk/,
  ],
  [
    "inside a large block",
    (h, p) => h.usableSize(p.big + 16),
    "interior",
    /inside the large block/,
  ],
  [
    "a freed chunk",
    (h, p) => h.usableSize(p.freed),
    "double-free",
    /free chunk/,
  ],
  [
    "unaligned",
    (h, p) => h.usableSize(p.small + 1),
    "unaligned",
    /not 16-byte aligned/,
  ],
  ["null", (h) => h.usableSize(0), "foreign", /not an allocation of this heap/],
];

Deno.test("Heap: usableSize refuses what free refuses, changing nothing", async (t) => {
  for (const [what, call, reason, message] of refusals) {
    await t.step(what, () => {
      using pages = new BufferPages({ reserve: 2 ** 24 });
      using heap = new Heap({ pages });
      const p = { small: heap.alloc(64), big: heap.alloc(5000), freed: 0 };
      p.freed = heap.alloc(64);
      heap.free(p.freed);
      assert.throws(() => call(heap, p), (e) => {
        assert.ok(e instanceof PointerError, `got ${e}`);
        assert.equal(e.reason, reason);
        assert.match(e.message, message);
        return true;
      });
      assert.equal(heap.bytesUsed, 64 + 5000);
      heap.validate();
    });
  }
});

Deno.test("Heap: usableSize after destroy() throws", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  const heap = new Heap({ pages });
  const p = heap.alloc(64);
  heap.destroy();
  assert.throws(() => heap.usableSize(p), DestroyedError);
});

Deno.test("WorkerHeap: usableSize of its own blocks; a heap without them says foreign", () => {
  using pages = new SharedPages({ reserve: 2 ** 24 });
  using a = new WorkerHeap({ pages });
  const p = a.alloc(100), q = a.alloc(3000);
  assert.equal(a.usableSize(p), 128);
  assert.equal(a.usableSize(q), 4096);
  using other = new Heap({ pages: new BufferPages({ reserve: 2 ** 22 }) });
  assert.throws(() => other.usableSize(p), (e) => {
    assert.ok(e instanceof PointerError);
    assert.equal(e.reason, "foreign");
    return true;
  });
  a.free(p, 100);
  a.free(q, 3000);
  assert.equal(a.bytesUsed, 0);
});

// A large block made of freed pages reads as zero up to its usable size, not
// only its size: nothing of the block freed before shows in the slack, for
// alloc, an aligned alloc and allocUnsafe (whose bytes past the size are zero).
for (const source of sources) {
  Deno.test(`Heap on ${source.name}: a reused large block is zero up to usableSize`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    using heap = new Heap({ pages });
    const cases: [string, (h: Heap) => number, number, number][] = [
      ["alloc(3000)", (h) => h.alloc(3000), 0, 4096],
      ["alloc(100, 512)", (h) => h.alloc(100, 512), 0, 4096],
      ["alloc(4097)", (h) => h.alloc(4097), 0, 8192],
      ["allocUnsafe(3000)", (h) => h.allocUnsafe(3000), 3000, 4096],
    ];
    for (const [name, make, from, usable] of cases) {
      const old = heap.alloc(8192);
      heap.memory.u8.fill(0xaa, old, old + 8192);
      heap.free(old, 8192);
      heap.trim(); // the kept run goes back: freed pages of the page source
      const p = make(heap);
      assert.equal(p, old, `${name} reuses the freed pages`);
      assert.equal(heap.usableSize(p), usable, name);
      const slack = heap.memory.u8.subarray(p + from, p + usable);
      assert.equal(slack.findIndex((b) => b !== 0), -1, `${name}: old bytes`);
      heap.free(p);
      heap.trim();
      heap.validate();
    }
    assert.equal(heap.bytesUsed, 0);
  });
}

// A block taken from the heap's cache of freed medium runs reads as zero up
// to its usable size too, whatever the block before wrote there (its whole
// capacity was its to use); allocUnsafe's keeps old bytes below its size
// only.
for (const source of sources) {
  Deno.test(`Heap on ${source.name}: a kept run is zero up to usableSize`, () => {
    using pages = source.make({ reserve: 2 ** 22 });
    using heap = new Heap({ pages });
    const cases: [string, (h: Heap) => number, number][] = [
      ["alloc(5000)", (h) => h.alloc(5000), 0],
      ["alloc(8192)", (h) => h.alloc(8192), 0],
      ["alloc(4100, 512)", (h) => h.alloc(4100, 512), 0],
      ["allocUnsafe(5000)", (h) => h.allocUnsafe(5000), 5000],
    ];
    for (const [name, make, from] of cases) {
      const old = heap.alloc(6000); // two pages
      heap.memory.u8.fill(0xaa, old, old + 8192); // all of its usableSize
      heap.free(old, 6000);
      assert.equal(heap.retainedBytes, 8192, name);
      const p = make(heap);
      assert.equal(p, old, `${name} takes the kept run`);
      assert.equal(heap.retainedBytes, 0, name);
      assert.equal(heap.usableSize(p), 8192, name);
      if (from > 0) {
        const kept = heap.memory.u8.subarray(p, p + from);
        assert.equal(kept.findIndex((b) => b !== 0xaa), -1, `${name}: kept`);
      }
      const slack = heap.memory.u8.subarray(p + from, p + 8192);
      assert.equal(slack.findIndex((b) => b !== 0), -1, `${name}: old bytes`);
      heap.free(p);
      heap.validate();
    }
    assert.equal(heap.bytesUsed, 0);
    assert.equal(heap.bytesReserved, 4096 + 8192);
  });
}
