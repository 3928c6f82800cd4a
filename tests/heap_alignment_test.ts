// The alignments Heap and WorkerHeap give (docs/design.md#heap-alignment):
// up to 16 from their classes, anything larger up to 65536 as a large block
// whose real address is a multiple of it (at least a page, whatever the
// size). Tables of operations run by the shared executor on a heap on each
// page source and on a WorkerHeap, with exact pointers' alignments, counters
// and usable sizes; a bad alignment is refused with nothing changed.
import assert from "node:assert/strict";
import { classOf } from "./_heap_model.ts";
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
import { heapSubject, type Subject, workerHeapSubject } from "./_subjects.ts";
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
  /** [name, usableSize]. */
  usable?: [string, number][];
  /** [name, class size or "large", capacity of a large block]. */
  kind?: [string, number | "large", number?][];
  used?: number;
  reserved?: number;
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
    name: "alloc(1, 32): a one-page large block, 1 byte used",
    ops: [["aligned", "a", 1, 32]],
    expect: {
      alignedTo: [["a", 32]],
      usable: [["a", 4096]],
      kind: [["a", "large", 4096]],
      used: 1,
      reserved: SELF + 4096,
      large: 1,
      spans: 0,
    },
  },
  {
    name: "alloc(0, 64): a page too, 0 bytes used, distinct blocks",
    ops: [["aligned", "a", 0, 64], ["aligned", "b", 0, 64]],
    expect: {
      alignedTo: [["a", 64], ["b", 64]],
      differ: [["a", "b"]],
      kind: [["a", "large", 4096]],
      used: 0,
      reserved: SELF + 2 * 4096,
      large: 2,
    },
  },
  {
    name: "100 bytes at 4096, 8192 and 65536",
    ops: [
      ["aligned", "a", 100, 4096],
      ["aligned", "b", 100, 8192],
      ["aligned", "c", 100, 65536],
    ],
    expect: {
      alignedTo: [["a", 4096], ["b", 8192], ["c", 65536]],
      usable: [["a", 4096], ["b", 4096], ["c", 4096]],
      used: 300,
      reserved: SELF + 3 * 4096,
      large: 3,
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
    name: "allocUnsafe(24, 128): a large block, 24 bytes used",
    ops: [["unsafe", "a", 24, 128]],
    expect: {
      alignedTo: [["a", 128]],
      kind: [["a", "large", 4096]],
      zero: [["a", 24, 4096]],
      used: 24,
      reserved: SELF + 4096,
    },
  },
  {
    name: "free(ptr, size) of a small-sized aligned block needs no alignment",
    ops: [["aligned", "a", 100, 256], ["free", "a"]],
    expect: { used: 0, reserved: SELF, large: 0 },
  },
  {
    name: "a small-sized aligned block's size is checked exactly",
    ops: [
      ["aligned", "a", 100, 256],
      [
        "throws",
        (env) => env.heap.free(env.ptr.a, 96),
        PointerError,
        "size-mismatch",
        /^Size 96 does not match the allocation at 0x[0-9a-f]+ \(\d+\), a large block of 100 bytes/,
      ],
      ["free", "a"],
    ],
    // The refusal's check allocated (and freed) a 24-byte probe: a segment.
    expect: { used: 0, reserved: SELF + SEG, large: 0 },
  },
];

const resized: AlignCase[] = [
  {
    name: "resize(0, 0, 100, 256) allocates aligned",
    ops: [["resizeTo", "a", "0", 100, 256]],
    expect: { alignedTo: [["a", 256]], used: 100, large: 1 },
  },
  {
    name: "grow within the page, with the alignment: in place",
    ops: [["aligned", "a", 100, 64], ["fill", "a", 7], [
      "resizeTo",
      "b",
      "a",
      3000,
      64,
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
    name: "shrink with the alignment: stays the large block, in place",
    ops: [
      ["aligned", "a", 5000, 64],
      ["fill", "a", 3],
      ["resizeTo", "b", "a", 10, 64],
    ],
    expect: {
      same: [["a", "b"]],
      alignedTo: [["b", 64]],
      bytes: [["b", 0, 10, 3]],
      usable: [["b", 8192]],
      kind: [["b", "large", 8192]],
      used: 10,
      reserved: SELF + 8192,
      spans: 0,
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
      reserved: SELF + SEG,
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
    ],
    expect: {
      alignedTo: [["b", 65536]],
      bytes: [["b", 0, 5000, 5]],
      used: 5000,
      reserved: SELF + 8192,
      large: 1,
    },
  },
  {
    name: "a chunk resized at 32, off 32: moves to a large block",
    ops: [
      ["alloc", "a", 24], // span + 48
      ["fill", "a", 4],
      ["resizeTo", "b", "a", 30, 32],
    ],
    expect: {
      alignedTo: [["b", 32]],
      bytes: [["b", 0, 24, 4]],
      zero: [["b", 24, 4096]],
      kind: [["b", "large", 4096]],
      used: 30,
      reserved: SELF + SEG + 4096,
      spans: 0,
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
    expect: { used: 0, reserved: SELF, large: 0 },
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
];

const refused: AlignCase[] = BAD.map(([al, error, message]) => ({
  name: `alignment ${String(al)} refused`,
  ops: [
    ["aligned", "a", 100, 64],
    ["alloc", "s", 24],
    ...([
      (env: Env) => env.heap.alloc(64, al as number),
      (env: Env) => env.heap.allocUnsafe(5000, al as number),
      (env: Env) => env.heap.resize(env.ptr.a, 100, 200, al as number),
      (env: Env) => env.heap.resize(env.ptr.s, 24, 5000, al as number),
      (env: Env) => env.heap.resize(0, 0, 64, al as number),
    ].map((call): Op => ["throws", call, error, null, message])),
  ],
  expect: { used: 100 + 32, large: 1, usable: [["a", 4096], ["s", 32]] },
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
const SIZES = [0, 1, 16, 100, 2016, 2017, 4096, 4097, 65536, 65537];
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
          const large = al > 16 || size > 2016;
          const p = heap.alloc(size, al);
          assert.equal((address + BigInt(p)) % BigInt(al), 0n, what);
          assert.equal(heap.bytesUsed, large ? size : classOf(size), what);
          const block = Math.max(4096, Math.ceil(size / 4096) * 4096);
          assert.equal(heap.bytesReserved, SELF + (large ? block : SEG), what);
          assert.equal(heap.usableSize(p), large ? block : classOf(size), what);
          heap.free(p, size);
          (heap instanceof WorkerHeap ? heap.heap : heap).trim();
          assert.equal(heap.bytesUsed, 0, what);
        }
      }
      heap.validate();
    });
  }
});

Deno.test("WorkerHeap: a remote free of a small-sized aligned block", () => {
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
  // A remote resize moves it into the resizer's heap, aligned.
  const q = a.alloc(50, 256);
  const r = b.resize(q, 50, 60, 256);
  assert.equal(r % 256, 0);
  assert.equal(b.bytesUsed, 60);
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
  assert.equal(heap.bytesReserved, SELF + 8192);
  assert.equal(heap.resize(q, 5000, 6000, 65536), q); // aligned: in place
  heap.free(q, 6000);
  assert.equal(heap.bytesReserved, SELF);
  heap.validate();
});
