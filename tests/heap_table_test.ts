// The heap's table tests: each case is a list of operations on a fresh heap
// (on a fresh page source of each kind) and the state expected afterwards,
// run by the shared executor, which also checks that every refused call
// changed nothing.
import assert from "node:assert/strict";
import { capacityOf, CLASSES } from "./_heap_model.ts";
import { Heap } from "../heap/mod.ts";
import {
  DestroyedError,
  HeapCorruptionError,
  OutOfMemoryError,
  type PageSource,
  PointerError,
} from "../os/mod.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";
import {
  type Case,
  type Env as RunEnv,
  type Kind,
  type Op as RunOp,
  runCase,
} from "./_run_ops.ts";
import { heapSubject } from "./_subjects.ts";
import { sources } from "./_sources.ts";

type Handles = { heap: Heap; pages: PageSource };
type Env = RunEnv<Handles>;

/** The heap's own operations, besides the Allocator ones. */
const ops = {
  /** free(ptr), malloc-style, without the size. */
  freeUnsized: (env: Env, name: string) => env.heap.free(env.ptr[name]),
  /** as = realloc(name, n) */
  realloc: (env: Env, as: string, name: string, n: number) => {
    env.ptr[as] = env.heap.realloc(env.ptr[name], n);
    env.size[as] = n;
  },
};

type Op = RunOp<Handles, typeof ops>;

/** The heap's own expectations; every other name is a counter of heapSubject. */
interface HeapExpect {
  spans?: number;
  large?: number;
  empty?: number;
  segments?: number;
  used?: number;
  reserved?: number;
  peak?: number;
  /** pages.liveBytes */
  pagesLive?: number;
  sameSpan?: [string, string][];
  otherSpan?: [string, string][];
  /** The whole chunk (small) or requested size (large) reads as zero. */
  chunkZero?: string[];
  /** [name, class size or "large", capacity for large]. */
  kind?: [string, number | "large", number?][];
}

/** A named case of the table. */
interface HeapCase extends Case<Handles, typeof ops, HeapExpect> {
  reserve?: number;
  /** Skip the closing validate() + alloc (the heap is destroyed or full). */
  skipClosing?: boolean;
}

const span = (env: Env, n: string) => Math.floor(env.ptr[n] / 4096);

const heapKind: Kind<Handles, typeof ops, HeapExpect> = {
  ops,
  checks: {
    sameSpan: (env, pairs) => {
      for (const [a, b] of pairs) {
        assert.equal(
          span(env, a),
          span(env, b),
          `${a} and ${b} are in different spans`,
        );
      }
    },
    otherSpan: (env, pairs) => {
      for (const [a, b] of pairs) {
        assert.notEqual(
          span(env, a),
          span(env, b),
          `${a} and ${b} share a span`,
        );
      }
    },
    chunkZero: (env, names) => {
      for (const n of names) {
        const info = env.heap.inspect(env.ptr[n]);
        assert.ok(info, `${n} is in no span or block`);
        const length = info.kind === "span" ? info.classSize : env.size[n];
        const p = env.ptr[n];
        const bytes = env.heap.memory.u8.subarray(p, p + length);
        assert.ok(bytes.every((b) => b === 0), `${n} is not zero`);
      }
    },
    kind: (env, kinds) => {
      for (const [n, kind, capacity] of kinds) {
        const info = env.heap.inspect(env.ptr[n]);
        if (kind === "large") {
          assert.equal(info?.kind, "large", `${n} is not large`);
          assert.equal(info.ptr, env.ptr[n]);
          assert.equal(info.capacity, capacity);
        } else {
          assert.equal(info?.kind, "span", `${n} is not small`);
          assert.equal(info.classSize, kind, `class of ${n}`);
        }
      }
    },
  },
};

/** The heap is consistent and still works. */
const closing = ({ heap }: Env) => {
  heap.validate();
  const p = heap.alloc(24);
  assert.ok(p > 0 && p % 16 === 0);
  heap.free(p, 24);
  heap.validate();
};

// ── the tables ───────────────────────────────────────────────────────────

