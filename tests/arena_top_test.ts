// Which allocation a bump allocator takes as the top one, on Arena and
// FixedAllocator alike: only one whose start it knows. It keeps the starts of
// its newest allocations (a zero-size one on the bump is not one: the one
// before it stays the top), so frees newest first give every byte back, and
// a pointer inside the top allocation is refused as `interior` even when it
// ends at the bump. Each case lists its steps with the exact offsets (from
// the first allocation) and bytesUsed after each, then checks that every live
// allocation kept its bytes and where the next allocation goes.
import assert from "node:assert/strict";
import { Arena, FixedAllocator } from "../arena/mod.ts";
import { TOP_STACK_LIMIT } from "../arena/_top_stack.ts";
import { type Allocator, BufferPages, PointerError } from "../os/mod.ts";
import { assertRefusedUnchanged } from "./_assert_refused.ts";

type Step =
  /** `name = alloc(size)`, at offset `at`. */
  | { alloc: string; size: number; at: number; used: number }
  /** `free(name + plus, size)`: done, or refused as an interior pointer. */
  | { free: string; plus: number; size: number; used: number; refused?: true }
  /** `as = resize(name + plus, oldSize, newSize)`, at offset `at`. */
  | {
    resize: string;
    plus: number;
    oldSize: number;
    newSize: number;
    as: string;
    at: number;
    used: number;
  }
  /** `resize(name + plus, oldSize, newSize)` refused as interior. */
  | {
    resize: string;
    plus: number;
    oldSize: number;
    newSize: number;
    used: number;
    refused: true;
  };

interface TopCase {
  name: string;
  steps: Step[];
  /** Allocations given back (their bytes are not checked). */
  gone: string[];
  /** Where the next alloc(16) goes, from the first allocation. */
  next: number;
}

// `n` allocations of 16 bytes, then their frees newest first: each gives its
// bytes back (the starts are kept past the first 8 slots too).
const lifo = (n: number): Step[] => {
  const names = Array.from({ length: n }, (_, i) => `L${i}`);
  return [
    ...names.map((a, i): Step => ({
      alloc: a,
      size: 16,
      at: 16 * i,
      used: 16 * (i + 1),
    })),
    ...names.map((a, i): Step => ({ free: a, plus: 0, size: 16, used: 16 * i }))
      .reverse(),
  ];
};

