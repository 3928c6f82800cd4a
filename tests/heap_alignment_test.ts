// The alignments Heap and WorkerHeap give (docs/design.md#heap-alignment):
// up to 16 from their classes, 32 to 256 from the classes' aligned twins
// when one is a multiple of the alignment and holds the size, anything else
// up to 65536 as a large block whose real address is a multiple of it. Tables of operations run by the shared executor on a heap on each
// page source and on a WorkerHeap, with exact pointers' alignments, counters
// and usable sizes; a bad alignment is refused with nothing changed.
import assert from "node:assert/strict";
import { classOf, twinFirst, twinOf } from "./_heap_model.ts";
import { Heap, WorkerHeap } from "../heap/mod.ts";
import {
  BufferPages,
  type PageSource,
  PointerError,
  SharedPages,
} from "../os/mod.ts";
import {
  type Case,
  type Env as RunEnv,
  type Kind,
  type Op as RunOp,
  runCase,
} from "./_run_ops.ts";
import {
  heapCharge,
  heapSubject,
  type Subject,
  workerHeapSubject,
} from "./_subjects.ts";
import { sources } from "./_sources.ts";

type Handles = { heap: Heap | WorkerHeap; pages: PageSource };
type Env = RunEnv<Handles>;

const SELF = 4096; // the heap's own page
const SEG = 65536;

/** The Heap under the subject (a WorkerHeap's own). */
const inner = (env: Env): Heap =>
  env.heap instanceof WorkerHeap ? env.heap.heap : env.heap;

/** The real address of `ptr` modulo `alignment`. */
const offset = (env: Env, ptr: number, alignment: number): number =>
  Number(
    ((env.heap.memory.address ?? 0n) + BigInt(ptr)) % BigInt(alignment),
  );

/** The operations with an alignment, besides the Allocator ones. */
const ops = {
  /** name = alloc(size, alignment); it reads as zero. */
  aligned: (env: Env, name: string, size: number, alignment: number) => {
    const p = env.heap.alloc(size, alignment);
    assert.ok(env.heap.memory.u8.subarray(p, p + size).every((b) => b === 0));
    env.ptr[name] = p;
    env.size[name] = size;
  },
  /** name = allocUnsafe(size, alignment) */
  unsafe: (env: Env, name: string, size: number, alignment: number) => {
    env.ptr[name] = env.heap.allocUnsafe(size, alignment);
    env.size[name] = size;
  },
  /** as = resize(name, its size, newSize, alignment) */
  resizeTo: (
    env: Env,
    as: string,
    name: string,
    newSize: number,
    alignment?: number,
  ) => {
    env.ptr[as] = env.heap.resize(
      env.ptr[name],
      env.size[name],
      newSize,
      alignment,
    );
    env.size[as] = newSize;
  },
};

type Op = RunOp<Handles, typeof ops>;

interface AlignExpect {
  /** [name, alignment]: the real address is a multiple of it. */
  alignedTo?: [string, number][];
  /** [name, offset]: the pointer's offset in its page. */
  at?: [string, number][];
  /** [name, name]: in different pages. */
  otherSpan?: [string, string][];
  /** [name, usableSize]. */
  usable?: [string, number][];
  /** [name, class size or "large", capacity of a large block]. */
  kind?: [string, number | "large", number?][];
  used?: number;
  reserved?: number;
  /** retainedBytes: freed medium runs kept for reuse. */
  kept?: number;
  large?: number;
  spans?: number;
}

type AlignCase = Case<Handles, typeof ops, AlignExpect>;