const SEG = 65536;
const SELF = 4096;
const allocs = (n: number, size: number, prefix = "a"): Op[] =>
  Array.from({ length: n }, (_, i) => ["alloc", `${prefix}${i}`, size]);

// a0 and a1 fill a span of 2016-byte chunks and a2 starts a second; freeing
// a0 and a1 empties the first while the second is partial too, so the first
// is released to the empty-span list (a class keeps only an only span).
const released2016: Op[] = [
  ...allocs(3, 2016),
  ["freeUnsized", "a0"],
  ["freeUnsized", "a1"],
];

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
    ],
    expect: {},
    // checked below through `ptr`
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
boundaries.find((c) => c.name.startsWith("a fresh span"))!.ops.push([
  "call",
  ({ ptr }) => {
    assert.equal(ptr.a0, ptr.span + 48);
    assert.equal(ptr.a1, ptr.span + 96);
    assert.equal(ptr.a2, ptr.span + 144);
  },
]);

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

/** The heap's resize rules, one case each. */
const resizing: HeapCase[] = [
  {
    name: "resize of null allocates",
    ops: [["resize", "a", "0", 100]],
    expect: { kind: [["a", 128]], used: 128, chunkZero: ["a"] },
  },
  {
    name: "realloc of null allocates",
    ops: [["realloc", "a", "0", 3000]],
    expect: { kind: [["a", "large", 4096]], used: 3000 },
  },
  {
    name: "resize to 0 frees and returns null",
    ops: [["alloc", "a", 100], ["resize", "b", "a", 0]],
    expect: { ptr: { b: 0 }, used: 0, spans: 0, empty: 15 },
  },
  {
    name: "realloc of a large block to 0 frees it",
    ops: [["alloc", "a", 9000], ["realloc", "b", "a", 0]],
    expect: { ptr: { b: 0 }, used: 0, large: 0, reserved: SELF },
  },
  {
    name: "small, same class, shrinking: same pointer, tail zeroed",
    ops: [["alloc", "a", 48], ["fill", "a", 0x11], ["resize", "b", "a", 33]],
    expect: {
      same: [["a", "b"]],
      used: 48,
      bytes: [["b", 0, 33, 0x11], ["b", 33, 48, 0]],
    },
  },
  {
    name: "small, same class, growing: same pointer, new bytes zero",
    ops: [
      ["alloc", "a", 40],
      ["fill", "a", 0x22],
      ["resize", "b", "a", 34],
      ["realloc", "c", "b", 48],
    ],
    expect: {
      same: [["a", "c"]],
      bytes: [["c", 0, 34, 0x22], ["c", 34, 48, 0]],
    },
  },
  {
    name: "small to a larger class moves and keeps the bytes",
    ops: [["alloc", "a", 40], ["fill", "a", 0x33], ["resize", "b", "a", 100]],
    expect: {
      differ: [["a", "b"]],
      used: 128,
      kind: [["b", 128]],
      bytes: [["b", 0, 40, 0x33], ["b", 40, 128, 0]],
    },
  },
  {
    name: "small to a smaller class moves and keeps min(class, new) bytes",
    ops: [["alloc", "a", 100], ["fill", "a", 0x44], ["realloc", "b", "a", 20]],
    expect: {
      differ: [["a", "b"]],
      used: 32,
      bytes: [["b", 0, 20, 0x44], ["b", 20, 32, 0]],
    },
  },
  {
    name: "small to large moves",
    ops: [["alloc", "a", 2016], ["fill", "a", 0x55], [
      "resize",
      "b",
      "a",
      3000,
    ]],
    expect: {
      differ: [["a", "b"]],
      used: 3000,
      large: 1,
      spans: 0,
      bytes: [["b", 0, 2016, 0x55], ["b", 2016, 3000, 0]],
    },
  },
  {
    name:
      "large, shrinking but still large: same pointer, and the cut bytes read as zero when it grows back",
    ops: [
      ["alloc", "a", 6000],
      ["fill", "a", 0x66],
      ["resize", "b", "a", 3000],
      ["resize", "c", "b", 8144],
    ],
    expect: {
      same: [["a", "b"], ["b", "c"]],
      used: 8144,
      reserved: SELF + 8192,
      bytes: [["c", 0, 3000, 0x66], ["c", 3000, 8144, 0]],
    },
  },
  {
    name:
      "a large block on freed pages keeps old bytes past its size, zeroed when it grows over them",
    ops: [
      ["alloc", "a", 8000],
      ["alloc", "guard", 64],
      ["fill", "a", 0x66],
      ["freeUnsized", "a"],
      ["alloc", "b", 4100], // a's two pages; only 48 + 4100 bytes are zeroed
      ["call", ({ heap, ptr }) => {
        assert.equal(heap.memory.u8[ptr.b + 4100], 0x66);
      }],
      ["resize", "c", "b", 8000],
    ],
    expect: {
      same: [["a", "b"], ["b", "c"]],
      bytes: [["c", 0, 8000, 0]],
      reserved: SELF + SEG + 8192,
    },
  },
  {
    name: "a large block made of freed pages is zero for its size",
    ops: [
      ["alloc", "a", 8000],
      ["alloc", "guard", 64],
      ["fill", "a", 0x66],
      ["freeUnsized", "a"],
      ["alloc", "b", 4000],
      ["resize", "c", "b", 8000],
    ],
    expect: {
      same: [["a", "b"], ["b", "c"]],
      bytes: [["b", 0, 8000, 0]],
    },
  },
  {
    name: "large, growing within its capacity: same pointer",
    ops: [["alloc", "a", 2100], ["fill", "a", 0x67], [
      "realloc",
      "b",
      "a",
      4048,
    ]],
    expect: {
      same: [["a", "b"]],
      used: 4048,
      reserved: SELF + 4096,
      bytes: [["b", 0, 2100, 0x67], ["b", 2100, 4048, 0]],
    },
  },
  {
    name: "large, growing past its capacity with live pages after it: moves",
    ops: [
      ["alloc", "a", 5000],
      ["alloc", "z", 5000], // right after a
      ["fill", "a", 0x68],
      ["resize", "b", "a", 9000],
    ],
    expect: {
      differ: [["a", "b"]],
      used: 9000 + 5000,
      large: 2,
      reserved: SELF + 12288 + 8192,
      peak: SELF + 8192 + 8192 + 12288,
      bytes: [["b", 0, 5000, 0x68], ["b", 5000, 12288 - 48, 0]],
    },
  },
  {
    name: "large, growing past its capacity into free pages: same pointer",
    ops: [
      ["alloc", "a", 5000],
      ["alloc", "z", 5000], // right after a
      ["alloc", "y", 5000], // keeps z's pages from merging with the top
      ["fill", "a", 0x68],
      ["fill", "z", 0x6a],
      ["freeUnsized", "z"],
      ["resize", "b", "a", 9000],
    ],
    expect: {
      same: [["a", "b"]],
      used: 9000 + 5000,
      large: 2,
      reserved: SELF + 12288 + 8192,
      peak: SELF + 3 * 8192,
      bytes: [["b", 0, 5000, 0x68], ["b", 5000, 12288 - 48, 0]],
      kind: [["b", "large", 12288]],
    },
  },
  {
    name:
      "large, growing past its capacity at the top of the range: same pointer",
    ops: [["alloc", "a", 5000], ["fill", "a", 0x68], [
      "realloc",
      "b",
      "a",
      9000,
    ]],
    expect: {
      same: [["a", "b"]],
      used: 9000,
      large: 1,
      reserved: SELF + 12288,
      peak: SELF + 12288,
      bytes: [["b", 0, 5000, 0x68], ["b", 5000, 12288 - 48, 0]],
      kind: [["b", "large", 12288]],
    },
  },
  {
    name: "large to small moves",
    ops: [["alloc", "a", 5000], ["fill", "a", 0x69], [
      "resize",
      "b",
      "a",
      100,
    ]],
    expect: {
      differ: [["a", "b"]],
      used: 128,
      large: 0,
      spans: 1,
      reserved: SELF + SEG,
      bytes: [["b", 0, 100, 0x69], ["b", 100, 128, 0]],
    },
  },
  {
    name: "a moving resize that runs out of memory leaves the old block",
    reserve: 4 * 4096, // page 0, the heap, 2 pages for 5000; 9000 needs 3
    ops: [
      ["alloc", "a", 5000],
      ["fill", "a", 0x70],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 5000, 9000),
        OutOfMemoryError,
        null,
        /Out of memory.*9000 bytes/,
      ],
    ],
    expect: { used: 5000, large: 1, bytes: [["a", 0, 5000, 0x70]] },
    skipClosing: true, // no room for a segment
  },
];

