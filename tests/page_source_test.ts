// Page sources as data: each case is a list of operations on a fresh source
// and the exact state expected afterwards, run on OsPages and BufferPages.
import assert from "node:assert/strict";
import type { PageSource } from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { isZero } from "./_bytes.ts";

type Op =
  | ["alloc", name: string, size: number]
  | ["free", name: string, size: number]
  | ["resize", name: string, oldSize: number, newSize: number, as: string]
  | ["write", name: string, length: number, byte: number]
  | ["trim"];

interface State {
  /** Pointer of each named allocation. */
  ptrs?: Record<string, number>;
  live?: number;
  liveRuns?: number;
  freeRuns?: number;
  retained?: number;
  committed?: number;
  /** Named allocations whose first `length` bytes must read as zero. */
  zero?: [name: string, length: number][];
  /** Named allocations whose first `length` bytes must all be `byte`. */
  filled?: [name: string, length: number, byte: number][];
}

interface Case {
  name: string;
  only?: "OsPages" | "BufferPages";
  options?: { reserve?: number; retain?: number };
  ops: Op[];
  expect: State;
}

const P = 4096;

const cases: Case[] = [
  {
    name: "the first run starts at page 1, page 0 stays null",
    ops: [["alloc", "a", 1]],
    expect: { ptrs: { a: P }, live: P, liveRuns: 1, freeRuns: 0 },
  },
  {
    name: "sizes round up to whole pages; size 0 takes one page",
    ops: [["alloc", "a", 0], ["alloc", "b", 4097], ["alloc", "c", 8192]],
    expect: { ptrs: { a: P, b: 2 * P, c: 4 * P }, live: 5 * P, liveRuns: 3 },
  },
  {
    name: "a freed run is reused for the same size",
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", P],
      ["alloc", "c", P],
      ["free", "b", P],
      ["alloc", "d", P],
    ],
    expect: {
      ptrs: { a: P, b: 2 * P, c: 3 * P, d: 2 * P },
      live: 3 * P,
      freeRuns: 0,
    },
  },
  {
    name: "freed neighbours merge into one run",
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", P],
      ["alloc", "c", P],
      ["alloc", "d", P],
      ["free", "b", P],
      ["free", "c", P],
      ["alloc", "e", 2 * P],
    ],
    expect: { ptrs: { e: 2 * P }, live: 4 * P, liveRuns: 3, freeRuns: 0 },
  },
  {
    name: "a run merges with free runs on both sides",
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", P],
      ["alloc", "c", P],
      ["alloc", "d", P],
      ["alloc", "e", P],
      ["free", "b", P],
      ["free", "d", P],
      ["free", "c", P],
    ],
    expect: { live: 2 * P, liveRuns: 2, freeRuns: 1 },
  },
  {
    name: "a larger free run is split and its rest stays free",
    ops: [
      ["alloc", "a", 5 * P],
      ["alloc", "guard", P],
      ["free", "a", 5 * P],
      ["alloc", "b", 2 * P],
      ["alloc", "c", 3 * P],
    ],
    expect: { ptrs: { b: P, c: 3 * P, guard: 6 * P }, freeRuns: 0 },
  },
  {
    name: "a free run that reaches the top is merged into it",
    ops: [["alloc", "a", P], ["alloc", "b", P], ["free", "b", P], [
      "alloc",
      "c",
      3 * P,
    ]],
    expect: { ptrs: { c: 2 * P }, freeRuns: 0, live: 4 * P },
  },
  {
    name: "freed pages read as zero when handed out again",
    ops: [
      ["alloc", "a", 3 * P],
      ["alloc", "guard", P],
      ["write", "a", 3 * P, 0xab],
      ["free", "a", 3 * P],
      ["alloc", "b", 3 * P],
    ],
    expect: { ptrs: { b: P }, zero: [["b", 3 * P]] },
  },
  {
    name: "freed pages given back at once read as zero (retain 0)",
    only: "OsPages",
    options: { retain: 0 },
    ops: [
      ["alloc", "a", 2 * P],
      ["alloc", "guard", P],
      ["write", "a", 2 * P, 0xcd],
      ["free", "a", 2 * P],
      ["alloc", "b", 2 * P],
    ],
    expect: {
      ptrs: { b: P },
      zero: [["b", 2 * P]],
      retained: 0,
      committed: 3 * P,
    },
  },
  {
    name: "retention keeps freed pages up to its budget and releases the rest",
    only: "OsPages",
    options: { retain: 2 * P },
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", P],
      ["alloc", "c", P],
      ["alloc", "guard", P],
      ["free", "a", P],
      ["free", "b", P],
      ["free", "c", P],
    ],
    expect: { retained: 2 * P, committed: 3 * P, live: P, freeRuns: 1 },
  },
  {
    name: "trim gives back every retained page",
    only: "OsPages",
    options: { retain: 8 * P },
    ops: [
      ["alloc", "a", 4 * P],
      ["alloc", "guard", P],
      ["write", "a", 4 * P, 7],
      ["free", "a", 4 * P],
      ["trim"],
      ["alloc", "b", 4 * P],
    ],
    expect: { retained: 0, committed: 5 * P, zero: [["b", 4 * P]] },
  },
  {
    name:
      "retained pages are zeroed when reused, and stop counting as retained",
    only: "OsPages",
    options: { retain: 8 * P },
    ops: [
      ["alloc", "a", 4 * P],
      ["alloc", "guard", P],
      ["write", "a", 4 * P, 7],
      ["free", "a", 4 * P],
      ["alloc", "b", 2 * P],
    ],
    expect: {
      ptrs: { b: P },
      retained: 2 * P,
      committed: 5 * P,
      zero: [["b", 2 * P]],
    },
  },
  {
    name: "BufferPages counts every page ever touched as committed",
    only: "BufferPages",
    ops: [
      ["alloc", "a", 4 * P],
      ["alloc", "b", P],
      ["free", "a", 4 * P],
      ["free", "b", P],
    ],
    expect: { live: 0, committed: 6 * P, liveRuns: 0, freeRuns: 0 },
  },
  {
    name:
      "resize within the same page count keeps the pointer and zeroes the cut tail",
    ops: [
      ["alloc", "a", 3000],
      ["write", "a", 3000, 0x11],
      ["resize", "a", 3000, 1000, "b"],
      ["resize", "b", 1000, 4000, "c"],
    ],
    expect: {
      ptrs: { a: P, b: P, c: P },
      filled: [["c", 1000, 0x11]],
      live: P,
    },
  },
  {
    name: "resize smaller frees the tail pages",
    ops: [
      ["alloc", "a", 4 * P],
      ["alloc", "guard", P],
      ["resize", "a", 4 * P, P, "b"],
      ["alloc", "c", 3 * P],
    ],
    expect: { ptrs: { b: P, c: 2 * P }, live: 5 * P, freeRuns: 0 },
  },
  {
    name: "resize larger grows in place into the top",
    ops: [
      ["alloc", "a", P],
      ["write", "a", P, 0x22],
      ["resize", "a", P, 3 * P, "b"],
    ],
    expect: { ptrs: { b: P }, live: 3 * P, filled: [["b", P, 0x22]] },
  },
  {
    name:
      "resize larger grows in place into a free neighbour, zeroing the new pages",
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", 3 * P],
      ["alloc", "guard", P],
      ["write", "b", 3 * P, 0x33],
      ["free", "b", 3 * P],
      ["resize", "a", P, 2 * P, "c"],
    ],
    expect: { ptrs: { c: P }, live: 3 * P, freeRuns: 1, zero: [["c", 2 * P]] },
  },
  {
    name: "resize larger moves when blocked, copying the bytes",
    ops: [
      ["alloc", "a", 100],
      ["alloc", "guard", P],
      ["write", "a", 100, 0x44],
      ["resize", "a", 100, 2 * P, "b"],
    ],
    expect: {
      ptrs: { b: 3 * P },
      filled: [["b", 100, 0x44]],
      live: 3 * P,
      freeRuns: 1,
    },
  },
  {
    name: "resize of null allocates; resize to 0 frees",
    ops: [["resize", "", 0, 100, "a"], ["resize", "a", 100, 0, "b"]],
    expect: { ptrs: { a: P, b: 0 }, live: 0, liveRuns: 0 },
  },
];

