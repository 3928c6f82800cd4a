// The heap's lifecycle (trim, destroy, introspection) and what validate()
// finds, as tables (tests/_heap_cases.ts runs them).
import assert from "node:assert/strict";
import { Heap } from "../heap/mod.ts";
import { HeapCorruptionError, OsPages, PointerError } from "../os/mod.ts";
import {
  allocs,
  type HeapCase,
  heapTables,
  type Op,
  released2016,
  SEG,
  SELF,
} from "./_heap_cases.ts";

/** Lifecycle: pages come back, `using` works, introspection adds up. */
const lifecycle: HeapCase[] = [
  {
    // Kills Heap#allocLarge without `kept[STREAK] = 0`: a medium alloc
    // served by the fast path ends the free streak, so pairs never drain.
    name: "17 medium alloc+free pairs in a row reuse one kept run, no drain",
    ops: [
      ["alloc", "a", 8192],
      ["free", "a"],
      ...Array.from({ length: 16 }, (_, i): Op[] => [
        ["alloc", `b${i}`, 8192],
        ["free", `b${i}`],
      ]).flat(),
      ["call", ({ heap, pages, ptr }) => {
        assert.equal(ptr.b15, ptr.a);
        assert.equal(heap.retainedBytes, 8192);
        assert.equal(pages.liveBytes, SELF + 8192);
      }],
    ],
    expect: { used: 0, large: 0, kept: 8192, reserved: SELF + 8192 },
  },
  {
    // Kills `kept[STREAK] >= DRAIN_FREES` -> `>` in Heap#freeLarge: the
    // 17th free in a row drains although its own stack has room.
    name: "the 17th medium free in a row drains though its stack has room",
    ops: [
      // One block of each page count 1..16, and a second of one page.
      ...Array.from(
        { length: 16 },
        (_, i): Op => ["alloc", `p${i}`, (i + 1) * 4096],
      ),
      ["alloc", "q", 4096],
      ...Array.from({ length: 16 }, (_, i): Op => ["free", `p${i}`]),
      ["call", ({ heap }) => assert.equal(heap.retainedBytes, 136 * 4096)],
      ["free", "q"], // the 17th: its stack holds one run, room for seven
    ],
    expect: { used: 0, large: 0, kept: 0, reserved: SELF, pagesLive: SELF },
  },
  {
    name: "freed medium blocks are kept, by page count, up to 8 each and 1 MiB",
    ops: [
      ...allocs(9, 5000, "b"), // two pages each
      ...Array.from({ length: 9 }, (_, i): Op => ["free", `b${i}`]),
      ["call", ({ heap }) => {
        // Eight kept; the ninth went back to the page source.
        assert.equal(heap.retainedBytes, 8 * 8192);
        assert.equal(heap.trimmableBytes, 8 * 8192);
      }],
      // The newest kept run first, for any size of two pages.
      ["alloc", "c", 4097],
      ["alloc", "d", 8192],
      ["call", ({ ptr }) => {
        assert.equal(ptr.c, ptr.b7);
        assert.equal(ptr.d, ptr.b6);
      }],
      // Sixteen 64 KiB blocks: their stack keeps eight.
      ...allocs(16, 65536, "m"),
      ...Array.from({ length: 16 }, (_, i): Op => ["free", `m${i}`]),
      // Eight of 15 pages: the 1 MiB cap keeps seven (1,003,520 bytes).
      ...allocs(8, 61440, "f"),
      ...Array.from({ length: 8 }, (_, i): Op => ["free", `f${i}`]),
    ],
    expect: {
      used: 4097 + 8192,
      large: 2,
      kept: 6 * 8192 + 8 * 65536 + 7 * 61440,
      reserved: SELF + 8192 * 2 + 6 * 8192 + 8 * 65536 + 7 * 61440,
    },
  },
  {
    name: "the 17th medium free in a row gives every kept run back (a drain)",
    ops: [
      ...allocs(20, 5000, "b"),
      ...Array.from({ length: 16 }, (_, i): Op => ["free", `b${i}`]),
      // Sixteen frees in a row: eight kept (the stack's depth).
      ["call", ({ heap }) => assert.equal(heap.retainedBytes, 8 * 8192)],
      ["free", "b16"], // the 17th: a drain
      ["call", ({ heap }) => assert.equal(heap.retainedBytes, 0)],
      ["free", "b17"], // and it goes on
      ["alloc", "c", 5000], // an alloc ends the drain
      ["free", "b18"],
    ],
    expect: {
      used: 5000 + 5000,
      large: 2,
      kept: 8192,
      reserved: SELF + 2 * 8192 + 8192,
    },
  },
  {
    name: "a kept run is freed, not live: refused, left out of the counts, " +
      "and sized anew by each block it serves",
    ops: [
      ["alloc", "a", 5000],
      ["alloc", "b", 12000],
      ["free", "a"],
      ["free", "b"],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        PointerError,
        "double-free",
        /freed already: double free/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.b + 4096),
        PointerError,
        "foreign",
        /not an allocation of this heap/,
      ],
      ["call", ({ heap }) => {
        assert.equal(heap.largeBlocks, 0);
        assert.equal(heap.bytesUsed, 0);
        assert.equal(heap.retainedBytes, 8192 + 12288);
      }],
      // Each size of the run's page count takes it, and counts its own size.
      ["alloc", "c", 8192],
      ["alloc", "d", 9000],
      ["call", ({ heap, ptr }) => {
        assert.equal(ptr.c, ptr.a);
        assert.equal(ptr.d, ptr.b);
        assert.equal(heap.bytesUsed, 8192 + 9000);
        assert.equal(heap.usableSize(ptr.d), 12288);
      }],
      ["free", "c"],
      ["alloc", "e", 4097],
      ["free", "d"],
    ],
    expect: {
      used: 4097,
      large: 1,
      kept: 12288,
      reserved: SELF + 8192 + 12288,
    },
  },
  {
    name: "a medium block that must move on resize moves into a kept run",
    ops: [
      ["alloc", "k", 12288], // 3 pages
      ["alloc", "x", 8192],
      ["alloc", "guard", 8192], // x cannot grow in place
      ["free", "k"],
      ["resize", "y", "x", 12000],
      ["call", ({ heap, ptr }) => {
        assert.equal(ptr.y, ptr.k);
        assert.equal(heap.retainedBytes, 8192); // x's old run, kept now
      }],
      ["fill", "y", 7],
      ["free", "guard"],
      ["alloc", "z", 5000], // the newest kept two-page run: guard's
      ["realloc", "w", "y", 12288], // within its capacity: stays
      ["call", ({ ptr }) => assert.equal(ptr.w, ptr.k)],
    ],
    expect: {
      used: 5000 + 12288,
      large: 2,
      kept: 8192,
      reserved: SELF + 12288 + 8192 + 8192,
    },
  },
  {
    name: "trim() and destroy() give kept runs back",
    ops: [
      ["alloc", "a", 5000],
      ["alloc", "b", 65536],
      ["alloc", "c", 70000], // 18 pages: never kept
      ["free", "a"],
      ["free", "b"],
      ["free", "c"],
      ["call", ({ heap, pages }) => {
        assert.equal(heap.retainedBytes, 8192 + 65536);
        assert.equal(pages.liveBytes, SELF + 8192 + 65536);
        assert.equal(heap.trim(), 8192 + 65536);
        assert.equal(heap.retainedBytes, 0);
        assert.equal(pages.liveBytes, SELF);
        heap.validate();
      }],
      ["alloc", "d", 3000],
      ["free", "d"],
      ["call", ({ heap, pages }) => {
        assert.equal(heap.retainedBytes, 4096);
        heap.destroy();
        assert.equal(heap.retainedBytes, 0);
        assert.equal(pages.liveBytes, 0);
      }],
    ],
    skipClosing: true,
  },
  {
    name: "destroy() returns every page to the page source",
    ops: [
      ...allocs(50, 1344), // 17 spans: 2 segments
      ["alloc", "big1", 70000],
      ["alloc", "big2", 3000],
      ["call", ({ heap, pages }) => {
        assert.equal(pages.liveBytes, heap.bytesReserved);
        assert.equal(heap.bytesReserved, SELF + 2 * SEG + 73728 + 4096);
        heap.destroy();
        assert.equal(pages.liveBytes, 0);
        assert.ok(!pages.destroyed, "a page source passed in stays alive");
      }],
    ],
    expect: { pagesLive: 0 },
    skipClosing: true,
  },
  {
    name: "a heap on its own default pages is disposed by `using`",
    ops: [["call", () => {
      let pages;
      {
        using heap = new Heap();
        pages = heap.pages;
        heap.free(heap.alloc(100));
        assert.equal(heap.bytesReserved, SELF + SEG);
      }
      assert.ok(pages.destroyed);
    }]],
    expect: {},
  },
  {
    name: "class statistics and inspect()",
    ops: [
      ...allocs(64, 64),
      ["alloc", "s", 300],
      ["alloc", "big", 5000],
      ["freeUnsized", "a10"],
      ["call", ({ heap, ptr }) => {
        const stats = heap.classStats();
        assert.equal(stats.length, 16);
        assert.deepEqual(stats[3], {
          classSize: 64,
          chunkCount: 63,
          spans: 2,
          partialSpans: 2,
          fullSpans: 0,
          chunksUsed: 63,
          bytesUsed: 63 * 64,
        });
        assert.deepEqual(stats[8], {
          classSize: 336,
          chunkCount: 12,
          spans: 1,
          partialSpans: 1,
          fullSpans: 0,
          chunksUsed: 1,
          bytesUsed: 336,
        });
        assert.equal(stats.reduce((n, s) => n + s.spans, 0), heap.liveSpans);
        assert.deepEqual(heap.inspect(ptr.a0 + 5), {
          kind: "span",
          span: ptr.a0 - 48,
          classSize: 64,
          chunksUsed: 62,
          chunkCount: 63,
        });
        assert.deepEqual(heap.inspect(ptr.big + 6000), {
          kind: "large",
          block: ptr.big,
          ptr: ptr.big,
          size: 5000,
          capacity: 8192,
        });
        assert.equal(heap.inspect(0), null);
        assert.equal(heap.inspect(4096 * 3000), null);
      }],
    ],
    expect: { spans: 3, large: 1, used: 63 * 64 + 336 + 5000 },
  },
  {
    name: "a full span moves back to the front of the partial list",
    ops: [
      ...allocs(63, 64),
      ["alloc", "b", 64], // second span
      ["call", ({ heap }) => assert.equal(heap.classStats()[3].fullSpans, 1)],
      ["freeUnsized", "a5"],
      ["alloc", "c", 64],
    ],
    expect: { same: [["a5", "c"]], spans: 2 },
  },
];

