// Page sources as data: each case is a list of operations on a fresh source
// and the exact state expected afterwards, run by the shared executor on
// OsPages and BufferPages.
import type { PageSource } from "../os/mod.ts";
import { sources } from "./_sources.ts";
import { type Case, type Env, type Op as RunOp, runCase } from "./_run_ops.ts";
import { pagesSubject } from "./_subjects.ts";

type Handles = { pages: PageSource };

/** The page sources' own operation, besides the Allocator ones. */
const ops = { purge: ({ pages }: Env<Handles>) => pages.purge() };

type Op = RunOp<Handles, typeof ops>;

/** Counters of pagesSubject. */
interface State {
  live?: number;
  liveRuns?: number;
  freeRuns?: number;
  retained?: number;
  committed?: number;
}

interface PagesCase extends Case<Handles, typeof ops, State> {
  only?: "OsPages" | "BufferPages";
  options?: { reserve?: number; retain?: number };
}

const P = 4096;

const cases: PagesCase[] = [
  {
    name: "the first run starts at page 1, page 0 stays null",
    ops: [["alloc", "a", 1]],
    expect: { ptr: { a: P }, live: P, liveRuns: 1, freeRuns: 0 },
  },
  {
    name: "sizes round up to whole pages; size 0 takes one page",
    ops: [["alloc", "a", 0], ["alloc", "b", 4097], ["alloc", "c", 8192]],
    expect: { ptr: { a: P, b: 2 * P, c: 4 * P }, live: 5 * P, liveRuns: 3 },
  },
  {
    name: "a freed run is reused for the same size",
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", P],
      ["alloc", "c", P],
      ["free", "b"],
      ["alloc", "d", P],
    ],
    expect: {
      ptr: { a: P, b: 2 * P, c: 3 * P, d: 2 * P },
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
      ["free", "b"],
      ["free", "c"],
      ["alloc", "e", 2 * P],
    ],
    expect: { ptr: { e: 2 * P }, live: 4 * P, liveRuns: 3, freeRuns: 0 },
  },
  {
    name: "a run merges with free runs on both sides",
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", P],
      ["alloc", "c", P],
      ["alloc", "d", P],
      ["alloc", "e", P],
      ["free", "b"],
      ["free", "d"],
      ["free", "c"],
    ],
    expect: { live: 2 * P, liveRuns: 2, freeRuns: 1 },
  },
  {
    name:
      "freed runs of 38 and 34 pages share a bin; each is reused for its own size",
    ops: [
      ["alloc", "a", 38 * P],
      ["alloc", "guard1", P],
      ["alloc", "b", 34 * P],
      ["alloc", "guard2", P],
      ["free", "a"],
      ["free", "b"], // now first in the 32..39-page bin, too short for c
      ["alloc", "c", 38 * P],
      ["alloc", "d", 34 * P],
    ],
    expect: {
      ptr: { a: P, c: P, b: 40 * P, d: 40 * P },
      freeRuns: 0,
      live: 74 * P,
    },
  },
  {
    name:
      "the smallest free run that fits is taken (best fit), not a larger one",
    ops: [
      ["alloc", "a", 10 * P],
      ["alloc", "guard1", P],
      ["alloc", "b", 3 * P],
      ["alloc", "guard2", P],
      ["free", "a"],
      ["free", "b"],
      ["alloc", "c", 2 * P], // no 2-page run: b's 3 fit, a's 10 too
      ["alloc", "d", 5 * P],
    ],
    expect: {
      ptr: { a: P, b: 12 * P, c: 12 * P, d: P },
      live: 9 * P,
      freeRuns: 2, // b's last page, a's last five
    },
  },
  {
    name:
      "emptying the 4-page bin leaves the 3-page bin below it found: a freed run, not the top",
    ops: [
      ["alloc", "a", 3 * P],
      ["alloc", "guard1", P],
      ["alloc", "b", 4 * P],
      ["alloc", "guard2", P],
      ["free", "a"],
      ["free", "b"],
      ["alloc", "c", 4 * P], // b: its bin is empty now
      ["alloc", "d", 2 * P], // no 2-page run: the front of a
    ],
    expect: {
      ptr: { a: P, b: 5 * P, c: 5 * P, d: P },
      live: 8 * P,
      liveRuns: 4,
      freeRuns: 1,
    },
  },
  {
    name:
      "emptying the 3-page bin leaves the 2-page bin below it found: a freed run, not the top",
    ops: [
      ["alloc", "a", 2 * P],
      ["alloc", "guard1", P],
      ["alloc", "b", 3 * P],
      ["alloc", "guard2", P],
      ["free", "a"],
      ["free", "b"],
      ["alloc", "c", 3 * P], // b: its bin is empty now
      ["alloc", "d", P], // no 1-page run: the front of a
    ],
    expect: {
      ptr: { a: P, b: 4 * P, c: 4 * P, d: P },
      live: 6 * P,
      liveRuns: 4,
      freeRuns: 1,
    },
  },
  {
    name: "a larger free run is split and its rest stays free",
    ops: [
      ["alloc", "a", 5 * P],
      ["alloc", "guard", P],
      ["free", "a"],
      ["alloc", "b", 2 * P],
      ["alloc", "c", 3 * P],
    ],
    expect: { ptr: { b: P, c: 3 * P, guard: 6 * P }, freeRuns: 0 },
  },
  {
    name: "a free run that reaches the top is merged into it",
    ops: [["alloc", "a", P], ["alloc", "b", P], ["free", "b"], [
      "alloc",
      "c",
      3 * P,
    ]],
    expect: { ptr: { c: 2 * P }, freeRuns: 0, live: 4 * P },
  },
  {
    name: "freed pages read as zero when handed out again",
    ops: [
      ["alloc", "a", 3 * P],
      ["alloc", "guard", P],
      ["fill", "a", 0xab],
      ["free", "a"],
      ["alloc", "b", 3 * P],
    ],
    expect: { ptr: { b: P }, zero: [["b", 0, 3 * P]] },
  },
  {
    name: "freed pages given back at once read as zero (retain 0)",
    only: "OsPages",
    options: { retain: 0 },
    ops: [
      ["alloc", "a", 2 * P],
      ["alloc", "guard", P],
      ["fill", "a", 0xcd],
      ["free", "a"],
      ["alloc", "b", 2 * P],
    ],
    expect: {
      ptr: { b: P },
      zero: [["b", 0, 2 * P]],
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
      ["free", "a"],
      ["free", "b"],
      ["free", "c"],
    ],
    // a's page went back (the oldest), b and c are kept: a clean free run
    // and a kept one, which do not merge.
    expect: { retained: 2 * P, committed: 3 * P, live: P, freeRuns: 2 },
  },
  {
    name: "purge gives back every retained page",
    only: "OsPages",
    options: { retain: 8 * P },
    ops: [
      ["alloc", "a", 4 * P],
      ["alloc", "guard", P],
      ["fill", "a", 7],
      ["free", "a"],
      ["purge"],
      ["alloc", "b", 4 * P],
    ],
    expect: { retained: 0, committed: 5 * P, zero: [["b", 0, 4 * P]] },
  },
  {
    name:
      "retained pages are zeroed when reused, and stop counting as retained",
    only: "OsPages",
    options: { retain: 8 * P },
    ops: [
      ["alloc", "a", 4 * P],
      ["alloc", "guard", P],
      ["fill", "a", 7],
      ["free", "a"],
      ["alloc", "b", 2 * P],
    ],
    expect: {
      ptr: { b: P },
      retained: 2 * P,
      committed: 5 * P,
      zero: [["b", 0, 2 * P]],
    },
  },
  {
    name: "BufferPages counts every page ever touched as committed",
    only: "BufferPages",
    ops: [
      ["alloc", "a", 4 * P],
      ["alloc", "b", P],
      ["free", "a"],
      ["free", "b"],
    ],
    // The freed pages are kept, as one free run below the top; the five
    // pages handed out stay committed (page 0, null, never was).
    expect: { live: 0, committed: 5 * P, liveRuns: 0, freeRuns: 1 },
  },
  {
    name:
      "resize within the same page count keeps the pointer and zeroes the cut tail",
    ops: [
      ["alloc", "a", 3000],
      ["fill", "a", 0x11],
      ["resize", "b", "a", 1000],
      ["resize", "c", "b", 4000],
    ],
    expect: {
      ptr: { a: P, b: P, c: P },
      bytes: [["c", 0, 1000, 0x11]],
      live: P,
    },
  },
  {
    name: "resize smaller frees the tail pages",
    ops: [
      ["alloc", "a", 4 * P],
      ["alloc", "guard", P],
      ["resize", "b", "a", P],
      ["alloc", "c", 3 * P],
    ],
    expect: { ptr: { b: P, c: 2 * P }, live: 5 * P, freeRuns: 0 },
  },
  {
    name: "resize larger grows in place into the top",
    ops: [
      ["alloc", "a", P],
      ["fill", "a", 0x22],
      ["resize", "b", "a", 3 * P],
    ],
    expect: { ptr: { b: P }, live: 3 * P, bytes: [["b", 0, P, 0x22]] },
  },
  {
    name:
      "resize larger grows in place into a free neighbour, zeroing the new pages",
    ops: [
      ["alloc", "a", P],
      ["alloc", "b", 3 * P],
      ["alloc", "guard", P],
      ["fill", "b", 0x33],
      ["free", "b"],
      ["resize", "c", "a", 2 * P],
    ],
    expect: {
      ptr: { c: P },
      live: 3 * P,
      freeRuns: 1,
      zero: [["c", 0, 2 * P]],
    },
  },
  {
    name: "resize larger moves when blocked, copying the bytes",
    ops: [
      ["alloc", "a", 100],
      ["alloc", "guard", P],
      ["fill", "a", 0x44],
      ["resize", "b", "a", 2 * P],
    ],
    expect: {
      ptr: { b: 3 * P },
      bytes: [["b", 0, 100, 0x44]],
      live: 3 * P,
      freeRuns: 1,
    },
  },
  {
    name: "resize of null allocates; resize to 0 frees",
    ops: [["resize", "a", "0", 100], ["resize", "b", "a", 0]],
    expect: { ptr: { a: P, b: 0 }, live: 0, liveRuns: 0 },
  },
];

for (const source of sources) {
  Deno.test(`${source.name}: operations and expected state`, async (t) => {
    for (const c of cases) {
      if (c.only && c.only !== source.name) continue;
      await t.step(c.name, () => {
        runCase(() => pagesSubject(source, c.options), c, { ops });
      });
    }
  });
}