/** Runs `ops` on `pages`, returning the named pointers. */
function run(pages: PageSource, ops: Op[]): Record<string, number> {
  const ptrs: Record<string, number> = { "": 0 };
  for (const op of ops) {
    switch (op[0]) {
      case "alloc":
        ptrs[op[1]] = pages.alloc(op[2]);
        break;
      case "free":
        pages.free(ptrs[op[1]], op[2]);
        break;
      case "resize":
        ptrs[op[4]] = pages.resize(ptrs[op[1]], op[2], op[3]);
        break;
      case "write":
        pages.memory.fill(ptrs[op[1]], op[2], op[3]);
        break;
      case "trim":
        pages.trim();
        break;
    }
  }
  return ptrs;
}

function check(pages: PageSource, ptrs: Record<string, number>, expect: State) {
  for (const [name, ptr] of Object.entries(expect.ptrs ?? {})) {
    assert.equal(ptrs[name], ptr, `pointer ${name}`);
  }
  if (expect.live !== undefined) {
    assert.equal(pages.liveBytes, expect.live, "live");
  }
  if (expect.liveRuns !== undefined) {
    assert.equal(pages.liveRuns, expect.liveRuns, "liveRuns");
  }
  if (expect.freeRuns !== undefined) {
    assert.equal(pages.freeRuns, expect.freeRuns, "freeRuns");
  }
  if (expect.retained !== undefined) {
    assert.equal(pages.retainedBytes, expect.retained, "retained");
  }
  if (expect.committed !== undefined) {
    assert.equal(pages.committedBytes, expect.committed, "committed");
  }
  for (const [name, length] of expect.zero ?? []) {
    assert.ok(
      isZero(pages.memory, ptrs[name], length),
      `${name} reads as zero`,
    );
  }
  for (const [name, length, byte] of expect.filled ?? []) {
    assert.deepEqual(
      pages.memory.bytes(ptrs[name], length),
      new Uint8Array(length).fill(byte),
      `${name} holds ${byte}`,
    );
  }
}

for (const source of sources) {
  Deno.test(`${source.name}: operations and expected state`, async (t) => {
    for (const c of cases) {
      if (c.only && c.only !== source.name) continue;
      await t.step(c.name, () => {
        using pages = source.make(c.options);
        check(pages, run(pages, c.ops), c.expect);
      });
    }
  });
}