/** validate() finds writes after free and past the end. */
const corruption: HeapCase[] = [
  {
    // Kills Heap#allocLarge without `m[row | 7] = 0` (DIRTY_PAGES): a run
    // reused from the cache is zeroed whole, so validate() checks every
    // byte past the new size again.
    name: "validate() reports a write past the size of a kept run reused " +
      "after an in-place shrink",
    ops: [
      ["alloc", "a", 8192],
      ["fill", "a", 0x55],
      ["resize", "a2", "a", 3000], // in place: [3000, 8192) dirty now
      ["free", "a2"], // kept
      ["alloc", "b", 5000], // the same run, zeroed from 0
      ["call", ({ heap, ptr }) => {
        heap.memory.u8[ptr.b + 6000] = 9;
        assert.throws(
          () => heap.validate(),
          /the bytes past the size of large block .* should read as zero, but byte 0x[0-9a-f]+ \(\d+\) is 9/,
        );
        heap.memory.u8[ptr.b + 6000] = 0;
      }],
    ],
    expect: { same: [["a", "b"]], used: 5000, large: 1, kept: 0 },
  },
  {
    name: "validate() reports a write past the last chunk handed out",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "b", 64],
      ["freeUnsized", "a"],
      ["call", ({ heap, ptr }) => {
        heap.memory.u8[ptr.b + 64 + 10] = 1;
        assert.throws(
          () => heap.validate(),
          /Heap is inconsistent: the fresh part of span 0x[0-9a-f]+ \(\d+\) on the partial list of class 64 should read as zero, but byte 0x[0-9a-f]+ \(\d+\) is 1/,
        );
        heap.memory.u8[ptr.b + 64 + 10] = 0;
      }],
    ],
    expect: { used: 64 },
  },
  {
    name: "validate() checks the very last byte of a span and of a large block",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000], // capacity 8192: 3144 bytes past its size
      ["call", ({ heap, ptr }) => {
        const span = ptr.a - 48;
        heap.memory.u8[span + 4095] = 3; // the span's last byte
        assert.throws(
          () => heap.validate(),
          /the fresh part of span .* should read as zero, but byte 0x[0-9a-f]+ \((\d+)\) is 3/,
        );
        heap.memory.u8[span + 4095] = 0;
        const block = ptr.big;
        heap.memory.u8[block + 8191] = 4; // the block's last byte
        assert.throws(
          () => heap.validate(),
          /the bytes past the size of large block .* should read as zero, but byte 0x[0-9a-f]+ \(\d+\) is 4/,
        );
        heap.memory.u8[block + 8191] = 0;
        heap.validate();
      }],
    ],
    expect: { used: 64 + 5000 },
  },
  {
    name: "inspect() of the first byte past a large block is not the block",
    ops: [
      ["alloc", "big", 5000], // capacity 8192
      ["call", ({ heap, ptr }) => {
        const block = ptr.big;
        assert.equal(heap.inspect(block + 8191)?.kind, "large");
        assert.equal(heap.inspect(block + 8192), null);
        assert.equal(heap.inspect(block - 1), null); // the heap's own page
      }],
    ],
    expect: { large: 1 },
  },
  {
    name: "validate() accepts old bytes in free chunks and emptied spans",
    ops: [
      ["alloc", "keep", 64],
      ["alloc", "a", 64],
      ["alloc", "e", 100],
      ["fill", "a", 0x5c],
      ["fill", "e", 0x5d],
      ["freeUnsized", "a"],
      ["freeUnsized", "e"], // its span goes back to the empty list as it is
      ["call", ({ heap, ptr }) => {
        assert.equal(heap.memory.u8[ptr.a + 10], 0x5c);
        assert.equal(heap.memory.u8[ptr.e + 10], 0x5d);
        heap.validate();
      }],
      ["alloc", "b", 64],
    ],
    expect: { same: [["a", "b"]], chunkZero: ["b"], used: 128, empty: 14 },
  },
  {
    name: "validate() reports a write into a released span past its used part",
    ops: [
      ...released2016,
      ["call", ({ heap, ptr }) => {
        heap.memory.u8[ptr.a1 + 2016 + 3] = 7; // never handed out
        assert.throws(
          () => heap.validate(),
          /Heap is inconsistent: the never-used part of span 0x[0-9a-f]+ \(\d+\) on the empty-span list should read as zero, but byte 0x[0-9a-f]+ \(\d+\) is 7/,
        );
        heap.memory.u8[ptr.a1 + 2016 + 3] = 0;
        heap.memory.u8[ptr.a0 - 48 + 5] = 8; // the span header
        assert.throws(
          () => heap.validate(),
          /Heap is inconsistent: the header of span 0x[0-9a-f]+ \(\d+\) on the empty-span list should read as zero, but byte 0x[0-9a-f]+ \(\d+\) is 8/,
        );
        heap.memory.u8[ptr.a0 - 48 + 5] = 0;
      }],
    ],
    expect: { used: 2016, empty: 14 },
  },
  {
    name:
      "validate() reports a write into a kept empty span past its used part",
    ops: [
      ["alloc", "e", 100],
      ["freeUnsized", "e"],
      ["call", ({ heap, ptr }) => {
        heap.memory.u8[ptr.e + 128 + 3] = 7; // never handed out
        assert.throws(
          () => heap.validate(),
          /Heap is inconsistent: the fresh part of span 0x[0-9a-f]+ \(\d+\) on the partial list of class 128 should read as zero, but byte 0x[0-9a-f]+ \(\d+\) is 7/,
        );
        heap.memory.u8[ptr.e + 128 + 3] = 0;
      }],
    ],
    expect: { used: 0, empty: 15 },
  },
  {
    name: "validate() reports a write past a large block's size",
    ops: [
      ["alloc", "a", 5000],
      ["call", ({ heap, ptr }) => {
        heap.memory.u8[ptr.a + 5000] = 9;
        assert.throws(
          () => heap.validate(),
          /bytes past the size of large block 0x[0-9a-f]+ \(\d+\) should read as zero/,
        );
        heap.memory.u8[ptr.a + 5000] = 0;
      }],
    ],
    expect: { used: 5000 },
  },
  ...([
    ["a misaligned offset", () => 50],
    ["past the span", () => 0xffff],
    ["a live chunk", (rel: Record<string, number>) => rel.c],
    ["a chunk never handed out", (rel: Record<string, number>) => rel.c + 64],
    ["the chunk itself", (rel: Record<string, number>) => rel.b],
  ] as const).map(([what, link]): HeapCase => ({
    name:
      `a write after free that points a free-list link at ${what} is found, and its span repaired`,
    ops: [
      ["alloc", "a", 64],
      ["alloc", "b", 64],
      ["alloc", "c", 64],
      ["freeUnsized", "a"],
      ["freeUnsized", "b"], // the free list: b → a
      ["call", ({ heap, ptr }) => {
        const rel = (n: string) => ptr[n] % 4096;
        const rels = { a: rel("a"), b: rel("b"), c: rel("c") };
        heap.memory.u32[ptr.b / 4] = link(rels); // the write after free
        assert.throws(
          () => heap.validate(),
          (e) =>
            e instanceof HeapCorruptionError && !e.repaired &&
            e.chunk === ptr.b && e.link === link(rels) &&
            /^Heap is inconsistent: free chunk 0x[0-9a-f]+ \(\d+\) of span .* links to offset .*, which is (no handed-out chunk|a live chunk|on the free list already) \(a write after free\?\)$/
              .test(e.message),
        );
      }],
      ["call", ({ heap, ptr }) => {
        // b would be handed out next: only if its link is sound. The alloc
        // repairs the span and allocates nothing; the counters stay.
        const before = JSON.stringify([heap.bytesUsed, heap.classStats()]);
        assert.throws(
          () => heap.alloc(64),
          (e) =>
            e instanceof HeapCorruptionError && e.repaired &&
            e.chunk === ptr.b &&
            /^Write after free found: free chunk 0x[0-9a-f]+ \(\d+\) of the span of 64-byte chunks at .* links to offset .*, which is no free chunk of the span\. The heap rebuilt/
              .test(e.message),
        );
        assert.equal(
          JSON.stringify([heap.bytesUsed, heap.classStats()]),
          before,
        );
        heap.validate();
      }],
      // The rebuilt list: a, then b (the damaged chunk, last).
      ["alloc", "d", 64],
      ["alloc", "e", 64],
      ["alloc", "f", 64],
    ],
    expect: {
      same: [["a", "d"], ["b", "e"]],
      differ: [["f", "a"], ["f", "b"], ["f", "c"]],
      chunkZero: ["d", "e", "f"],
      used: 4 * 64,
    },
  })),
];

