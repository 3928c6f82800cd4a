// Exact edges, as data: calls whose size or range sits right at a limit —
// a zero-size allocation at a fixed region's end, a run grown to the last
// page of the reservation, the last span of a segment given back — with
// exact pointers, reasons and counters. Each case was written for a
// one-character change at that edge that no other test saw (tests/*_kills_test.ts
// hold more of the same).
import { sources } from "./_sources.ts";
import type { Heap } from "../heap/mod.ts";
import { type PageSource, PointerError } from "../os/mod.ts";
import { type Case, runCase } from "./_run_ops.ts";
import { fixedSubject, heapSubject, pagesSubject } from "./_subjects.ts";

const P = 4096;

const fixedCases: (Case<unknown> & { length: number })[] = [
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