const alignKind: Kind<Handles, typeof ops, AlignExpect> = {
  ops,
  checks: {
    alignedTo: (env, want) => {
      for (const [n, al] of want) {
        assert.equal(offset(env, env.ptr[n], al), 0, `${n} aligned to ${al}`);
      }
    },
    at: (env, want) => {
      for (const [n, rel] of want) {
        assert.equal(env.ptr[n] % 4096, rel, `${n}'s offset in its page`);
      }
    },
    otherSpan: (env, want) => {
      for (const [a, b] of want) {
        assert.notEqual(env.ptr[a] >> 12, env.ptr[b] >> 12, `${a}, ${b}`);
      }
    },
    usable: (env, want) => {
      for (const [n, bytes] of want) {
        assert.equal(env.heap.usableSize(env.ptr[n]), bytes, `usable ${n}`);
      }
    },
    kind: (env, want) => {
      for (const [n, kind, capacity] of want) {
        const info = inner(env).inspect(env.ptr[n]);
        if (kind === "large") {
          assert.equal(info?.kind, "large", `${n} is not large`);
          assert.equal(info.ptr, env.ptr[n]);
          assert.equal(info.size, env.size[n]);
          assert.equal(info.capacity, capacity);
        } else {
          assert.equal(info?.kind, "span", `${n} is not small`);
          assert.equal(info.classSize, kind, `class of ${n}`);
        }
      }
    },
  },
  // Consistent, no chunk counted for a large block, and every block freed
  // with its size brings the counters back to an empty heap's.
  finish: (env) => {
    const heap = inner(env);
    heap.validate();
    const chunks = heap.classStats().reduce((n, c) => n + c.bytesUsed, 0);
    assert.equal(heap.bytesUsed, chunks + largeBytes(env));
  },
};

// The bytes of the live large blocks among the named pointers.
function largeBytes(env: Env): number {
  const heap = inner(env);
  const seen = new Set<number>();
  let bytes = 0;
  for (const p of Object.values(env.ptr)) {
    if (p === 0 || seen.has(p)) continue;
    seen.add(p);
    const info = heap.inspect(p);
    if (info?.kind === "large" && info.ptr === p) bytes += info.size;
  }
  return bytes;
}

// ── the tables ───────────────────────────────────────────────────────────