heapTables([
  ["lifecycle and introspection", lifecycle],
  ["validate", corruption],
]);

Deno.test("an idle heap gives its kept medium runs back by itself", async () => {
  using pages = new OsPages({ reserve: 2 ** 24, decayMs: 40 });
  using heap = new Heap({ pages });
  const p = heap.alloc(8192);
  heap.memory.fill(p, 8192, 1);
  heap.free(p, 8192);
  assert.equal(heap.retainedBytes, 8192);
  assert.equal(heap.bytesReserved, 4096 + 8192);
  // The heap's timer hands it to the page source, whose decay purges it.
  for (
    let i = 0;
    i < 200 && pages.liveBytes + pages.retainedBytes > 4096;
    i++
  ) {
    await new Promise((done) => setTimeout(done, 10));
  }
  assert.equal(heap.retainedBytes, 0);
  assert.equal(heap.bytesReserved, 4096);
  assert.equal(pages.retainedBytes, 0);
  assert.ok(pages.residentBytes() <= 4096);
  heap.validate();
});

Deno.test("Heap: introspection after destroy() throws, as every call does", () => {
  const heap = new Heap({ pages: new OsPages() });
  const p = heap.alloc(16);
  heap.destroy();
  for (const call of [() => heap.inspect(p), () => heap.classStats()]) {
    assert.throws(call, {
      name: "DestroyedError",
      message: "Heap was used after destroy(): make a new one",
    });
  }
});

Deno.test("Heap: options that are no object or pages that are no page source are refused by name", () => {
  const cases: [unknown, string][] = [
    [null, "Heap options must be an object, such as { pages }, got null"],
    [5, "Heap options must be an object, such as { pages }, got number"],
    [{ pages: null }, "got null"],
    [{ pages: {} }, "got object"],
    [{ pages: 5 }, "got number"],
    [{ pages: "x" }, "got string"],
  ];
  for (const [options, message] of cases) {
    assert.throws(
      () => new Heap(options as ConstructorParameters<typeof Heap>[0]),
      (e: unknown) =>
        e instanceof TypeError && e.message.endsWith(message) &&
        (options === null || typeof options !== "object" ||
          e.message.startsWith("Pages must be a page source")),
      `options ${JSON.stringify(options)}`,
    );
  }
  // Left out (or undefined), the heap makes its own and destroys it.
  const heap = new Heap({ pages: undefined });
  const pages = heap.pages;
  heap.destroy();
  assert.equal(pages.destroyed, true);
});