/** Everything that must be rejected, and must change nothing. */
const safety: HeapCase[] = [
  {
    name: "a pointer from the page source directly is foreign",
    ops: [
      ["alloc", "a", 64],
      ["let", "p", ({ pages }: Env) => pages.alloc(4096)],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.p),
        PointerError,
        "foreign",
        /Pointer 0x[0-9a-f]+ \(\d+\) is not an allocation of this heap/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.p, 4096, 10),
        PointerError,
        "foreign",
        /not an allocation of this heap/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.p + 48),
        PointerError,
        "foreign",
        /not an allocation of this heap/,
      ],
    ],
    expect: { used: 64 },
  },
  {
    name: "two heaps on one page source reject each other's pointers",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000],
      ["call", (env) => {
        using other = new Heap({ pages: env.pages });
        const b = other.alloc(64);
        const c = other.alloc(5000);
        const both = {
          state: () => [env.heap.bytesUsed, other.bytesUsed],
          validate: () => [env.heap, other].forEach((h) => h.validate()),
        };
        for (
          const [heap, p] of [
            [env.heap, b],
            [env.heap, c],
            [other, env.ptr.a],
            [other, env.ptr.big],
          ] as const
        ) {
          assertRefusedUnchanged(both, () => heap.free(p), {
            error: PointerError,
            reason: "foreign",
            message: /not an allocation of this heap/,
          });
        }
        assert.equal(other.bytesUsed, 64 + 5000);
        assert.equal(env.heap.bytesUsed, 64 + 5000);
        other.free(b);
        other.free(c, 5000);
        assert.equal(other.bytesUsed, 0);
      }],
    ],
    expect: { used: 64 + 5000, spans: 1, large: 1 },
  },
  {
    name: "interior pointers into a chunk, a span header and a large block",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 9000],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 16),
        PointerError,
        "interior",
        /Pointer 0x[0-9a-f]+ \(\d+\) is inside the span of 64-byte chunks at 0x[0-9a-f]+ \(\d+\) but not at the start of a chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a - 48),
        PointerError,
        "interior",
        /not at the start of a chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a + 32, 64, 8),
        PointerError,
        "interior",
        /not at the start of a chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.big + 16),
        PointerError,
        "interior",
        /inside the large block at 0x[0-9a-f]+ \(\d+\) but not its start/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.big + 4096),
        PointerError,
        "interior",
        /inside the large block/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.realloc(ptr.big + 48, 10),
        PointerError,
        "interior",
        /inside the large block/,
      ],
    ],
    expect: { used: 64 + 9000 },
  },
  {
    name: "a 2016-byte span's tail past its last chunk is interior",
    ops: [
      ["alloc", "a", 2016],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 2 * 2016),
        PointerError,
        "interior",
        /not at the start of a chunk/,
      ],
    ],
    expect: { used: 2016 },
  },
  {
    name: "unaligned pointers",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 1),
        PointerError,
        "unaligned",
        /Pointer 0x[0-9a-f]+ \(\d+\) is not 16-byte aligned/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a + 4, 64, 100),
        PointerError,
        "unaligned",
        /not 16-byte aligned/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.big + 8),
        PointerError,
        "unaligned",
        /not 16-byte aligned/,
      ],
    ],
    expect: { used: 64 + 5000 },
  },
  {
    name: "double free into a live span",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "b", 64],
      ["freeUnsized", "a"],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        PointerError,
        "double-free",
        /Pointer 0x[0-9a-f]+ \(\d+\) is a free chunk of the span of 64-byte chunks at 0x[0-9a-f]+ \(\d+\): double free/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 64, 128),
        PointerError,
        "double-free",
        /double free/,
      ],
    ],
    expect: { used: 64, spans: 1 },
  },
  {
    name: "a never-allocated chunk of a live span is free",
    ops: [
      ["alloc", "a", 64],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 64),
        PointerError,
        "double-free",
        /free chunk.*never allocated/,
      ],
    ],
    expect: { used: 64 },
  },
  {
    name: "double free into a released span",
    ops: [
      ...released2016,
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a0),
        PointerError,
        "double-free",
        /Pointer 0x[0-9a-f]+ \(\d+\) is in the span at 0x[0-9a-f]+ \(\d+\), which has been released.*double free/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.realloc(ptr.a1, 10),
        PointerError,
        "double-free",
        /released/,
      ],
    ],
    expect: { used: 2016, spans: 1, empty: 14 },
  },
  {
    name: "double free into a kept empty span",
    ops: [
      ["alloc", "a", 64],
      ["freeUnsized", "a"],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        PointerError,
        "double-free",
        /Pointer 0x[0-9a-f]+ \(\d+\) is a free chunk of the span of 64-byte chunks at 0x[0-9a-f]+ \(\d+\): double free/,
      ],
    ],
    expect: { used: 0, spans: 0, empty: 15 },
  },
  {
    name: "double free of a large block",
    ops: [
      ["alloc", "a", 5000],
      ["freeUnsized", "a"],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        PointerError,
        "double-free",
        /large block that has been freed already: double free/,
      ],
    ],
    expect: { used: 0, large: 0, reserved: SELF },
  },
  {
    name: "pointers into the heap's header pages",
    ops: [
      ["alloc", "a", 64],
      [
        "throws",
        ({ heap, ptr }) =>
          heap.free(Math.floor(ptr.a / 4096) * 4096 - 4096 + 48),
        PointerError,
        "foreign",
        /header page of this heap/,
      ],
    ],
    expect: { used: 64 },
  },
  {
    name: "pointers outside the memory",
    ops: [
      ["alloc", "a", 64],
      [
        "throws",
        ({ heap }) => heap.free(heap.memory.byteLength + 48),
        PointerError,
        "out-of-range",
        /outside the memory/,
      ],
      [
        "throws",
        ({ heap }) => heap.free(-16),
        PointerError,
        "out-of-range",
        /Pointer -16 is not a non-negative integer/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a + 0.5),
        PointerError,
        "out-of-range",
        /is not a non-negative integer/,
      ],
      [
        "throws",
        ({ heap }) => heap.free(NaN),
        PointerError,
        "out-of-range",
        /Pointer NaN is not a non-negative integer/,
      ],
    ],
    expect: { used: 64 },
  },
  {
    name: "sizes that do not match the allocation",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a, 65),
        PointerError,
        "size-mismatch",
        /Size 65 does not match the allocation at 0x[0-9a-f]+ \(\d+\), a 64-byte chunk/,
      ],
      [
        "throws",
        // One below the class's smallest request (49..64 go to class 64).
        ({ heap, ptr }) => heap.free(ptr.a, 48),
        PointerError,
        "size-mismatch",
        /Size 48 does not match the allocation at 0x[0-9a-f]+ \(\d+\), a 64-byte chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a, 5000),
        PointerError,
        "size-mismatch",
        /a 64-byte chunk/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.big, 5001, 10),
        PointerError,
        "size-mismatch",
        /Size 5001 does not match .* a large block of 5000 bytes/,
      ],
      ["free", "a"],
      ["call", ({ heap, ptr }) => heap.free(ptr.big, 5000)],
    ],
    expect: { used: 0, large: 0 },
  },
  {
    name: "impossible sizes are range errors",
    ops: [
      ["alloc", "a", 64],
      ["fill", "a", 0x5a],
      [
        "throws",
        ({ heap }) => heap.alloc(-1),
        RangeError,
        null,
        /Size must be a non-negative integer, got -1/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(1.5),
        RangeError,
        null,
        /non-negative integer, got 1.5/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(NaN),
        RangeError,
        null,
        /non-negative integer, got NaN/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(2 ** 40),
        RangeError,
        null,
        /Size 1099511627776 exceeds the largest allocation this page source can hold/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc("8" as unknown as number),
        TypeError,
        null,
        /Size must be a number, got string/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 64, -5),
        RangeError,
        null,
        /non-negative integer, got -5/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.realloc(ptr.a, 2 ** 40),
        RangeError,
        null,
        /exceeds/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, -64, 8),
        RangeError,
        null,
        /Old size must be a non-negative integer/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a, NaN),
        RangeError,
        null,
        /non-negative integer, got NaN/,
      ],
    ],
    expect: { used: 64, bytes: [["a", 0, 64, 0x5a]] },
  },
  {
    name: "out of memory for a segment and for a large block",
    reserve: 8 * 4096, // page 0, the heap, 6 pages: no room for a 16-page segment
    ops: [
      ["alloc", "a", 10000], // 3 pages
      [
        "throws",
        ({ heap }) => heap.alloc(16),
        OutOfMemoryError,
        null,
        /Out of memory: the page source has no room for a 64 KiB segment to hold 16 bytes/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(16000),
        OutOfMemoryError,
        null,
        /no room for a block of 16384 bytes to hold 16000 bytes/,
      ],
      ["call", ({ heap }) => {
        try {
          heap.alloc(16000);
          assert.fail("no room for 4 pages");
        } catch (e) {
          assert.ok(e instanceof OutOfMemoryError);
          assert.equal(e.requested, 16000);
        }
      }],
      ["freeUnsized", "a"],
      ["alloc", "b", 16000],
    ],
    expect: { used: 16000, large: 1, spans: 0, reserved: SELF + 16384 },
    skipClosing: true, // no room for the closing small allocation
  },
  {
    name: "everything after destroy() throws",
    ops: [
      ["alloc", "a", 64],
      ["alloc", "big", 5000],
      ["call", ({ heap, pages }) => {
        heap.destroy();
        heap.destroy(); // again: nothing
        assert.equal(pages.liveBytes, 0);
        assert.equal(heap.bytesUsed, 0);
        assert.equal(heap.bytesReserved, 0);
        assert.equal(heap.peakReserved, SELF + SEG + 8192);
        heap.free(0); // null stays a no-op
      }],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.a),
        DestroyedError,
        null,
        /Heap was used after destroy\(\)/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.big, 5000),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(16),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap }) => heap.alloc(5000),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.resize(ptr.a, 64, 100),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap, ptr }) => heap.realloc(ptr.a, 10),
        DestroyedError,
        null,
        /after destroy/,
      ],
      [
        "throws",
        ({ heap }) => heap.validate(),
        DestroyedError,
        null,
        /after destroy/,
      ],
    ],
    expect: { used: 0, reserved: 0, pagesLive: 0 },
    skipClosing: true,
  },
];

/** Lifecycle: pages come back, `using` works, introspection adds up. */
const lifecycle: HeapCase[] = [
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

const tables: [string, HeapCase[]][] = [
  ["worked examples", workedExamples],
  ["class boundaries and span order", boundaries],
  ["zero on reuse", zeroing],
  ["resize", resizing],
  ["safety", safety],
  ["lifecycle and introspection", lifecycle],
  ["validate", corruption],
];

for (const [title, cases] of tables) {
  Deno.test(`Heap: ${title}`, async (t) => {
    for (const source of sources) {
      for (const c of cases) {
        await t.step(`${source.name}: ${c.name}`, () =>
          runCase(
            () => heapSubject(source, c.reserve),
            c,
            c.skipClosing ? heapKind : { ...heapKind, finish: closing },
          ));
      }
    }
  });
}