const given: AlignCase[] = [
  {
    name: "alloc(1, 32): the first chunk of class 32's twin, at span + 64",
    ops: [["aligned", "a", 1, 32]],
    expect: {
      alignedTo: [["a", 32]],
      at: [["a", 64]],
      usable: [["a", 32]],
      kind: [["a", 32]],
      used: 32,
      reserved: SELF + SEG,
      large: 0,
      spans: 1,
    },
  },
  {
    name: "alloc(0, 64) twice: twin 64's chunks at span + 64 and + 128",
    ops: [["aligned", "a", 0, 64], ["aligned", "b", 0, 64]],
    expect: {
      alignedTo: [["a", 64], ["b", 64]],
      at: [["a", 64], ["b", 128]],
      kind: [["a", 64], ["b", 64]],
      used: 2 * 64,
      reserved: SELF + SEG,
      large: 0,
      spans: 1,
    },
  },
  {
    name: "each alignment takes the smallest twin it divides",
    ops: [
      ["aligned", "a", 40, 32], // 64
      ["aligned", "b", 65, 32], // 96: span + 64, then + 160
      ["aligned", "c", 65, 64], // 128
      ["aligned", "d", 700, 64], // 1344 (672 and 800 are not multiples of 64)
      ["aligned", "e", 129, 256], // 256
      ["aligned", "f", 2016, 32], // 2016
    ],
    expect: {
      alignedTo: [["a", 64], ["b", 32], ["c", 128], ["d", 64], ["e", 256]],
      at: [["a", 64], ["b", 64], ["c", 128], ["d", 64], ["e", 256], [
        "f",
        64,
      ]],
      usable: [["a", 64], ["b", 96], ["c", 128], ["d", 1344], ["e", 256]],
      kind: [["f", 2016]],
      used: 64 + 96 + 128 + 1344 + 256 + 2016,
      reserved: SELF + SEG,
      large: 0,
      spans: 6,
    },
  },
  {
    name: "a twin's spans are not its class's: alloc(64) and alloc(64, 64)",
    ops: [["alloc", "a", 64], ["aligned", "b", 64, 64], ["alloc", "c", 64]],
    expect: {
      at: [["a", 48], ["b", 64], ["c", 112]],
      otherSpan: [["a", "b"]],
      kind: [["a", 64], ["b", 64], ["c", 64]],
      used: 3 * 64,
      spans: 2,
    },
  },
  {
    name:
      "no twin serves it: 100 at 512, 300 at 128, 1500 at 64, 100 at 4096, 8192, 65536 take a page",
    ops: [
      ["aligned", "a", 100, 512],
      ["aligned", "b", 300, 128],
      ["aligned", "c", 1500, 64],
      ["aligned", "d", 100, 4096],
      ["aligned", "e", 100, 8192],
      ["aligned", "f", 100, 65536],
    ],
    expect: {
      alignedTo: [["a", 512], ["b", 128], ["c", 64], ["d", 4096], [
        "e",
        8192,
      ], ["f", 65536]],
      usable: [["a", 4096], ["b", 4096], ["c", 4096], ["f", 4096]],
      kind: [["a", "large", 4096], ["b", "large", 4096]],
      used: 100 + 300 + 1500 + 3 * 100,
      reserved: SELF + 6 * 4096,
      large: 6,
      spans: 0,
    },
  },
  {
    name: "alloc(5000, 65536): two pages, 65536-aligned",
    ops: [["aligned", "a", 5000, 65536]],
    expect: {
      alignedTo: [["a", 65536]],
      usable: [["a", 8192]],
      kind: [["a", "large", 8192]],
      used: 5000,
      reserved: SELF + 8192,
    },
  },
  {
    name: "alignment 16 and less: a chunk, as without one",
    ops: [["aligned", "a", 24, 16], ["aligned", "b", 24, 1], [
      "alloc",
      "c",
      24,
    ]],
    expect: {
      alignedTo: [["a", 16], ["b", 16]],
      kind: [["a", 32], ["b", 32], ["c", 32]],
      used: 3 * 32,
      reserved: SELF + SEG,
      large: 0,
      spans: 1,
    },
  },
  {
    name: "allocUnsafe(24, 128): twin 128, zero past the size",
    ops: [
      ["aligned", "x", 128, 128],
      ["fill", "x", 0xee],
      ["free", "x"],
      ["unsafe", "a", 24, 128],
    ],
    expect: {
      same: [["a", "x"]],
      alignedTo: [["a", 128]],
      kind: [["a", 128]],
      // The reused chunk keeps its old bytes up to the size's 16-byte step
      // (its first word held the free-list link).
      bytes: [["a", 4, 16, 0xee]],
      zero: [["a", 16, 128]],
      used: 128,
      reserved: SELF + SEG,
    },
  },
  {
    name: "a reused twin chunk reads as zero",
    ops: [
      ["aligned", "x", 200, 64],
      ["fill", "x", 0xee],
      ["free", "x"],
      ["aligned", "a", 150, 128], // twin 256 too
    ],
    expect: { same: [["a", "x"]], zero: [["a", 0, 256]], used: 256 },
  },
  {
    name: "free(ptr, size) of a twin's chunk needs no alignment",
    ops: [["aligned", "a", 100, 256], ["free", "a"]],
    expect: { used: 0, reserved: SELF + SEG, large: 0, spans: 0 },
  },
  {
    name: "a twin's chunk is freed with any size that could take it",
    ops: [
      ["aligned", "a", 100, 256], // twin 256: sizes 0..256 at 256
      [
        "throws",
        (env) => env.heap.free(env.ptr.a, 257),
        PointerError,
        "size-mismatch",
        /^Size 257 does not match the allocation at 0x[0-9a-f]+ \(\d+\), a 256-byte chunk/,
      ],
      ["call", (env) => env.heap.free(env.ptr.a, 1)],
    ],
    expect: { used: 0, reserved: SELF + SEG, large: 0 },
  },
  {
    name: "twin 96 takes 65..96 only: a smaller size is refused",
    ops: [
      ["aligned", "a", 80, 32],
      [
        "throws",
        (env) => env.heap.free(env.ptr.a, 64),
        PointerError,
        "size-mismatch",
        /^Size 64 does not match the allocation at 0x[0-9a-f]+ \(\d+\), a 96-byte chunk/,
      ],
      ["free", "a"],
    ],
    expect: { used: 0, large: 0 },
  },
  {
    name: "a large block's size is checked exactly",
    ops: [
      ["aligned", "a", 100, 1024],
      [
        "throws",
        (env) => env.heap.free(env.ptr.a, 96),
        PointerError,
        "size-mismatch",
        /^Size 96 does not match the allocation at 0x[0-9a-f]+ \(\d+\), a large block of 100 bytes/,
      ],
      ["free", "a"],
    ],
    // The refusal's check allocated (and freed) a 24-byte probe: a segment;
    // the freed page is kept for the next one-page block.
    expect: { used: 0, reserved: SELF + SEG + 4096, kept: 4096, large: 0 },
  },
];

