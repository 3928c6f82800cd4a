// The heap's worked examples, class boundaries and span order, and zeroing
// on reuse, as tables (tests/_heap_cases.ts runs them).
import assert from "node:assert/strict";
import { capacityOf, CLASSES } from "./_heap_model.ts";
import {
  allocs,
  type Env,
  type HeapCase,
  heapTables,
  type Op,
  released2016,
  SEG,
  SELF,
} from "./_heap_cases.ts";

/** Every worked example of the heap geometry in docs/design.md. */
const workedExamples: HeapCase[] = [
  {
    name: "alloc 16, 64, 1024, 8192",
    ops: [["alloc", "a", 16], ["alloc", "b", 64], ["alloc", "c", 1024], [
      "alloc",
      "d",
      8192,
    ]],
    expect: {
      spans: 3,
      large: 1,
      empty: 12,
      used: 16 + 64 + 1344 + 8192,
      reserved: SELF + SEG + 8192,
      peak: SELF + SEG + 8192,
      pagesLive: SELF + SEG + 8192,
      otherSpan: [["a", "b"], ["b", "c"], ["a", "c"]],
      kind: [["a", 16], ["b", 64], ["c", 1344], ["d", "large", 8192]],
    },
  },
  {
    name: "alloc 8192 only",
    ops: [["alloc", "a", 8192]],
    expect: {
      spans: 0,
      large: 1,
      empty: 0,
      used: 8192,
      reserved: SELF + 8192,
      kind: [["a", "large", 8192]],
    },
  },
  {
    name: "alloc 64, free it",
    ops: [["alloc", "a", 64], ["freeUnsized", "a"]],
    expect: { spans: 0, large: 0, empty: 15, used: 0, reserved: SELF + SEG },
  },
  {
    name: "31 × alloc 2016",
    ops: allocs(31, 2016),
    expect: {
      spans: 16,
      large: 0,
      empty: 14,
      used: 31 * 2016,
      reserved: SELF + 2 * SEG,
      sameSpan: [["a0", "a1"], ["a28", "a29"]],
      otherSpan: [["a1", "a2"], ["a29", "a30"]],
    },
  },
  {
    name: "alloc 5000, resize to 6000",
    ops: [["alloc", "a", 5000], ["resize", "b", "a", 6000]],
    expect: {
      spans: 0,
      large: 1,
      empty: 0,
      used: 6000,
      reserved: SELF + 8192,
      same: [["a", "b"]],
    },
  },
  {
    name: "four × 1008 then a fifth",
    ops: allocs(5, 1008),
    expect: {
      spans: 2,
      large: 0,
      empty: 13,
      used: 5 * 1008,
      reserved: SELF + SEG,
      sameSpan: [["a0", "a1"], ["a0", "a3"]],
      otherSpan: [["a3", "a4"]],
    },
  },
];