const cases: TopCase[] = [
  {
    name: "after a top free, an interior free that ends at the bump is refused",
    steps: [
      { alloc: "A", size: 32, at: 0, used: 32 },
      { alloc: "B", size: 8, at: 32, used: 40 },
      { free: "B", plus: 0, size: 8, used: 32 },
      { free: "A", plus: 16, size: 16, used: 32, refused: true },
    ],
    gone: ["B"],
    next: 32,
  },
  {
    name:
      "after a top free, the one before is the top: LIFO frees give all back",
    steps: [
      { alloc: "A", size: 32, at: 0, used: 32 },
      { alloc: "B", size: 16, at: 32, used: 48 },
      { free: "B", plus: 0, size: 16, used: 32 },
      { free: "A", plus: 0, size: 32, used: 0 },
    ],
    gone: ["A", "B"],
    next: 0,
  },
  {
    name: "20 allocations freed newest first give every byte back",
    steps: lifo(20),
    gone: Array.from({ length: 20 }, (_, i) => `L${i}`),
    next: 0,
  },
  {
    name: "after a top free, an interior resize is refused",
    steps: [
      { alloc: "X", size: 64, at: 0, used: 64 },
      { alloc: "Y", size: 16, at: 64, used: 80 },
      { free: "Y", plus: 0, size: 16, used: 64 },
      {
        resize: "X",
        plus: 48,
        oldSize: 16,
        newSize: 100,
        used: 64,
        refused: true,
      },
    ],
    gone: ["Y"],
    next: 64,
  },
  {
    name: "after a top free, the one before grows in place",
    steps: [
      { alloc: "X", size: 64, at: 0, used: 64 },
      { alloc: "Y", size: 16, at: 64, used: 80 },
      { free: "Y", plus: 0, size: 16, used: 64 },
      {
        resize: "X",
        plus: 0,
        oldSize: 64,
        newSize: 100,
        as: "X",
        at: 0,
        used: 100,
      },
    ],
    gone: ["Y"],
    next: 112,
  },
  {
    name: "a new allocation after a top free is the top, then the one before",
    steps: [
      { alloc: "A", size: 32, at: 0, used: 32 },
      { alloc: "B", size: 8, at: 32, used: 40 },
      { free: "B", plus: 0, size: 8, used: 32 },
      { alloc: "C", size: 16, at: 32, used: 48 },
      { free: "A", plus: 0, size: 32, used: 48 },
      { free: "C", plus: 0, size: 16, used: 32 },
      { free: "A", plus: 0, size: 32, used: 0 },
    ],
    gone: ["A", "B", "C"],
    next: 0,
  },
  {
    name: "after a zero-size allocation, an interior free is refused",
    steps: [
      { alloc: "A", size: 32, at: 0, used: 32 },
      { alloc: "Z", size: 0, at: 32, used: 32 },
      { free: "A", plus: 16, size: 16, used: 32, refused: true },
      { free: "A", plus: 0, size: 32, used: 0 },
    ],
    gone: ["A"],
    next: 0,
  },
  {
    name: "after a zero-size allocation, an interior resize is refused",
    steps: [
      { alloc: "X", size: 64, at: 0, used: 64 },
      { alloc: "Z", size: 0, at: 64, used: 64 },
      {
        resize: "X",
        plus: 48,
        oldSize: 16,
        newSize: 100,
        used: 64,
        refused: true,
      },
      {
        resize: "X",
        plus: 0,
        oldSize: 64,
        newSize: 100,
        as: "X",
        at: 0,
        used: 100,
      },
    ],
    gone: [],
    next: 112,
  },
  {
    name: "a zero-size allocation's free leaves the one before it the top",
    steps: [
      { alloc: "A", size: 32, at: 0, used: 32 },
      { alloc: "Z", size: 0, at: 32, used: 32 },
      { free: "Z", plus: 0, size: 0, used: 32 },
      { free: "A", plus: 16, size: 16, used: 32, refused: true },
      { free: "A", plus: 0, size: 32, used: 0 },
    ],
    gone: ["A"],
    next: 0,
  },
  {
    name:
      "after a top free, a zero-size allocation leaves the one before the top",
    steps: [
      { alloc: "A", size: 32, at: 0, used: 32 },
      { alloc: "B", size: 16, at: 32, used: 48 },
      { free: "B", plus: 0, size: 16, used: 32 },
      { alloc: "Z", size: 0, at: 32, used: 32 },
      { free: "A", plus: 16, size: 16, used: 32, refused: true },
      { free: "A", plus: 0, size: 32, used: 0 },
    ],
    gone: ["A", "B"],
    next: 0,
  },
  {
    // Z's free gives back the padding before it: A is the top again.
    name: "a zero-size allocation past padding is the top; the one before not",
    steps: [
      { alloc: "A", size: 8, at: 0, used: 8 },
      { alloc: "Z", size: 0, at: 16, used: 16 },
      { free: "A", plus: 0, size: 8, used: 16 },
      { free: "Z", plus: 0, size: 0, used: 8 },
      { free: "A", plus: 0, size: 8, used: 0 },
    ],
    gone: ["A", "Z"],
    next: 0,
  },
  {
    name: "an interior free of the top allocation is refused",
    steps: [
      { alloc: "A", size: 32, at: 0, used: 32 },
      { free: "A", plus: 16, size: 16, used: 32, refused: true },
      { free: "A", plus: 0, size: 32, used: 0 },
    ],
    gone: ["A"],
    next: 0,
  },
];

interface Made {
  a: Allocator;
  used(): number;
}

const makers: { name: string; make(): Made }[] = [
  {
    name: "Arena",
    make() {
      const a = new Arena({ parent: new BufferPages(), alignment: 16 });
      return { a, used: () => a.bytesUsed };
    },
  },
  {
    name: "FixedAllocator",
    make() {
      const pages = new BufferPages();
      const a = new FixedAllocator({
        memory: pages.memory,
        ptr: pages.alloc(4096),
        length: 4096,
        alignment: 16,
      });
      return { a, used: () => a.bytesUsed };
    },
  },
];

const hex = (p: number) => `0x${p.toString(16)} \\(${p}\\)`;
/** The refusal of `ptr`, inside the last allocation `last` but not at its start. */
const interior = (ptr: number, last: number) => ({
  error: PointerError,
  reason: "interior" as const,
  message: new RegExp(
    `^Pointer ${hex(ptr)} is inside the last allocation, at ${
      hex(last)
    }, not its start \\(an interior pointer\\)$`,
  ),
});