const resized: AlignCase[] = [
  {
    name: "resize(0, 0, 100, 256) allocates a twin's chunk",
    ops: [["resizeTo", "a", "0", 100, 256]],
    expect: {
      alignedTo: [["a", 256]],
      kind: [["a", 256]],
      used: 256,
      large: 0,
    },
  },
  {
    name:
      "a twin's chunk resized within its sizes: stays, with or without the alignment",
    ops: [
      ["aligned", "a", 100, 128],
      ["fill", "a", 7],
      ["resizeTo", "b", "a", 20],
      ["resizeTo", "c", "b", 120, 128],
    ],
    expect: {
      same: [["a", "b"], ["a", "c"]],
      bytes: [["c", 0, 20, 7]],
      zero: [["c", 20, 128]],
      usable: [["c", 128]],
      used: 128,
    },
  },
  {
    name:
      "a twin's chunk resized past its class: to the next twin with the alignment, a class chunk without",
    ops: [
      ["aligned", "a", 60, 64],
      ["fill", "a", 7],
      ["resizeTo", "b", "a", 100, 64],
      ["aligned", "c", 60, 64],
      ["fill", "c", 8],
      ["resizeTo", "d", "c", 100],
    ],
    expect: {
      differ: [["a", "b"], ["c", "d"]],
      alignedTo: [["b", 128]],
      at: [["b", 128], ["d", 48]],
      bytes: [["b", 0, 60, 7], ["d", 0, 60, 8]],
      zero: [["b", 60, 128], ["d", 60, 128]],
      kind: [["b", 128], ["d", 128]],
      used: 2 * 128,
      spans: 2,
    },
  },
  {
    name: "grow within the page, with the alignment: in place",
    ops: [["aligned", "a", 100, 512], ["fill", "a", 7], [
      "resizeTo",
      "b",
      "a",
      3000,
      512,
    ]],
    expect: {
      same: [["a", "b"]],
      bytes: [["b", 0, 100, 7]],
      zero: [["b", 100, 3000]],
      used: 3000,
      reserved: SELF + 4096,
    },
  },
  {
    name: "a twin's chunk grown past 2016 at 64: a large block, bytes kept",
    ops: [["aligned", "a", 100, 64], ["fill", "a", 7], [
      "resizeTo",
      "b",
      "a",
      3000,
      64,
    ]],
    expect: {
      alignedTo: [["b", 64]],
      bytes: [["b", 0, 100, 7]],
      zero: [["b", 100, 4096]],
      kind: [["b", "large", 4096]],
      used: 3000,
      reserved: SELF + SEG + 4096,
    },
  },
  {
    name: "grow past the page at 65536: aligned, bytes kept",
    ops: [
      ["aligned", "a", 100, 65536],
      ["fill", "a", 9],
      ["resizeTo", "b", "a", 70000, 65536],
    ],
    expect: {
      alignedTo: [["b", 65536]],
      bytes: [["b", 0, 100, 9]],
      zero: [["b", 100, 70000]],
      usable: [["b", 73728]],
      used: 70000,
      reserved: SELF + 73728,
      large: 1,
    },
  },
  {
    name:
      "shrink at 64 to a twin's size: into the twin's chunk; at 512 (no twin): in place",
    ops: [
      ["aligned", "a", 5000, 64],
      ["fill", "a", 3],
      ["resizeTo", "b", "a", 10, 64],
      ["aligned", "c", 5000, 512],
      ["fill", "c", 4],
      ["resizeTo", "d", "c", 10, 512],
    ],
    expect: {
      differ: [["a", "b"]],
      same: [["c", "d"]],
      alignedTo: [["b", 64], ["d", 512]],
      at: [["b", 64]],
      bytes: [["b", 0, 10, 3], ["d", 0, 10, 4]],
      zero: [["b", 10, 64]],
      usable: [["d", 8192]],
      kind: [["b", 64], ["d", "large", 8192]],
      used: 64 + 10,
      reserved: SELF + SEG + 8192,
      large: 1,
      spans: 1,
    },
  },
  {
    name: "shrink without an alignment: into a chunk (16-aligned)",
    ops: [
      ["aligned", "a", 5000, 64],
      ["fill", "a", 3],
      ["resizeTo", "b", "a", 10],
    ],
    expect: {
      differ: [["a", "b"]],
      bytes: [["b", 0, 10, 3]],
      kind: [["b", 16]],
      used: 16,
      kept: 8192, // a's two pages
      reserved: SELF + SEG + 8192,
      large: 0,
      spans: 1,
    },
  },
  {
    // The first run, page 2, is 65536-aligned in real address only where
    // mmap's address makes it so: elsewhere the block moves.
    name: "a large block resized at 65536: aligned, bytes kept",
    ops: [
      ["alloc", "x", 5000],
      ["fill", "x", 5],
      ["resizeTo", "b", "x", 5000, 65536],
      // Moved, x's run is kept for the next two-page block.
      ["call", (env) => {
        const kept = env.ptr.b === env.ptr.x ? 0 : 8192;
        assert.equal(inner(env).retainedBytes, kept);
        assert.equal(env.heap.bytesReserved, SELF + 8192 + kept);
      }],
    ],
    expect: {
      alignedTo: [["b", 65536]],
      bytes: [["b", 0, 5000, 5]],
      used: 5000,
      large: 1,
    },
  },
  {
    name: "a chunk resized at 32, off 32: moves to twin 32",
    ops: [
      ["alloc", "a", 24], // span + 48
      ["fill", "a", 4],
      ["resizeTo", "b", "a", 30, 32],
    ],
    expect: {
      alignedTo: [["b", 32]],
      at: [["b", 64]],
      bytes: [["b", 0, 24, 4]],
      zero: [["b", 24, 32]],
      kind: [["b", 32]],
      used: 32,
      reserved: SELF + SEG,
      // Class 32's emptied span is kept as its span (it counts as empty).
      spans: 1,
      large: 0,
    },
  },
  {
    name: "a chunk at a 64-aligned address, resized at 64 in its class: stays",
    ops: [
      ["alloc", "a", 16], // span + 48
      ["alloc", "c", 16], // span + 64
      ["resizeTo", "b", "c", 10, 64],
    ],
    expect: {
      same: [["b", "c"]],
      alignedTo: [["b", 64]],
      kind: [["b", 16]],
      used: 32,
      large: 0,
    },
  },
  {
    name: "resize to 0 with an alignment frees",
    ops: [["aligned", "a", 100, 4096], ["resizeTo", "b", "a", 0, 4096]],
    expect: { used: 0, kept: 4096, reserved: SELF + 4096, large: 0 },
  },
];