/** Sizes at and around every class boundary. */
const boundaries: HeapCase[] = [
  ...[
    [0, 16],
    [1, 16],
    [16, 16],
    [17, 32],
    ...CLASSES.map((c) => [c, c]),
    ...CLASSES.slice(0, -1).map((c, i) => [c + 1, CLASSES[i + 1]]),
  ].map(([size, cls]): HeapCase => ({
    name: `size ${size} → class ${cls}`,
    ops: [["alloc", "a", size]],
    expect: {
      kind: [["a", cls]],
      used: cls,
      spans: 1,
      large: 0,
      reserved: SELF + SEG,
      chunkZero: ["a"],
    },
  })),
  ...[2017, 4048, 4049, 4096, 65536].map((size): HeapCase => ({
    name: `size ${size} → large block of ${capacityOf(size)}`,
    ops: [["alloc", "a", size]],
    expect: {
      kind: [["a", "large", capacityOf(size)]],
      used: size,
      spans: 0,
      large: 1,
      reserved: SELF + capacityOf(size),
      chunkZero: ["a"],
    },
  })),
  {
    name: "a fresh span hands out chunks in ascending order",
    ops: [
      ...allocs(3, 48),
      ["let", "span", ({ ptr }: Env) => Math.floor(ptr.a0 / 4096) * 4096],
      ["call", ({ ptr }: Env) => {
        assert.equal(ptr.a0, ptr.span + 48);
        assert.equal(ptr.a1, ptr.span + 96);
        assert.equal(ptr.a2, ptr.span + 144);
      }],
    ],
    expect: {},
  },
  {
    name: "253 chunks of 16 fill one span, the 254th starts another",
    ops: allocs(254, 16),
    expect: {
      spans: 2,
      empty: 13,
      sameSpan: [["a0", "a252"]],
      otherSpan: [["a252", "a253"]],
    },
  },
  {
    name: "a full span gets a free chunk back and serves it first",
    ops: [...allocs(4, 1008), ["freeUnsized", "a1"], ["alloc", "b", 1000]],
    expect: { same: [["a1", "b"]], spans: 1, used: 4 * 1008 },
  },
  {
    name: "a freed chunk is reused last in, first out",
    ops: [...allocs(3, 64), ["freeUnsized", "a0"], ["freeUnsized", "a2"], [
      "alloc",
      "b",
      64,
    ], ["alloc", "c", 64]],
    expect: { same: [["a2", "b"], ["a0", "c"]] },
  },
  {
    name: "a class's only partial span stays its span when it empties",
    ops: [
      ["alloc", "a", 16],
      ["freeUnsized", "a"],
      ["alloc", "b", 2016],
      ["alloc", "c", 16],
    ],
    // Counted as empty meanwhile; `b` takes another span; `c` is `a` again.
    expect: {
      otherSpan: [["a", "b"]],
      same: [["a", "c"]],
      spans: 2,
      empty: 13,
    },
  },
  {
    name: "an emptied span that is not its class's only one is released",
    ops: [...released2016, ["alloc", "b", 16]],
    expect: { sameSpan: [["a0", "b"]], spans: 2, empty: 13 },
  },
  {
    name: "a kept empty span goes to a class that finds no other span",
    ops: [
      ["alloc", "a", 16],
      ["freeUnsized", "a"],
      // Every span of the segment but a's fills with two 2016-byte chunks.
      ...allocs(28, 2016, "x"),
      ["alloc", "b", 2016],
    ],
    expect: { sameSpan: [["a", "b"]], spans: 15, empty: 0, segments: 1 },
  },
  {
    name: "the empty-span list is last in, first out",
    ops: [
      ...allocs(5, 2016),
      // a0 and a1 fill span 1, a2 and a3 span 2: each empties while the
      // span of a4 is partial too, so each is released, span 1 first.
      ["freeUnsized", "a0"],
      ["freeUnsized", "a1"],
      ["freeUnsized", "a2"],
      ["freeUnsized", "a3"],
      ["alloc", "x", 64],
      ["alloc", "y", 96],
    ],
    expect: { sameSpan: [["x", "a2"], ["y", "a0"]], spans: 3, empty: 12 },
  },
];

/** Every allocation reads as zero, however its memory was used before. */
const zeroing: HeapCase[] = [
  ...[16, 64, 100, 2016].map((size): HeapCase => ({
    name: `a reused ${size}-byte chunk is zero`,
    ops: [
      ["alloc", "keep", size],
      ["alloc", "a", size],
      ["fill", "a", 0xff],
      ["call", ({ heap, ptr, size: sizes }) => {
        // Dirty the whole chunk, past the requested size too.
        const info = heap.inspect(ptr.a)!;
        assert.equal(info.kind, "span");
        heap.memory.u8.fill(0xee, ptr.a + sizes.a, ptr.a + info.classSize);
      }],
      ["freeUnsized", "a"],
      ["alloc", "b", size],
    ],
    expect: { same: [["a", "b"]], chunkZero: ["b"] },
  })),
  {
    name: "a span emptied after heavy use is zero for its next class",
    ops: [
      // 63 chunks fill the first span; a63 keeps a second one partial, so
      // the first is released when its last chunk is freed.
      ...allocs(64, 64),
      ...Array.from({ length: 63 }, (_, i): Op => ["fill", `a${i}`, 0xab]),
      ...Array.from({ length: 63 }, (_, i): Op => ["freeUnsized", `a${i}`]),
      ["alloc", "b", 16],
      ...allocs(252, 16, "c"),
    ],
    expect: {
      sameSpan: [["a0", "b"], ["b", "c251"]],
      chunkZero: ["b", "c0", "c100", "c251"],
    },
  },
  {
    name: "a chunk of a kept empty span is zero when its class reuses it",
    ops: [
      ["alloc", "a", 64],
      ["call", ({ heap, ptr }) => heap.memory.u8.fill(0xee, ptr.a, ptr.a + 64)],
      ["freeUnsized", "a"],
      ["alloc", "b", 64],
    ],
    expect: { same: [["a", "b"]], chunkZero: ["b"], spans: 1 },
  },
  {
    name: "a reused large block is zero",
    ops: [
      ["alloc", "a", 5000],
      ["fill", "a", 0x77],
      ["freeUnsized", "a"],
      ["alloc", "b", 5000],
    ],
    expect: { chunkZero: ["b"], large: 1, reserved: SELF + 8192 },
  },
];

heapTables([
  ["worked examples", workedExamples],
  ["class boundaries and span order", boundaries],
  ["zero on reuse", zeroing],
]);