function run({ a, used }: Made, c: TopCase): void {
  const u8 = a.memory.u8;
  // Every allocation's pointer, size and fill byte (its index + 1).
  const blocks = new Map<string, { ptr: number; size: number; fill: number }>();
  let base = -1;
  const ptrOf = (name: string) => blocks.get(name)!.ptr;
  const placed = (name: string, ptr: number, size: number, at: number) => {
    if (base < 0) base = ptr;
    assert.equal(ptr - base, at, `${name} at`);
    const fill = blocks.size + 1;
    u8.fill(fill, ptr, ptr + size);
    blocks.set(name, { ptr, size, fill });
  };
  const bytes = () =>
    [...blocks.values()].map((b) => [...u8.slice(b.ptr, b.ptr + b.size)]);
  const watched = { state: () => [used(), bytes()] };
  for (const s of c.steps) {
    if ("alloc" in s) {
      placed(s.alloc, a.alloc(s.size), s.size, s.at);
    } else if ("free" in s) {
      const from = ptrOf(s.free) + s.plus;
      const call = () => a.free(from, s.size);
      if (s.refused) {
        assertRefusedUnchanged(watched, call, interior(from, ptrOf(s.free)));
      } else if (c.gone.includes(s.free) && s.plus === 0) call();
      else {
        // A no-op: not the top one, or cannot be told to be.
        const before = watched.state();
        call();
        assert.deepEqual(watched.state(), before, "a no-op free");
      }
    } else {
      const from = ptrOf(s.resize) + s.plus;
      const call = () => a.resize(from, s.oldSize, s.newSize);
      if ("refused" in s) {
        assertRefusedUnchanged(watched, call, interior(from, ptrOf(s.resize)));
      } else {
        const source = [...u8.slice(from, from + s.oldSize)];
        const ptr = call();
        const kept = Math.min(s.oldSize, s.newSize);
        assert.deepEqual(
          [...u8.slice(ptr, ptr + s.newSize)],
          [...source.slice(0, kept), ...Array(s.newSize - kept).fill(0)],
          "resize keeps the bytes and zeroes the rest",
        );
        if (s.as !== s.resize) placed(s.as, ptr, s.newSize, s.at);
        else {
          assert.equal(ptr - base, s.at, `${s.as} in place`);
          const b = blocks.get(s.as)!;
          b.size = s.newSize;
          u8.fill(b.fill, ptr, ptr + s.newSize);
        }
      }
    }
    assert.equal(used(), s.used, `bytesUsed after ${JSON.stringify(s)}`);
  }
  for (const [name, b] of blocks) {
    if (c.gone.includes(name)) continue;
    assert.deepEqual(
      [...u8.slice(b.ptr, b.ptr + b.size)],
      Array(b.size).fill(b.fill),
      `${name} kept its bytes`,
    );
  }
  assert.equal(a.alloc(16) - base, c.next, "the next allocation");
}

for (const { name, make } of makers) {
  Deno.test(`${name}: only a known start is the top allocation`, async (t) => {
    for (const c of cases) await t.step(c.name, () => run(make(), c));
  });
}

// At the limit, the older half of the starts is let go: freeing those
// allocations is then a no-op (their bytes come back at a clear), as for any
// allocation that is not the top one.
Deno.test("a bump allocator lets the older half of 1024 starts go", () => {
  const n = TOP_STACK_LIMIT + 1, bytes = 16 * n, kept = TOP_STACK_LIMIT / 2;
  using pages = new BufferPages();
  const made: [string, Allocator & { readonly bytesUsed: number }][] = [
    ["Arena", new Arena({ parent: pages, blockSize: bytes + 32 })],
    [
      "FixedAllocator",
      new FixedAllocator({
        memory: pages.memory,
        ptr: pages.alloc(bytes),
        length: bytes,
      }),
    ],
  ];
  for (const [name, a] of made) {
    const ptrs = Array.from({ length: n }, () => a.alloc(16));
    assert.deepEqual(ptrs.map((p) => p - ptrs[0]), ptrs.map((_, i) => 16 * i));
    const used: number[] = [];
    for (let i = n - 1; i >= 0; i--) {
      a.free(ptrs[i], 16);
      used.push(a.bytesUsed);
    }
    // The newest 513 frees gave their 16 bytes back; the older 512 did not.
    assert.deepEqual(
      used,
      [...ptrs.keys()].map((i) => Math.max(16 * kept, bytes - 16 * (i + 1))),
      name,
    );
    assert.equal(a.alloc(16), ptrs[kept], `${name}: the next allocation`);
  }
});