// A bad alignment, refused by every call with nothing changed (the
// executor compares the state and the next allocation with a twin's).
const BAD: [unknown, typeof RangeError | typeof TypeError, RegExp][] = [
  [3, RangeError, /^Alignment must be a power of two from 1 to 65536, got 3;/],
  [0, RangeError, /got 0;/],
  [1.5, RangeError, /got 1\.5;/],
  [NaN, RangeError, /got NaN;/],
  [2 ** 17, RangeError, /got 131072;/],
  [-16, RangeError, /got -16;/],
  ["16", TypeError, /^Alignment must be a number .* got string$/],
  // A twin's alignment as a string or an array: `&` and `>=` coerce them.
  ["64", TypeError, /^Alignment must be a number .* got string$/],
  [[64], TypeError, /^Alignment must be a number .* got object$/],
];

const refused: AlignCase[] = BAD.map(([al, error, message]) => ({
  name: `alignment ${String(al)} refused`,
  ops: [
    ["aligned", "a", 100, 64],
    ["alloc", "s", 24],
    ...([
      (env: Env) => env.heap.alloc(64, al as number),
      (env: Env) => env.heap.allocUnsafe(64, al as number),
      (env: Env) => env.heap.allocUnsafe(5000, al as number),
      (env: Env) => env.heap.resize(env.ptr.a, 100, 200, al as number),
      (env: Env) => env.heap.resize(env.ptr.s, 24, 5000, al as number),
      (env: Env) => env.heap.resize(0, 0, 64, al as number),
    ].map((call): Op => ["throws", call, error, null, message])),
  ],
  expect: { used: 128 + 32, large: 0, usable: [["a", 128], ["s", 32]] },
}));

