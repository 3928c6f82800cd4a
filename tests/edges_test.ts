// Exact edges, as data: calls whose size or range sits right at a limit —
// a whole fixed region, a run grown to the last page of the reservation, the
// last span of a segment given back —
// which must succeed in place, with exact pointers and counters. Each case
// was written for a one-character change at that edge that no other test saw.
import { sources } from "./_sources.ts";
import { Heap } from "../heap/mod.ts";
import { type PageSource, PointerError } from "../os/mod.ts";
import { type Case, runCase } from "./_run_ops.ts";
import { fixedSubject, heapSubject, pagesSubject } from "./_subjects.ts";

const P = 4096;

const fixedCases: (Case<unknown> & { length: number })[] = [
  {
    name: "a region's whole length, resized to itself, stays in place",
    length: 128,
    ops: [["alloc", "a", 128], ["resize", "b", "a", 128], ["free", "b"]],
    expect: { same: [["a", "b"]] },
  },
  {
    name:
      "a zero-size allocation at the region's end stays freeable after the top shrinks below it",
    length: 128,
    ops: [
      ["alloc", "a", 128],
      ["alloc", "z", 0],
      ["resize", "b", "a", 64],
      ["free", "z"],
    ],
    expect: { same: [["a", "b"]] },
  },
];

Deno.test("edges: FixedAllocator", async (t) => {
  for (const c of fixedCases) {
    await t.step(c.name, () => {
      runCase(() => fixedSubject(sources[1], { length: c.length }), c);
    });
  }
});

const pageCases: (Case<unknown> & { reserve: number })[] = [
  {
    name: "a run grows in place up to the reservation's last page",
    reserve: 4 * P,
    ops: [["alloc", "a", P], ["resize", "b", "a", 3 * P]],
    expect: { ptr: { a: P, b: P } },
  },
  {
    name: "a run grows in place over a free run that ends at the last page",
    reserve: 6 * P,
    ops: [
      ["alloc", "a", P],
      ["alloc", "x", 2 * P],
      ["alloc", "y", 2 * P],
      ["free", "x"],
      ["free", "y"],
      ["resize", "b", "a", 5 * P],
    ],
    expect: { ptr: { a: P, x: 2 * P, y: 4 * P, b: P } },
  },
  {
    name:
      "32 pages is an exact bin: a freed 32-page run is reused before a later-freed 33-page one",
    reserve: 80 * P,
    ops: [
      ["alloc", "a", 32 * P],
      ["alloc", "s", P],
      ["alloc", "b", 33 * P],
      ["alloc", "t", P],
      ["free", "a"],
      ["free", "b"],
      ["alloc", "c", 32 * P],
    ],
    expect: { ptr: { a: P, b: 34 * P, c: P } },
  },
];

Deno.test("edges: page sources", async (t) => {
  for (const source of sources) {
    for (const c of pageCases) {
      await t.step(`${source.name}: ${c.name}`, () => {
        runCase(() => pagesSubject(source, { reserve: c.reserve }), c);
      });
    }
  }
});

// 30 blocks of 2016 bytes fill the 15 spans of the heap's first segment (two
// a span); the last one is in the segment's last span.
const fill = Array.from(
  { length: 30 },
  (_, i) => ["alloc", `c${i}`, 2016] as ["alloc", string, number],
);
const heapCases: Case<{ heap: Heap; pages: PageSource }>[] = [
  {
    name:
      "after a trim, a pointer into the segment's last span is foreign, not a double free",
    ops: [
      ...fill,
      ...fill.map(([, name]) => ["free", name] as ["free", string]),
      ["call", ({ heap }) => void heap.trim()],
      [
        "throws",
        ({ heap, ptr }) => heap.free(ptr.c29, 2016),
        PointerError,
        "foreign",
        /is not an allocation of this heap/,
      ],
    ],
  },
];

Deno.test("edges: Heap", async (t) => {
  for (const source of sources) {
    for (const c of heapCases) {
      await t.step(`${source.name}: ${c.name}`, () => {
        runCase(() => heapSubject(source), c);
      });
    }
  }
});