type Maker = () => Subject<Handles>;
const makers: [string, Maker][] = [
  ...sources.map((s): [string, Maker] => [
    `Heap on ${s.name}`,
    () => heapSubject(s),
  ]),
  ["WorkerHeap", () => workerHeapSubject()],
];

const tables: [string, AlignCase[]][] = [
  ["aligned allocations", given],
  ["aligned resizes", resized],
  ["bad alignments", refused],
];

for (const [title, cases] of tables) {
  Deno.test(`Heap alignment: ${title}`, async (t) => {
    for (const [name, make] of makers) {
      for (const c of cases) {
        await t.step(`${name}: ${c.name}`, () => {
          runCase(make, c, alignKind, { twin: true });
        });
      }
    }
  });
}

// Every power of two × sizes around the class and page edges: the address,
// bytesUsed (the class size for a chunk, the size for a large block) and
// bytesReserved of each, alone on a fresh heap.
const SIZES = [
  0,
  1,
  16,
  64,
  100,
  200,
  1344,
  1345,
  2016,
  2017,
  4096,
  4097,
  65536,
  65537,
];
const ALIGNMENTS = Array.from({ length: 17 }, (_, i) => 2 ** i);

Deno.test("Heap alignment: every alignment × size, exact counters", async (t) => {
  for (const [name, make] of makers) {
    await t.step(name, () => {
      using s = make();
      const { heap } = s.handles;
      const address = heap.memory.address ?? 0n;
      for (const al of ALIGNMENTS) {
        for (const size of SIZES) {
          const what = `${size} at ${al}`;
          const chunk = size > 2016
            ? undefined
            : al > 16
            ? twinOf(size, al)
            : classOf(size);
          const p = heap.alloc(size, al);
          assert.equal((address + BigInt(p)) % BigInt(al), 0n, what);
          if (chunk !== undefined && al > 16) {
            // A fresh twin span's first chunk.
            assert.equal(p % 4096, twinFirst(chunk), what);
          }
          assert.equal(heap.bytesUsed, chunk ?? size, what);
          // The contract suite's charge says the same.
          assert.equal(heapCharge(size, al), chunk ?? size, what);
          const block = Math.max(4096, Math.ceil(size / 4096) * 4096);
          assert.equal(
            heap.bytesReserved,
            SELF + (chunk === undefined ? block : SEG),
            what,
          );
          assert.equal(heap.usableSize(p), chunk ?? block, what);
          heap.free(p, size);
          (heap instanceof WorkerHeap ? heap.heap : heap).trim();
          assert.equal(heap.bytesUsed, 0, what);
        }
      }
      heap.validate();
    });
  }
});

Deno.test("WorkerHeap: remote frees of aligned blocks, large and small", () => {
  using pages = new SharedPages({ reserve: 2 ** 24 });
  using other = SharedPages.attach(structuredClone(pages.handle));
  using a = new WorkerHeap({ pages });
  using b = new WorkerHeap({ pages: other });
  const p = a.alloc(100, 8192);
  assert.equal(p % 8192, 0);
  assert.equal(a.bytesUsed, 100);
  b.free(p, 100); // remote: waits for a
  assert.equal(a.waitingFrees, 1);
  assert.equal(a.bytesUsed, 100);
  assert.equal(a.collect(), 1);
  assert.equal(a.bytesUsed, 0);
  assert.equal(a.heap.largeBlocks, 0);
  a.validate();
  // A twin's chunk: a remote free, then a remote resize, which moves it
  // into the resizer's heap, aligned (a twin's chunk there too).
  const t = a.alloc(100, 64);
  assert.equal(t % 64, 0);
  assert.equal(a.bytesUsed, 128);
  b.free(t, 100);
  assert.equal(a.collect(), 1);
  assert.equal(a.bytesUsed, 0);
  const q = a.alloc(50, 256);
  assert.equal(a.usableSize(q), 256);
  const r = b.resize(q, 50, 60, 256);
  assert.equal(r % 256, 0);
  assert.equal(b.bytesUsed, 256);
  assert.equal(b.usableSize(r), 256);
  assert.equal(a.collect(), 1);
  assert.equal(a.bytesUsed, 0);
  b.free(r, 60);
  assert.equal(b.bytesUsed, 0);
  a.validate();
  b.validate();
});

Deno.test("WorkerHeap: a refused alignment collects nothing", () => {
  using pages = new SharedPages({ reserve: 2 ** 24 });
  using other = SharedPages.attach(structuredClone(pages.handle));
  using a = new WorkerHeap({ pages });
  using b = new WorkerHeap({ pages: other });
  const p = a.alloc(64, 16);
  b.free(p, 64); // a remote free, waiting for a
  assert.equal(a.waitingFrees, 1);
  assert.throws(() => a.alloc(64, 3), /power of two/);
  assert.throws(() => a.allocUnsafe(64, 2 ** 17), /got 131072/);
  assert.throws(() => a.resize(0, 0, 64, 0), /got 0/);
  assert.equal(a.waitingFrees, 1);
  assert.equal(a.bytesUsed, 64);
  assert.equal(a.alloc(64, 8), p); // collected now, and reused
  a.free(p, 64);
  assert.equal(a.bytesUsed, 0);
});

Deno.test("Heap: an unaligned large block resized at 65536 moves", () => {
  using pages = new BufferPages({ reserve: 2 ** 24 });
  using heap = new Heap({ pages });
  const p = heap.alloc(5000); // page 2: 8192
  assert.equal(p, 8192);
  heap.memory.u8.fill(5, p, p + 5000);
  const q = heap.resize(p, 5000, 5000, 65536);
  assert.equal(q, 65536);
  assert.ok(heap.memory.u8.subarray(q, q + 5000).every((b) => b === 5));
  assert.equal(heap.bytesUsed, 5000);
  assert.equal(heap.retainedBytes, 8192); // p's run, kept
  assert.equal(heap.bytesReserved, SELF + 8192 + 8192);
  assert.equal(heap.resize(q, 5000, 6000, 65536), q); // aligned: in place
  heap.free(q, 6000);
  assert.equal(heap.retainedBytes, 16384);
  assert.equal(heap.bytesReserved, SELF + 16384);
  heap.validate();
  assert.equal(heap.trim(), 16384);
  assert.equal(heap.bytesReserved, SELF);
});
